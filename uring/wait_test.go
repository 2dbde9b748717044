package uring

import (
	"errors"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Tests of WaitCQEs and its options (wait.go). No test asserts how long a
// wait took; hangGuard and reapTimeout only keep a broken wait from
// hanging the run.

// needWaitFeature skips the test unless the ring has feature feat
// (named by what), after checking that WaitCQEs with opts reports the
// missing feature as errors.ErrUnsupported.
func needWaitFeature(t *testing.T, r *Ring, feat uint32, what string, opts *WaitOptions) {
	t.Helper()
	if r.Features()&feat != 0 {
		return
	}
	if _, err := r.WaitCQEs(1, opts); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("WaitCQEs(%+v) without %s = %v, want errors.ErrUnsupported", opts, what, err)
	}
	t.Skipf("%s not supported by this kernel", what)
}

// needAbsTimer skips the test on kernels without absolute wait timeouts
// and min waits (FeatMinTimeout, 6.12).
func needAbsTimer(t *testing.T, r *Ring) {
	t.Helper()
	needWaitFeature(t, r, FeatMinTimeout, "IORING_ENTER_ABS_TIMER/IORING_FEAT_MIN_TIMEOUT (6.12)", &WaitOptions{Deadline: Timespec{Sec: 1}})
}

// armNeverReady submits a poll on the read end of a pipe nobody writes,
// so that a wait has something in flight that does not complete.
func armNeverReady(t *testing.T, r *Ring) {
	t.Helper()
	rfd, _ := mustPipe(t)
	sqe := mustSQE(t, r)
	sqe.PrepPollAdd(rfd, unix.POLLIN)
	sqe.SetUserData(1000)
	mustSubmit(t, r, 1)
}

// waitCQEs runs WaitCQEs under hangGuard and returns a copy of the
// completion (released) and the error.
func waitCQEs(t *testing.T, r *Ring, n uint32, opts *WaitOptions, what string) (*CQE, error) {
	t.Helper()
	var cqe *CQE
	var err error
	hangGuard(t, 2*reapTimeout, what, func() { cqe, err = r.WaitCQEs(n, opts) })
	if cqe == nil {
		return nil, err
	}
	c := *cqe
	r.CQESeen()
	return &c, err
}

func TestWaitCQEsDeadlineInThePastIsETIME(t *testing.T) {
	r := mustRing(t, 4, 0)
	needAbsTimer(t, r)
	armNeverReady(t, r)
	for _, d := range []Timespec{{Sec: 1}, r.DeadlineAfter(-time.Second)} {
		cqe, err := waitCQEs(t, r, 1, &WaitOptions{Deadline: d}, "WaitCQEs with a past deadline")
		if !errors.Is(err, syscall.ETIME) || cqe != nil {
			t.Fatalf("deadline %+v: WaitCQEs = %+v, %v; want ETIME and no completion", d, cqe, err)
		}
	}
}

func TestWaitCQEsDeadlineReturnsCompletion(t *testing.T) {
	r := mustRing(t, 4, 0)
	needAbsTimer(t, r)
	// The wait submits the NOP itself.
	queueNop(t, r, 42)
	cqe, err := waitCQEs(t, r, 1, &WaitOptions{Deadline: r.DeadlineAfter(reapTimeout)}, "WaitCQEs(deadline) with a NOP pending")
	if err != nil || cqe == nil || cqe.UserData != 42 || cqe.Res != 0 {
		t.Fatalf("WaitCQEs = %+v, %v; want the NOP", cqe, err)
	}
	// A deadline that passes while a request waits ends the wait.
	armNeverReady(t, r)
	cqe, err = waitCQEs(t, r, 1, &WaitOptions{Deadline: r.DeadlineAfter(20 * time.Millisecond)}, "WaitCQEs(deadline in 20ms)")
	if !errors.Is(err, syscall.ETIME) || cqe != nil {
		t.Fatalf("WaitCQEs = %+v, %v; want ETIME", cqe, err)
	}
}

// queueNop prepares a NOP with user data ud, left for the wait to
// submit.
func queueNop(t *testing.T, r *Ring, ud uint64) {
	t.Helper()
	sqe := mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetUserData(ud)
}

