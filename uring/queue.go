package uring

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// GetSQE returns the next free submission queue entry, zeroed, or nil
// when the SQ is full (submit, then try again). The entry belongs to the
// caller until the next Submit.
func (r *Ring) GetSQE() *SQE {
	if r.fd < 0 {
		return nil // rings unmapped by Close
	}
	sq := &r.sq
	// Acquire: the kernel (or the SQPOLL thread) releases head once it
	// has consumed the SQEs before it, so their slots are ours again.
	head := loadAcquire(sq.khead)
	next := sq.sqeTail + 1
	if next-head > sq.ringEntries {
		return nil
	}
	sqe := (*SQE)(unsafe.Add(sq.sqes, uintptr(sq.sqeTail&sq.ringMask)<<sq.sqeShift))
	sq.sqeTail = next
	if sq.sqeShift == 6 {
		*sqe = SQE{}
	} else {
		*(*[2]SQE)(unsafe.Pointer(sqe)) = [2]SQE{}
	}
	return sqe
}

// SQReady returns the number of SQEs prepared but not yet seen by the
// kernel.
func (r *Ring) SQReady() uint32 {
	if r.fd < 0 {
		return 0
	}
	// Acquire pairs with the kernel's release of head (matters with SQPOLL).
	return r.sq.sqeTail - loadAcquire(r.sq.khead)
}

// SQSpaceLeft returns how many more SQEs GetSQE can hand out.
func (r *Ring) SQSpaceLeft() uint32 {
	if r.fd < 0 {
		return 0
	}
	return r.sq.ringEntries - r.SQReady()
}

// flushSQ publishes the SQEs handed out since the last flush and returns
// how many SQEs the kernel has yet to consume.
func (r *Ring) flushSQ() uint32 {
	if r.fd < 0 {
		return 0 // closed: the caller's submit reports ErrClosed
	}
	sq := &r.sq
	tail := sq.sqeTail
	if sq.sqeHead != tail {
		sq.sqeHead = tail
		// Release: the SQE contents written by the Prep calls must be
		// visible before the kernel (or the SQPOLL thread) sees the tail.
		storeRelease(sq.ktail, tail)
	}
	// Acquire pairs with the kernel's release of head. Without SQPOLL the
	// kernel only moves head inside io_uring_enter, so this is exact.
	return tail - loadAcquire(sq.khead)
}

// cqNeedsFlush reports whether completions are held back in the kernel:
// overflowed CQEs, or task work (TASKRUN) that only an enter runs.
// IOPOLL rings complete only when reaped through the kernel.
func (r *Ring) cqNeedsFlush() bool {
	if r.fd < 0 {
		return false
	}
	return loadAcquire(r.sq.kflags)&(SQCQOverflow|SQTaskrun) != 0 || r.flags&SetupIOPoll != 0
}

// sqNeedsEnter reports whether publishing submitted SQEs needs a system
// call, and adds the SQPOLL wakeup flag when the poller sleeps.
func (r *Ring) sqNeedsEnter(submitted uint32, flags *uint32) bool {
	if submitted == 0 {
		return false
	}
	if r.flags&SetupSQPoll == 0 {
		return true
	}
	// Full barrier between the tail store in flushSQ and this flag load,
	// or the poller could fall asleep after we read "awake".
	if loadAfterFullBarrier(r.sq.kflags)&SQNeedWakeup != 0 {
		*flags |= EnterSQWakeup
		return true
	}
	return false
}

// Submit hands the prepared SQEs to the kernel and returns how many it
// accepted. It does not wait for completions.
func (r *Ring) Submit() (int, error) {
	return r.submit(r.flushSQ(), 0, false)
}

// SubmitAndWait submits and waits until at least waitNr completions are
// in the CQ.
func (r *Ring) SubmitAndWait(waitNr uint32) (int, error) {
	return r.submit(r.flushSQ(), waitNr, false)
}

