package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const workersTestSize = 8 << 20

func preparedFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(diskTempDir(t), "data")
	if err := PrepareFile(t.Context(), p, workersTestSize); err != nil {
		t.Fatal(err)
	}
	return p
}

func checkFileResult(t *testing.T, r Result, job FileJob, engine string) {
	t.Helper()
	if r.Bench != "file" || r.Engine != engine || r.RW != job.RW || r.BS != job.BS || r.QD != job.QD || r.Direct != job.Direct || r.Warm != job.Warm {
		t.Errorf("job fields: %+v", r)
	}
	if r.Ops <= 0 || r.Seconds <= 0 || r.IOPS <= 0 || r.MiBs <= 0 {
		t.Errorf("no work measured: %+v", r)
	}
	if r.CPUUsPerOp <= 0 || r.P50Us <= 0 || r.P99Us < r.P50Us || r.P999Us < r.P99Us {
		t.Errorf("cpu/latency: %+v", r)
	}
	if r.Threads < 1 {
		t.Errorf("threads: %+v", r)
	}
}

func TestOSEngine(t *testing.T) {
	p := preparedFile(t)
	direct := CheckDirect(p) == nil
	e := OSEngine{}
	if e.Name() != "os" {
		t.Fatal(e.Name())
	}
	var _ FileEngine = e
	for _, c := range []struct {
		rw     string
		qd     int
		direct bool
		warm   bool
	}{
		{"randread", 4, false, false},
		{"randread", 1, false, true},
		{"randread", 8, true, false},
		{"read", 4, false, false},
		{"write", 2, false, true},
		{"randrw", 4, true, false},
		{"randwrite", 4, true, false},
	} {
		if c.direct && !direct {
			continue
		}
		job := FileJob{RW: c.rw, Mix: 70, BS: 4096, QD: c.qd, Direct: c.direct, Warm: c.warm, Size: workersTestSize, Path: p, Duration: 200 * time.Millisecond}
		r, err := e.Run(context.Background(), job)
		if err != nil {
			t.Fatalf("%+v: %v", job, err)
		}
		checkFileResult(t, r, job, "os")
		t.Logf("%s qd=%d direct=%v: %.0f IOPS, %.2f µs CPU/op, p50 %.1f µs, %d threads", c.rw, c.qd, c.direct, r.IOPS, r.CPUUsPerOp, r.P50Us, r.Threads)
	}
	// Writes stay inside the file.
	st, err := os.Stat(p)
	if err != nil || st.Size() != workersTestSize {
		t.Fatalf("after writes: %v %v", st.Size(), err)
	}
	checkPrepared(t, p, workersTestSize)
}

func TestOSEngineErrors(t *testing.T) {
	p := preparedFile(t)
	e := OSEngine{}
	base := FileJob{RW: "randread", BS: 4096, QD: 2, Size: workersTestSize, Path: p, Duration: 100 * time.Millisecond}

	// File smaller than the job: a short read stops the run with an error.
	job := base
	job.Size = 2 * workersTestSize
	job.RW = "read"
	job.Warm = true
	job.Duration = time.Minute // ends at the first short read, after 8 MiB
	r, err := e.Run(context.Background(), job)
	if err == nil || !strings.Contains(err.Error(), "short read") {
		t.Fatalf("short file: %v", err)
	}
	if r.Engine != "os" {
		t.Errorf("partial result: %+v", r)
	}

	for _, bad := range []func(*FileJob){
		func(j *FileJob) { j.RW = "bogus" },
		func(j *FileJob) { j.BS = 0 },
		func(j *FileJob) { j.QD = 0 },
		func(j *FileJob) { j.Size = 100 },
		func(j *FileJob) { j.Duration = 0 },
		func(j *FileJob) { j.Mix = 101 },
		func(j *FileJob) { j.Path = filepath.Join(t.TempDir(), "missing") },
	} {
		job := base
		bad(&job)
		if _, err := e.Run(context.Background(), job); err == nil {
			t.Errorf("accepted %+v", job)
		}
	}
}

func TestRunWorkersCancel(t *testing.T) {
	p := preparedFile(t)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	job := FileJob{RW: "randread", BS: 4096, QD: 2, Warm: true, Size: workersTestSize, Path: p, Duration: time.Hour}
	start := time.Now()
	r, err := RunWorkers(ctx, job, "x", f, func(n int) ([]byte, error) { return make([]byte, n), nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > time.Minute || r.Ops <= 0 {
		t.Fatalf("cancel: %+v after %v", r, time.Since(start))
	}
}

// failingFile fails every request after a few.
type failingFile struct{ n int }

var errBoom = errors.New("boom")

func (f *failingFile) ReadAt(p []byte, off int64) (int, error) {
	return f.WriteAt(p, off)
}

func (f *failingFile) WriteAt(p []byte, off int64) (int, error) {
	f.n++
	if f.n > 10 {
		return 0, errBoom
	}
	return len(p), nil
}

func TestRunWorkersError(t *testing.T) {
	job := FileJob{RW: "randwrite", BS: 512, QD: 1, Warm: true, Size: 1 << 20, Duration: time.Hour}
	r, err := RunWorkers(context.Background(), job, "fake", &failingFile{}, nil)
	if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "write of 512 bytes at offset") {
		t.Fatalf("err = %v", err)
	}
	if r.Ops != 10 {
		t.Fatalf("ops = %d, want 10", r.Ops)
	}
}