// An absolute deadline survives the interruptions Go's preemption signals
// cause: the restarted wait ends at the same instant, with ETIME.
func TestWaitCQEsDeadlineUnderSignals(t *testing.T) {
	r := mustRing(t, 8, 0)
	needAbsTimer(t, r)
	armNeverReady(t, r)

	tid := peltWithSignals(t, 20*time.Millisecond)
	var err error
	hangGuard(t, 10*time.Second, "WaitCQEs(deadline in 200ms) under signals", func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid <- unix.Gettid()
		_, err = r.WaitCQEs(1, &WaitOptions{Deadline: r.DeadlineAfter(200 * time.Millisecond)})
	})
	if !errors.Is(err, syscall.ETIME) {
		t.Fatalf("WaitCQEs = %v, want ETIME", err)
	}
}

// Deadlines follow the clock chosen with RegisterClock.
func TestWaitCQEsDeadlineOnBoottime(t *testing.T) {
	r := mustRing(t, 4, 0)
	needAbsTimer(t, r)
	if err := r.RegisterClock(unix.CLOCK_BOOTTIME); err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_CLOCK (6.12)")
		t.Fatalf("RegisterClock: %v", err)
	}
	var boot unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &boot); err != nil {
		t.Fatal(err)
	}
	if d := r.DeadlineAfter(time.Hour); d.Sec < int64(boot.Sec)+3600 {
		t.Fatalf("DeadlineAfter(1h) = %+v, before CLOCK_BOOTTIME %+v + 1h", d, boot)
	}
	armNeverReady(t, r)
	cqe, err := waitCQEs(t, r, 1, &WaitOptions{Deadline: r.DeadlineAfter(-time.Second)}, "WaitCQEs(past boottime deadline)")
	if !errors.Is(err, syscall.ETIME) || cqe != nil {
		t.Fatalf("WaitCQEs = %+v, %v; want ETIME", cqe, err)
	}
	queueNop(t, r, 7)
	cqe, err = waitCQEs(t, r, 1, &WaitOptions{Deadline: r.DeadlineAfter(reapTimeout)}, "WaitCQEs(boottime deadline) with a NOP")
	if err != nil || cqe == nil || cqe.UserData != 7 {
		t.Fatalf("WaitCQEs = %+v, %v; want the NOP", cqe, err)
	}
}

// With MinWait, a wait for two completions settles for the one that
// arrives after the min wait. Without it the call would wait for the
// second until the timeout and fail with ETIME.
func TestWaitCQEsMinWaitSettlesForOne(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
	}{{"with_timeout", reapTimeout}, {"without_timeout", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRing(t, 4, 0)
			needWaitFeature(t, r, FeatMinTimeout, "IORING_FEAT_MIN_TIMEOUT (6.12)", &WaitOptions{MinWait: time.Millisecond})
			armTimeout(t, r, heapTimespec(50*time.Millisecond), 5)
			opts := &WaitOptions{MinWait: time.Millisecond, Timeout: tc.timeout}
			cqe, err := waitCQEs(t, r, 2, opts, "WaitCQEs(2, MinWait)")
			if err != nil || cqe == nil || cqe.UserData != 5 {
				t.Fatalf("WaitCQEs(2, %+v) = %+v, %v; want the timeout request's completion", opts, cqe, err)
			}
			wantRes(t, "timeout request", *cqe, errnoRes(syscall.ETIME))
		})
	}
}

// A MinWait wait whose completions are already there returns them.
func TestWaitCQEsMinWaitReturnsReadyCompletions(t *testing.T) {
	r := mustRing(t, 4, 0)
	needWaitFeature(t, r, FeatMinTimeout, "IORING_FEAT_MIN_TIMEOUT (6.12)", &WaitOptions{MinWait: time.Millisecond})
	queueNop(t, r, 1)
	queueNop(t, r, 2)
	cqe, err := waitCQEs(t, r, 2, &WaitOptions{MinWait: time.Second, Timeout: reapTimeout}, "WaitCQEs(2, MinWait) with two NOPs")
	if err != nil || cqe == nil || cqe.UserData != 1 {
		t.Fatalf("WaitCQEs = %+v, %v; want the first NOP", cqe, err)
	}
	if c := reap(t, r, 1)[0]; c.UserData != 2 {
		t.Fatalf("second completion %+v, want the second NOP", c)
	}
}

