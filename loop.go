package ringo

import (
	"errors"
	"os"
	"runtime"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo/uring"
)

// The loop reaper (ReaperLoop): one goroutine per ring, locked to its OS
// thread, is the ring's only submitter and only waiter, on a ring set up
// with SINGLE_ISSUER|DEFER_TASKRUN. That is how fio drives io_uring: the
// kernel posts completions from task work that runs inside the loop's own
// io_uring_enter, so a completion costs one thread wakeup and no
// inter-processor interrupt to whichever thread happened to submit.
// Other goroutines only write SQEs (under mu) and, if the loop is asleep
// in the kernel, ring its doorbell: an eventfd watched by a multishot poll
// inside the same ring.

// loopFileSlots is the size of a loop ring's registered-file table, when
// RLIMIT_NOFILE allows (uring.SizeFileTable caps it).
const loopFileSlots = 1024

// udDoorbell marks the doorbell poll's CQEs.
const udDoorbell = udInternal | 2

// loopSpin is how many times the loop looks for new requests before it
// sleeps in the kernel, to catch goroutines it has just woken queueing
// their next request without a doorbell. Measured at qd 32 O_DIRECT: 0,
// 10, 50 and 200 gave the same IOPS within noise; 1000 lost 10% and 4000
// lost 25% (the spinning loop holds one of the two Ps the requesting
// goroutines need). 50 keeps idle CPU low.
const loopSpin = 50

type loopState struct {
	calls    chan func() // run on the loop's thread (register calls)
	sleeping atomic.Bool
	needArm  bool // guarded by mu: the doorbell poll awaits re-arming (SQ was full)
	bellFd   int
	bellBuf  []byte // heap: the value 1 written to the doorbell
}

// startLoop creates the ring on the loop's own thread (SINGLE_ISSUER binds
// the ring to the creating thread) and starts the loop.
func (sh *shard) startLoop(entries uint32, p *uring.Params) error {
	ready := make(chan error, 1)
	go sh.runLoop(entries, p, ready)
	return <-ready
}

func (sh *shard) runLoop(entries uint32, p *uring.Params, ready chan<- error) {
	// The thread stays locked for the goroutine's life; when the loop
	// ends the thread ends with it, taking its io_uring task context.
	runtime.LockOSThread()
	p.Flags |= uring.SetupSingleIssuer | uring.SetupDeferTaskrun | uring.SetupTaskrunFlag
	r, err := newRing(entries, p)
	if err != nil {
		ready <- err
		return
	}
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		r.Close()
		ready <- os.NewSyscallError("eventfd", err)
		return
	}
	sh.ring = r
	// A table of registered files, sized from RLIMIT_NOFILE: O_DIRECT
	// files opened on this ring are entered in it, so their requests
	// skip the per-request file lookup and reference counting.
	sh.initFileTable(loopFileSlots)
	sh.soloOK = true
	sh.lp = &loopState{bellFd: fd, bellBuf: []byte{1, 0, 0, 0, 0, 0, 0, 0}, calls: make(chan func(), 4)}
	sh.armDoorbell()
	ready <- nil
	defer close(sh.reaperOut)
	// The doorbell fd is closed by closeRing, under mu, so no wake can
	// write to a recycled fd number.

	spins := 0
	for {
		select {
		case fn := <-sh.lp.calls:
			fn()
		default:
		}
		sh.mu.Lock()
		if sh.lp.needArm {
			sh.armLocked()
		}
		n := r.FlushSQ()
		sh.queued = 0
		stop := sh.closing && sh.outstanding.Load() == 0
		sh.mu.Unlock()
		if stop {
			return
		}
		var wait uint32
		if n == 0 {
			if spins < loopSpin {
				spins++
				if sh.outstanding.Load() > 0 || spins < 20 {
					// Look at the CQ too: task work may be pending.
					r.FlushCQ()
					sh.reapLoop()
				}
				continue
			}
			// Dekker with wake: publish "asleep", then look once more.
			sh.lp.sleeping.Store(true)
			sh.mu.Lock()
			more := sh.queued > 0 || r.SQReady() > 0
			sh.mu.Unlock()
			if more {
				sh.lp.sleeping.Store(false)
				continue
			}
			wait = 1
		}
		if n > 0 && int64(n) >= sh.outstanding.Load() {
			// Everything in flight is in this batch (low queue depth):
			// submit and wait in one system call, as fio does, rather
			// than submit now and come back to sleep.
			sh.lp.sleeping.Store(true)
			sh.mu.Lock()
			more := sh.queued > 0
			sh.mu.Unlock()
			if more {
				sh.lp.sleeping.Store(false)
			} else {
				wait = 1
			}
		}
		spins = 0
		if _, err := r.SubmitFlushed(n, wait); err != nil && !retryable(err) {
			// The ring is unusable (closed); nothing more can complete.
			if errors.Is(err, uring.ErrClosed) {
				return
			}
		}
		sh.lp.sleeping.Store(false)
		sh.enters.Add(1)
		if n > 0 {
			sh.submitted.Add(uint64(n))
		}
		r.FlushCQ()
		sh.reapLoop()
	}
}

