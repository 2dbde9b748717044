package uring

import (
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Tests of timeouts, cancellation and the SQE flags that order or
// suppress completions (links, drain, CQE skip).

const forever = time.Hour // a timeout that must never fire during a test

func TestPrepNop(t *testing.T) {
	r := mustRing(t, 4, 0)

	sqe := mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetUserData(0xfeedface)
	c := runOne(t, r)
	if c.UserData != 0xfeedface || c.Res != 0 {
		t.Fatalf("nop completion %+v", c)
	}
}

func TestSQECmdAreaOnSQE128Ring(t *testing.T) {
	r := mustRing(t, 4, SetupSQE128)

	sqe := mustSQE(t, r)
	cmd := sqe.Cmd()
	if len(cmd) != 80 {
		t.Fatalf("len(Cmd()) = %d, want 80", len(cmd))
	}
	for i := range cmd {
		if cmd[i] != 0 {
			t.Fatalf("Cmd()[%d] = %d in a fresh SQE, want 0", i, cmd[i])
		}
	}
	// The command area starts at Addr3 and ends with the 128-byte entry.
	cmd[0] = 0xab
	if sqe.Addr3&0xff != 0xab {
		t.Fatalf("Cmd()[0] is not the first byte of Addr3")
	}
	if end := uintptr(unsafe.Pointer(&cmd[79])) + 1 - uintptr(unsafe.Pointer(sqe)); end != 128 {
		t.Fatalf("command area ends at byte %d of the SQE, want 128", end)
	}
	cmd[0] = 0
	sqe.PrepNop()
	wantRes(t, "nop on an SQE128 ring", runOne(t, r), 0)
}

func TestPrepTimeoutExpires(t *testing.T) {
	r := mustRing(t, 4, 0)
	ts := heapTimespec(time.Millisecond)

	mustSQE(t, r).PrepTimeout(ts, 0, 0)
	wantRes(t, "timeout", runOne(t, r), errnoRes(syscall.ETIME))
	runtime.KeepAlive(ts)
}

func TestPrepTimeoutCompletesOnCount(t *testing.T) {
	r := mustRing(t, 4, 0)
	ts := heapTimespec(forever)

	sqe := mustSQE(t, r)
	sqe.PrepTimeout(ts, 1, 0)
	sqe.SetUserData(1)
	sqe = mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetUserData(2)

	got := byUserData(t, submitAndReap(t, r, 2))
	wantRes(t, "nop", got[2], 0)
	wantRes(t, "timeout after 1 completion", got[1], 0)
	runtime.KeepAlive(ts)
}

func TestPrepTimeoutAbsolute(t *testing.T) {
	r := mustRing(t, 4, 0)
	var now unix.Timespec
	// CLOCK_MONOTONIC is the default clock of io_uring timeouts.
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &now); err != nil {
		t.Fatal(err)
	}
	ts := heapTimespec(0)
	ts.Sec, ts.Nsec = now.Sec, now.Nsec // already in the past

	mustSQE(t, r).PrepTimeout(ts, 0, TimeoutAbs)
	wantRes(t, "absolute timeout in the past", runOne(t, r), errnoRes(syscall.ETIME))
	runtime.KeepAlive(ts)
}

// armTimeout submits a relative timeout ts (no completion count) with
// user data ud.
func armTimeout(t *testing.T, r *Ring, ts *Timespec, ud uint64) {
	t.Helper()
	sqe := mustSQE(t, r)
	sqe.PrepTimeout(ts, 0, 0)
	sqe.SetUserData(ud)
	mustSubmit(t, r, 1)
}

func TestPrepTimeoutRemove(t *testing.T) {
	r := mustRing(t, 4, 0)
	ts := heapTimespec(forever)
	armTimeout(t, r, ts, 1)

	sqe := mustSQE(t, r)
	sqe.PrepTimeoutRemove(1, 0)
	sqe.SetUserData(2)
	got := byUserData(t, submitAndReap(t, r, 2))
	wantRes(t, "timeout_remove", got[2], 0)
	wantRes(t, "removed timeout", got[1], errnoRes(syscall.ECANCELED))
	runtime.KeepAlive(ts)
}