func TestWaitCQEsWaitsForN(t *testing.T) {
	r := mustRing(t, 8, 0)
	needWaitFeature(t, r, FeatExtArg, "IORING_FEAT_EXT_ARG (5.11)", &WaitOptions{Timeout: time.Second})
	armTimeout(t, r, heapTimespec(10*time.Millisecond), 1)
	armTimeout(t, r, heapTimespec(20*time.Millisecond), 2)
	queueNop(t, r, 3)
	var err error
	hangGuard(t, 2*reapTimeout, "WaitCQEs(3)", func() { _, err = r.WaitCQEs(3, &WaitOptions{Timeout: reapTimeout}) })
	if err != nil || r.CQReady() < 3 {
		t.Fatalf("WaitCQEs(3) = %v with %d ready", err, r.CQReady())
	}
	seen := byUserData(t, reap(t, r, 3))
	for ud := uint64(1); ud <= 3; ud++ {
		if _, ok := seen[ud]; !ok {
			t.Fatalf("completions %+v lack user data %d", seen, ud)
		}
	}
}

// A timeout that passes with fewer than n completions reports ETIME and
// hands over the oldest of those that arrived.
func TestWaitCQEsTimeoutReturnsPartial(t *testing.T) {
	r := mustRing(t, 8, 0)
	needWaitFeature(t, r, FeatExtArg, "IORING_FEAT_EXT_ARG (5.11)", &WaitOptions{Timeout: time.Second})
	armNeverReady(t, r)
	queueNop(t, r, 9)
	cqe, err := waitCQEs(t, r, 2, &WaitOptions{Timeout: 20 * time.Millisecond}, "WaitCQEs(2, 20ms)")
	if !errors.Is(err, syscall.ETIME) || cqe == nil || cqe.UserData != 9 {
		t.Fatalf("WaitCQEs(2) = %+v, %v; want ETIME with the NOP", cqe, err)
	}
	// A negative timeout has passed already.
	cqe, err = waitCQEs(t, r, 1, &WaitOptions{Timeout: -1}, "WaitCQEs(-1)")
	if !errors.Is(err, syscall.ETIME) || cqe != nil {
		t.Fatalf("WaitCQEs(timeout -1) = %+v, %v; want ETIME", cqe, err)
	}
}

// The kernel installs Sigmask for the wait only. Here SIGUSR1 is blocked
// on the waiting thread and already pending; the wait's mask unblocks it,
// so it is delivered during the wait (and the wait, interrupted, goes on
// to its timeout). Without the mask the signal would stay pending.
func TestWaitCQEsSigmaskAppliesDuringWait(t *testing.T) {
	r := mustRing(t, 4, 0)
	needWaitFeature(t, r, FeatExtArg, "IORING_FEAT_EXT_ARG (5.11)", &WaitOptions{Sigmask: new(unix.Sigset_t)})
	got := make(chan os.Signal, 1)
	signal.Notify(got, syscall.SIGUSR1)
	defer signal.Stop(got)

	type result struct {
		err           error
		before, after unix.Sigset_t
		setupErr      error
	}
	done := make(chan result, 1)
	go func() {
		// The thread's mask is changed for good: lock the goroutine and
		// never unlock it, so the runtime retires the thread with it.
		runtime.LockOSThread()
		var res result
		var usr1 unix.Sigset_t
		sigaddset(&usr1, unix.SIGUSR1)
		if res.setupErr = unix.PthreadSigmask(unix.SIG_BLOCK, &usr1, nil); res.setupErr != nil {
			done <- res
			return
		}
		unix.PthreadSigmask(unix.SIG_BLOCK, nil, &res.before)
		if res.setupErr = unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGUSR1); res.setupErr != nil {
			done <- res
			return
		}
		mask := res.before
		sigdelset(&mask, unix.SIGUSR1)
		_, res.err = r.WaitCQEs(1, &WaitOptions{Sigmask: &mask, Timeout: 100 * time.Millisecond})
		unix.PthreadSigmask(unix.SIG_BLOCK, nil, &res.after)
		done <- res
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(2 * reapTimeout):
		t.Fatal("WaitCQEs with a sigmask has not returned")
	}
	if res.setupErr != nil {
		t.Fatal(res.setupErr)
	}
	if !errors.Is(res.err, syscall.ETIME) {
		t.Fatalf("WaitCQEs = %v, want ETIME", res.err)
	}
	select {
	case <-got:
	case <-time.After(reapTimeout):
		t.Fatal("SIGUSR1 was not delivered during the wait: the sigmask was not applied")
	}
	if res.after != res.before {
		t.Fatalf("thread signal mask after the wait %x, before %x", res.after.Val[0], res.before.Val[0])
	}
}

