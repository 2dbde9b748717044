//go:build linux

package bench

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo/uring"
)

// ringMaxQD is the largest queue depth RingEngine accepts.
const ringMaxQD = 4096

// ringSeed seeds the offset generator and the write data of RingEngine
// runs. It is aioSeed, so that the two single-thread engines issue the
// same offsets and their rows differ by the kernel interface alone.
const ringSeed = aioSeed

// RingEngine runs file jobs through one raw io_uring ring (package uring)
// driven by a single goroutine locked to its OS thread, the way AIOEngine
// drives Linux AIO: it keeps job.QD requests in flight, waits for at least
// one completion with io_uring_enter, reaps every completion ready and
// refills their slots, one io_uring_enter each (the last one's enter also
// waits for the next completion), as fio does. The ring is set up SINGLE_ISSUER|DEFER_TASKRUN where the
// kernel allows it, the file and the per-slot buffers are registered where
// it allows that (a Note says when it did not), and the ring fd is
// registered. Its row is what io_uring itself reaches on the machine with
// no goroutines, locks or wake-ups in the way: the ceiling for ringo's
// engine (the "uring" rows). EntersPerOp counts SubmitAndWait calls per
// operation, Submit calls included, as ringo's engine counts its own (an
// adaptive inline submit may make one call two system calls).
type RingEngine struct{}

// Name returns "ring".
func (RingEngine) Name() string { return "ring" }

// Run runs job: unless job.Warm it drops job.Path from the page cache
// (EvictCache; with job.Warm it reads its first job.Size bytes in:
// WarmCache), opens it read-only for the read-only workloads and O_RDWR
// otherwise (plus O_DIRECT when job.Direct), keeps
// job.QD (1..4096) requests in flight for job.Duration or until ctx is
// done, then waits for those still in flight. The file must exist and hold
// job.Size bytes (PrepareFile). A failed or short request ends the run
// with an error; on error, including ctx being cancelled before
// job.Duration, the Result covers the work done so far. Failing to
// register the file or the buffers (RLIMIT_MEMLOCK, for instance) is not
// an error: the run uses them unregistered and says so in Result.Note.
func (e RingEngine) Run(ctx context.Context, job FileJob) (Result, error) {
	rj, err := startRawJob(job, "ring", ringMaxQD, ringSeed)
	if err != nil {
		return Result{}, err
	}
	// Deferred calls run in reverse: this one, which frees the buffer,
	// runs after whatever below hands the buffer to the kernel is closed.
	defer rj.close()
	fd, buf := rj.fd, rj.buf

	// A SINGLE_ISSUER ring belongs to the thread that created it, and a
	// DEFER_TASKRUN ring runs its completions only when that thread
	// enters the kernel: the whole life of the ring stays on one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := newBenchRing(job.QD)
	if err != nil {
		return Result{}, err
	}
	defer r.Close()

	h := NewHistogram()
	l := &ringLoop{
		ctx:    ctx,
		r:      r,
		fd:     int32(fd),
		bs:     job.BS,
		qd:     job.QD,
		buf:    buf,
		next:   OffsetGen(job, ringSeed),
		record: h.Record,
	}
	var notes []string
	if err := r.RegisterFiles([]int32{int32(fd)}); err == nil {
		l.fd, l.fixedFile = 0, true
	} else {
		notes = append(notes, "unregistered file ("+errnoName(err)+")")
	}
	slots := make([][]byte, job.QD)
	for i := range slots {
		slots[i] = buf[i*job.BS : (i+1)*job.BS]
	}
	if err := r.RegisterBuffers(slots); err == nil {
		l.fixedBufs = true
	} else {
		notes = append(notes, "unregistered buffers ("+errnoName(err)+")")
	}
	_ = r.RegisterRingFd() // saves a file lookup per enter where supported

	m := StartMeter()
	l.until = time.Now().Add(job.Duration)
	ops, err := l.run()
	r2 := m.Stop(job, e.Name(), ops, h)
	if ops > 0 {
		r2.EntersPerOp = float64(l.enters) / float64(ops)
	}
	r2.Note = strings.Join(notes, "; ")
	if err != nil {
		return r2, err
	}
	if err := ctx.Err(); err != nil {
		return r2, err
	}
	return r2, nil
}

// newBenchRing creates a ring with at least qd SQ entries (the CQ gets
// twice as many, so it never overflows with qd requests in flight), set
// up SINGLE_ISSUER|DEFER_TASKRUN, or with no flags on kernels that refuse
// those (before 6.1). The caller must be locked to its OS thread.
func newBenchRing(qd int) (*uring.Ring, error) {
	entries := uint32(1) << bits.Len32(uint32(qd-1))
	r, err := uring.New(entries, &uring.Params{Flags: uring.SetupSingleIssuer | uring.SetupDeferTaskrun})
	if errors.Is(err, unix.EINVAL) {
		r, err = uring.New(entries, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("ring: %w", err)
	}
	return r, nil
}

// errnoName is the errno of err as "ENOMEM", or err's text.
func errnoName(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if name := unix.ErrnoName(errno); name != "" {
			return name
		}
	}
	return err.Error()
}

