//go:build linux

package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/ringo-io/ringo/internal/aio"
)

// aioMaxQD is the largest queue depth AIOEngine accepts.
const aioMaxQD = 1024

// aioSeed seeds the offset generator and the write data of AIOEngine runs
// (fixed, so that repeated runs issue the same offsets).
const aioSeed = 1

// AIOEngine runs file jobs through Linux native AIO (io_submit /
// io_getevents) from a single goroutine: it keeps job.QD requests in
// flight, reaps completions with io_getevents(min=1, max=QD) and
// resubmits every completed slot, one io_submit each. Native AIO is only
// asynchronous with O_DIRECT; on buffered files io_submit does the I/O
// itself. EntersPerOp is not reported.
type AIOEngine struct{}

// Name returns "aio".
func (AIOEngine) Name() string { return "aio" }

// Run runs job: unless job.Warm it drops job.Path from the page cache
// (EvictCache; with job.Warm it reads its first job.Size bytes in:
// WarmCache), opens it read-only for the read-only workloads and O_RDWR
// otherwise (plus O_DIRECT when job.Direct), keeps
// job.QD (1..1024) requests in flight for job.Duration or until ctx is
// done, then waits for those still in flight. The file must exist and hold
// job.Size bytes (PrepareFile). A failed, short or refused request ends
// the run with an error; on error, including ctx being cancelled before
// job.Duration, the Result covers the work done so far.
func (e AIOEngine) Run(ctx context.Context, job FileJob) (Result, error) {
	rj, err := startRawJob(job, "aio", aioMaxQD, aioSeed)
	if err != nil {
		return Result{}, err
	}
	// Deferred calls run in reverse: this one, which frees the buffer,
	// runs after whatever below hands the buffer to the kernel is closed.
	defer rj.close()
	fd, buf := rj.fd, rj.buf
	c, err := aio.New(job.QD)
	if err != nil {
		return Result{}, err
	}
	defer c.Close()

	h := NewHistogram()
	l := &aioLoop{
		ctx:    ctx,
		c:      c,
		fd:     fd,
		bs:     job.BS,
		qd:     job.QD,
		buf:    buf,
		next:   OffsetGen(job, aioSeed),
		record: h.Record,
	}
	m := StartMeter()
	l.until = time.Now().Add(job.Duration)
	ops, err := l.run()
	r := m.Stop(job, e.Name(), ops, h)
	if err != nil {
		return r, err
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	return r, nil
}

// aioLoop is the measured part of AIOEngine.Run, with plain parameters.
type aioLoop struct {
	ctx    context.Context
	c      *aio.Context
	fd     int
	bs, qd int
	// buf holds qd*bs bytes; slot i reads and writes buf[i*bs:(i+1)*bs].
	// It must stay valid (it is referenced here) until run returns.
	buf    []byte
	next   func() (off int64, write bool) // the next operation
	until  time.Time                      // no new operations after this
	record func(time.Duration)            // latency of each completed operation
	// check, if set, sees every completed operation and its slot buffer;
	// an error from it ends the run.
	check func(off int64, write bool, b []byte) error
}

// run keeps l.qd operations in flight until l.until or until l.ctx is done,
// then waits for those in flight. It returns the number of operations
// completed and the first error met. It never returns while the kernel
// may still use l.buf, unless io_getevents itself fails.
func (l *aioLoop) run() (int64, error) {
	var (
		cbs     = make([]aio.IOCB, l.qd)
		offs    = make([]int64, l.qd)
		writes  = make([]bool, l.qd)
		start   = make([]time.Duration, l.qd) // submit time, since base
		pending = make([]*aio.IOCB, 0, l.qd)
		events  = make([]aio.Event, l.qd)
		base    = time.Now()
		stopAt  = l.until.Sub(base)

		inflight int
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
	prep := func(i int) {
		off, w := l.next()
		offs[i], writes[i] = off, w
		b := l.buf[i*l.bs : (i+1)*l.bs]
		if w {
			aio.PrepPwrite(&cbs[i], l.fd, b, off, uint64(i))
		} else {
			aio.PrepPread(&cbs[i], l.fd, b, off, uint64(i))
		}
		pending = append(pending, &cbs[i])
	}
	submit := func() {
		now := time.Since(base)
		for _, cb := range pending {
			start[cb.Data] = now
		}
		// One io_submit per request, as fio submits by default: on
		// the virtio disk measured here a batch submitted at once is
		// served later (0.83x fio, against 0.98x this way; DESIGN.md).
		var n int
		var err error
		for k := range pending {
			var m int
			if m, err = l.c.Submit(pending[k : k+1]); err != nil {
				break
			}
			n += m
		}
		inflight += n
		if err == nil && n < len(pending) {
			err = fmt.Errorf("aio: io_submit took %d of %d requests", n, len(pending))
		}
		pending = pending[:0]
		if err != nil {
			fail(err)
		}
	}

	for i := range l.qd {
		prep(i)
	}
	submit()
	for inflight > 0 {
		n, err := l.c.GetEvents(1, events, nil)
		if err != nil {
			// Nothing more can be reaped; Close (io_destroy) waits for
			// what is still in flight.
			fail(err)
			return ops, firstErr
		}
		now := time.Since(base)
		inflight -= n
		if !stopping && (now >= stopAt || l.ctx.Err() != nil) {
			stopping = true
		}
		for _, ev := range events[:n] {
			i := int(ev.Data)
			if i < 0 || i >= l.qd {
				fail(fmt.Errorf("aio: completion for unknown slot %d", ev.Data))
				continue
			}
			if ev.Res != int64(l.bs) {
				fail(aioOpError(writes[i], offs[i], l.bs, ev.Res))
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
			if !stopping {
				prep(i)
			}
		}
		if len(pending) > 0 {
			if stopping { // an error in this batch: do not start more
				pending = pending[:0]
			} else {
				submit()
			}
		}
	}
	return ops, firstErr
}

// aioOpError describes a request that failed (res < 0) or was short.
func aioOpError(write bool, off int64, bs int, res int64) error {
	return ioOpError("aio", write, off, bs, res)
}

var _ FileEngine = AIOEngine{}
