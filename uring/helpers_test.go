package uring

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Shared helpers for the tests of package uring. Every test gets its own
// ring from mustRing, which closes it when the test ends.

// reapTimeout bounds every wait in the helpers so that a missing
// completion fails the test instead of hanging it. It is a safety net,
// not a timing assertion.
const reapTimeout = 10 * time.Second

// mustRing creates a ring with entries SQ slots and setup flags, closed
// at the end of the test. It skips the test when io_uring is unavailable
// (ENOSYS, or EPERM from the io_uring_disabled sysctl or seccomp).
func mustRing(t testing.TB, entries uint32, flags uint32) *Ring {
	t.Helper()
	r, err := New(entries, &Params{Flags: flags})
	if err != nil {
		if errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EPERM) {
			t.Skipf("io_uring unavailable: %v", err)
		}
		t.Fatalf("New(%d, flags %#x): %v", entries, flags, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// mustDeferTaskrunRing creates a SetupSingleIssuer|SetupDeferTaskrun ring
// (plus extra setup flags) on the test's locked OS thread, closed at the
// end of the test. It skips the test when the kernel lacks
// SetupDeferTaskrun (6.1) or one of the extra flags.
func mustDeferTaskrunRing(t testing.TB, entries uint32, extra uint32) *Ring {
	t.Helper()
	// SINGLE_ISSUER binds the ring to the creating thread.
	lockThread(t)
	p := mustProbe(t)
	if !p.SetupFlagSupported(SetupDeferTaskrun) {
		t.Skip("IORING_SETUP_DEFER_TASKRUN not supported (6.1)")
	}
	if extra != 0 && !p.SetupFlagSupported(extra) {
		t.Skipf("setup flag %#x not supported", extra)
	}
	return mustRing(t, entries, SetupSingleIssuer|SetupDeferTaskrun|extra)
}

// lockThread locks the test's goroutine to its OS thread until the test
// ends. Call it before creating the ring, so that the ring's cleanup
// (which runs first) still runs on that thread.
func lockThread(t testing.TB) {
	t.Helper()
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
}

// mustProbe probes the kernel, skipping the test when io_uring is
// unavailable.
func mustProbe(t testing.TB) *ProbeResult {
	t.Helper()
	p, err := Probe()
	if err != nil {
		if errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EPERM) {
			t.Skipf("io_uring unavailable: %v", err)
		}
		t.Fatalf("Probe: %v", err)
	}
	return p
}

// mustSQE returns the next SQE or fails the test if the SQ is full.
func mustSQE(t testing.TB, r *Ring) *SQE {
	t.Helper()
	sqe := r.GetSQE()
	if sqe == nil {
		t.Fatal("GetSQE: submission queue full")
	}
	return sqe
}

// mustSubmit submits everything prepared and checks the kernel took want
// SQEs.
func mustSubmit(t testing.TB, r *Ring, want int) {
	t.Helper()
	n, err := r.Submit()
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if n != want {
		t.Fatalf("Submit = %d, want %d", n, want)
	}
}

// reap waits for n completions (submitting anything pending first),
// copies them out in CQ order and releases them.
func reap(t testing.TB, r *Ring, n int) []CQE {
	t.Helper()
	out := make([]CQE, 0, n)
	for len(out) < n {
		cqe, err := r.WaitCQETimeout(reapTimeout)
		if err != nil {
			t.Fatalf("waiting for completion %d of %d: %v (got %+v)", len(out)+1, n, err, out)
		}
		out = append(out, *cqe)
		r.CQESeen()
	}
	return out
}

// submitAndReap submits the prepared SQEs and returns the next n
// completions in CQ order.
func submitAndReap(t testing.TB, r *Ring, n int) []CQE {
	t.Helper()
	if _, err := r.Submit(); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return reap(t, r, n)
}

// runOne submits the single prepared SQE and returns its completion.
func runOne(t testing.TB, r *Ring) CQE {
	t.Helper()
	return submitAndReap(t, r, 1)[0]
}

// waitCQE waits for the next completion with WaitCQE (no timeout), and
// returns a copy of it, released.
func waitCQE(t testing.TB, r *Ring, what string) CQE {
	t.Helper()
	cqe, err := r.WaitCQE()
	if err != nil {
		t.Fatalf("WaitCQE (%s): %v", what, err)
	}
	c := *cqe
	r.CQESeen()
	return c
}

// submitAndWaitOne submits the single prepared SQE with SubmitAndWait(1)
// and returns a copy of its completion, taken with PeekCQE and released.
func submitAndWaitOne(t testing.TB, r *Ring) CQE {
	t.Helper()
	if n, err := r.SubmitAndWait(1); err != nil || n != 1 {
		t.Fatalf("SubmitAndWait = %d, %v", n, err)
	}
	cqe, err := r.PeekCQE()
	if err != nil || cqe == nil {
		t.Fatalf("PeekCQE after SubmitAndWait = %v, %v", cqe, err)
	}
	c := *cqe
	r.CQESeen()
	return c
}

// noCQE fails the test if a completion is waiting.
func noCQE(t testing.TB, r *Ring) {
	t.Helper()
	cqe, err := r.PeekCQE()
	if err != nil {
		t.Fatalf("PeekCQE: %v", err)
	}
	if cqe != nil {
		t.Fatalf("unexpected completion %+v", *cqe)
	}
}

// byUserData indexes completions by user data; it fails on duplicates.
func byUserData(t testing.TB, cqes []CQE) map[uint64]CQE {
	t.Helper()
	m := make(map[uint64]CQE, len(cqes))
	for _, c := range cqes {
		if _, dup := m[c.UserData]; dup {
			t.Fatalf("two completions with user data %d: %+v", c.UserData, cqes)
		}
		m[c.UserData] = c
	}
	return m
}

// wantRes fails the test unless the completion's result is want.
func wantRes(t testing.TB, what string, c CQE, want int32) {
	t.Helper()
	if c.Res != want {
		t.Fatalf("%s: res = %d (%v), want %d (%v)", what, c.Res, resErr(c.Res), want, resErr(want))
	}
}

// resErr renders a CQE result: the errno for negative ones.
func resErr(res int32) any {
	if res < 0 {
		return syscall.Errno(-res)
	}
	return res
}

// errnoRes is the CQE result that reports errno e.
func errnoRes(e syscall.Errno) int32 { return -int32(e) }

// cstr returns a pointer to a heap copy of s with a NUL terminator, for
// the path and name arguments of the Prep methods. Keep the result
// reachable (runtime.KeepAlive) until the completion.
func cstr(s string) *byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return &b[0]
}

