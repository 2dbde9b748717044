//go:build linux

// Package aio is Linux native asynchronous I/O (io_setup, io_submit,
// io_getevents, io_cancel, io_destroy) in pure Go, made with raw system
// calls. It exists so that `ringo bench` can compare io_uring with the
// interface it replaces; it is not a general-purpose library.
//
// # Memory rules
//
// The kernel copies each IOCB when io_submit runs, so an IOCB may be
// reused once its completion Event has been reaped (IOCBs that may be
// passed to Cancel must stay at the same address until then). The data
// buffer an IOCB points to is different: the kernel keeps its address and
// reads or writes it until the completion Event arrives, and the
// garbage collector does not see that address (IOCB.Buf is a plain
// integer). The caller must therefore keep every buffer referenced (for
// example in a field or a slice that outlives the request) and must not
// reuse it until the Event for that request has been returned by
// GetEvents. Memory from unix.Mmap, or a heap-allocated slice, is
// suitable; the Prep helpers force their buffer argument to the heap so
// that goroutine stack memory, which can move, is never handed to the
// kernel.
//
// Native AIO is only asynchronous for O_DIRECT files: for buffered files
// io_submit usually performs the I/O itself before it returns.
package aio

import (
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Opcodes for IOCB.Opcode (IOCB_CMD_* in linux/aio_abi.h).
const (
	CmdPread   = 0 // IOCB_CMD_PREAD
	CmdPwrite  = 1 // IOCB_CMD_PWRITE
	CmdFsync   = 2 // IOCB_CMD_FSYNC
	CmdFdsync  = 3 // IOCB_CMD_FDSYNC
	CmdPoll    = 5 // IOCB_CMD_POLL
	CmdNoop    = 6 // IOCB_CMD_NOOP
	CmdPreadv  = 7 // IOCB_CMD_PREADV
	CmdPwritev = 8 // IOCB_CMD_PWRITEV
)

// Flags for IOCB.Flags (IOCB_FLAG_* in linux/aio_abi.h).
const (
	FlagResFD  = 1 << 0 // IOCB_FLAG_RESFD: signal the eventfd in IOCB.ResFD on completion
	FlagIOPrio = 1 << 1 // IOCB_FLAG_IOPRIO: IOCB.ReqPrio holds an I/O priority
)

// IOCB is struct iocb from linux/aio_abi.h, laid out for little-endian
// 64-bit targets (amd64, arm64): 64 bytes.
type IOCB struct {
	Data      uint64 // aio_data: returned untouched in Event.Data
	Key       uint32 // aio_key: set by the kernel's ABI to 0; must be 0
	RWFlags   uint32 // aio_rw_flags: RWF_* flags (per-request preadv2/pwritev2 flags)
	Opcode    uint16 // aio_lio_opcode: one of the Cmd* constants
	ReqPrio   int16  // aio_reqprio: I/O priority when FlagIOPrio is set
	Fd        uint32 // aio_fildes: file descriptor
	Buf       uint64 // aio_buf: buffer address (iovec array for the vectored opcodes; poll events for CmdPoll)
	Nbytes    uint64 // aio_nbytes: buffer length (iovec count for the vectored opcodes)
	Offset    int64  // aio_offset: file offset
	Reserved2 uint64 // aio_reserved2: must be 0
	Flags     uint32 // aio_flags: Flag* constants
	ResFD     uint32 // aio_resfd: eventfd signalled when FlagResFD is set
}

// Event is struct io_event from linux/aio_abi.h: 32 bytes.
type Event struct {
	Data uint64 // IOCB.Data of the completed request
	Obj  uint64 // address of the IOCB as it was passed to Submit
	Res  int64  // result: bytes transferred, or a negative errno
	Res2 int64  // secondary result, usually 0
}

// Errno returns the error carried by a negative Res, or nil.
func (e *Event) Errno() error {
	if e.Res < 0 {
		return syscall.Errno(-e.Res)
	}
	return nil
}

// ErrClosed is returned by the methods of a Context after Close.
var ErrClosed = errors.New("aio: context closed")

// Context is an AIO context (aio_context_t) made by io_setup. Submit,
// Cancel and Close are safe for concurrent use; GetEvents may run
// concurrently with them.
type Context struct {
	id atomic.Uint64 // aio_context_t; 0 once closed

	mu      sync.Mutex // guards ptrs, cancel and the io_destroy call
	ptrs    []*IOCB    // the iocb pointer array handed to io_submit (heap)
	cancel  *Event     // io_cancel's result argument (heap)
	maxEvts int
}

// New makes a context able to hold at least maxEvents requests in flight
// (io_setup). The system-wide limit is fs.aio-max-nr.
func New(maxEvents int) (*Context, error) {
	if maxEvents <= 0 || maxEvents > 1<<30 {
		return nil, syscall.EINVAL
	}
	c := &Context{
		ptrs:    make([]*IOCB, 0, maxEvents),
		cancel:  new(Event),
		maxEvts: maxEvents,
	}
	var id uint64 // must be 0 on entry
	if _, _, e := unix.Syscall(unix.SYS_IO_SETUP, uintptr(maxEvents), uintptr(unsafe.Pointer(&id)), 0); e != 0 {
		return nil, &OpError{Op: "io_setup", Err: e}
	}
	c.id.Store(id)
	return c, nil
}

// MaxEvents returns the maxEvents given to New.
func (c *Context) MaxEvents() int { return c.maxEvts }

// Close destroys the context (io_destroy). The kernel waits for, or
// cancels, the requests still in flight; their events are lost. Calling
// Close again returns ErrClosed.
func (c *Context) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.id.Swap(0)
	if id == 0 {
		return ErrClosed
	}
	if _, _, e := unix.Syscall(unix.SYS_IO_DESTROY, uintptr(id), 0, 0); e != 0 {
		return &OpError{Op: "io_destroy", Err: e}
	}
	return nil
}

