package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// MaxInFlightBytes caps a job's buffers, QD×BS bytes: the single-thread
// engines allocate them in one piece, the others one BS buffer per request
// in flight.
const MaxInFlightBytes = 1 << 30

// validateFileJob checks the fields every engine relies on.
func validateFileJob(job FileJob) error {
	switch job.RW {
	case "randread", "randwrite", "read", "write", "randrw":
	default:
		return fmt.Errorf("bench: unknown rw %q (want randread, randwrite, randrw, read or write)", job.RW)
	}
	switch {
	case job.BS <= 0:
		return fmt.Errorf("bench: block size must be positive, got %d", job.BS)
	case job.QD <= 0:
		return fmt.Errorf("bench: queue depth must be positive, got %d", job.QD)
	case job.Size < int64(job.BS):
		return fmt.Errorf("bench: size %d is smaller than the block size %d", job.Size, job.BS)
	case job.Duration <= 0:
		return fmt.Errorf("bench: duration must be positive, got %v", job.Duration)
	case job.Mix < 0 || job.Mix > 100:
		return fmt.Errorf("bench: read mix must be 0-100, got %d", job.Mix)
	case int64(job.QD) > MaxInFlightBytes/int64(job.BS):
		return fmt.Errorf("bench: queue depth %d × block size %d is more than %s of buffers", job.QD, job.BS, fmtBytes(MaxInFlightBytes))
	}
	return nil
}

// isSequential reports whether rw is a sequential workload.
func isSequential(rw string) bool { return rw == "read" || rw == "write" }

// RunWorkers runs job the goroutine-per-request way: job.QD goroutines, each
// with its own buffer (bufAlloc(job.BS); AlignedBuffer when bufAlloc is
// nil; an allocation error ends the run before it starts)
// issuing f.ReadAt / f.WriteAt back to back, so that QD requests are in
// flight. Each request's latency goes into a per-goroutine Histogram; they
// are merged at the end. The `os` and the ringo engines both run this way.
//
// Random workloads give each goroutine its own OffsetGen (seeded by its
// index). Sequential ones (read, write) share one cursor, so the QD
// goroutines form a single sequential stream with QD requests in flight,
// like fio's iodepth (QD independent streams over the same blocks would
// mostly hit the same pages).
//
// The page cache of job.Path is dropped first (EvictCache), or, with
// job.Warm, filled first (WarmCache), so every engine starts alike.
// Write buffers are filled with pseudo-random bytes. The run lasts
// job.Duration, or until ctx is done. A failed or short read or write
// stops all goroutines and is returned. On error, including ctx being
// cancelled before job.Duration, the Result covers the work done so far.
// The Result's Engine is engine.
func RunWorkers(ctx context.Context, job FileJob, engine string, f ReaderWriterAt, bufAlloc func(n int) ([]byte, error)) (Result, error) {
	if err := validateFileJob(job); err != nil {
		return Result{}, err
	}
	if bufAlloc == nil {
		bufAlloc = AlignedBuffer
	}
	if err := setCache(job); err != nil {
		return Result{}, err
	}

	type worker struct {
		buf  []byte
		next func() (int64, bool)
		h    *Histogram
		ops  int64
	}
	var cursor atomic.Int64 // next sequential block, shared
	blocks := (job.Size-int64(job.BS))/int64(job.BS) + 1
	workers := make([]*worker, job.QD)
	for i := range workers {
		buf, err := bufAlloc(job.BS)
		if err != nil {
			return Result{}, err
		}
		w := &worker{buf: buf, h: NewHistogram()}
		if len(w.buf) < job.BS {
			return Result{}, fmt.Errorf("bench: buffer allocator returned %d bytes, want %d", len(w.buf), job.BS)
		}
		w.buf = w.buf[:job.BS]
		fillRandom(w.buf, uint64(i))
		if isSequential(job.RW) {
			write := job.RW == "write"
			bs := int64(job.BS)
			w.next = func() (int64, bool) {
				return (cursor.Add(1) - 1) % blocks * bs, write
			}
		} else {
			w.next = OffsetGen(job, int64(i)+1)
		}
		workers[i] = w
	}

	runCtx, cancel := context.WithTimeout(ctx, job.Duration)
	defer cancel()
	var (
		stop     atomic.Bool
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		stop.Store(true)
	}
	go func() {
		<-runCtx.Done()
		stop.Store(true)
	}()

	m := StartMeter()
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				off, write := w.next()
				t0 := time.Now()
				var n int
				var err error
				if write {
					n, err = f.WriteAt(w.buf, off)
				} else {
					n, err = f.ReadAt(w.buf, off)
				}
				w.h.Record(time.Since(t0))
				if err != nil || n != len(w.buf) {
					fail(ioError(write, off, n, len(w.buf), err))
					return
				}
				w.ops++
			}
		}()
	}
	wg.Wait()

	var ops int64
	h := NewHistogram()
	for _, w := range workers {
		ops += w.ops
		h.Merge(w.h)
	}
	r := m.Stop(job, engine, ops, h)
	if firstErr != nil {
		return r, firstErr
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	return r, nil
}

// ioError describes a failed or short request.
func ioError(write bool, off int64, n, want int, err error) error {
	op := "read"
	if write {
		op = "write"
	}
	if err == nil || errors.Is(err, io.EOF) {
		return fmt.Errorf("short %s at offset %d: %d of %d bytes (is the file smaller than the job size?)", op, off, n, want)
	}
	return fmt.Errorf("%s of %d bytes at offset %d: %w", op, want, off, err)
}

// fillRandom fills b with pseudo-random bytes.
func fillRandom(b []byte, seed uint64) {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	_, _ = rand.NewChaCha8(key).Read(b)
}
