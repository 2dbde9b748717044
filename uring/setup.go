// Package uring is a raw io_uring ring in pure Go with the scope of
// liburing: every opcode, setup flag and register call of the running
// kernel, and no allocation on the submit and complete paths.
//
// A Ring is not safe for concurrent use: like liburing, one goroutine owns
// it (or callers serialise access). The goroutine-safe engine is the root
// package ringo, built on this one.
//
// The usual loop:
//
//	r, _ := uring.New(64, nil)
//	defer r.Close()
//	sqe := r.GetSQE()
//	sqe.PrepRead(fd, buf, 0)
//	sqe.UserData = 1
//	r.SubmitAndWait(1)
//	cqe, _ := r.PeekCQE()
//	n := cqe.Res
//	r.CQESeen()
//
// Buffers, iovecs and paths handed to the kernel must stay alive and must
// not move until their completion arrives: use memory from mmap, or pin
// Go memory with runtime.Pinner (see package ringo, which does it for you).
package uring

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ring is one io_uring instance: a submission queue, a completion queue
// and the file descriptor that names them.
type Ring struct {
	sq SubmissionQueue
	cq CompletionQueue

	fd       int    // ring file descriptor (-1 once closed)
	enterFd  int    // fd or registered-ring index used for io_uring_enter
	flags    uint32 // setup flags in effect
	features uint32 // Feat* bits reported by the kernel

	// enterFlags is OR'ed into every io_uring_enter: EnterRegisteredRing
	// once the ring fd is registered.
	enterFlags uint32
	// registerUseRing is OR'ed into register opcodes for the same reason,
	// but only on kernels with FeatRegRegRing (6.3); before that the
	// registered index is valid for io_uring_enter only.
	registerUseRing RegisterOp

	ringMem []byte // SQ and CQ rings (one mapping with FeatSingleMmap)
	cqMem   []byte // CQ ring when the kernel lacks FeatSingleMmap
	sqeMem  []byte // the SQE array

	params Params
	wait   *waitArgs

	// clock is the clock RegisterClock chose for wait timeouts, when
	// clockSet; the kernel's default is CLOCK_MONOTONIC. Absolute
	// deadlines (WaitOptions.Deadline) are times on it.
	clock    int32
	clockSet bool

	inlineSkip uint32 // waits left before trying an inline submit again
}

// SubmissionQueue is the SQ side of a Ring. Fields prefixed with k point
// into memory shared with the kernel; the others are our local copies.
type SubmissionQueue struct {
	khead    *uint32 // consumed by the kernel
	ktail    *uint32 // published by us
	kflags   *uint32 // SQNeedWakeup, SQCQOverflow, SQTaskrun
	kdropped *uint32
	karray   *uint32 // index array (absent with SetupNoSQArray)

	sqes     unsafe.Pointer // SQE array
	sqeShift uint32         // 6 for 64-byte SQEs, 7 for SQE128

	ringMask    uint32
	ringEntries uint32

	// sqeHead..sqeTail are SQEs handed out by GetSQE and not yet
	// published to the kernel (liburing's sqe_head/sqe_tail).
	sqeHead uint32
	sqeTail uint32
}

// CompletionQueue is the CQ side of a Ring.
type CompletionQueue struct {
	khead     *uint32 // published by us
	ktail     *uint32 // published by the kernel
	kflags    *uint32 // CQEventfdDisabled
	koverflow *uint32

	cqes     unsafe.Pointer
	cqeShift uint32 // 4 for 16-byte CQEs, 5 for CQE32

	ringMask    uint32
	ringEntries uint32
}

// unsupportedSetupFlags are setup flags Ring cannot serve: NO_MMAP and
// REGISTERED_FD_ONLY need ring memory from the caller and return an index
// instead of a descriptor (New always maps the rings and owns an fd), and
// the MIXED layouts put 32-byte CQEs or 128-byte SQEs among the ordinary
// ones, which the queue code does not walk, and SQ_REWIND (7.0) reads
// every batch from slot 0, which GetSQE does not follow. SetupFlagSupported still
// reports whether the kernel has them.
const unsupportedSetupFlags = SetupNoMmap | SetupRegisteredFdOnly | SetupCQEMixed | SetupSQEMixed | SetupSQRewind

// ErrClosed is returned by operations on a closed Ring.
var ErrClosed = errors.New("uring: ring closed")

