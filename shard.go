package ringo

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo/uring"
)

// user_data layout: the low 32 bits index the in-flight slab, the next 31
// bits hold the slot's generation (a stale or foreign CQE is ignored, never
// delivered to the wrong goroutine), and the top bit marks internal
// requests (cancels, link timeouts, wakeups) that have no slot.
//
// A linked chain of requests (op.extra) shares its slot: bits 24-25 of the
// index word give each SQE's place in the chain (WithMaxInFlight is at most
// 1<<20, so slab indexes never reach them).
const (
	udInternal = 1 << 63
	udWake     = udInternal | 1

	udPosShift = 24
	udIdxMask  = 1<<udPosShift - 1
)

// reapBackstop bounds how long a completion can wait unseen when its
// eventfd signal was suppressed (see kick).
const reapBackstop = 2 * time.Millisecond

func userData(idx, gen uint32) uint64 { return uint64(gen&0x7fffffff)<<32 | uint64(idx) }

// shard is one ring and the requests in flight on it.
//
// Locking: mu serialises the SQ side (GetSQE, Prep, FlushSQ). At most one
// goroutine at a time submits (the flusher, elected through flushing), and
// it makes the system call without holding mu, so other goroutines keep
// adding SQEs to the next batch meanwhile. cqMu serialises reaping; a
// goroutine that finds it taken leaves the work to the holder, which
// re-checks the CQ after unlocking, so no completion is stranded.
type shard struct {
	e    *Engine
	ring *uring.Ring

	mu      sync.Mutex
	closing bool // guarded by mu: no new requests
	dead    bool // guarded by mu: the ring is closed
	queued  uint32
	ts      uring.Timespec // scratch, guarded by mu (not used by the kernel after submit)

	flushing atomic.Bool

	ringUsers atomic.Int32 // goroutines using the ring outside mu (enterRing)
	ringGone  atomic.Bool  // closeRing has begun

	cqMu sync.Mutex
	cqes [256]*uring.CQE // guarded by cqMu

	ops  []op        // the in-flight slab, indexed by user_data
	free chan uint32 // free slab slots; blocking on it is the in-flight bound

	outstanding atomic.Int64 // requests the kernel holds (submitted, final CQE not reaped)

	// fdClosers counts File.Close calls cancelling by descriptor on this
	// ring (ASYNC_CANCEL_FD); fdCloseEpoch moves when one begins and when
	// it ends. A request that ends -ECANCELED with neither seen while it
	// was in flight was cancelled by the kernel (io-wq could not start a
	// worker, say), not by a dup's Close: not retried (File.rw).
	fdClosers    atomic.Int32
	fdCloseEpoch atomic.Uint64
	drained      chan struct{} // signalled when outstanding reaches 0 while closing

	efd *os.File // ReaperEventfd: readable when async completions arrive
	// reaperIdle: the eventfd reaper parks with no backstop deadline
	// (nothing was in flight). kick arms one if it submits meanwhile.
	reaperIdle atomic.Bool
	efdBuf     []byte // heap buffer for eventfd reads
	reaperOut  chan struct{}

	submitted, completions, enters, submitErrs atomic.Uint64

	lp      *loopState   // ReaperLoop only
	callers atomic.Int32 // soloOK rings: reads/writes in progress on this ring (File.rw)
	// soloOK: a lone O_DIRECT request on this ring blocks in pread or
	// pwrite instead (File.rw, soloCallers): ReaperLoop and ReaperPoll.
	soloOK bool
	// submitAtOnce: the flusher enters at once instead of first
	// yielding to gather a batch (ReaperPoll; see kick).
	submitAtOnce bool
	fileFree     []uint32                   // free registered-file slots, guarded by mu (initFileTable)
	pool         atomic.Pointer[BufferPool] // fixed buffers registered with this ring
}

