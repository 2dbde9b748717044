package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringo-io/ringo"
)

// SmallFilesJob reads many small files whole, QD at a time: the workload of
// a static file server or a loader of many small objects.
type SmallFilesJob struct {
	Dir      string // holds Count files named f0000000…
	Count    int
	FileSize int
	QD       int
	Duration time.Duration
}

// PrepareSmallFiles creates job.Count files of job.FileSize bytes in
// job.Dir (kept if already there).
func PrepareSmallFiles(job SmallFilesJob) error {
	if err := os.MkdirAll(job.Dir, 0o755); err != nil {
		return err
	}
	data := make([]byte, job.FileSize)
	fillRandom(data, 7)
	for i := range job.Count {
		p := smallFileName(job.Dir, i)
		if fi, err := os.Stat(p); err == nil && fi.Size() == int64(job.FileSize) {
			continue
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func smallFileName(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("f%07d", i)) }

// RunSmallFiles reads the job's files with readFile from QD goroutines
// (open, read whole, close) and measures it. engine names the row.
func RunSmallFiles(ctx context.Context, job SmallFilesJob, engine string, readFile func(string) ([]byte, error)) (Result, error) {
	names := make([]string, job.Count)
	for i := range names {
		names[i] = smallFileName(job.Dir, i)
	}
	runCtx, cancel := context.WithTimeout(ctx, job.Duration)
	defer cancel()
	var stop atomic.Bool
	go func() { <-runCtx.Done(); stop.Store(true) }()
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	hs := make([]*Histogram, job.QD)
	counts := make([]int64, job.QD)
	m := StartMeter()
	var wg sync.WaitGroup
	for w := range job.QD {
		hs[w] = NewHistogram()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				name := names[int(next.Add(1)-1)%len(names)]
				t0 := time.Now()
				b, err := readFile(name)
				hs[w].Record(time.Since(t0))
				if err != nil || len(b) != job.FileSize {
					errOnce.Do(func() { firstErr = fmt.Errorf("reading %s: %d bytes, %v", name, len(b), err) })
					stop.Store(true)
					return
				}
				counts[w]++
			}
		}()
	}
	wg.Wait()
	var ops int64
	h := NewHistogram()
	for w := range job.QD {
		ops += counts[w]
		h.Merge(hs[w])
	}
	r := m.Stop(FileJob{RW: "read", BS: job.FileSize, QD: job.QD, Warm: true}, engine, ops, h)
	r.Bench = "smallfiles"
	return r, firstErr
}

// SmallFilesRingo runs the job through a ringo engine.
func SmallFilesRingo(ctx context.Context, job SmallFilesJob) (Result, error) {
	e, err := ringo.NewEngine()
	if err != nil {
		return Result{}, err
	}
	defer e.Close()
	before := e.Stats()
	r, err := RunSmallFiles(ctx, job, "uring", e.ReadFile)
	if after := e.Stats(); r.Ops > 0 {
		r.EntersPerOp = float64(after.Enters-before.Enters) / float64(r.Ops)
	}
	return r, err
}

// SmallFilesOS runs the job with os.ReadFile.
func SmallFilesOS(ctx context.Context, job SmallFilesJob) (Result, error) {
	return RunSmallFiles(ctx, job, "os", os.ReadFile)
}