func TestPrepTimeoutRemoveUnknownFailsENOENT(t *testing.T) {
	r := mustRing(t, 4, 0)

	mustSQE(t, r).PrepTimeoutRemove(12345, 0)
	wantRes(t, "timeout_remove of nothing", runOne(t, r), errnoRes(syscall.ENOENT))
}

func TestPrepTimeoutUpdate(t *testing.T) {
	r := mustRing(t, 4, 0)
	long, short := heapTimespec(forever), heapTimespec(time.Millisecond)
	armTimeout(t, r, long, 1)

	sqe := mustSQE(t, r)
	sqe.PrepTimeoutUpdate(short, 1, 0)
	sqe.SetUserData(2)
	got := byUserData(t, submitAndReap(t, r, 2))
	wantRes(t, "timeout_update", got[2], 0)
	wantRes(t, "updated timeout", got[1], errnoRes(syscall.ETIME))
	runtime.KeepAlive(long)
	runtime.KeepAlive(short)
}

// readWithLinkTimeout submits a read of rfd into buf (user data 1)
// linked to a link timeout ts (user data 2) and returns both completions
// by user data.
func readWithLinkTimeout(t *testing.T, r *Ring, rfd int32, buf []byte, ts *Timespec) map[uint64]CQE {
	t.Helper()
	sqe := mustSQE(t, r)
	sqe.PrepRead(rfd, buf, 0)
	sqe.SetFlags(SQEIOLink)
	sqe.SetUserData(1)
	sqe = mustSQE(t, r)
	sqe.PrepLinkTimeout(ts, 0)
	sqe.SetUserData(2)
	return byUserData(t, submitAndReap(t, r, 2))
}

func TestLinkTimeoutCancelsSlowRead(t *testing.T) {
	r := mustRing(t, 4, 0)
	rfd, _ := mustPipe(t) // empty: the read cannot complete
	buf := heapBytes(8)
	ts := heapTimespec(time.Millisecond)

	got := readWithLinkTimeout(t, r, rfd, buf, ts)
	wantRes(t, "read cancelled by its link timeout", got[1], errnoRes(syscall.ECANCELED))
	wantRes(t, "fired link timeout", got[2], errnoRes(syscall.ETIME))
	runtime.KeepAlive(buf)
	runtime.KeepAlive(ts)
}

func TestLinkTimeoutDisarmedByCompletion(t *testing.T) {
	r := mustRing(t, 4, 0)
	rfd, wfd := mustPipe(t)
	mustWrite(t, wfd, []byte("ready"))
	buf := heapBytes(8)
	ts := heapTimespec(forever)

	got := readWithLinkTimeout(t, r, rfd, buf, ts)
	wantRes(t, "read", got[1], 5)
	wantRes(t, "link timeout of a completed read", got[2], errnoRes(syscall.ECANCELED))
	runtime.KeepAlive(buf)
	runtime.KeepAlive(ts)
}

// armPipeReads submits n reads on the empty pipe rfd with user data
// 1..n; they stay pending until cancelled.
func armPipeReads(t *testing.T, r *Ring, rfd int32, n int) []byte {
	t.Helper()
	buf := heapBytes(8 * n)
	for i := range n {
		sqe := mustSQE(t, r)
		sqe.PrepRead(rfd, buf[8*i:8*i+8], 0)
		sqe.SetUserData(uint64(i + 1))
	}
	mustSubmit(t, r, n)
	noCQE(t, r)
	return buf
}

func TestCancelByUserData(t *testing.T) {
	r := mustRing(t, 8, 0)
	rfd, _ := mustPipe(t)
	buf := armPipeReads(t, r, rfd, 2)

	sqe := mustSQE(t, r)
	sqe.PrepCancel64(2, 0)
	sqe.SetUserData(100)
	got := byUserData(t, submitAndReap(t, r, 2))
	wantRes(t, "cancel", got[100], 0)
	wantRes(t, "cancelled read", got[2], errnoRes(syscall.ECANCELED))
	noCQE(t, r) // read 1 is untouched
	runtime.KeepAlive(buf)
}

