package ringo

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo/uring"
)

// op is one slot of the in-flight slab: the request as an SQE template,
// every piece of memory the kernel may touch while it runs (referenced
// here and pinned, so it can neither be freed nor moved), and the result.
// A slot is owned by the goroutine that acquired it from issue to
// release; the reaper only writes the result and signals done.
type op struct {
	done chan struct{} // capacity 1: signalled at the final CQE
	idx  uint32
	// gen is bumped by acquire and read by the reaper to match CQEs; the
	// kernel is the only link between the two, which the race detector
	// cannot see, so it is atomic.
	gen atomic.Uint32

	sqe      uring.SQE     // template copied into the ring
	timeout  time.Duration // >0: followed by a linked timeout
	deadline time.Time     // when that timeout expires
	ts       uring.Timespec

	// extra holds the rest of a linked chain, submitted right after sqe;
	// each SQE completes with its own CQE, whose result lands in linkRes
	// at its place (0 is sqe). linkLeft counts the CQEs still to come
	// after the next one; the slot is released at the last.
	extra    [3]uring.SQE
	nextra   uint8
	linkLeft atomic.Int32
	linkRes  [4]int32

	// Memory the kernel reads or writes until the final CQE.
	pin    runtime.Pinner
	pinned bool // Unpin only when something was pinned: it is not free
	buf    []byte
	iovs   []unix.Iovec // reused between requests to avoid allocation
	bufs   [][]byte
	path   []byte

	res      int32
	cqeFlags uint32
	more     bool
}

// reset drops every reference the slot holds so memory can be collected,
// keeping the iovec array for reuse.
func (o *op) reset() {
	if o.pinned {
		o.pin.Unpin()
		o.pinned = false
	}
	// Prep methods assume a zeroed SQE, as GetSQE gives.
	o.sqe = uring.SQE{}
	for i := range o.nextra {
		o.extra[i] = uring.SQE{}
	}
	o.nextra = 0
	o.linkLeft.Store(0)
	o.linkRes = [4]int32{}
	o.buf = nil
	clear(o.iovs)
	o.iovs = o.iovs[:0]
	o.bufs = nil // the caller's slice: drop the reference, never clear it
	o.path = nil
	o.timeout = 0
	o.deadline = time.Time{}
	o.res = 0
	o.cqeFlags = 0
	o.more = false
}

func (o *op) fill(sqe *uring.SQE) { *sqe = o.sqe }

// setDeadline makes the request end at d with a linked timeout.
func (o *op) setDeadline(d time.Time) {
	o.deadline = d
	o.timeout = max(time.Until(d), time.Microsecond)
}

// holdBuf references and pins b for the kernel.
func (o *op) holdBuf(b []byte) {
	o.buf = b
	if len(b) > 0 {
		o.pin.Pin(&b[0])
		o.pinned = true
	}
}

// holdPath references and pins a NUL-terminated path.
func (o *op) holdPath(p []byte) *byte {
	o.path = p
	o.pin.Pin(&p[0])
	o.pinned = true
	return &p[0]
}

// holdIovecs builds the iovec array for bufs in the slot's reusable
// storage and pins it and every buffer.
func (o *op) holdIovecs(bufs [][]byte) []unix.Iovec {
	o.bufs = bufs
	o.pinned = true
	for _, b := range bufs {
		var iov unix.Iovec
		if len(b) > 0 {
			o.pin.Pin(&b[0])
			iov.Base = &b[0]
			iov.SetLen(len(b))
		}
		o.iovs = append(o.iovs, iov)
	}
	if len(o.iovs) > 0 {
		o.pin.Pin(&o.iovs[0])
	}
	return o.iovs
}

// do submits o and waits for its final completion. With a context, a
// cancellation sends ASYNC_CANCEL and a deadline becomes a linked timeout;
// either way the goroutine waits for the request's final CQE, because the
// kernel may use its memory until then. The caller gets ctx.Err() only if
// the cancel (or timeout) won; a request that completed anyway returns its
// real result, so no byte read or written is ever unreported.
// The slot is released before do returns.
func (sh *shard) do(ctx context.Context, o *op) (int32, error) {
	return sh.doUntil(ctx, o, nil)
}