func newShard(e *Engine, cfg *config) (*shard, error) {
	p := &uring.Params{Flags: cfg.setupFlags | uring.SetupCQSize}
	p.CQEntries = 2 * cfg.entries
	if cfg.setupFlags&uring.SetupSQPoll != 0 {
		p.SQThreadIdle = uint32(cfg.sqIdle / time.Millisecond)
	}
	if cfg.setupFlags&uring.SetupClamp == 0 {
		p.Flags |= uring.SetupClamp
	}

	sh := &shard{
		e:         e,
		ops:       make([]op, cfg.maxInFlight),
		free:      make(chan uint32, cfg.maxInFlight),
		drained:   make(chan struct{}, 1),
		reaperOut: make(chan struct{}),
	}
	for i := range sh.ops {
		sh.ops[i].done = make(chan struct{}, 1)
		sh.free <- uint32(i)
	}
	// Everything the reaper touches exists before it starts: a request
	// can never arrive at a half-built poller.
	if cfg.reaper == ReaperLoop {
		if err := sh.startLoop(cfg.entries, p); err != nil {
			return nil, err
		}
		return sh, nil
	}
	r, err := newRing(cfg.entries, p)
	if err != nil {
		return nil, err
	}
	sh.ring = r
	// Slots for the direct descriptors of linked chains (ReadFile).
	sh.initFileTable(chainFileSlots)
	switch cfg.reaper {
	case ReaperThread:
		go sh.reapThread(true)
	case ReaperPoll:
		sh.soloOK = true
		sh.submitAtOnce = true
		go sh.reapThread(false)
	default:
		if err := sh.startEventfd(); err != nil {
			r.Close()
			return nil, err
		}
		go sh.reapEventfd()
	}
	return sh, nil
}

// newRing sets up a ring with SUBMIT_ALL where the kernel has it (5.18):
// an SQE the kernel refuses (a path too long, say) then fails alone with
// its own CQE, instead of ending the submission there and leaving other
// goroutines' SQEs behind it.
func newRing(entries uint32, p *uring.Params) (*uring.Ring, error) {
	withAll := *p
	withAll.Flags |= uring.SetupSubmitAll
	r, err := uring.New(entries, &withAll)
	if errors.Is(err, syscall.EINVAL) {
		return uring.New(entries, p)
	}
	if err == nil {
		*p = withAll
	}
	return r, err
}

func (sh *shard) startEventfd() error {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return os.NewSyscallError("eventfd", err)
	}
	// Plain REGISTER_EVENTFD, not EVENTFD_ASYNC: the async variant only
	// signals completions posted by io-wq workers, and O_DIRECT reads
	// complete through task work instead, so waiting on it would hang.
	if err := sh.ring.RegisterEventfd(fd); err != nil {
		unix.Close(fd)
		return err
	}
	// A non-blocking fd passed to os.NewFile joins Go's network poller,
	// so the reaper parks without holding an OS thread.
	sh.efd = os.NewFile(uintptr(fd), "ringo-eventfd")
	sh.efdBuf = make([]byte, 8)
	return nil
}

// reapEventfd is the ReaperEventfd loop.
func (sh *shard) reapEventfd() {
	defer close(sh.reaperOut)
	armed := false
	for {
		if !sh.reaperIdle.Swap(false) {
			// kick took the flag while we slept, so it may have set a
			// deadline.
			armed = true
		}
		sh.reap()
		// While requests are in flight, wake at least every
		// reapBackstop: the eventfd is silenced during submits (kick),
		// and a completion posted by another thread in that window is
		// seen here without a signal.
		if sh.outstanding.Load() > 0 {
			sh.efd.SetReadDeadline(time.Now().Add(reapBackstop))
			armed = true
		} else {
			// Clear our own deadline first: once reaperIdle is
			// published, a deadline kick sets must survive to the read.
			if armed {
				sh.efd.SetReadDeadline(time.Time{})
				armed = false
			}
			// Dekker with kick: publish that we park unarmed, then look
			// at outstanding again. Either we see its request, or kick
			// (which counted the request before submitting) sees the
			// flag and arms the deadline for us.
			sh.reaperIdle.Store(true)
			if sh.outstanding.Load() > 0 {
				continue
			}
		}
		if _, err := sh.efd.Read(sh.efdBuf); err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			// EAGAIN cannot happen through the poller; anything else is
			// a broken eventfd: fall back to a short sleep so the ring
			// keeps being reaped.
			time.Sleep(time.Millisecond)
		}
	}
}

