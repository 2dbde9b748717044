package uring

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// System call numbers. They are the same on every architecture that
// io_uring supports (the syscall table was unified before 5.1).
const (
	sysSetup    = 425
	sysEnter    = 426
	sysRegister = 427
)

// ignoringEINTR retries fn while it fails with EINTR. Go's runtime sends
// SIGURG to preempt goroutines, so any blocking system call can be
// interrupted at any time; the kernel has not consumed anything when
// io_uring_enter returns EINTR, so retrying is always safe.
func ignoringEINTR(fn func() (uintptr, syscall.Errno)) (uintptr, syscall.Errno) {
	for {
		r, errno := fn()
		if errno != syscall.EINTR {
			return r, errno
		}
	}
}

func errnoErr(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// setup calls io_uring_setup(2). It never blocks.
func setup(entries uint32, p *Params) (int, error) {
	fd, _, errno := unix.RawSyscall(sysSetup, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// enter calls io_uring_enter(2). When it may block (GETEVENTS with a
// positive minComplete, or SQ_WAIT) it goes through Syscall6 so the
// runtime hands this thread's P to another goroutine while the kernel
// waits; otherwise the cheaper RawSyscall6 is used because the call
// returns as soon as the submissions are issued.
func enter(fd int, toSubmit, minComplete, flags uint32, arg unsafe.Pointer, argSize uintptr) (int, error) {
	for {
		n, err := enterOnce(fd, toSubmit, minComplete, flags, arg, argSize)
		if err == syscall.EINTR {
			continue
		}
		return n, err
	}
}

// enterOnce is enter without the EINTR retry, for callers whose argument
// must change before they retry (a relative timeout).
func enterOnce(fd int, toSubmit, minComplete, flags uint32, arg unsafe.Pointer, argSize uintptr) (int, error) {
	mayBlock := (flags&EnterGetEvents != 0 && minComplete > 0) || flags&EnterSQWait != 0
	var r uintptr
	var errno syscall.Errno
	if mayBlock {
		r, _, errno = unix.Syscall6(sysEnter, uintptr(fd), uintptr(toSubmit), uintptr(minComplete), uintptr(flags), uintptr(arg), argSize)
	} else {
		r, _, errno = unix.RawSyscall6(sysEnter, uintptr(fd), uintptr(toSubmit), uintptr(minComplete), uintptr(flags), uintptr(arg), argSize)
	}
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// register calls io_uring_register(2). Some register opcodes wait for the
// ring to go idle (quiesce), so it may block: use Syscall6.
func register(fd int, op RegisterOp, arg unsafe.Pointer, nrArgs uint32) (int, error) {
	r, errno := ignoringEINTR(func() (uintptr, syscall.Errno) {
		r, _, e := unix.Syscall6(sysRegister, uintptr(fd), uintptr(op), uintptr(arg), uintptr(nrArgs), 0, 0)
		return r, e
	})
	return int(r), errnoErr(errno)
}
