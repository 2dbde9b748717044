//go:build linux && (amd64 || arm64)

package seccomp

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// supported reports whether DenyIOUring can work on this platform.
const supported = true

// maxErrno is the largest errno the kernel passes on (MAX_ERRNO); larger
// SECCOMP_RET_ERRNO data is capped to it.
const maxErrno = 4095

// Offsets into struct seccomp_data.
const (
	offsetNr   = 0 // int nr
	offsetArch = 4 // __u32 arch
)

// deniedSyscalls are the system calls that DenyIOUring makes fail. The
// numbers are the same (425, 426, 427) on amd64 and arm64.
var deniedSyscalls = []uint32{
	unix.SYS_IO_URING_SETUP,
	unix.SYS_IO_URING_ENTER,
	unix.SYS_IO_URING_REGISTER,
}

// DenyIOUring installs a seccomp filter on every thread of the current
// process that makes io_uring_setup, io_uring_enter and io_uring_register
// fail with errno and allows all other system calls. Calls made with a
// foreign audit arch are allowed.
//
// The filter is inherited by threads and child processes created later and
// can never be removed; DenyIOUring also sets no_new_privs, which is needed
// to install a filter without CAP_SYS_ADMIN. Call it only in a process that
// exists for that purpose, such as the child started by RunChild.
func DenyIOUring(errno syscall.Errno) error {
	if errno == 0 || errno > maxErrno {
		return fmt.Errorf("seccomp: errno %d out of range [1, %d]", uintptr(errno), maxErrno)
	}
	filter := buildFilter(uint32(errno))
	prog := &unix.SockFprog{
		Len:    uint16(len(filter)),
		Filter: &filter[0],
	}

	// no_new_privs is a per-thread attribute, and the kernel checks it on the
	// thread that calls seccomp(2) (TSYNC then copies it to all threads), so
	// both calls must happen on the same OS thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("seccomp: prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	r1, _, e := unix.Syscall(unix.SYS_SECCOMP,
		unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC,
		uintptr(unsafe.Pointer(prog)))
	runtime.KeepAlive(prog)
	runtime.KeepAlive(filter)
	if e != 0 {
		return fmt.Errorf("seccomp: seccomp(SECCOMP_SET_MODE_FILTER, TSYNC): %w", e)
	}
	if r1 != 0 {
		// With TSYNC, a positive return value is the ID of a thread that
		// could not be synchronized; no filter was installed.
		return fmt.Errorf("seccomp: seccomp(SECCOMP_SET_MODE_FILTER, TSYNC): thread %d could not be synchronized", r1)
	}
	return nil
}

// buildFilter returns a classic BPF program over struct seccomp_data that
// returns SECCOMP_RET_ERRNO|errno for the io_uring system calls of the
// native arch and SECCOMP_RET_ALLOW for everything else.
func buildFilter(errno uint32) []unix.SockFilter {
	stmt := func(code uint16, k uint32) unix.SockFilter {
		return unix.SockFilter{Code: code, K: k}
	}
	jump := func(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
		return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
	}
	const (
		ldAbs = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		andK  = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
		retK  = unix.BPF_RET | unix.BPF_K
	)

	// Layout:
	//   ld  [arch]
	//   jeq #auditArch, next, allow
	//   ld  [nr]
	//   and #^x32SyscallBit        (amd64 only)
	//   jeq #nr_i, deny, next      (one per denied syscall)
	//   allow: ret #SECCOMP_RET_ALLOW
	//   deny:  ret #SECCOMP_RET_ERRNO|errno
	var p []unix.SockFilter
	p = append(p, stmt(ldAbs, offsetArch))
	archCheck := len(p)
	p = append(p, jump(jeq, auditArch, 0, 0)) // Jf patched below
	p = append(p, stmt(ldAbs, offsetNr))
	if x32SyscallBit != 0 {
		p = append(p, stmt(andK, ^uint32(x32SyscallBit)))
	}
	for i, nr := range deniedSyscalls {
		// Distance to deny: the remaining jeqs, then the allow ret.
		p = append(p, jump(jeq, nr, uint8(len(deniedSyscalls)-i), 0))
	}
	allow := len(p)
	p = append(p, stmt(retK, unix.SECCOMP_RET_ALLOW))
	p = append(p, stmt(retK, unix.SECCOMP_RET_ERRNO|(errno&unix.SECCOMP_RET_DATA)))
	p[archCheck].Jf = uint8(allow - archCheck - 1)
	return p
}