// reapThread is the ReaperThread loop: one locked OS thread blocked in
// io_uring_enter until a completion arrives; unlocked, it is the
// ReaperPoll loop, which after delivering completions yields its P so the
// goroutines it readied (queued on that P) run on this thread at once:
// with the thread locked they wait for another P, whose idle thread must
// be woken on another CPU (40-60 µs on the session-4 host).
func (sh *shard) reapThread(locked bool) {
	if locked {
		runtime.LockOSThread()
	}
	defer close(sh.reaperOut)
	for {
		before := sh.completions.Load()
		sh.reap()
		if !locked && sh.completions.Load() != before {
			runtime.Gosched()
		}
		sh.mu.Lock()
		stop := sh.closing && sh.outstanding.Load() == 0
		sh.mu.Unlock()
		if stop {
			return
		}
		if _, err := sh.ring.WaitCQEvents(1); err != nil {
			if errors.Is(err, uring.ErrClosed) {
				return
			}
			time.Sleep(time.Millisecond)
		}
		sh.enters.Add(1)
	}
}

// acquire takes a free slot, waiting while maxInFlight requests are in
// flight.
func (sh *shard) acquire() *op { return sh.take(<-sh.free) }

// take readies slot idx, just taken from free, for a new request: a new
// generation, so CQEs of the slot's previous request cannot match it.
func (sh *shard) take(idx uint32) *op {
	o := &sh.ops[idx]
	o.idx = idx
	o.gen.Add(1)
	return o
}

// tryAcquire takes a free slot if there is one at once.
func (sh *shard) tryAcquire() (*op, bool) {
	select {
	case idx := <-sh.free:
		return sh.take(idx), true
	default:
		return nil, false
	}
}

// acquireOr is acquire for a call that may be abandoned while it waits
// for a slot: when done (a context's Done), stop (its File's Close),
// expired (its deadline) or moved (its deadline changed) fires first it
// returns no slot. Slots can stay taken indefinitely (reads waiting on
// pipes and sockets), so a bare acquire would ignore them all.
func (sh *shard) acquireOr(done, stop <-chan struct{}, expired <-chan time.Time, moved <-chan struct{}) (*op, bool) {
	select {
	case idx := <-sh.free:
		return sh.take(idx), true
	case <-done:
	case <-stop:
	case <-expired:
	case <-moved:
	}
	return nil, false
}

// release returns a slot whose final CQE has been consumed.
func (sh *shard) release(o *op) {
	o.reset()
	sh.free <- o.idx
}

// submit queues o's SQE (and its linked timeout, if any) and makes sure a
// flush is under way. The caller then waits on o.done.
func (sh *shard) submit(o *op) error {
	need := 1 + uint32(o.nextra)
	if o.timeout > 0 {
		need++
	}
	if need > sh.ring.SQEntries() {
		// Could never fit: waiting for room would spin forever.
		return errTooManySQEs
	}
	sh.mu.Lock()
	if sh.closing {
		sh.mu.Unlock()
		return ErrEngineClosed
	}
	for sh.ring.SQSpaceLeft() < need {
		sh.waitForRoomLocked()
		if sh.closing {
			sh.mu.Unlock()
			return ErrEngineClosed
		}
	}
	sqe := sh.ring.GetSQE()
	o.fill(sqe)
	gen := o.gen.Load()
	sqe.UserData = userData(o.idx, gen)
	// A chain's SQEs must be adjacent in the SQ (links follow submission
	// order); mu is held from the first to the last.
	for i := range o.nextra {
		sqe = sh.ring.GetSQE()
		*sqe = o.extra[i]
		sqe.UserData = userData(o.idx|uint32(i+1)<<udPosShift, gen)
	}
	o.linkLeft.Store(int32(o.nextra))
	if o.timeout > 0 {
		sqe.Flags |= uring.SQEIOLink
		o.ts = uring.Timespec{Sec: int64(o.timeout / time.Second), Nsec: int64(o.timeout % time.Second)}
		t := sh.ring.GetSQE()
		// The kernel copies the timespec while it prepares the request,
		// inside the io_uring_enter that submits it; o.ts lives in the
		// slab until the final CQE, well past that.
		t.PrepLinkTimeout(&o.ts, 0)
		t.UserData = udInternal
	}
	sh.outstanding.Add(1)
	sh.queued++
	sh.mu.Unlock()
	sh.kick()
	return nil
}

var errTooManySQEs = errors.New("ringo: request needs more SQEs than the ring has")

func retryable(err error) bool {
	return errors.Is(err, syscall.EBUSY) || errors.Is(err, syscall.EAGAIN)
}