// New creates a ring with at least entries submission queue slots
// (rounded up to a power of two by the kernel). p may be nil; when not
// nil its Flags, CQEntries (with SetupCQSize), SQThreadCPU, SQThreadIdle
// and WQFd are used, and the kernel's answer is written back into it.
//
// Errors are *os.SyscallError wrapping the errno, so callers can test
// errors.Is(err, syscall.ENOSYS) (no io_uring in this kernel) or
// syscall.EPERM (disabled by sysctl or seccomp).
func New(entries uint32, p *Params) (*Ring, error) {
	var params Params
	if p != nil {
		params = *p
	}
	if bad := params.Flags & unsupportedSetupFlags; bad != 0 {
		return nil, fmt.Errorf("uring: New cannot set up a ring with %s: %w", SetupFlagsString(bad), errors.ErrUnsupported)
	}
	// The kernel writes into params, so it must not be on a stack the
	// runtime may move during the call: heap-allocate it.
	pp := new(Params)
	*pp = params
	fd, err := setup(entries, pp)
	if err != nil {
		return nil, os.NewSyscallError("io_uring_setup", err)
	}
	r := &Ring{fd: fd, enterFd: fd}
	if err := r.mapRings(pp); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if p != nil {
		*p = *pp
	}
	return r, nil
}