// Submit queues the requests cbs with io_submit, which is given a pointer
// array held by the Context. It returns how many were queued; when that is
// fewer than len(cbs), err says why cbs[n] was refused (for example
// EBADF for a bad descriptor, EINVAL for a bad request, EAGAIN when more
// requests would be in flight than the context holds). The requests
// cbs[n:] were not submitted.
//
// The kernel copies the IOCBs during the call; their data buffers must
// stay valid and referenced by the caller until each request's Event has
// been reaped (see the package documentation).
func (c *Context) Submit(cbs []*IOCB) (int, error) {
	if len(cbs) == 0 {
		return 0, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.id.Load()
	if id == 0 {
		return 0, ErrClosed
	}
	c.ptrs = append(c.ptrs[:0], cbs...)
	done := 0
	for done < len(c.ptrs) {
		rest := c.ptrs[done:]
		r, _, e := unix.Syscall(unix.SYS_IO_SUBMIT, uintptr(id), uintptr(len(rest)), uintptr(unsafe.Pointer(&rest[0])))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			clear(c.ptrs)
			return done, &OpError{Op: "io_submit", Err: e}
		}
		if r == 0 { // cannot happen for len(rest) > 0; avoid spinning
			clear(c.ptrs)
			return done, &OpError{Op: "io_submit", Err: syscall.EAGAIN}
		}
		done += int(r)
	}
	clear(c.ptrs) // drop references so the GC may free the IOCBs
	return done, nil
}

// GetEvents waits for completed requests and stores them in events
// (io_getevents). It returns once at least min events (at most
// len(events)) are available, or when timeout (relative; nil waits
// forever, a zero Timespec polls) expires, whichever is first. A signal
// that interrupts the wait (the Go runtime preempts goroutines with
// signals) restarts it with the remaining time, so the result is only
// short of min when the timeout has expired.
func (c *Context) GetEvents(min int, events []Event, timeout *unix.Timespec) (int, error) {
	if len(events) == 0 {
		if min > 0 {
			return 0, syscall.EINVAL
		}
		return 0, nil
	}
	if min > len(events) {
		min = len(events)
	}
	if min < 0 {
		min = 0
	}
	var deadline time.Time
	var ts *unix.Timespec // heap copy passed to the kernel
	if timeout != nil {
		deadline = time.Now().Add(time.Duration(timeout.Nano()))
		ts = new(unix.Timespec)
		*ts = *timeout
	}
	got := 0
	for {
		id := c.id.Load()
		if id == 0 {
			return got, ErrClosed
		}
		rest := events[got:]
		r, _, e := unix.Syscall6(unix.SYS_IO_GETEVENTS, uintptr(id), uintptr(max(min-got, 0)), uintptr(len(rest)),
			uintptr(unsafe.Pointer(&rest[0])), uintptr(unsafe.Pointer(ts)), 0)
		if e != 0 && e != syscall.EINTR {
			return got, &OpError{Op: "io_getevents", Err: e}
		}
		if e == 0 {
			got += int(r)
		}
		if got >= min {
			return got, nil
		}
		if ts != nil {
			left := time.Until(deadline)
			if left <= 0 {
				return got, nil
			}
			*ts = unix.NsecToTimespec(int64(left))
		}
	}
}