// waitForRoomLocked is called with mu held when the SQ is full of SQEs
// not pushed yet; it lets them be pushed and returns with mu held again
// (the caller re-checks the room and closing). A loop ring's own thread
// pushes them (waitForSQSpace). On other rings the caller becomes the
// flusher or leaves it to the one under way: only a flusher enters to
// submit, because a second submitter's count could end inside a linked
// chain that the flusher's stale count would then split across two
// io_uring_enter calls (the kernel ends a link at the end of a
// submission).
func (sh *shard) waitForRoomLocked() {
	if sh.lp != nil {
		sh.waitForSQSpace()
		return
	}
	sh.mu.Unlock()
	sh.kick()
	sh.reap()
	runtime.Gosched()
	sh.mu.Lock()
}

// kick makes sure the queued SQEs reach the kernel. The first goroutine
// to find no flush under way becomes the flusher; the others return at
// once and wait for their completion. With several requests in flight the
// flusher first yields, so that goroutines just woken by completions can
// add their next requests to the same batch: that is what turns thousands
// of goroutines' requests into few system calls.
//
// ReaperPoll rings (O_DIRECT files) skip that yield (submitAtOnce). Their
// requests go to a device, and on a disk a request queued a few
// microseconds later is a request served later: with the yield, 4 KiB
// O_DIRECT reads measured 0.77-0.81x fio at qd 4-64, without it
// 0.81-0.90x (session 5, DESIGN.md), for about one io_uring_enter per
// request instead of one per four (2-4 µs more CPU per read, against
// os's 25).
func (sh *shard) kick() {
	if sh.lp != nil {
		sh.wake()
		return
	}
	if !sh.enterRing() {
		return
	}
	defer sh.leaveRing()
	if !sh.flushing.CompareAndSwap(false, true) {
		return
	}
	if !sh.submitAtOnce && sh.outstanding.Load() > 1 {
		runtime.Gosched()
	}
	for {
		sh.mu.Lock()
		n := sh.ring.FlushSQ()
		sh.queued = 0
		sh.mu.Unlock()
		if n > 0 {
			// Requests that complete inline are reaped just below by
			// this goroutine; an eventfd signal for them would only
			// wake the reaper's thread for nothing (an expensive
			// cross-CPU wakeup per batch). Silence the eventfd for the
			// submit; completions from other threads' task work that
			// land in this window are picked up by the reap below, and
			// the reaper's deadline covers the rest.
			sh.ring.SetEventfdEnabled(false)
			for {
				done, err := sh.ring.SubmitFlushed(n, 0)
				sh.enters.Add(1)
				if err == nil {
					sh.submitted.Add(uint64(done))
					break
				}
				// EBUSY/EAGAIN: the kernel is short of room for
				// completions; reap some and try again. Any other
				// error leaves the SQEs published but unconsumed (a
				// valid ring does not fail this way): back off and
				// retry rather than abandon requests whose memory the
				// kernel may still be about to use.
				sh.submitErrs.Add(1)
				sh.reap()
				if retryable(err) {
					runtime.Gosched()
				} else {
					time.Sleep(time.Millisecond)
				}
			}
		}
		sh.ring.SetEventfdEnabled(true)
		// Requests that completed inline (page-cache hits) are in the
		// CQ already: deliver them before anything else.
		sh.reap()
		if n > 0 && sh.reaperIdle.Load() && sh.reaperIdle.CompareAndSwap(true, false) {
			// The reaper parked with no deadline, and a completion
			// posted while the eventfd was silenced can go unsignalled
			// and unseen by the reap above: the kernel stores the CQ
			// tail and then reads the silencing flag with no full
			// barrier between, while we clear the flag and then read
			// the tail. Give the reaper its backstop.
			sh.efd.SetReadDeadline(time.Now().Add(reapBackstop))
		}
		sh.flushing.Store(false)
		// Dekker with submit(): a goroutine that queued an SQE and then
		// saw flushing==true relies on us to see its SQE here. SQReady
		// also counts SQEs a short submission left in the SQ (without
		// SUBMIT_ALL the kernel stops at an SQE it refuses).
		sh.mu.Lock()
		more := sh.queued > 0 || sh.ring.SQReady() > 0
		sh.mu.Unlock()
		if !more || !sh.flushing.CompareAndSwap(false, true) {
			return
		}
	}
}