// heapBytes returns n zero bytes on the heap (escaped, so never moved).
func heapBytes(n int) []byte {
	b := make([]byte, n)
	escape(b)
	return b
}

// escape makes x escape to the heap, so that memory handed to the kernel
// is never on a goroutine stack (stacks move). It writes nothing at run
// time, so parallel tests do not race on sink.
func escape(x any) {
	if neverTrue {
		sink = x
	}
}

var (
	sink      any
	neverTrue bool
)

// tempFile creates a file with content in a fresh t.TempDir and returns
// it open read-write; it is closed at the end of the test.
func tempFile(t testing.TB, content []byte) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data")
	mustWriteFile(t, path, content, 0o600)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// mustWriteFile creates (or truncates) the file at path with content and
// perm.
func mustWriteFile(t testing.TB, path string, content []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, content, perm); err != nil {
		t.Fatal(err)
	}
}

// fdOf returns f's descriptor as the int32 the Prep methods take. It uses
// SyscallConn so f stays in blocking mode (os.File.Fd would work too but
// documents a side effect).
func fdOf(t testing.TB, f *os.File) int32 {
	t.Helper()
	var fd int32
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Control(func(u uintptr) { fd = int32(u) }); err != nil {
		t.Fatal(err)
	}
	return fd
}

// mustPipe returns the read and write ends of a new pipe (O_CLOEXEC),
// closed at the end of the test unless the test closes them itself
// (close errors are ignored).
func mustPipe(t testing.TB) (rfd, wfd int32) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Close(p[0])
		unix.Close(p[1])
	})
	return int32(p[0]), int32(p[1])
}

// closeOnCleanup closes fd at the end of the test (errors ignored: the
// test may have closed it already).
func closeOnCleanup(t testing.TB, fd int32) {
	t.Helper()
	t.Cleanup(func() { unix.Close(int(fd)) })
}