func TestCancelByFdAll(t *testing.T) {
	r := mustRing(t, 8, 0)
	rfd, _ := mustPipe(t)
	buf := armPipeReads(t, r, rfd, 3)

	sqe := mustSQE(t, r)
	sqe.PrepCancelFd(rfd, AsyncCancelAll)
	sqe.SetUserData(100)
	got := byUserData(t, submitAndReap(t, r, 4))
	wantRes(t, "cancel by fd, all", got[100], 3)
	for ud := uint64(1); ud <= 3; ud++ {
		wantRes(t, "cancelled read", got[ud], errnoRes(syscall.ECANCELED))
	}
	runtime.KeepAlive(buf)
}

func TestCancelAny(t *testing.T) {
	r := mustRing(t, 8, 0)
	r1, _ := mustPipe(t)
	r2, _ := mustPipe(t)
	buf1 := armPipeReads(t, r, r1, 1)
	buf2 := heapBytes(8)
	sqe := mustSQE(t, r)
	sqe.PrepRead(r2, buf2, 0)
	sqe.SetUserData(2)
	mustSubmit(t, r, 1)

	sqe = mustSQE(t, r)
	sqe.PrepCancel64(0, AsyncCancelAny|AsyncCancelAll)
	sqe.SetUserData(100)
	got := byUserData(t, submitAndReap(t, r, 3))
	wantRes(t, "cancel any, all", got[100], 2)
	wantRes(t, "cancelled read 1", got[1], errnoRes(syscall.ECANCELED))
	wantRes(t, "cancelled read 2", got[2], errnoRes(syscall.ECANCELED))
	runtime.KeepAlive(buf1)
	runtime.KeepAlive(buf2)
}

func TestCancelByOpcode(t *testing.T) {
	r := mustRing(t, 8, 0)
	rfd, _ := mustPipe(t)
	buf := armPipeReads(t, r, rfd, 1)
	ts := heapTimespec(forever)
	armTimeout(t, r, ts, 2)

	// Cancel every pending timeout, leaving the read alone.
	sqe := mustSQE(t, r)
	sqe.PrepCancelOp(OpTimeout, AsyncCancelAll)
	sqe.SetUserData(100)
	c := submitAndReap(t, r, 1)[0]
	if c.UserData == 100 && c.Res == errnoRes(syscall.EINVAL) {
		t.Skip("IORING_ASYNC_CANCEL_OP not supported (6.6+)")
	}
	got := byUserData(t, append([]CQE{c}, reap(t, r, 1)...))
	wantRes(t, "cancel by opcode", got[100], 1)
	wantRes(t, "cancelled timeout", got[2], errnoRes(syscall.ECANCELED))
	noCQE(t, r)
	runtime.KeepAlive(buf)
	runtime.KeepAlive(ts)
}

func TestCancelNoMatchFailsENOENT(t *testing.T) {
	r := mustRing(t, 4, 0)

	mustSQE(t, r).PrepCancel64(777, 0)
	wantRes(t, "cancel of nothing", runOne(t, r), errnoRes(syscall.ENOENT))
}

func TestLinkedChainRunsInOrder(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, nil)
	fd := fdOf(t, f)
	out, in := heapBytes(5), heapBytes(5)
	copy(out, "chain")

	sqe := mustSQE(t, r)
	sqe.PrepWrite(fd, out, 0)
	sqe.SetFlags(SQEIOLink)
	sqe.SetUserData(1)
	sqe = mustSQE(t, r)
	sqe.PrepRead(fd, in, 0)
	sqe.SetUserData(2)

	cqes := submitAndReap(t, r, 2)
	if cqes[0].UserData != 1 || cqes[1].UserData != 2 {
		t.Fatalf("linked completions out of order: %+v", cqes)
	}
	wantRes(t, "write", cqes[0], 5)
	wantRes(t, "read after the linked write", cqes[1], 5)
	runtime.KeepAlive(out)
	runtime.KeepAlive(in)
	if string(in) != "chain" {
		t.Fatalf("read %q: the read did not wait for the write", in)
	}
}