// reap delivers every completion in the CQ to its waiting goroutine.
func (sh *shard) reap() {
	if sh.lp != nil {
		return // only the loop's thread may reap a DEFER_TASKRUN ring
	}
	if !sh.enterRing() {
		return
	}
	defer sh.leaveRing()
	for {
		if !sh.cqMu.TryLock() {
			return
		}
		sh.reapLocked()
		sh.cqMu.Unlock()
		if sh.ring.CQReady() == 0 {
			return
		}
	}
}

// reapLocked delivers the CQ's completions; the caller holds cqMu.
func (sh *shard) reapLocked() {
	for {
		n := sh.ring.PeekBatchCQE(sh.cqes[:])
		if n == 0 {
			return
		}
		for _, cqe := range sh.cqes[:n] {
			sh.complete(cqe)
		}
		sh.ring.CQAdvance(uint32(n))
		sh.completions.Add(uint64(n))
	}
}

func (sh *shard) complete(cqe *uring.CQE) {
	ud := cqe.UserData
	if ud&udInternal != 0 {
		return
	}
	idx := uint32(ud) & udIdxMask
	if idx >= uint32(len(sh.ops)) {
		return
	}
	o := &sh.ops[idx]
	if uint32(ud>>32) != o.gen.Load()&0x7fffffff {
		return
	}
	// A chain posts one CQE per SQE, in any order: keep each result by
	// its place, and finish the request at the last one. (linkLeft is
	// atomic for the race detector's sake, like gen: the submitter's
	// store reaches this goroutine only through the kernel.)
	if pos := uint32(ud) >> udPosShift; pos < uint32(len(o.linkRes)) {
		o.linkRes[pos] = cqe.Res
	}
	if o.linkLeft.Load() > 0 {
		o.linkLeft.Add(-1)
		return
	}
	if cqe.Flags&uring.CQEFMore != 0 {
		// Not the final CQE (zero-copy send before its notification):
		// keep the result, the slot and its memory until the last one.
		o.res = cqe.Res
		o.more = true
		return
	}
	if cqe.Flags&uring.CQEFNotif == 0 {
		o.res = cqe.Res
	}
	o.cqeFlags = cqe.Flags
	if sh.outstanding.Add(-1) == 0 {
		select {
		case sh.drained <- struct{}{}:
		default:
		}
	}
	o.done <- struct{}{}
}

// internal queues an SQE of the engine's own (a cancel), with no slot
// and no completion to wait for, and makes sure it is submitted.
func (sh *shard) internal(prep func(*uring.SQE)) {
	sh.mu.Lock()
	if sh.dead {
		// The ring is gone (Engine.Close finished): every request on
		// it has completed, so there is nothing left to cancel.
		sh.mu.Unlock()
		return
	}
	sqe := sh.ring.GetSQE()
	for sqe == nil {
		if sh.dead {
			sh.mu.Unlock()
			return
		}
		sh.waitForRoomLocked()
		sqe = sh.ring.GetSQE()
	}
	prep(sqe)
	sqe.UserData = udInternal
	sh.queued++
	sh.mu.Unlock()
	sh.kick()
}

// cancel asks the kernel to cancel the request in slot o. The request's
// final CQE still arrives (with -ECANCELED if the cancel won) and is what
// the waiting goroutine returns on.
func (sh *shard) cancel(o *op) {
	ud := userData(o.idx, o.gen.Load())
	sh.internal(func(sqe *uring.SQE) { sqe.PrepCancel64(ud, 0) })
}

// cancelFd cancels every request on fd (File.Close).
func (sh *shard) cancelFd(fd int) {
	sh.internal(func(sqe *uring.SQE) { sqe.PrepCancelFd(int32(fd), uring.AsyncCancelAll) })
}