// errDeadlineMoved: the deadline of a File's call changed (moved closed)
// while its request waited in the ring, and the request ended cancelled,
// having moved no data: the caller issues it again under the new
// deadline, or fails if that has passed (File.rw).
var errDeadlineMoved = errors.New("ringo: deadline changed while waiting")

// doUntil is do for a File call under a file deadline (ctx is then nil):
// moved, when closed, means the deadline changed, and the request is
// cancelled like a context's. It ends as do does (the final CQE, the real
// result if the cancel lost), with errDeadlineMoved if the request ended
// cancelled and the deadline had changed, whichever cancel won.
func (sh *shard) doUntil(ctx context.Context, o *op, moved <-chan struct{}) (int32, error) {
	var done <-chan struct{}
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			sh.release(o)
			return 0, err
		}
		done = ctx.Done()
		if d, ok := ctx.Deadline(); ok {
			o.setDeadline(d)
		}
	}
	if err := sh.submit(o); err != nil {
		sh.release(o)
		return 0, err
	}
	cancelled := false
	if done == nil && moved == nil {
		<-o.done
	} else {
		select {
		case <-o.done:
		case <-done:
			cancelled = true
			sh.cancelAndWait(o)
		case <-moved:
			cancelled = true
			sh.cancelAndWait(o)
		}
	}
	res := o.res
	// A request cancelled for another reason (File.Close, Engine.Close)
	// while a deadline was still ahead did not time out.
	timedOut := o.timeout > 0 && !time.Now().Before(o.deadline)
	sh.release(o)
	// A request an io-wq worker was running ends -EINTR when cancelled:
	// by our cancel, or by its linked timeout (a FUSE read past its
	// deadline).
	if res == -int32(syscall.ECANCELED) || ((cancelled || timedOut) && res == -int32(syscall.EINTR)) {
		if ctx != nil && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if moved != nil && isClosed(moved) {
			// Even if the old deadline's timeout won: the caller
			// judges by the deadline now in force.
			return 0, errDeadlineMoved
		}
		if timedOut {
			return 0, context.DeadlineExceeded
		}
	}
	return res, nil
}

// cancelAndWait cancels o and waits for its final CQE, cancelling again
// every recancelEvery: a cancel that finds the request between states (an
// io-wq worker about to arm a poll, -EALREADY) may not stop it, and the
// caller, whose context has ended, should not wait for the request to end
// by itself. o stays this goroutine's slot until the CQE, so its
// user_data names no other request.
func (sh *shard) cancelAndWait(o *op) {
	sh.cancel(o)
	t := time.NewTimer(recancelEvery)
	defer t.Stop()
	for {
		select {
		case <-o.done:
			return
		case <-t.C:
			sh.cancel(o)
			t.Reset(recancelEvery)
		}
	}
}

const recancelEvery = 10 * time.Millisecond

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// run is do for requests whose result is a count or a negative errno.
func (sh *shard) run(ctx context.Context, o *op) (int, error) {
	return sh.runUntil(ctx, o, nil)
}

// runUntil is run under doUntil.
func (sh *shard) runUntil(ctx context.Context, o *op, moved <-chan struct{}) (int, error) {
	res, err := sh.doUntil(ctx, o, moved)
	if err != nil {
		return 0, err
	}
	if res < 0 {
		return 0, syscall.Errno(-res)
	}
	return int(res), nil
}

// doLinked submits o's chain (sqe and extra) and waits for the final CQE
// of every SQE in it, then returns each one's result in chain order and
// releases the slot. Chains are not cancellable by context: the kernel
// runs them to the end (Engine.Close cancels them).
func (sh *shard) doLinked(o *op) ([4]int32, error) {
	if err := sh.submit(o); err != nil {
		sh.release(o)
		return [4]int32{}, err
	}
	<-o.done
	res := o.linkRes
	sh.release(o)
	return res, nil
}