func TestLinkFailureCancelsRest(t *testing.T) {
	r := mustRing(t, 4, 0)
	_, wfd := mustPipe(t)
	buf := heapBytes(8)

	// Reading from a pipe's write end fails with EBADF.
	sqe := mustSQE(t, r)
	sqe.PrepRead(wfd, buf, 0)
	sqe.SetFlags(SQEIOLink)
	sqe.SetUserData(1)
	sqe = mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetFlags(SQEIOLink)
	sqe.SetUserData(2)
	sqe = mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetUserData(3)

	got := byUserData(t, submitAndReap(t, r, 3))
	wantRes(t, "failing head", got[1], errnoRes(syscall.EBADF))
	wantRes(t, "second link", got[2], errnoRes(syscall.ECANCELED))
	wantRes(t, "last link", got[3], errnoRes(syscall.ECANCELED))
	runtime.KeepAlive(buf)
}

func TestHardlinkContinuesAfterFailure(t *testing.T) {
	r := mustRing(t, 4, 0)
	_, wfd := mustPipe(t)
	buf := heapBytes(8)

	sqe := mustSQE(t, r)
	sqe.PrepRead(wfd, buf, 0)
	sqe.SetFlags(SQEIOHardlink)
	sqe.SetUserData(1)
	sqe = mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetUserData(2)

	cqes := submitAndReap(t, r, 2)
	if cqes[0].UserData != 1 || cqes[1].UserData != 2 {
		t.Fatalf("hardlinked completions out of order: %+v", cqes)
	}
	wantRes(t, "failing head", cqes[0], errnoRes(syscall.EBADF))
	wantRes(t, "hardlinked nop", cqes[1], 0)
	runtime.KeepAlive(buf)
}

func TestDrainWaitsForInflight(t *testing.T) {
	r := mustRing(t, 4, 0)
	rfd, wfd := mustPipe(t)
	buf := heapBytes(8)

	sqe := mustSQE(t, r)
	sqe.PrepRead(rfd, buf, 0)
	sqe.SetUserData(1)
	sqe = mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetFlags(SQEIODrain)
	sqe.SetUserData(2)
	mustSubmit(t, r, 2)

	// The drained nop cannot run while the read is pending.
	noCQE(t, r)
	mustWrite(t, wfd, []byte("go"))

	cqes := reap(t, r, 2)
	if cqes[0].UserData != 1 || cqes[1].UserData != 2 {
		t.Fatalf("drained nop completed before the read: %+v", cqes)
	}
	wantRes(t, "read", cqes[0], 2)
	wantRes(t, "drained nop", cqes[1], 0)
	runtime.KeepAlive(buf)
}

func TestCQESkipSuccessSuppressesCQE(t *testing.T) {
	r := mustRing(t, 4, 0)

	sqe := mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetFlags(SQECQESkipSuccess)
	sqe.SetUserData(1)
	sqe = mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetUserData(2)

	c := submitAndReap(t, r, 1)[0]
	if c.UserData != 2 {
		t.Fatalf("got a completion for the skipped nop: %+v", c)
	}
	noCQE(t, r)
}

func TestCQESkipSuccessReportsFailure(t *testing.T) {
	r := mustRing(t, 4, 0)
	_, wfd := mustPipe(t)
	buf := heapBytes(8)

	sqe := mustSQE(t, r)
	sqe.PrepRead(wfd, buf, 0)
	sqe.SetFlags(SQECQESkipSuccess)
	sqe.SetUserData(1)

	c := runOne(t, r)
	if c.UserData != 1 {
		t.Fatalf("completion %+v, want user data 1", c)
	}
	wantRes(t, "failed read with CQE_SKIP_SUCCESS", c, errnoRes(syscall.EBADF))
	runtime.KeepAlive(buf)
}