// reapLoop delivers completions on the loop's thread.
func (sh *shard) reapLoop() {
	sh.cqMu.Lock()
	rearm := false
	for {
		n := sh.ring.PeekBatchCQE(sh.cqes[:])
		if n == 0 {
			break
		}
		for _, cqe := range sh.cqes[:n] {
			if cqe.UserData == udDoorbell {
				if cqe.Flags&uring.CQEFMore == 0 {
					rearm = true
				}
				continue
			}
			sh.complete(cqe)
		}
		sh.ring.CQAdvance(uint32(n))
		sh.completions.Add(uint64(n))
	}
	sh.cqMu.Unlock()
	if rearm {
		sh.armDoorbell()
	}
}

// armDoorbell (re)arms the multishot poll on the doorbell eventfd. The
// eventfd's counter is never read: a write wakes the poll whatever its
// value, and it would take 2^64 writes to fill it.
// With the SQ full it marks the doorbell for re-arming, which the loop
// retries on every turn (the flush makes room), so the loop is never left
// asleep with no way to wake it.
func (sh *shard) armDoorbell() {
	sh.mu.Lock()
	sh.armLocked()
	sh.mu.Unlock()
}

func (sh *shard) armLocked() {
	sqe := sh.ring.GetSQE()
	if sqe != nil {
		sqe.PrepPollMultishot(int32(sh.lp.bellFd), unix.POLLIN)
		sqe.UserData = udDoorbell
		sh.queued++
	}
	sh.lp.needArm = sqe == nil
}

// wake rings the doorbell if the loop sleeps in the kernel. Only the
// goroutine that flips sleeping writes, so one sleep costs one write.
func (sh *shard) wake() {
	// After the loop has ended the doorbell fd is closed and its number
	// may belong to someone else: never write then. sleeping is left
	// false by an ended loop, and only the loop sets it true... except
	// onRing and close, which check closing first.
	if sh.lp.sleeping.CompareAndSwap(true, false) {
		// Hold the ring: closeRing closes the doorbell only once no one
		// does, so this write cannot reach a recycled fd number (a
		// waker preempted between the swap and the write, while Close
		// ran to the end, would otherwise write into another file).
		if !sh.enterRing() {
			return
		}
		defer sh.leaveRing()
		unix.RawSyscall(unix.SYS_WRITE, uintptr(sh.lp.bellFd), uintptr(unsafe.Pointer(&sh.lp.bellBuf[0])), 8)
	}
}

// waitForSQSpace is called with mu held when the SQ is full in loop mode:
// only the loop may submit, so wake it and let it drain the SQ.
func (sh *shard) waitForSQSpace() {
	if sh.dead {
		return
	}
	// Ring the doorbell while holding mu: closeRing needs mu to close it.
	sh.lp.sleeping.Store(true) // force the doorbell: the loop may be mid-spin
	sh.wake()
	sh.mu.Unlock()
	runtime.Gosched()
	sh.mu.Lock()
}

// onRing runs fn where the ring accepts register calls: for a loop ring
// (SINGLE_ISSUER) only its own thread may make them, so fn is handed to
// the loop and onRing waits for it; other rings run fn here. It reports
// whether fn ran: once Engine.Close is closing the ring it does not, and
// whatever fn would have registered or unregistered goes with the ring.
func (sh *shard) onRing(fn func()) bool {
	if sh.lp == nil {
		// Hold the ring as a flusher does: closeRing waits for fn to
		// finish, and once closeRing has begun fn is not started, so a
		// register call cannot reach a closed fd, or the same number
		// reused by another file (another engine's ring, even).
		if !sh.enterRing() {
			return false
		}
		defer sh.leaveRing()
		fn()
		return true
	}
	done := make(chan struct{})
	select {
	case sh.lp.calls <- func() { fn(); close(done) }:
	case <-sh.reaperOut:
		return false
	}
	// Ring while holding mu, so closeRing cannot close the doorbell
	// under us.
	sh.mu.Lock()
	if !sh.dead {
		sh.lp.sleeping.Store(true) // make wake write even if the loop is spinning
		sh.wake()
	}
	sh.mu.Unlock()
	select {
	case <-done:
		return true
	case <-sh.reaperOut:
		// The loop ended (engine closing), and with it any chance to run
		// fn; it may have run it on its way out, and then done is closed
		// too (select picks either when both are ready).
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
}

// registerFile enters fd in the ring's registered-file table and returns
// its slot, or -1 (no table, table full, or the kernel refused).
func (sh *shard) registerFile(fd int) int32 {
	sh.mu.Lock()
	if len(sh.fileFree) == 0 || sh.closing {
		sh.mu.Unlock()
		return -1
	}
	slot := sh.fileFree[len(sh.fileFree)-1]
	sh.fileFree = sh.fileFree[:len(sh.fileFree)-1]
	sh.mu.Unlock()
	var err error = ErrEngineClosed
	sh.onRing(func() { _, err = sh.ring.RegisterFilesUpdate(slot, []int32{int32(fd)}) })
	if err != nil {
		sh.mu.Lock()
		sh.fileFree = append(sh.fileFree, slot)
		sh.mu.Unlock()
		return -1
	}
	return int32(slot)
}

// unregisterFile empties a slot once no request uses it.
func (sh *shard) unregisterFile(slot int32) {
	var err error = ErrEngineClosed
	sh.onRing(func() { _, err = sh.ring.RegisterFilesUpdate(uint32(slot), []int32{-1}) })
	if err == nil {
		sh.mu.Lock()
		sh.fileFree = append(sh.fileFree, uint32(slot))
		sh.mu.Unlock()
	}
}
