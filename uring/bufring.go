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
// data is consumed, hand the buffer back with Recycle. Consume tells
// from a CQE which bytes of which buffer were filled and when the buffer
// may be recycled, for ordinary and incremental rings alike.
//
// The buffers are anonymous mmap memory, and so is the descriptor ring
// unless the kernel allocated it (PbufRingMmap), in which case it is
// mapped from the ring fd: either way the garbage collector never sees or
// moves them. A BufRing belongs to the goroutine that owns its Ring and
// is not safe for concurrent use.
//
// Memory layout. The ring is an array of 16-byte struct io_uring_buf
// {addr u64; len u32; bid u16; resv u16}. The kernel reads entries from
// its private head up to the tail we publish; the tail is not a separate
// word but overlays entry 0's resv field, at byte offset 14 of the ring.
type BufRing struct {
	ring    *Ring
	group   uint16
	flags   uint16 // PbufRingMmap, PbufRingInc, as registered
	entries uint32
	mask    uint32
	bufSize int

	// ringMem is the descriptor ring, entries*16 bytes rounded up to a
	// page: anonymous memory, or with PbufRingMmap the kernel's own,
	// mapped from the ring fd. Either way Close unmaps it.
	ringMem []byte
	bufMem  []byte // entries*bufSize bytes of buffers, bid i at i*bufSize

	// ktailWord is the aligned 32-bit word at offset 12 of the ring:
	// entry 0's bid (offset 12) and the ring tail (offset 14). See
	// Advance.
	ktailWord *uint32

	tail    uint16 // last tail we published
	pending uint16 // entries written by Add past tail, not yet published

	// fill[i], on an incremental ring, is how many bytes of the buffer
	// in slot i (bid&mask) earlier completions have filled: the next
	// completion for that buffer continues there. Add resets it.
	fill []uint32
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
	return r.NewBufRingFlags(group, entries, bufSize, 0)
}