func (r *Ring) submit(submitted, waitNr uint32, getEvents bool) (int, error) {
	if r.fd < 0 {
		return 0, ErrClosed
	}
	cqNeedsEnter := getEvents || waitNr > 0 || r.cqNeedsFlush()
	flags := r.enterFlags
	if r.sqNeedsEnter(submitted, &flags) || cqNeedsEnter {
		if cqNeedsEnter {
			flags |= EnterGetEvents
		}
		if waitNr > 0 && submitted > 0 && r.tryInline() {
			// Many requests (NOPs, page-cache hits, ready sockets)
			// complete during submission. Submit without waiting first:
			// that call cannot block, so it skips the runtime's
			// blocking-syscall bookkeeping; only if the completions are
			// not there yet do we make the blocking call.
			// GETEVENTS with nothing to wait for still walks the
			// kernel's wait setup; leave it out unless task work or
			// overflowed CQEs need it (or DEFER_TASKRUN, whose
			// completions only run inside a GETEVENTS enter).
			inlineFlags := flags &^ EnterGetEvents
			if r.flags&SetupDeferTaskrun != 0 || r.cqNeedsFlush() {
				inlineFlags = flags
			}
			n, err := enter(r.enterFd, submitted, 0, inlineFlags, nil, 0)
			if err != nil {
				return n, os.NewSyscallError("io_uring_enter", err)
			}
			if r.CQReady() >= waitNr || uint32(n) < submitted {
				// A short submission (an SQE failed before issue, say)
				// returns at once, as the kernel's own submit-and-wait
				// does: the SQEs left behind may be what we would
				// otherwise wait for.
				return n, nil
			}
			r.inlineMiss()
			if _, err := enter(r.enterFd, 0, waitNr, flags, nil, 0); err != nil {
				return n, os.NewSyscallError("io_uring_enter", err)
			}
			return n, nil
		}
		n, err := enter(r.enterFd, submitted, waitNr, flags, nil, 0)
		if err != nil {
			return n, os.NewSyscallError("io_uring_enter", err)
		}
		return n, nil
	}
	// SQPOLL with an awake poller: no system call at all.
	return int(submitted), nil
}

// CQReady returns the number of completions waiting in the CQ ring.
func (r *Ring) CQReady() uint32 {
	if r.fd < 0 {
		return 0
	}
	// Acquire: the CQEs up to tail are fully written by the kernel.
	return loadAcquire(r.cq.ktail) - *r.cq.khead
}

func (r *Ring) cqeAt(idx uint32) *CQE {
	return (*CQE)(unsafe.Add(r.cq.cqes, uintptr(idx&r.cq.ringMask)<<r.cq.cqeShift))
}

// PeekCQE returns the oldest completion without waiting, or nil. It
// flushes overflowed completions from the kernel when the CQ is empty.
func (r *Ring) PeekCQE() (*CQE, error) {
	if r.fd < 0 {
		return nil, ErrClosed
	}
	if r.CQReady() == 0 {
		if !r.cqNeedsFlush() {
			return nil, nil
		}
		if _, err := r.getEvents(0); err != nil {
			return nil, err
		}
		if r.CQReady() == 0 {
			return nil, nil
		}
	}
	return r.cqeAt(*r.cq.khead), nil
}

// PeekBatchCQE fills cqes with up to len(cqes) waiting completions and
// returns how many; release them with CQAdvance. When the CQ is empty and
// the kernel holds overflowed completions or pending task work, one
// non-blocking enter flushes them first, as liburing does.
func (r *Ring) PeekBatchCQE(cqes []*CQE) int {
	if r.fd < 0 {
		return 0
	}
	ready := r.CQReady()
	if ready == 0 && r.cqNeedsFlush() {
		r.getEvents(0)
		ready = r.CQReady()
	}
	n := min(int(ready), len(cqes))
	head := *r.cq.khead
	for i := range n {
		cqes[i] = r.cqeAt(head + uint32(i))
	}
	return n
}

// CQAdvance releases n completions back to the kernel.
func (r *Ring) CQAdvance(n uint32) {
	if n == 0 || r.fd < 0 {
		return
	}
	// Release: we are done reading the CQEs before head; the kernel may
	// overwrite them once it sees the new head.
	storeRelease(r.cq.khead, *r.cq.khead+n)
}

// CQESeen releases the completion returned by PeekCQE or WaitCQE.
func (r *Ring) CQESeen() { r.CQAdvance(1) }

// ForEachCQE calls fn for each waiting completion, in order, until fn
// returns false, then releases the ones visited. It returns how many it
// visited. fn must not keep the *CQE.
func (r *Ring) ForEachCQE(fn func(*CQE) bool) uint32 {
	if r.fd < 0 {
		return 0
	}
	head := *r.cq.khead
	tail := loadAcquire(r.cq.ktail)
	var n uint32
	for ; head+n != tail; n++ {
		if !fn(r.cqeAt(head + n)) {
			n++
			break
		}
	}
	r.CQAdvance(n)
	return n
}

// getEvents enters the kernel to run task work and flush overflow,
// waiting for waitNr completions.
func (r *Ring) getEvents(waitNr uint32) (int, error) {
	if r.fd < 0 {
		return 0, ErrClosed
	}
	n, err := enter(r.enterFd, 0, waitNr, r.enterFlags|EnterGetEvents, nil, 0)
	if err != nil {
		return n, os.NewSyscallError("io_uring_enter", err)
	}
	return n, nil
}

