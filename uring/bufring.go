package uring

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// BufRing is a provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19): a
// ring of buffer descriptors shared with the kernel, from which requests
// submitted with SQEBufferSelect and the ring's group id pick a buffer
// when data arrives (recv, read, their multishot forms). The CQE then
// carries CQEFBuffer and the buffer id in its upper 16 bits; once the
// data is consumed, hand the buffer back with Recycle.
//
// Both the descriptor ring and the buffers are anonymous mmap memory, so
// the garbage collector never sees or moves them. A BufRing belongs to
// the goroutine that owns its Ring and is not safe for concurrent use.
//
// Memory layout. The ring is an array of 16-byte struct io_uring_buf
// {addr u64; len u32; bid u16; resv u16}. The kernel reads entries from
// its private head up to the tail we publish; the tail is not a separate
// word but overlays entry 0's resv field, at byte offset 14 of the ring.
type BufRing struct {
	ring    *Ring
	group   uint16
	entries uint32
	mask    uint32
	bufSize int

	ringMem []byte // entries*16 bytes, rounded up to a page
	bufMem  []byte // entries*bufSize bytes of buffers, bid i at i*bufSize

	// tailWord is the aligned 32-bit word at offset 12 of the ring: entry
	// 0's bid (offset 12) and the ring tail (offset 14). See Advance.
	tailWord *uint32

	tail    uint16 // last tail we published
	pending uint16 // entries written by Add past tail, not yet published
}

// bufEntrySize is sizeof(struct io_uring_buf).
const bufEntrySize = 16

// maxBufRingEntries is the kernel's limit on a provided-buffer ring.
const maxBufRingEntries = 1 << 15

// NewBufRing creates a provided-buffer ring for buffer group group with
// entries buffers of bufSize bytes each, registers it with r, and makes
// every buffer available to the kernel (buffer ids 0..entries-1).
// entries must be a power of two, at most 32768.
//
// Close the BufRing when no request selecting from the group is in
// flight any more (or after closing r): the kernel writes into the
// buffers until then.
func (r *Ring) NewBufRing(group uint16, entries uint32, bufSize int) (*BufRing, error) {
	if entries == 0 || entries > maxBufRingEntries || entries&(entries-1) != 0 {
		return nil, fmt.Errorf("uring: buffer ring entries %d: not a power of two in 1..%d", entries, maxBufRingEntries)
	}
	if bufSize <= 0 || uint64(bufSize) > 1<<31 || uint64(bufSize)*uint64(entries) > 1<<40 {
		return nil, fmt.Errorf("uring: buffer ring buffer size %d out of range", bufSize)
	}
	if r.fd < 0 {
		return nil, ErrClosed
	}
	page := os.Getpagesize()
	ringBytes := (int(entries)*bufEntrySize + page - 1) &^ (page - 1)
	ringMem, err := unix.Mmap(-1, 0, ringBytes, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANONYMOUS|unix.MAP_PRIVATE)
	if err != nil {
		return nil, os.NewSyscallError("mmap buffer ring", err)
	}
	bufMem, err := unix.Mmap(-1, 0, int(entries)*bufSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANONYMOUS|unix.MAP_PRIVATE)
	if err != nil {
		unix.Munmap(ringMem)
		return nil, os.NewSyscallError("mmap buffers", err)
	}
	b := &BufRing{
		ring:     r,
		group:    group,
		entries:  entries,
		mask:     entries - 1,
		bufSize:  bufSize,
		ringMem:  ringMem,
		bufMem:   bufMem,
		tailWord: (*uint32)(unsafe.Pointer(&ringMem[12])),
	}
	// The ring is fresh anonymous memory: the tail is already 0, as
	// liburing's io_uring_buf_ring_init would set it.
	reg := &BufReg{
		RingAddr:    uint64(uintptr(unsafe.Pointer(unsafe.SliceData(ringMem)))),
		RingEntries: entries,
		Bgid:        group,
	}
	if err := r.RegisterPbufRing(reg); err != nil {
		unix.Munmap(bufMem)
		unix.Munmap(ringMem)
		return nil, err
	}
	for i := range entries {
		b.Add(uint16(i), b.Buf(uint16(i)))
	}
	b.Advance(int(entries))
	return b, nil
}

// Group returns the buffer group id, for SQE.SetBufGroup.
func (b *BufRing) Group() uint16 { return b.group }

