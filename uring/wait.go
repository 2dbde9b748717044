package uring

import (
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// WaitOptions are the io_uring_enter wait arguments of WaitCQEs (struct
// io_uring_getevents_arg and the ABS_TIMER flag), liburing's
// io_uring_wait_cqes, io_uring_wait_cqes_min_timeout and
// io_uring_submit_and_wait_min_timeout in one. The zero value waits
// without a bound, as WaitCQENr does.
type WaitOptions struct {
	// Timeout bounds the wait, counted from the call; 0 means no
	// timeout and a negative value one that has already passed. It is
	// measured on Go's monotonic clock: a wait interrupted by a signal
	// is restarted with the time that is left.
	Timeout time.Duration

	// Deadline, when not zero, bounds the wait by an absolute time on
	// the ring's clock (EnterAbsTimer, 6.12): CLOCK_MONOTONIC, or what
	// RegisterClock chose. DeadlineAfter computes one. An absolute
	// deadline needs no adjusting when the wait is restarted, and one
	// shared by many waits does not drift. Timeout and Deadline exclude
	// each other.
	Deadline Timespec

	// MinWait, when positive, is how long to wait for all n completions
	// before settling for fewer (FeatMinTimeout, 6.12): once it has
	// passed, the wait ends as soon as at least one completion is
	// ready. The kernel counts it in microseconds, rounded up here.
	MinWait time.Duration

	// Sigmask, when not nil, is the signal mask of the waiting thread
	// for the duration of the wait, as with ppoll(2); the thread's own
	// mask is restored when the wait ends. A wait interrupted by a
	// signal is restarted (Go's runtime interrupts system calls all the
	// time), so the mask decides which signals reach the thread while
	// it waits, not whether the wait returns: blocking SIGURG, say,
	// spares a long wait the runtime's preemption signals.
	Sigmask *unix.Sigset_t
}

// WaitCQEs waits until at least n completions are ready (n 0 counts as
// 1), within the bounds of opts (nil for none), and returns the oldest;
// release it with CQESeen. Pending SQEs are submitted in the same system
// call, as with WaitCQETimeout.
//
// When Timeout or Deadline passes first it returns an error wrapping
// syscall.ETIME, together with the oldest completion if fewer than n but
// at least one arrived (nil otherwise). With MinWait it returns that
// oldest completion and no error once MinWait has passed.
//
// Every option but a zero one needs FeatExtArg (5.11), and Deadline and
// MinWait need FeatMinTimeout (6.12, the release that brought both);
// without them WaitCQEs fails with an error wrapping syscall.EOPNOTSUPP
// (errors.Is(err, errors.ErrUnsupported) holds), as WaitCQETimeout does.
// WaitCQEs does not allocate, whether it returns a completion or ETIME.
func (r *Ring) WaitCQEs(n uint32, opts *WaitOptions) (*CQE, error) {
	var o WaitOptions
	if opts != nil {
		o = *opts
	}
	return r.waitCQEs(n, &o)
}

// errWaitTimeout is the ETIME error of an expired wait. One shared value
// (its fields never change) keeps a timer loop that waits with short
// timeouts free of allocations.
var errWaitTimeout error = os.NewSyscallError("io_uring_enter", syscall.ETIME)

func (r *Ring) waitCQEs(n uint32, o *WaitOptions) (*CQE, error) {
	n = max(n, 1)
	if r.CQReady() >= n {
		return r.cqeAt(*r.cq.khead), nil
	}
	if r.fd < 0 {
		return nil, ErrClosed
	}
	abs := o.Deadline != (Timespec{})
	rel := o.Timeout != 0
	if abs && rel {
		return nil, os.NewSyscallError("io_uring_enter", syscall.EINVAL)
	}
	if !abs && !rel && o.MinWait <= 0 && o.Sigmask == nil {
		return r.WaitCQENr(n)
	}
	if r.features&FeatExtArg == 0 || (abs || o.MinWait > 0) && r.features&FeatMinTimeout == 0 {
		return nil, os.NewSyscallError("io_uring_enter", syscall.EOPNOTSUPP)
	}

	// The kernel reads the argument block during the call; heap memory
	// that the Ring keeps reachable is safe (goroutine stacks may move).
	w := r.waitArgs()
	w.arg = GeteventsArg{}
	flags := r.enterFlags | EnterGetEvents | EnterExtArg
	if o.Sigmask != nil {
		w.sigmask = *o.Sigmask
		w.arg.Sigmask = uint64(uintptr(unsafe.Pointer(&w.sigmask)))
		w.arg.SigmaskSz = kernelSigsetSize
	}
	if abs {
		w.ts = o.Deadline
		w.arg.Ts = uint64(uintptr(unsafe.Pointer(&w.ts)))
		flags |= EnterAbsTimer
	} else if rel {
		w.arg.Ts = uint64(uintptr(unsafe.Pointer(&w.ts)))
	}
	var start time.Time
	if rel || o.MinWait > 0 {
		start = time.Now()
	}
	waitNr := n
	for {
		// A relative timeout and the min wait count from the start of
		// the first call, and a call can end early without what we wait
		// for (it submitted SQEs, which the kernel reports instead of
		// -ETIME; or a signal interrupted it): every retry gets only the
		// time that is left.
		if rel {
			left := o.Timeout - time.Since(start)
			if left <= 0 {
				// Pending SQEs still go in, as the doc promises (a
				// timeout of 0 is a poll that submits).
				if r.SQReady() > 0 {
					if _, err := r.Submit(); err != nil {
						return nil, err
					}
				}
				return r.waitExpired()
			}
			w.ts = Timespec{Sec: int64(left / time.Second), Nsec: int64(left % time.Second)}
		}
		w.arg.MinWaitUsec = 0
		if o.MinWait > 0 && waitNr > 1 {
			if left := o.MinWait - time.Since(start); left <= 0 {
				waitNr = 1 // past the min wait: any completion will do
			} else if !r.timeoutBefore(o, start, left) {
				// The kernel sleeps out the whole min wait before it
				// looks at the timeout (it compares the relative min
				// wait with the absolute timeout): pass it only when it
				// ends before the timeout, which bounds the wait.
				w.arg.MinWaitUsec = uint32(min((left+time.Microsecond-1)/time.Microsecond, 1<<32-1))
			}
		}
		submitted := r.flushSQ()
		fl := flags
		r.sqNeedsEnter(submitted, &fl) // adds EnterSQWakeup if the poller sleeps
		_, err := enterOnce(r.enterFd, submitted, waitNr, fl, unsafe.Pointer(&w.arg), unsafe.Sizeof(w.arg))
		ready := r.CQReady()
		if ready >= waitNr {
			return r.cqeAt(*r.cq.khead), nil
		}
		switch err {
		case nil:
			// The kernel ends a wait without error, short of waitNr,
			// when the min wait passed with some completions ready, or
			// when its timer fired with some ready (-ETIME is only for
			// an empty CQ), or when it submitted SQEs.
			// A signal that interrupts a call which also submitted
			// looks the same (the kernel reports the submit count, not
			// -EINTR), so the clocks decide.
			if rel && time.Since(start) >= o.Timeout || abs && r.pastDeadline(&o.Deadline) {
				return r.waitExpired()
			}
			if ready > 0 && o.MinWait > 0 && time.Since(start) >= o.MinWait {
				return r.cqeAt(*r.cq.khead), nil
			}
		case syscall.ETIME:
			if rel || abs {
				return r.waitExpired()
			}
			// Without a timeout the kernel ends the wait when the min
			// wait passes with nothing ready; ours goes on for one.
			waitNr = 1
		case syscall.EINTR:
		default:
			return nil, os.NewSyscallError("io_uring_enter", err)
		}
	}
}

// timeoutBefore reports whether the wait's timeout or deadline ends
// within d from now (start is when the wait began).
func (r *Ring) timeoutBefore(o *WaitOptions, start time.Time, d time.Duration) bool {
	switch {
	case o.Timeout != 0:
		return o.Timeout-time.Since(start) <= d
	case o.Deadline != (Timespec{}):
		e := r.DeadlineAfter(d)
		return o.Deadline.Sec < e.Sec || o.Deadline.Sec == e.Sec && o.Deadline.Nsec <= e.Nsec
	}
	return false
}

// waitExpired is the result of a wait whose timeout passed: ETIME, and
// the oldest completion if any arrived.
func (r *Ring) waitExpired() (*CQE, error) {
	if r.CQReady() > 0 {
		return r.cqeAt(*r.cq.khead), errWaitTimeout
	}
	return nil, errWaitTimeout
}

// pastDeadline reports whether the ring's clock has reached d.
func (r *Ring) pastDeadline(d *Timespec) bool {
	now := r.clockNow()
	return now.Sec > d.Sec || now.Sec == d.Sec && now.Nsec >= d.Nsec
}

func (r *Ring) clockNow() Timespec {
	var ts unix.Timespec
	if err := unix.ClockGettime(r.clockID(), &ts); err != nil {
		// CLOCK_MONOTONIC and CLOCK_BOOTTIME cannot fail. Should one,
		// time zero leaves it to the kernel to say a deadline passed.
		return Timespec{}
	}
	return Timespec{Sec: int64(ts.Sec), Nsec: int64(ts.Nsec)}
}

// clockID is the clock of the ring's wait timeouts: the one chosen with
// RegisterClock, or CLOCK_MONOTONIC, the kernel's default.
func (r *Ring) clockID() int32 {
	if r.clockSet {
		return r.clock
	}
	return unix.CLOCK_MONOTONIC
}

// DeadlineAfter returns the time d from now on the ring's clock
// (CLOCK_MONOTONIC, or what RegisterClock chose), for
// WaitOptions.Deadline.
func (r *Ring) DeadlineAfter(d time.Duration) Timespec {
	now := r.clockNow()
	ns := now.Nsec + int64(d%time.Second)
	sec := now.Sec + int64(d/time.Second) + ns/int64(time.Second)
	ns %= int64(time.Second)
	if ns < 0 {
		sec--
		ns += int64(time.Second)
	}
	return Timespec{Sec: sec, Nsec: ns}
}

// waitArgs is the heap-resident argument block for EXT_ARG waits: the
// kernel reads it, and the timespec and signal mask it points to, by
// address during the call, so it lives as long as the Ring and is never
// on a goroutine stack.
type waitArgs struct {
	arg     GeteventsArg
	ts      Timespec
	sigmask unix.Sigset_t // only its first kernelSigsetSize bytes are read
}

func (r *Ring) waitArgs() *waitArgs {
	if r.wait == nil {
		r.wait = new(waitArgs)
	}
	return r.wait
}

// kernelSigsetSize is GeteventsArg.SigmaskSz, the size of the kernel's
// sigset_t, which is the only size it accepts: 8 bytes (64 signals)
// everywhere but on MIPS (128 signals). unix.Sigset_t is glibc's larger
// type; its first bytes are the kernel's set on every byte order.
var kernelSigsetSize = func() uint32 {
	if strings.HasPrefix(runtime.GOARCH, "mips") {
		return sigsetSizeMIPS
	}
	return sigsetSize
}()