// mustMmapAnon maps size bytes of private anonymous memory, unmapped at
// the end of the test.
func mustMmapAnon(t testing.TB, size int) []byte {
	t.Helper()
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	return mem
}

// mustWrite writes b to fd with write(2).
func mustWrite(t testing.TB, fd int32, b []byte) {
	t.Helper()
	n, err := unix.Write(int(fd), b)
	if err != nil || n != len(b) {
		t.Fatalf("write(%d) = %d, %v", fd, n, err)
	}
}

// opSupported reports whether the running kernel supports op, using the
// ring's probe.
func opSupported(t testing.TB, r *Ring, op Op) bool {
	t.Helper()
	p, err := r.Probe()
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	return p.Supported(op)
}

// heapTimespec returns d as a heap-allocated Timespec for the timeout
// Prep methods.
func heapTimespec(d time.Duration) *Timespec {
	ts := &Timespec{Sec: int64(d / time.Second), Nsec: int64(d % time.Second)}
	escape(ts)
	return ts
}

// iovecsFor returns a heap iovec array describing bufs.
func iovecsFor(bufs ...[]byte) []unix.Iovec {
	iov := make([]unix.Iovec, len(bufs))
	escape(iov)
	for i, b := range bufs {
		iov[i].Base = &b[0]
		iov[i].SetLen(len(b))
	}
	return iov
}

// wantFileContent fails the test unless the file at path holds want.
func wantFileContent(t testing.TB, path string, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("file %s = %q, want %q", filepath.Base(path), got, want)
	}
}

// mustRegisterBuffers registers bufs as r's fixed buffers.
func mustRegisterBuffers(t testing.TB, r *Ring, bufs ...[]byte) {
	t.Helper()
	if err := r.RegisterBuffers(bufs); err != nil {
		t.Fatalf("RegisterBuffers: %v", err)
	}
}

// mustRegisterFiles registers fds as r's fixed-file table.
func mustRegisterFiles(t testing.TB, r *Ring, fds ...int32) {
	t.Helper()
	if err := r.RegisterFiles(fds); err != nil {
		t.Fatalf("RegisterFiles: %v", err)
	}
}

// mustRegisterFilesSparse registers an empty fixed-file table of n slots.
func mustRegisterFilesSparse(t testing.TB, r *Ring, n uint32) {
	t.Helper()
	if err := r.RegisterFilesSparse(n); err != nil {
		t.Fatalf("RegisterFilesSparse: %v", err)
	}
}

// fixedRead reads into buf at offset 0 from fixed-file slot and returns
// the completion.
func fixedRead(t testing.TB, r *Ring, slot int32, buf []byte) CQE {
	t.Helper()
	sqe := mustSQE(t, r)
	sqe.PrepRead(slot, buf, 0)
	sqe.SetFlags(SQEFixedFile)
	c := runOne(t, r)
	runtime.KeepAlive(buf)
	return c
}

// wantReadFixed reads from offset 0 of fd into dst, which lies in
// registered buffer bufIndex, with PrepReadFixed, and fails the test
// unless that reads want: len(want) bytes, now the start of dst.
func wantReadFixed(t testing.TB, r *Ring, what string, fd int32, dst []byte, bufIndex uint16, want string) {
	t.Helper()
	mustSQE(t, r).PrepReadFixed(fd, dst, 0, bufIndex)
	wantRes(t, what, runOne(t, r), int32(len(want)))
	runtime.KeepAlive(dst)
	if got := string(dst[:len(want)]); got != want {
		t.Fatalf("%s: buffer holds %q, want %q", what, got, want)
	}
}

// mustRegisterRingFd registers r's fd (see Ring.RegisterRingFd; the
// caller must have locked its thread). It skips the test on kernels
// without IORING_REGISTER_RING_FDS (EINVAL).
func mustRegisterRingFd(t testing.TB, r *Ring) {
	t.Helper()
	if err := r.RegisterRingFd(); err != nil {
		if errors.Is(err, syscall.EINVAL) {
			t.Skipf("IORING_REGISTER_RING_FDS (5.18) not supported: %v", err)
		}
		t.Fatalf("RegisterRingFd: %v", err)
	}
}
