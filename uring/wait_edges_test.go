package uring

import (
	"errors"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Edge cases of WaitCQEs found in review; each failed before its fix.

// Timeout bounds a wait even when MinWait is longer: the kernel compares
// the (relative) min wait against its (absolute) timeout, so with
// MinWait > Timeout it sleeps for the whole min wait before it looks at
// the timeout. A 20 ms wait must not take 8 s.
func TestWaitTimeoutShorterThanMinWait(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func(r *Ring) *WaitOptions
	}{
		{"relative", func(r *Ring) *WaitOptions {
			return &WaitOptions{Timeout: 20 * time.Millisecond, MinWait: 8 * time.Second}
		}},
		{"deadline", func(r *Ring) *WaitOptions {
			return &WaitOptions{Deadline: r.DeadlineAfter(20 * time.Millisecond), MinWait: 8 * time.Second}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRing(t, 4, 0)
			needAbsTimer(t, r)
			armNeverReady(t, r)
			opts := tc.opts(r)
			done := make(chan error, 1)
			go func() { _, err := r.WaitCQEs(2, opts); done <- err }()
			select {
			case err := <-done:
				if !errors.Is(err, syscall.ETIME) {
					t.Fatalf("WaitCQEs(2, %+v) = %v, want ETIME", opts, err)
				}
			case <-time.After(3 * time.Second):
				t.Errorf("WaitCQEs(2, %+v) has not returned after 3s: the min wait overrides the timeout", opts)
				<-done // the min wait ends it; the ring's Cleanup must not close it under the waiter
			}
		})
	}
}

// A signal that interrupts the first enter of a MinWait wait, which also
// submitted SQEs, makes the kernel report the submit count instead of
// -EINTR. WaitCQEs must not mistake that for "min wait passed": here the
// min wait is a minute and the second completion is due at 300 ms, so a
// correct wait returns with both.
func TestWaitMinWaitNotEndedBySignal(t *testing.T) {
	r := mustRing(t, 8, 0)
	needWaitFeature(t, r, FeatMinTimeout, "IORING_FEAT_MIN_TIMEOUT (6.12)", &WaitOptions{MinWait: time.Millisecond})
	armTimeout(t, r, heapTimespec(300*time.Millisecond), 5)
	queueNop(t, r, 6) // submitted by the wait itself: completes at once

	tid := peltWithSignals(t, 2*time.Millisecond)
	var err error
	var ready uint32
	hangGuard(t, 2*reapTimeout, "WaitCQEs(2, MinWait 1m) under signals", func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid <- unix.Gettid()
		_, err = r.WaitCQEs(2, &WaitOptions{MinWait: time.Minute, Timeout: time.Minute})
		ready = r.CQReady()
	})
	if err != nil || ready < 2 {
		t.Fatalf("WaitCQEs(2, MinWait 1m) = %v with %d ready: returned before the min wait with fewer than 2", err, ready)
	}
}

// A wait whose timeout is already over still submits what is pending, as
// every other wait does.
func TestWaitZeroTimeoutSubmits(t *testing.T) {
	r, err := New(8, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.GetSQE().PrepNop()
	if _, err := r.WaitCQEs(1, &WaitOptions{Timeout: -1}); !errors.Is(err, syscall.ETIME) && err != nil {
		t.Fatalf("WaitCQEs with a past timeout = %v, want ETIME or a completion", err)
	}
	if got := r.SQReady(); got != 0 {
		t.Fatalf("SQReady after WaitCQEs = %d, want 0: the NOP was not submitted", got)
	}
	cqe, err := r.WaitCQETimeout(5 * time.Second)
	if err != nil || cqe == nil {
		t.Fatalf("the NOP's completion: %v", err)
	}
}