// Cancel asks the kernel to cancel the in-flight request cb (io_cancel);
// cb must be the same pointer that was passed to Submit. A nil result
// means cancellation was started: the request's Event, usually with a
// negative Res, still arrives through GetEvents. Only some requests can
// be cancelled (CmdPoll, some device drivers); for ordinary file reads
// and writes, and for requests that already completed, the kernel
// returns EINVAL.
func (c *Context) Cancel(cb *IOCB) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.id.Load()
	if id == 0 {
		return ErrClosed
	}
	_, _, e := unix.Syscall(unix.SYS_IO_CANCEL, uintptr(id), uintptr(unsafe.Pointer(cb)), uintptr(unsafe.Pointer(c.cancel)))
	if e != 0 && e != syscall.EINPROGRESS {
		return &OpError{Op: "io_cancel", Err: e}
	}
	return nil
}

// OpError is the error of a failed AIO system call.
type OpError struct {
	Op  string        // system call name, e.g. "io_submit"
	Err syscall.Errno // the errno
}

// Error implements error.
func (e *OpError) Error() string { return "aio: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the errno, so errors.Is(err, syscall.EAGAIN) works.
func (e *OpError) Unwrap() error { return e.Err }

// heapSink makes escape analysis move anything stored in it to the heap;
// it is never written at run time.
var heapSink struct {
	never bool
	p     unsafe.Pointer
}

// bufAddr returns the address of buf's first byte (0 for an empty
// buffer) and forces buf's backing array off the goroutine stack.
func bufAddr(buf []byte) uint64 {
	if len(buf) == 0 {
		return 0
	}
	p := unsafe.Pointer(unsafe.SliceData(buf))
	if heapSink.never {
		heapSink.p = p
	}
	return uint64(uintptr(p))
}

// PrepPread fills cb to read len(buf) bytes at offset off of fd into buf,
// with data returned in Event.Data. The caller keeps buf referenced and
// untouched until the request's Event is reaped.
func PrepPread(cb *IOCB, fd int, buf []byte, off int64, data uint64) {
	*cb = IOCB{Data: data, Opcode: CmdPread, Fd: uint32(fd), Buf: bufAddr(buf), Nbytes: uint64(len(buf)), Offset: off}
}

// PrepPwrite fills cb to write buf at offset off of fd, with data
// returned in Event.Data. The caller keeps buf referenced and unchanged
// until the request's Event is reaped.
func PrepPwrite(cb *IOCB, fd int, buf []byte, off int64, data uint64) {
	*cb = IOCB{Data: data, Opcode: CmdPwrite, Fd: uint32(fd), Buf: bufAddr(buf), Nbytes: uint64(len(buf)), Offset: off}
}

// PrepFsync fills cb to flush fd's data and metadata (fsync), with data
// returned in Event.Data.
func PrepFsync(cb *IOCB, fd int, data uint64) {
	*cb = IOCB{Data: data, Opcode: CmdFsync, Fd: uint32(fd)}
}

// PrepFdsync fills cb to flush fd's data (fdatasync), with data returned
// in Event.Data.
func PrepFdsync(cb *IOCB, fd int, data uint64) {
	*cb = IOCB{Data: data, Opcode: CmdFdsync, Fd: uint32(fd)}
}

// PrepPoll fills cb to wait until fd reports one of the poll events
// (unix.POLLIN, ...); Event.Res is then the ready mask. A poll request can
// be cancelled with Cancel.
func PrepPoll(cb *IOCB, fd int, events int16, data uint64) {
	*cb = IOCB{Data: data, Opcode: CmdPoll, Fd: uint32(fd), Buf: uint64(uint16(events))}
}
