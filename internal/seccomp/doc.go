// Package seccomp lets tests run code in a process where io_uring is
// forbidden, the way it is under Docker's default seccomp profile or with
// the kernel.io_uring_disabled sysctl. It is meant for tests of the ringo
// engine's fallback path.
//
// Installing a seccomp filter cannot be undone. Use [RunChild] to run a test
// body in a re-executed copy of the test binary, so that the filter never
// applies to the process running the other tests.
package seccomp