// NewBufRingFlags is NewBufRing with registration flags, as liburing's
// io_uring_setup_buf_ring takes them:
//
//   - PbufRingMmap (6.4): the kernel allocates the descriptor ring, and
//     it is mapped from the ring fd at offPbufRing | group<<16 (the
//     buffers stay ours). The offset has room for groups up to
//     MaxMmapBufGroup only. The mapping holds a reference to the ring:
//     until the BufRing is closed the kernel keeps the ring alive, and
//     its requests in flight, even after r.Close.
//   - PbufRingInc (6.12): buffers are consumed incrementally. A
//     completion takes only the bytes it needs from the buffer at the
//     ring's head, and the next one continues in the same buffer after
//     them, so a large buffer serves many small receives. Such CQEs
//     carry CQEFBufMore while the kernel keeps using the buffer; use
//     Consume to find each completion's bytes and the moment the buffer
//     may be recycled.
//
// Kernels without one of the flags fail with an error wrapping
// syscall.EOPNOTSUPP (so errors.Is(err, errors.ErrUnsupported) holds),
// as WaitCQETimeout does where EXT_ARG is missing; kernels without
// provided-buffer rings at all fail with EINVAL, as NewBufRing does.
func (r *Ring) NewBufRingFlags(group uint16, entries uint32, bufSize int, flags uint16) (*BufRing, error) {
	if entries == 0 || entries > maxBufRingEntries || entries&(entries-1) != 0 {
		return nil, fmt.Errorf("uring: buffer ring entries %d: not a power of two in 1..%d", entries, maxBufRingEntries)
	}
	if bufSize <= 0 || uint64(bufSize) > 1<<31 || uint64(bufSize)*uint64(entries) > 1<<40 {
		return nil, fmt.Errorf("uring: buffer ring buffer size %d out of range", bufSize)
	}
	if flags&^(PbufRingMmap|PbufRingInc) != 0 {
		return nil, fmt.Errorf("uring: buffer ring flags %#x: %w", flags, syscall.EINVAL)
	}
	if flags&PbufRingMmap != 0 && group > MaxMmapBufGroup {
		// The mmap offset keeps 11 bits for the group; a larger one
		// would register fine and then be impossible to map.
		return nil, fmt.Errorf("uring: buffer group %d above %d cannot be kernel-mapped: %w", group, MaxMmapBufGroup, syscall.EINVAL)
	}
	if r.fd < 0 {
		return nil, ErrClosed
	}
	page := os.Getpagesize()
	ringBytes := (int(entries)*bufEntrySize + page - 1) &^ (page - 1)
	bufMem, err := unix.Mmap(-1, 0, int(entries)*bufSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANONYMOUS|unix.MAP_PRIVATE)
	if err != nil {
		return nil, os.NewSyscallError("mmap buffers", err)
	}
	reg := &BufReg{RingEntries: entries, Bgid: group, Flags: flags}
	var ringMem []byte
	if flags&PbufRingMmap == 0 {
		ringMem, err = unix.Mmap(-1, 0, ringBytes, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANONYMOUS|unix.MAP_PRIVATE)
		if err != nil {
			unix.Munmap(bufMem)
			return nil, os.NewSyscallError("mmap buffer ring", err)
		}
		reg.RingAddr = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(ringMem))))
	}
	if err := r.RegisterPbufRing(reg); err != nil {
		if flags != 0 && errors.Is(err, syscall.EINVAL) && r.pbufRingWithoutFlags(group) {
			err = fmt.Errorf("uring: buffer ring flags %#x: %w", flags, os.NewSyscallError("io_uring_register", syscall.EOPNOTSUPP))
		}
		unix.Munmap(bufMem)
		if ringMem != nil {
			unix.Munmap(ringMem)
		}
		return nil, err
	}
	if flags&PbufRingMmap != 0 {
		// The kernel's ring exists from registration on; map it now.
		// MAP_SHARED: the kernel reads our tail and entries from these
		// very pages.
		off := int64(offPbufRing | uint64(group)<<offPbufShift)
		ringMem, err = unix.Mmap(r.fd, off, ringBytes, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			r.UnregisterPbufRing(group)
			unix.Munmap(bufMem)
			return nil, os.NewSyscallError("mmap buffer ring", err)
		}
	}
	b := &BufRing{
		ring:      r,
		group:     group,
		flags:     flags,
		entries:   entries,
		mask:      entries - 1,
		bufSize:   bufSize,
		ringMem:   ringMem,
		bufMem:    bufMem,
		ktailWord: (*uint32)(unsafe.Pointer(&ringMem[12])),
	}
	if flags&PbufRingInc != 0 {
		b.fill = make([]uint32, entries)
	}
	// The ring is fresh zeroed memory, ours or the kernel's: the tail is
	// already 0, as liburing's io_uring_buf_ring_init would set it.
	for i := range entries {
		b.Add(uint16(i), b.Buf(uint16(i)))
	}
	b.Advance(int(entries))
	return b, nil
}

// MaxMmapBufGroup is the largest buffer group a kernel-mapped ring
// (PbufRingMmap) can have: the ring's mmap offset carries the group in
// the bits between offPbufShift and offMmapMask.
const MaxMmapBufGroup uint16 = (1<<32 - 1 - offMmapMask) >> offPbufShift

// pbufRingWithoutFlags reports whether the kernel accepts a plain
// provided-buffer ring for group, registering one page-sized ring and
// unregistering it again. The kernel answers EINVAL both for a flag it
// does not know and for arguments it dislikes; when the same group
// registers fine without flags, the flags were the problem.
func (r *Ring) pbufRingWithoutFlags(group uint16) bool {
	mem, err := unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANONYMOUS|unix.MAP_PRIVATE)
	if err != nil {
		return false
	}
	// Unmapping after the unregister below is safe either way: the
	// kernel pins the pages of a ring it holds.
	defer unix.Munmap(mem)
	reg := &BufReg{RingAddr: uint64(uintptr(unsafe.Pointer(unsafe.SliceData(mem)))), RingEntries: 1, Bgid: group}
	if r.RegisterPbufRing(reg) != nil {
		return false
	}
	r.UnregisterPbufRing(group)
	return true
}

// Group returns the buffer group id, for SQE.SetBufGroup.
func (b *BufRing) Group() uint16 { return b.group }

// Entries returns the number of buffers.
func (b *BufRing) Entries() uint32 { return b.entries }