// close cancels everything in flight, waits for the final CQEs, stops the
// reaper and closes the ring.
func (sh *shard) close() error {
	sh.mu.Lock()
	if sh.closing {
		sh.mu.Unlock()
		return nil
	}
	sh.closing = true
	sh.mu.Unlock()
	cancelAll := func(sqe *uring.SQE) { sqe.PrepCancel64(0, uring.AsyncCancelAny) }
	sh.internal(cancelAll)
	// Memory the kernel holds is released only by final CQEs: wait for
	// all of them. Reap here too in case the reaper is between rounds.
	// Cancel again while waiting: a request can start after the first
	// cancel (the next member of a hard-linked chain runs even when the
	// one before it was cancelled) and would otherwise never end.
	for sh.outstanding.Load() > 0 {
		sh.reap()
		select {
		case <-sh.drained:
		case <-time.After(10 * time.Millisecond):
			sh.internal(cancelAll)
		}
	}
	// Stop the reaper.
	if sh.lp != nil {
		sh.lp.sleeping.Store(true)
		sh.wake()
		<-sh.reaperOut
		return sh.closeRing()
	}
	if sh.efd != nil {
		sh.efd.Close()
		<-sh.reaperOut
	} else {
		// The wake NOP's CQE can be reaped by another goroutine (a late
		// cancel's kick) before the reaper enters its wait: resend it
		// until the reaper has left.
		for {
			sh.mu.Lock()
			if sqe := sh.ring.GetSQE(); sqe != nil {
				sqe.PrepNop()
				sqe.UserData = udWake
			}
			sh.ring.SubmitFlushed(sh.ring.FlushSQ(), 0)
			sh.mu.Unlock()
			select {
			case <-sh.reaperOut:
			case <-time.After(10 * time.Millisecond):
				continue
			}
			break
		}
	}
	return sh.closeRing()
}

// closeRing closes the ring once nothing can use it any more.
func (sh *shard) closeRing() error {
	sh.mu.Lock()
	sh.dead = true
	sh.mu.Unlock()
	// A flusher can still be finishing the batch whose completions let
	// close see nothing outstanding (requests completed inline are
	// delivered before the flusher lets go): wait for it, and for any
	// reap, before the ring's memory is unmapped.
	sh.ringGone.Store(true)
	for sh.ringUsers.Load() > 0 {
		runtime.Gosched()
	}
	if sh.lp != nil {
		// After the wait: wake holds the ring while it writes here.
		// Wakers under mu (waitForSQSpace, onRing) check dead first.
		unix.Close(sh.lp.bellFd)
	}
	return sh.ring.Close()
}

// enterRing marks a use of the ring outside mu (flushing, reaping); it
// fails once closeRing has begun. leaveRing ends the use.
func (sh *shard) enterRing() bool {
	sh.ringUsers.Add(1)
	if sh.ringGone.Load() {
		sh.ringUsers.Add(-1)
		return false
	}
	return true
}

func (sh *shard) leaveRing() { sh.ringUsers.Add(-1) }

// chainFileSlots is the size of a plain ring's registered-file table, when
// RLIMIT_NOFILE allows (uring.SizeFileTable caps it). A linked chain holds
// a slot from its OPENAT to its CLOSE; with none free, ReadFile takes the
// path without a chain.
const chainFileSlots = 256

// initFileTable registers a sparse file table of up to want slots (fewer
// under a low RLIMIT_NOFILE) and fills the free list; without one,
// fileFree stays empty and callers do without registered files.
func (sh *shard) initFileTable(want uint32) {
	if n := uring.SizeFileTable(want); n > 0 && sh.ring.RegisterFilesSparse(n) == nil {
		sh.fileFree = make([]uint32, 0, n)
		for i := n; i > 0; i-- {
			sh.fileFree = append(sh.fileFree, i-1)
		}
	}
}

// takeFileSlot takes a free registered-file slot for a linked chain.
func (sh *shard) takeFileSlot() (uint32, bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.fileFree) == 0 || sh.closing {
		return 0, false
	}
	slot := sh.fileFree[len(sh.fileFree)-1]
	sh.fileFree = sh.fileFree[:len(sh.fileFree)-1]
	return slot, true
}

// releaseFileSlot returns a chain's slot to the free list. A slot that
// may still hold a file (filled) is emptied first; if even that fails the
// slot is retired. mu keeps closeRing from closing the ring under the
// register call.
func (sh *shard) releaseFileSlot(slot uint32, filled bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if filled {
		if sh.dead {
			return
		}
		if _, err := sh.ring.RegisterFilesUpdate(slot, []int32{-1}); err != nil {
			return
		}
	}
	sh.fileFree = append(sh.fileFree, slot)
}