// Entries returns the number of buffers.
func (b *BufRing) Entries() uint32 { return b.entries }

// BufSize returns the size of each buffer.
func (b *BufRing) BufSize() int { return b.bufSize }

func (b *BufRing) entry(idx uint32) *BufEntry {
	return (*BufEntry)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b.ringMem)), uintptr(idx&b.mask)*bufEntrySize))
}

// Add writes buffer buf with id bid into the next free ring slot, without
// making it visible to the kernel: Advance does that, for any number of
// Adds at once (liburing's io_uring_buf_ring_add). buf must stay valid
// and unmoved while the kernel may use it: the buffers of Buf are; other
// memory should be mmap'ed or pinned. At most Entries buffers may be
// outstanding in the ring.
func (b *BufRing) Add(bid uint16, buf []byte) {
	if b.ringMem == nil {
		return // closed
	}
	e := b.entry(uint32(b.tail) + uint32(b.pending))
	e.Addr = uint64(bufAddr(buf))
	e.Len = uint32(len(buf))
	e.Bid = bid
	b.pending++
}

// Advance publishes the next n entries written by Add to the kernel
// (liburing's io_uring_buf_ring_advance).
//
// Ordering. The kernel reads the tail with a 16-bit load-acquire and then
// the entries before it, so the tail must be published with a
// store-release after the entries are written: the "producer publishes
// its index with a store-release" rule of barrier.go. Go has no 16-bit
// atomic store, so the store is made on the naturally aligned 32-bit word
// at ring offset 12, which holds entry 0's bid (offset 12) and the tail
// (offset 14). The kernel never writes that word: it reads entry 0's bid
// and the tail only. Entry 0's bid is written by Add on this goroutine,
// so reading the word and storing it back with the new tail spliced in
// cannot lose an update, and the kernel sees either the old or the new
// tail, never a torn one (an aligned 32-bit store is single-copy atomic).
// The splice goes through a [2]uint16 view of the word, so it is correct
// on either byte order.
func (b *BufRing) Advance(n int) {
	if n <= 0 || b.ringMem == nil {
		return
	}
	b.tail += uint16(n)
	if uint16(n) >= b.pending {
		b.pending = 0
	} else {
		b.pending -= uint16(n)
	}
	word := *b.tailWord // only this goroutine writes it
	(*[2]uint16)(unsafe.Pointer(&word))[1] = b.tail
	storeRelease(b.tailWord, word)
}

// Recycle gives buffer bid (from a CQE with CQEFBuffer) back to the
// kernel: it adds the buffer's full slice and publishes it, together with
// any entries added but not yet advanced.
func (b *BufRing) Recycle(bid uint16) {
	b.Add(bid, b.Buf(bid))
	b.Advance(int(b.pending))
}

// Buf returns the memory of buffer bid. A completion with CQEFBuffer
// carrying bid and Res n > 0 filled Buf(bid)[:n]. The slice is valid
// until Close; after Close Buf returns nil.
func (b *BufRing) Buf(bid uint16) []byte {
	if b.bufMem == nil {
		return nil
	}
	off := int(uint32(bid)&b.mask) * b.bufSize
	return b.bufMem[off : off+b.bufSize : off+b.bufSize]
}

// BufID returns the buffer id of a completion that carries CQEFBuffer,
// and whether it carries one.
func BufID(cqe *CQE) (uint16, bool) {
	if cqe.Flags&CQEFBuffer == 0 {
		return 0, false
	}
	return uint16(cqe.Flags >> CQEBufferShift), true
}

// Close unregisters the buffer ring and unmaps its memory. No request
// selecting from the group may be in flight: the kernel writes into a
// buffer from the moment it picks it until the request completes, and
// closing the Ring does not stop that (the kernel tears a ring down in
// the background, and a request already running in an io-wq worker goes
// on writing), so reap every request's final completion first. If
// unregistering fails the memory is left mapped (the kernel might still
// use it) and the error returned. After Close, Add, Advance and Recycle
// do nothing.
func (b *BufRing) Close() error {
	if b.ringMem == nil {
		return nil
	}
	if b.ring.fd >= 0 {
		if err := b.ring.UnregisterPbufRing(b.group); err != nil && !errors.Is(err, syscall.ENOENT) {
			return err
		}
	}
	unix.Munmap(b.bufMem)
	unix.Munmap(b.ringMem)
	b.bufMem, b.ringMem, b.tailWord = nil, nil, nil
	return nil
}