// Flags returns the registration flags (PbufRingMmap, PbufRingInc).
func (b *BufRing) Flags() uint16 { return b.flags }

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
// outstanding in the ring. On an incremental ring the buffer starts
// empty again for Consume.
func (b *BufRing) Add(bid uint16, buf []byte) {
	if b.ringMem == nil {
		return // closed
	}
	// The slot is free: the kernel moved its head past it before it
	// posted the CQE that handed the buffer back (an incremental ring
	// zeroes the entry's len first), and we read that CQE after the
	// load-acquire of the CQ tail. Plain stores suffice; Advance
	// publishes them.
	e := b.entry(uint32(b.tail) + uint32(b.pending))
	e.Addr = uint64(bufAddr(buf))
	e.Len = uint32(len(buf))
	e.Bid = bid
	if b.fill != nil {
		b.fill[uint32(bid)&b.mask] = 0
	}
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
// and the tail only (on an incremental ring it writes back the addr and
// len of a partly used entry, offsets 0 to 11, never 12 to 15). Entry
// 0's bid is written by Add on this goroutine, so reading the word and
// storing it back with the new tail spliced in cannot lose an update, and the kernel sees either the old or the new
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
	word := *b.ktailWord // only this goroutine writes it
	(*[2]uint16)(unsafe.Pointer(&word))[1] = b.tail
	storeRelease(b.ktailWord, word)
}

// Recycle gives buffer bid (from a CQE with CQEFBuffer) back to the
// kernel: it adds the buffer's full slice and publishes it, together with
// any entries added but not yet advanced. On an incremental ring, recycle
// a buffer only once Consume has reported it done: until then the
// kernel still holds it, and adding it again would hand it out twice.
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

// Consume reports what a completion that picked a buffer from b put
// into it, and whether the kernel is done with that buffer. Call it once
// for each such completion, in CQ order: on an incremental ring it
// advances the buffer's fill offset. It handles single-buffer
// completions; a bundle (RecvsendBundle) spans several buffers.
//
// bid is the buffer id and data the bytes the completion filled: on an
// ordinary ring Buf(bid)[:Res]; on an incremental ring (PbufRingInc) the
// Res bytes that follow those of the buffer's earlier completions. When
// done is true the kernel has let go of the buffer: once data has been
// used, hand the buffer back with Recycle(bid). While done is false the
// kernel may still write into the buffer after data, so data stays
// valid but the buffer must not be recycled yet. A completion without
// CQEFBuffer, or on a closed BufRing, gives (0, nil, false).
//
// On an incremental ring a buffer is done when a completion with data
// arrives without CQEFBufMore: the kernel filled it up and moved on. A
// completion with Res 0 (end of file) or an error is never done: the
// kernel did not consume the buffer for it, even where it does not set
// CQEFBufMore then (kernels without the fix of early 2026 omit it at
// end of file; 6.18.44 has it. liburing's proxy example treats Res 0 the
// same way).
//
// The offsets follow the kernel only where it consumes what a request
// transferred: sockets and pipes, issued inline as usual. A read of a
// regular file, or any request run by an io-wq worker (SQEAsync),
// consumes the requested length (the whole rest of the buffer when the
// SQE length is 0) when the buffer is picked, whatever the transfer then
// returns: use incremental rings for sockets and pipes, with length 0.
func (b *BufRing) Consume(cqe *CQE) (bid uint16, data []byte, done bool) {
	bid, ok := BufID(cqe)
	if !ok || b.bufMem == nil {
		return 0, nil, false
	}
	buf := b.Buf(bid)
	n := max(int(cqe.Res), 0)
	if b.fill == nil {
		return bid, buf[:min(n, len(buf))], true
	}
	i := uint32(bid) & b.mask
	off := min(int(b.fill[i]), len(buf))
	n = min(n, len(buf)-off)
	b.fill[i] = uint32(off + n)
	return bid, buf[off : off+n], cqe.Res > 0 && cqe.Flags&CQEFBufMore == 0
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
	// A kernel-mapped ring is unmapped the same way: the mapping holds
	// its own reference to the ring's pages (and file), so this is safe
	// after the unregister above and after the Ring's own Close.
	unix.Munmap(b.bufMem)
	unix.Munmap(b.ringMem)
	b.bufMem, b.ringMem, b.ktailWord, b.fill = nil, nil, nil, nil
	return nil
}