func (r *Ring) mapRings(p *Params) error {
	r.params = *p
	r.flags = p.Flags
	r.features = p.Features

	sqShift, cqShift := uint32(6), uint32(4)
	if p.Flags&SetupSQE128 != 0 {
		sqShift = 7
	}
	if p.Flags&SetupCQE32 != 0 {
		cqShift = 5
	}

	sqSize := uintptr(p.SQOff.Array) + uintptr(p.SQEntries)*4
	if p.Flags&SetupNoSQArray != 0 {
		// Without the index array the SQ ring ends after its header.
		sqSize = uintptr(p.SQOff.Array)
		if sqSize == 0 {
			sqSize = uintptr(p.SQOff.Dropped) + 4
		}
	}
	cqSize := uintptr(p.CQOff.CQEs) + uintptr(p.CQEntries)<<cqShift
	single := p.Features&FeatSingleMmap != 0
	if single && cqSize > sqSize {
		sqSize = cqSize
	}

	var err error
	r.ringMem, err = unix.Mmap(r.fd, offSQRing, int(sqSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return os.NewSyscallError("mmap sq ring", err)
	}
	cqMem := r.ringMem
	if !single {
		r.cqMem, err = unix.Mmap(r.fd, offCQRing, int(cqSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			r.unmap()
			return os.NewSyscallError("mmap cq ring", err)
		}
		cqMem = r.cqMem
	}
	sqeBytes := int(p.SQEntries) << sqShift
	r.sqeMem, err = unix.Mmap(r.fd, offSQEs, sqeBytes, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		r.unmap()
		return os.NewSyscallError("mmap sqes", err)
	}

	sqBase := unsafe.Pointer(unsafe.SliceData(r.ringMem))
	sq := &r.sq
	sq.khead = (*uint32)(unsafe.Add(sqBase, p.SQOff.Head))
	sq.ktail = (*uint32)(unsafe.Add(sqBase, p.SQOff.Tail))
	sq.kflags = (*uint32)(unsafe.Add(sqBase, p.SQOff.Flags))
	sq.kdropped = (*uint32)(unsafe.Add(sqBase, p.SQOff.Dropped))
	sq.ringMask = *(*uint32)(unsafe.Add(sqBase, p.SQOff.RingMask))
	sq.ringEntries = *(*uint32)(unsafe.Add(sqBase, p.SQOff.RingEntries))
	sq.sqes = unsafe.Pointer(unsafe.SliceData(r.sqeMem))
	sq.sqeShift = sqShift
	if p.Flags&SetupNoSQArray == 0 {
		sq.karray = (*uint32)(unsafe.Add(sqBase, p.SQOff.Array))
		// Identity map the index array once, as liburing does: SQE i
		// always sits in slot i, so the array never changes again.
		arr := unsafe.Slice(sq.karray, sq.ringEntries)
		for i := range arr {
			arr[i] = uint32(i)
		}
	}
	// With SQPOLL the kernel thread may already be looking at the tail
	// before our first submit; it is zero on both sides at this point.
	sq.sqeHead = loadAcquire(sq.ktail)
	sq.sqeTail = sq.sqeHead

	cqBase := unsafe.Pointer(unsafe.SliceData(cqMem))
	cq := &r.cq
	cq.khead = (*uint32)(unsafe.Add(cqBase, p.CQOff.Head))
	cq.ktail = (*uint32)(unsafe.Add(cqBase, p.CQOff.Tail))
	cq.koverflow = (*uint32)(unsafe.Add(cqBase, p.CQOff.Overflow))
	if p.CQOff.Flags != 0 {
		cq.kflags = (*uint32)(unsafe.Add(cqBase, p.CQOff.Flags))
	}
	cq.ringMask = *(*uint32)(unsafe.Add(cqBase, p.CQOff.RingMask))
	cq.ringEntries = *(*uint32)(unsafe.Add(cqBase, p.CQOff.RingEntries))
	cq.cqes = unsafe.Add(cqBase, p.CQOff.CQEs)
	cq.cqeShift = cqShift
	return nil
}

func (r *Ring) unmap() {
	for _, m := range []*[]byte{&r.sqeMem, &r.cqMem, &r.ringMem} {
		if *m != nil {
			unix.Munmap(*m)
			*m = nil
		}
	}
}

// Close unregisters the ring fd if it was registered, unmaps the rings and
// closes the ring. Requests still in flight are cancelled by the kernel,
// but in the background: one already running (in an io-wq worker, say)
// can go on using its buffers after Close returns. Reap every request's
// final completion before Close if their memory is to be reused.
// Close is idempotent.
func (r *Ring) Close() error {
	if r.fd < 0 {
		return ErrClosed
	}
	if r.enterFlags&EnterRegisteredRing != 0 {
		// The thread's registration holds a reference to the ring file;
		// without this the ring outlives Close.
		r.UnregisterRingFd()
	}
	r.unmap()
	err := unix.Close(r.fd)
	r.fd = -1
	r.enterFd = -1
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// Fd returns the ring's file descriptor (for MsgRing targets, AttachWQ,
// or registering with another ring).
func (r *Ring) Fd() int { return r.fd }

// Flags returns the setup flags in effect.
func (r *Ring) Flags() uint32 { return r.flags }

// Features returns the Feat* bits the kernel reported at setup.
func (r *Ring) Features() uint32 { return r.features }

// Params returns the parameters the kernel filled in at setup.
func (r *Ring) Params() Params { return r.params }

// SQEntries returns the number of submission queue slots.
func (r *Ring) SQEntries() uint32 { return r.sq.ringEntries }

// CQEntries returns the number of completion queue slots.
func (r *Ring) CQEntries() uint32 { return r.cq.ringEntries }

// Dropped returns how many invalid SQEs the kernel has dropped.
func (r *Ring) Dropped() uint32 {
	if r.fd < 0 {
		return 0
	}
	return loadRelaxed(r.sq.kdropped)
}

// Overflow returns how many CQEs overflowed the CQ ring and were lost
// (kernels without FeatNoDrop) or deferred.
func (r *Ring) Overflow() uint32 {
	if r.fd < 0 {
		return 0
	}
	return loadRelaxed(r.cq.koverflow)
}

// RegisterRingFd registers the ring's own fd (5.18), so each
// io_uring_enter skips the file-table lookup.
//
// Register calls go through the registered index too only when the
// kernel reports FeatRegRegRing (6.3). Kernels from 5.18 to 6.2 accept
// the index for io_uring_enter but not for io_uring_register, so there
// register calls keep using the ring fd; registering still succeeds.
// This is what liburing's io_uring_register_ring_fd does.
//
// The kernel keeps registered ring fds per thread, not per ring: the
// calling goroutine must be locked to its OS thread (runtime.LockOSThread)
// for as long as the registration lasts, and every later call on the ring
// must come from that goroutine. A Ring used from goroutines that migrate
// between threads must not register its fd. Errors leave the ring working
// unregistered.
func (r *Ring) RegisterRingFd() error {
	if r.fd < 0 {
		return ErrClosed
	}
	if r.enterFlags&EnterRegisteredRing != 0 {
		return fmt.Errorf("uring: ring fd already registered")
	}
	up := &RsrcUpdate{Offset: ^uint32(0), Data: uint64(r.fd)}
	n, err := register(r.fd, RegisterOpRingFds, unsafe.Pointer(up), 1)
	if err != nil {
		return os.NewSyscallError("io_uring_register", err)
	}
	if n != 1 {
		return os.NewSyscallError("io_uring_register", syscall.EINVAL)
	}
	r.enterFd = int(up.Offset)
	r.enterFlags |= EnterRegisteredRing
	if r.features&FeatRegRegRing != 0 {
		r.registerUseRing = RegisterOpUseRegisteredRing
	}
	return nil
}

// UnregisterRingFd undoes RegisterRingFd.
func (r *Ring) UnregisterRingFd() error {
	if r.fd < 0 {
		return ErrClosed
	}
	if r.enterFlags&EnterRegisteredRing == 0 {
		return fmt.Errorf("uring: ring fd not registered")
	}
	up := &RsrcUpdate{Offset: uint32(r.enterFd)}
	if _, err := register(r.fd, RegisterOpUnregisterRingFds, unsafe.Pointer(up), 1); err != nil {
		return os.NewSyscallError("io_uring_register", err)
	}
	r.enterFd = r.fd
	r.enterFlags &^= EnterRegisteredRing
	r.registerUseRing = 0
	return nil
}