// ringLoop is the measured part of RingEngine.Run, with plain parameters.
type ringLoop struct {
	ctx context.Context
	r   *uring.Ring
	// fd is the file, or its index in the registered-file table when
	// fixedFile.
	fd        int32
	fixedFile bool
	// fixedBufs means slot i of buf is registered buffer i.
	fixedBufs bool
	bs, qd    int
	// buf holds qd*bs bytes; slot i reads and writes buf[i*bs:(i+1)*bs].
	// It must stay valid until run returns.
	buf    []byte
	next   func() (off int64, write bool) // the next operation
	until  time.Time                      // no new operations after this
	record func(time.Duration)            // latency of each completed operation
	// check, if set, sees every completed operation and its slot buffer;
	// an error from it ends the run.
	check func(off int64, write bool, b []byte) error

	enters int64 // SubmitAndWait calls made by run
}

// run keeps l.qd operations in flight until l.until or until l.ctx is done,
// then waits for those in flight. It returns the number of operations
// completed and the first error met. It never returns while the kernel
// may still use l.buf, unless io_uring_enter itself fails.
func (l *ringLoop) run() (int64, error) {
	var (
		offs    = make([]int64, l.qd)
		writes  = make([]bool, l.qd)
		start   = make([]time.Duration, l.qd) // submit time, since base
		pending = make([]int, 0, l.qd)        // slots prepared, not yet submitted
		refill  = make([]int, 0, l.qd)        // slots completed in this batch
		cqes    = make([]*uring.CQE, l.qd)
		base    = time.Now()
		stopAt  = l.until.Sub(base)

		inflight int // prepared and not yet completed
		ops      int64
		firstErr error
		stopping bool
	)
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
		stopping = true
	}
	// An SQE taken from the ring cannot be given back (the next enter
	// submits it), so slots are prepared only once a whole batch of
	// completions has been checked and the run is known to go on.
	prep := func(i int) {
		sqe := l.r.GetSQE()
		if sqe == nil { // cannot happen: the SQ holds at least qd entries
			fail(fmt.Errorf("ring: submission queue full with %d requests in flight", inflight))
			return
		}
		off, w := l.next()
		offs[i], writes[i] = off, w
		b := l.buf[i*l.bs : (i+1)*l.bs]
		switch {
		case l.fixedBufs && w:
			sqe.PrepWriteFixed(l.fd, b, uint64(off), uint16(i))
		case l.fixedBufs:
			sqe.PrepReadFixed(l.fd, b, uint64(off), uint16(i))
		case w:
			sqe.PrepWrite(l.fd, b, uint64(off))
		default:
			sqe.PrepRead(l.fd, b, uint64(off))
		}
		if l.fixedFile {
			sqe.Flags |= uring.SQEFixedFile
		}
		sqe.UserData = uint64(i)
		pending = append(pending, i)
		inflight++
	}

	for i := range l.qd {
		prep(i)
	}
	for inflight > 0 {
		now := time.Since(base)
		for _, i := range pending {
			start[i] = now
		}
		pending = pending[:0]
		_, err := l.r.SubmitAndWait(1)
		l.enters++
		if err != nil {
			// Nothing more can be reaped; closing the ring cancels what
			// is still in flight.
			fail(err)
			return ops, firstErr
		}
		n := l.r.PeekBatchCQE(cqes)
		now = time.Since(base)
		if !stopping && (now >= stopAt || l.ctx.Err() != nil) {
			stopping = true
		}
		for _, c := range cqes[:n] {
			inflight--
			i := int(c.UserData)
			if i < 0 || i >= l.qd {
				fail(fmt.Errorf("ring: completion for unknown slot %d", c.UserData))
				continue
			}
			if c.Res != int32(l.bs) {
				fail(ioOpError("ring", writes[i], offs[i], l.bs, int64(c.Res)))
				continue
			}
			l.record(now - start[i])
			ops++
			if l.check != nil {
				if err := l.check(offs[i], writes[i], l.buf[i*l.bs:(i+1)*l.bs]); err != nil {
					fail(err)
					continue
				}
			}
			refill = append(refill, i)
		}
		l.r.CQAdvance(uint32(n))
		if !stopping {
			// One io_uring_enter per request, as fio submits: on the
			// virtio disk measured here a batch submitted at once is
			// served later (0.89x fio, against 1.07x this way;
			// DESIGN.md). The wait for the next completion goes with
			// the last one.
			for k, i := range refill {
				prep(i)
				if k < len(refill)-1 {
					start[i] = time.Since(base)
					pending = pending[:0]
					if _, err := l.r.Submit(); err != nil {
						fail(err)
						return ops, firstErr
					}
					l.enters++
				}
			}
		}
		refill = refill[:0]
	}
	return ops, firstErr
}

// ioOpError describes a request of engine that failed (res < 0) or was
// short.
func ioOpError(engine string, write bool, off int64, bs int, res int64) error {
	op := "read"
	if write {
		op = "write"
	}
	if res < 0 {
		return fmt.Errorf("%s: %s of %d bytes at %d: %w", engine, op, bs, off, unix.Errno(-res))
	}
	return fmt.Errorf("%s: short %s at %d: %d of %d bytes", engine, op, off, res, bs)
}

var _ FileEngine = RingEngine{}
