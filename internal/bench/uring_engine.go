package bench

import (
	"context"

	"github.com/ringo-io/ringo"
)

// UringEngine runs file jobs through ringo: QD goroutines calling
// ringo.File.ReadAt/WriteAt, exactly as the os engine calls os.File, so
// the difference between the two rows is the I/O path alone.
type UringEngine struct {
	// Opts configure the engine (default: ringo's defaults).
	Opts []ringo.Option
	// Fixed uses a registered BufferPool for the goroutines' buffers.
	// O_DIRECT jobs always do, as ringo's docs tell O_DIRECT users to (and
	// as fio's --fixedbufs does), unless NoFixed.
	Fixed bool
	// NoFixed keeps O_DIRECT jobs on ordinary aligned buffers.
	NoFixed bool
	// Variant names a non-default configuration in the engine column
	// ("uring-" + Variant).
	Variant string
}

// Name is "uring", or "uring-"+Variant.
func (u UringEngine) Name() string {
	switch {
	case u.Variant != "":
		return "uring-" + u.Variant
	case u.NoFixed:
		return "uring-nofixed"
	case u.Fixed:
		return "uring-fixed"
	}
	return "uring"
}

// Run opens job.Path through a fresh ringo engine and runs job with
// RunWorkers; enters_per_op comes from the engine's counters.
func (u UringEngine) Run(ctx context.Context, job FileJob) (Result, error) {
	if err := validateFileJob(job); err != nil {
		return Result{}, err
	}
	e, err := ringo.NewEngine(u.Opts...)
	if err != nil {
		return Result{}, err
	}
	defer e.Close()
	f, err := openForJob(job, e.OpenFile)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	alloc := AlignedBuffer
	if (u.Fixed || job.Direct) && !u.NoFixed {
		pool, err := e.NewBufferPool(job.QD, job.BS)
		if err != nil {
			return Result{}, err
		}
		defer pool.Close()
		alloc = func(int) ([]byte, error) { return pool.Get(), nil }
	}
	before := e.Stats()
	r, err := RunWorkers(ctx, job, u.Name(), f, alloc)
	after := e.Stats()
	if r.Ops > 0 {
		r.EntersPerOp = float64(after.Enters-before.Enters) / float64(r.Ops)
	}
	if e.Backend() != ringo.BackendIOUring {
		r.Note = "io_uring unavailable: " + e.Backend().String() + " backend"
	}
	return r, err
}
