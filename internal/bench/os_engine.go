package bench

import (
	"context"
	"io/fs"
	"os"
)

// OSEngine runs file jobs with the Go standard library: one goroutine per
// request in flight, each blocking in os.File.ReadAt / WriteAt (pread /
// pwrite), so QD requests need up to QD OS threads.
type OSEngine struct{}

// Name is "os".
func (OSEngine) Name() string { return "os" }

// Run opens job.Path (read-only for the read-only workloads, read-write
// otherwise, with O_DIRECT when job.Direct: openFlags) and runs
// job with RunWorkers. The file must exist and hold job.Size bytes
// (PrepareFile).
func (e OSEngine) Run(ctx context.Context, job FileJob) (Result, error) {
	if err := validateFileJob(job); err != nil {
		return Result{}, err
	}
	f, err := openForJob(job, os.OpenFile)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	return RunWorkers(ctx, job, e.Name(), f, nil)
}

// openForJob opens job.Path with openFlags(job) (read-only for read-only
// workloads, O_DIRECT for direct jobs) through open (os.OpenFile or a ringo engine's OpenFile), and explains an
// O_DIRECT refusal with CheckDirect.
func openForJob[F any](job FileJob, open func(string, int, fs.FileMode) (F, error)) (F, error) {
	f, err := open(job.Path, openFlags(job), 0)
	if err != nil && job.Direct {
		if derr := CheckDirect(job.Path); derr != nil {
			var zero F
			return zero, derr
		}
	}
	return f, err
}