// WaitCQE returns the oldest completion, waiting for one if none is
// ready. Release it with CQESeen.
func (r *Ring) WaitCQE() (*CQE, error) { return r.WaitCQENr(1) }

// WaitCQENr waits until at least waitNr completions are ready and returns
// the oldest. Pending SQEs are submitted in the same system call. With
// waitNr 0 it does not wait: if no completion is ready after submitting
// and flushing, it returns an error wrapping syscall.EAGAIN (liburing's
// io_uring_wait_cqe_nr(ring, &cqe, 0) does the same).
func (r *Ring) WaitCQENr(waitNr uint32) (*CQE, error) {
	for {
		if r.CQReady() >= max(waitNr, 1) {
			return r.cqeAt(*r.cq.khead), nil
		}
		if _, err := r.submit(r.flushSQ(), waitNr, true); err != nil {
			return nil, err
		}
		if r.CQReady() > 0 && r.CQReady() >= waitNr {
			return r.cqeAt(*r.cq.khead), nil
		}
		if waitNr == 0 {
			return nil, os.NewSyscallError("io_uring_enter", syscall.EAGAIN)
		}
	}
}

// WaitCQETimeout is WaitCQE with a timeout (FeatExtArg, 5.11). It returns
// an error wrapping syscall.ETIME when the timeout passes first. Pending
// SQEs are submitted in the same call. WaitCQEs has the other wait
// options.
func (r *Ring) WaitCQETimeout(timeout time.Duration) (*CQE, error) {
	if timeout <= 0 {
		// WaitOptions reads 0 as "no timeout"; here it means "already
		// expired", as it always has.
		timeout = -1
	}
	return r.waitCQEs(1, &WaitOptions{Timeout: timeout})
}

// FlushSQ publishes the SQEs prepared since the last flush to the kernel,
// without a system call, and returns how many the kernel has yet to
// consume. Together with SubmitFlushed it lets a caller that serialises
// GetSQE with a lock drop that lock before the system call.
func (r *Ring) FlushSQ() uint32 { return r.flushSQ() }

// SubmitFlushed enters the kernel to submit n SQEs already published by
// FlushSQ, waiting for waitNr completions. It is safe to call while
// another goroutine prepares and flushes more SQEs under the caller's
// lock, as long as only one goroutine calls SubmitFlushed at a time.
func (r *Ring) SubmitFlushed(n, waitNr uint32) (int, error) {
	return r.submit(n, waitNr, false)
}

// FlushCQ runs pending task work and moves overflowed completions into
// the CQ ring, without waiting, when the kernel says either is pending.
func (r *Ring) FlushCQ() error {
	if !r.cqNeedsFlush() {
		return nil
	}
	_, err := r.getEvents(0)
	return err
}

// WaitCQEvents enters the kernel, without submitting anything, until at
// least n completions are ready. Unlike WaitCQE it never touches the SQ,
// so one goroutine may wait with it while others prepare and submit SQEs
// under their own lock.
func (r *Ring) WaitCQEvents(n uint32) (int, error) { return r.getEvents(n) }

// Adaptive inline submission. After a miss (completions not ready after a
// non-blocking submit) the next inlineRetry waits go straight to the
// blocking call, so a ring whose requests never complete inline pays the
// extra system call once per inlineRetry waits, not on every one.
const inlineRetry = 64

func (r *Ring) tryInline() bool {
	if r.inlineSkip == 0 {
		return true
	}
	r.inlineSkip--
	return false
}

func (r *Ring) inlineMiss() { r.inlineSkip = inlineRetry }

// SetEventfdEnabled turns eventfd notifications of a registered eventfd
// on or off (IORING_CQ_EVENTFD_DISABLED, 5.8) without a system call. It
// reports false where the kernel lacks the CQ flags word.
func (r *Ring) SetEventfdEnabled(on bool) bool {
	if r.cq.kflags == nil || r.fd < 0 {
		return false
	}
	// Only this process writes the CQ flags word; the kernel reads it
	// when it posts a CQE. A sequentially consistent store orders it
	// before our later loads of the CQ tail (the reap that follows a
	// re-enable), which is as much as our side can do: see the caller.
	f := loadRelaxed(r.cq.kflags)
	if on {
		f &^= CQEventfdDisabled
	} else {
		f |= CQEventfdDisabled
	}
	storeRelaxed(r.cq.kflags, f)
	return true
}