// A sigmask alone (no timeout) waits for the completion as usual.
func TestWaitCQEsSigmaskOnly(t *testing.T) {
	r := mustRing(t, 4, 0)
	needWaitFeature(t, r, FeatExtArg, "IORING_FEAT_EXT_ARG (5.11)", &WaitOptions{Sigmask: new(unix.Sigset_t)})
	var urg unix.Sigset_t
	sigaddset(&urg, unix.SIGURG)
	armTimeout(t, r, heapTimespec(10*time.Millisecond), 4)
	cqe, err := waitCQEs(t, r, 1, &WaitOptions{Sigmask: &urg}, "WaitCQEs(sigmask)")
	if err != nil || cqe == nil || cqe.UserData != 4 {
		t.Fatalf("WaitCQEs = %+v, %v; want the timeout request", cqe, err)
	}
}

func TestWaitCQEsRejectsTimeoutWithDeadline(t *testing.T) {
	r := mustRing(t, 4, 0)
	_, err := r.WaitCQEs(1, &WaitOptions{Timeout: time.Second, Deadline: Timespec{Sec: 1}})
	if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("WaitCQEs with Timeout and Deadline = %v, want EINVAL", err)
	}
}

func TestWaitCQEsAfterClose(t *testing.T) {
	r := mustRing(t, 4, 0)
	r.Close()
	for _, o := range []*WaitOptions{nil, {Timeout: time.Second}, {Deadline: Timespec{Sec: 1}}} {
		if _, err := r.WaitCQEs(1, o); !errors.Is(err, ErrClosed) {
			t.Fatalf("WaitCQEs(%+v) after Close = %v, want ErrClosed", o, err)
		}
	}
}

// The wait options are copied into the Ring's heap block: a call that
// gets its completion, or times out, allocates nothing.
func TestWaitCQEsZeroAllocs(t *testing.T) {
	r := mustRing(t, 8, 0)
	needAbsTimer(t, r)
	var mask unix.Sigset_t
	sigaddset(&mask, unix.SIGURG)
	var failed error
	allocs := testing.AllocsPerRun(100, func() {
		for _, o := range []WaitOptions{
			{Timeout: reapTimeout, MinWait: time.Microsecond, Sigmask: &mask},
			{Deadline: r.DeadlineAfter(reapTimeout), Sigmask: &mask},
		} {
			r.GetSQE().PrepNop()
			r.GetSQE().PrepNop()
			if _, err := r.WaitCQEs(2, &o); err != nil {
				failed = err
				return
			}
			r.CQAdvance(2)
		}
		if _, err := r.WaitCQEs(1, &WaitOptions{Deadline: Timespec{Sec: 1}}); !errors.Is(err, syscall.ETIME) {
			failed = err
		}
	})
	if failed != nil {
		t.Fatalf("WaitCQEs: %v", failed)
	}
	if allocs != 0 {
		t.Fatalf("NOPs + WaitCQEs + CQAdvance allocate %v times per run", allocs)
	}
}

// sigaddset and sigdelset edit a unix.Sigset_t the way the kernel reads
// it: signal s is bit s-1 of the first 64-bit word (x/sys/unix has no
// helpers).
func sigaddset(s *unix.Sigset_t, sig syscall.Signal) { s.Val[0] |= 1 << (uint(sig) - 1) }
func sigdelset(s *unix.Sigset_t, sig syscall.Signal) { s.Val[0] &^= 1 << (uint(sig) - 1) }
