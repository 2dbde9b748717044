package uring

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// newRingParams creates a ring with p (written back by New), closed at
// the end of the test. It skips the test, naming feature, when the kernel
// refuses the parameters with EINVAL, and when io_uring is unavailable.
func newRingParams(t *testing.T, entries uint32, p *Params, feature string) *Ring {
	t.Helper()
	r, err := New(entries, p)
	if err != nil {
		if errors.Is(err, syscall.EINVAL) {
			t.Skipf("%s not supported by this kernel: %v", feature, err)
		}
		if errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EPERM) {
			t.Skipf("io_uring unavailable: %v", err)
		}
		t.Fatalf("New(%d, flags %s): %v", entries, SetupFlagsString(p.Flags), err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// nopRoundTrip submits n NOPs with user data base..base+n-1 and checks
// that each completes once with res 0.
func nopRoundTrip(t *testing.T, r *Ring, n int, base uint64) {
	t.Helper()
	for i := range n {
		sqe := mustSQE(t, r)
		sqe.PrepNop()
		sqe.UserData = base + uint64(i)
	}
	got := byUserData(t, submitAndReap(t, r, n))
	for i := range n {
		c, ok := got[base+uint64(i)]
		if !ok {
			t.Fatalf("no completion for nop %d: %+v", base+uint64(i), got)
		}
		wantRes(t, "nop", c, 0)
	}
}

func TestCQOverflowNoneLost(t *testing.T) {
	r := mustRing(t, 8, 0)
	if r.SQEntries() != 8 || r.CQEntries() != 16 {
		t.Fatalf("ring sizes SQ %d CQ %d, want 8 and 16", r.SQEntries(), r.CQEntries())
	}
	if r.Features()&FeatNoDrop == 0 {
		t.Skip("IORING_FEAT_NODROP not supported (5.5)")
	}
	total := 4 * int(r.CQEntries())
	var cqFull, overflowFlag bool
	for ud := 0; ud < total; {
		for range r.SQEntries() {
			sqe := mustSQE(t, r)
			sqe.PrepNop()
			sqe.UserData = uint64(ud)
			ud++
		}
		mustSubmit(t, r, int(r.SQEntries()))
		if r.CQReady() == r.CQEntries() {
			cqFull = true
		}
		if loadAcquire(r.sq.kflags)&SQCQOverflow != 0 {
			overflowFlag = true
		}
	}
	if !cqFull {
		t.Fatalf("CQ never full: CQReady %d of %d", r.CQReady(), r.CQEntries())
	}
	if !overflowFlag && r.Overflow() == 0 {
		t.Fatal("neither SQCQOverflow nor the overflow counter show an overflow")
	}
	t.Logf("overflow flag seen %v, Overflow() %d", overflowFlag, r.Overflow())

	seen := make(map[uint64]int, total)
	batch := make([]*CQE, 8)
	for len(seen) < total {
		n := r.PeekBatchCQE(batch)
		if n == 0 {
			if _, err := r.WaitCQETimeout(reapTimeout); err != nil {
				t.Fatalf("waiting after %d of %d completions: %v", len(seen), total, err)
			}
			continue
		}
		for _, c := range batch[:n] {
			wantRes(t, "nop", *c, 0)
			if c.UserData >= uint64(total) {
				t.Fatalf("unexpected user data %d", c.UserData)
			}
			seen[c.UserData]++
			if seen[c.UserData] > 1 {
				t.Fatalf("user data %d completed twice", c.UserData)
			}
		}
		r.CQAdvance(uint32(n))
	}
	noCQE(t, r)
	if f := loadAcquire(r.sq.kflags); f&SQCQOverflow != 0 {
		t.Fatalf("SQCQOverflow still set after reaping everything (flags %#x)", f)
	}
}

func TestSQPollRing(t *testing.T) {
	p := &Params{Flags: SetupSQPoll, SQThreadIdle: 10}
	r := newRingParams(t, 8, p, "IORING_SETUP_SQPOLL")

	content := []byte("read through the SQPOLL thread")
	f := tempFile(t, content)
	buf := heapBytes(64)

	for i := range 3 {
		sqe := mustSQE(t, r)
		sqe.PrepNop()
		sqe.UserData = uint64(i)
	}
	sqe := mustSQE(t, r)
	sqe.PrepRead(fdOf(t, f), buf, 0)
	sqe.UserData = 100
	got := byUserData(t, submitAndReap(t, r, 4))
	for i := range 3 {
		wantRes(t, "nop", got[uint64(i)], 0)
	}
	wantRes(t, "read", got[100], int32(len(content)))
	if !bytes.Equal(buf[:len(content)], content) {
		t.Fatalf("read %q, want %q", buf[:len(content)], content)
	}
	runtime.KeepAlive(buf)

	// Let the poller pass its 10 ms idle time and go to sleep; the next
	// submit must wake it (EnterSQWakeup) if it set NEED_WAKEUP.
	time.Sleep(50 * time.Millisecond)
	t.Logf("SQ flags after idling: %#x", loadAcquire(r.sq.kflags))
	sqe = mustSQE(t, r)
	sqe.PrepNop()
	sqe.UserData = 200
	if _, err := r.Submit(); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	c := waitCQE(t, r, "nop after the poller slept")
	if c.UserData != 200 {
		t.Fatalf("user data %d, want 200", c.UserData)
	}
	wantRes(t, "nop after the poller slept", c, 0)
}

func TestSingleIssuerDeferTaskrun(t *testing.T) {
	// SINGLE_ISSUER binds the ring to the creating thread.
	lockThread(t)
	p := &Params{Flags: SetupSingleIssuer | SetupDeferTaskrun}
	r := newRingParams(t, 8, p, "IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN")

	content := []byte("deferred task work")
	f := tempFile(t, content)
	fileBuf := heapBytes(64)
	pipeBuf := heapBytes(64)
	rfd, wfd := mustPipe(t)

	sqe := mustSQE(t, r)
	sqe.PrepRead(rfd, pipeBuf, 0)
	sqe.UserData = 1
	sqe = mustSQE(t, r)
	sqe.PrepRead(fdOf(t, f), fileBuf, 0)
	sqe.UserData = 2
	mustSubmit(t, r, 2)

	c := waitCQE(t, r, "file read")
	if c.UserData != 2 {
		t.Fatalf("first completion has user data %d, want the file read (2)", c.UserData)
	}
	wantRes(t, "file read", c, int32(len(content)))
	if !bytes.Equal(fileBuf[:len(content)], content) {
		t.Fatalf("file read %q, want %q", fileBuf[:len(content)], content)
	}

	msg := []byte("pipe data")
	mustWrite(t, wfd, msg)
	c = waitCQE(t, r, "pipe read")
	if c.UserData != 1 {
		t.Fatalf("completion has user data %d, want the pipe read (1)", c.UserData)
	}
	wantRes(t, "pipe read", c, int32(len(msg)))
	if !bytes.Equal(pipeBuf[:len(msg)], msg) {
		t.Fatalf("pipe read %q, want %q", pipeBuf[:len(msg)], msg)
	}
	runtime.KeepAlive(fileBuf)
	runtime.KeepAlive(pipeBuf)
}

func TestIOPollDirect(t *testing.T) {
	r := newRingParams(t, 4, &Params{Flags: SetupIOPoll}, "IORING_SETUP_IOPOLL")

	const size = 4096
	want := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	tf, err := os.CreateTemp("/var/tmp", "uring-iopoll-*")
	if err != nil {
		t.Skipf("cannot create a file under /var/tmp: %v", err)
	}
	path := tf.Name()
	t.Cleanup(func() { os.Remove(path) })
	if _, err := tf.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := tf.Sync(); err != nil {
		t.Fatal(err)
	}
	tf.Close()

	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("O_DIRECT open under /var/tmp failed: %v", err)
	}
	closeOnCleanup(t, int32(fd))

	buf := mustMmapAnon(t, size)

	sqe := mustSQE(t, r)
	sqe.PrepRead(int32(fd), buf, 0)
	sqe.UserData = 7
	c := runOne(t, r)
	if c.Res == errnoRes(syscall.EOPNOTSUPP) {
		t.Skipf("polled O_DIRECT read not supported by the device under /var/tmp: %v", resErr(c.Res))
	}
	wantRes(t, "polled O_DIRECT read", c, size)
	if !bytes.Equal(buf, want) {
		t.Fatal("polled O_DIRECT read returned wrong data")
	}
}

func TestSetupFlags(t *testing.T) {
	tests := []struct {
		name    string
		entries uint32
		params  Params
		check   func(t *testing.T, r *Ring)
	}{
		{
			name:    "CQSIZE",
			entries: 8,
			params:  Params{Flags: SetupCQSize, CQEntries: 64},
			check: func(t *testing.T, r *Ring) {
				if r.CQEntries() != 64 {
					t.Fatalf("CQEntries() = %d, want 64", r.CQEntries())
				}
				nopRoundTrip(t, r, 8, 0)
			},
		},
		{
			name:    "CLAMP",
			entries: 1 << 20,
			params:  Params{Flags: SetupClamp},
			check: func(t *testing.T, r *Ring) {
				if n := r.SQEntries(); n == 0 || n >= 1<<20 {
					t.Fatalf("SQEntries() = %d, want clamped below %d", n, 1<<20)
				}
				nopRoundTrip(t, r, 8, 0)
			},
		},
		{
			name:    "SUBMIT_ALL",
			entries: 8,
			params:  Params{Flags: SetupSubmitAll},
		},
		{
			name:    "COOP_TASKRUN",
			entries: 8,
			params:  Params{Flags: SetupCoopTaskrun},
		},
		{
			name:    "COOP_TASKRUN|TASKRUN_FLAG",
			entries: 8,
			params:  Params{Flags: SetupCoopTaskrun | SetupTaskrunFlag},
		},
		{
			name:    "SQE128",
			entries: 8,
			params:  Params{Flags: SetupSQE128},
			check: func(t *testing.T, r *Ring) {
				a, b := mustSQE(t, r), mustSQE(t, r)
				if d := uintptr(unsafe.Pointer(b)) - uintptr(unsafe.Pointer(a)); d != 128 {
					t.Fatalf("consecutive SQEs %d bytes apart, want 128", d)
				}
				a.PrepNop()
				a.UserData = 1
				b.PrepNop()
				b.UserData = 2
				got := byUserData(t, submitAndReap(t, r, 2))
				wantRes(t, "nop 1", got[1], 0)
				wantRes(t, "nop 2", got[2], 0)
				// Wrap the ring a few times.
				nopRoundTrip(t, r, 8, 10)
				nopRoundTrip(t, r, 8, 20)
			},
		},
		{
			name:    "CQE32",
			entries: 8,
			params:  Params{Flags: SetupCQE32},
			check: func(t *testing.T, r *Ring) {
				if d := uintptr(unsafe.Pointer(r.cqeAt(1))) - uintptr(unsafe.Pointer(r.cqeAt(0))); d != 32 {
					t.Fatalf("consecutive CQEs %d bytes apart, want 32", d)
				}
				for i := range 5 {
					nopRoundTrip(t, r, 8, uint64(10*i))
				}
			},
		},
		{
			name:    "NO_SQARRAY",
			entries: 8,
			params:  Params{Flags: SetupNoSQArray},
			check: func(t *testing.T, r *Ring) {
				for i := range 5 {
					nopRoundTrip(t, r, 8, uint64(10*i))
				}
			},
		},
		{
			name:    "R_DISABLED",
			entries: 8,
			params:  Params{Flags: SetupRDisabled},
			check: func(t *testing.T, r *Ring) {
				sqe := mustSQE(t, r)
				sqe.PrepNop()
				sqe.UserData = 1
				if n, err := r.Submit(); err == nil {
					t.Fatalf("Submit on a disabled ring = %d, nil; want an error", n)
				} else {
					t.Logf("Submit on a disabled ring: %v", err)
				}
				if err := r.EnableRings(); err != nil {
					t.Fatalf("EnableRings: %v", err)
				}
				// The NOP published before is still pending; it goes now.
				c := runOne(t, r)
				if c.UserData != 1 {
					t.Fatalf("user data %d, want 1", c.UserData)
				}
				wantRes(t, "nop after EnableRings", c, 0)
				nopRoundTrip(t, r, 4, 10)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.params
			r := newRingParams(t, tt.entries, &p, "IORING_SETUP_"+tt.name)
			if r.Flags() != tt.params.Flags {
				t.Fatalf("Flags() = %s, want %s", SetupFlagsString(r.Flags()), SetupFlagsString(tt.params.Flags))
			}
			if tt.check != nil {
				tt.check(t, r)
				return
			}
			nopRoundTrip(t, r, 8, 0)
		})
	}
}

func TestAttachWQ(t *testing.T) {
	first := mustRing(t, 8, 0)
	p := &Params{Flags: SetupAttachWQ, WQFd: uint32(first.Fd())}
	second := newRingParams(t, 8, p, "IORING_SETUP_ATTACH_WQ")
	nopRoundTrip(t, first, 4, 0)
	nopRoundTrip(t, second, 4, 10)
	// Force the work onto the shared io-wq.
	sqe := mustSQE(t, second)
	sqe.PrepNop()
	sqe.Flags |= SQEAsync
	sqe.UserData = 99
	wantRes(t, "async nop on the attached ring", runOne(t, second), 0)
}

func TestWaitCQETimeout(t *testing.T) {
	r := mustRing(t, 4, 0)
	if r.Features()&FeatExtArg == 0 {
		t.Skip("IORING_FEAT_EXT_ARG not supported (5.11)")
	}
	cqe, err := r.WaitCQETimeout(5 * time.Millisecond)
	if !errors.Is(err, syscall.ETIME) {
		t.Fatalf("WaitCQETimeout on an empty ring = %v, %v; want ETIME", cqe, err)
	}

	// A pending NOP is submitted by the wait itself.
	sqe := mustSQE(t, r)
	sqe.PrepNop()
	sqe.UserData = 42
	cqe, err = r.WaitCQETimeout(reapTimeout)
	if err != nil {
		t.Fatalf("WaitCQETimeout with a NOP pending: %v", err)
	}
	c := *cqe
	r.CQESeen()
	if c.UserData != 42 {
		t.Fatalf("user data %d, want 42", c.UserData)
	}
	wantRes(t, "nop", c, 0)
}

func TestRegisteredRingFdSubmit(t *testing.T) {
	// Registered ring fds belong to the calling thread.
	lockThread(t)
	r := mustRing(t, 4, 0)
	mustRegisterRingFd(t, r)
	for i := range 3 {
		sqe := mustSQE(t, r)
		sqe.PrepNop()
		sqe.UserData = uint64(i)
		c := submitAndWaitOne(t, r)
		if c.UserData != uint64(i) {
			t.Fatalf("user data %d, want %d", c.UserData, i)
		}
		wantRes(t, "nop through the registered ring fd", c, 0)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close with a registered ring fd: %v", err)
	}
	if r.enterFlags&EnterRegisteredRing != 0 {
		t.Fatal("Close left the ring fd registered")
	}
}

// TestRegisterRingFdWithoutRegRegRing plays a kernel from 5.18 to 6.2
// (registered ring fds, but not FeatRegRegRing) by masking the feature
// bit: RegisterRingFd must then switch io_uring_enter to the registered
// index but leave register calls on the ring fd.
func TestRegisterRingFdWithoutRegRegRing(t *testing.T) {
	lockThread(t)
	r := mustRing(t, 4, 0)
	r.features &^= FeatRegRegRing
	mustRegisterRingFd(t, r)

	if r.enterFlags&EnterRegisteredRing == 0 {
		t.Fatal("io_uring_enter does not use the registered ring fd")
	}
	if r.registerUseRing != 0 {
		t.Fatalf("register calls use the registered index (%#x) without FeatRegRegRing", r.registerUseRing)
	}
	mustSQE(t, r).PrepNop()
	wantRes(t, "nop through the registered ring fd", submitAndWaitOne(t, r), 0)
	if _, err := r.Probe(); err != nil {
		t.Fatalf("register call through the ring fd: %v", err)
	}
	if err := r.UnregisterRingFd(); err != nil {
		t.Fatalf("UnregisterRingFd: %v", err)
	}
}

func TestCloseIdempotent(t *testing.T) {
	r := mustRing(t, 4, 0) // its cleanup's second Close is ignored
	// An SQE prepared but never submitted must not trip the closed ring.
	mustSQE(t, r).PrepNop()
	if err := r.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := r.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
	if sqe := r.GetSQE(); sqe != nil {
		t.Fatal("GetSQE after Close returned an SQE")
	}
	if _, err := r.Submit(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit after Close = %v, want ErrClosed", err)
	}
	if _, err := r.SubmitAndWait(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("SubmitAndWait after Close = %v, want ErrClosed", err)
	}
	if _, err := r.WaitCQE(); !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitCQE after Close = %v, want ErrClosed", err)
	}
	if _, err := r.WaitCQETimeout(time.Millisecond); !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitCQETimeout after Close = %v, want ErrClosed", err)
	}
	if cqe, err := r.PeekCQE(); cqe != nil || !errors.Is(err, ErrClosed) {
		t.Fatalf("PeekCQE after Close = %v, %v; want nil, ErrClosed", cqe, err)
	}
	if n := r.PeekBatchCQE(make([]*CQE, 4)); n != 0 {
		t.Fatalf("PeekBatchCQE after Close = %d, want 0", n)
	}
	if err := r.RegisterRingFd(); !errors.Is(err, ErrClosed) {
		t.Fatalf("RegisterRingFd after Close = %v, want ErrClosed", err)
	}
	if err := r.UnregisterRingFd(); !errors.Is(err, ErrClosed) {
		t.Fatalf("UnregisterRingFd after Close = %v, want ErrClosed", err)
	}
	if n := r.CQReady(); n != 0 {
		t.Fatalf("CQReady after Close = %d, want 0", n)
	}
	if n := r.SQSpaceLeft(); n != 0 {
		t.Fatalf("SQSpaceLeft after Close = %d, want 0", n)
	}
	r.CQAdvance(1)
	r.ForEachCQE(func(*CQE) bool { return true })
	if r.SetEventfdEnabled(false) {
		t.Fatal("SetEventfdEnabled after Close reported success")
	}
	_ = r.Dropped() + r.Overflow()
	if err := r.FlushCQ(); err != nil {
		t.Fatalf("FlushCQ after Close: %v", err)
	}
}
