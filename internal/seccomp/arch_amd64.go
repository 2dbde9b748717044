//go:build linux

package seccomp

import "golang.org/x/sys/unix"

// auditArch is the seccomp_data.arch value of native system calls.
const auditArch = unix.AUDIT_ARCH_X86_64

// x32SyscallBit is set in the syscall number of x32-ABI system calls, which
// report the same audit arch as native x86_64 calls. The filter clears it so
// that x32 io_uring calls are denied as well.
const x32SyscallBit = 0x40000000
