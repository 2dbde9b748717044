//go:build linux

package seccomp

import "golang.org/x/sys/unix"

// auditArch is the seccomp_data.arch value of native system calls.
const auditArch = unix.AUDIT_ARCH_AARCH64

// x32SyscallBit is 0: arm64 has no x32-style ABI sharing the audit arch.
const x32SyscallBit = 0
