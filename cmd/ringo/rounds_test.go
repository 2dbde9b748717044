package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ringo-io/ringo/internal/bench"
)

// fakeEngine returns canned results, one per call, and logs its calls.
type fakeEngine struct {
	name string
	iops []float64 // per call; 0 measures nothing
	errs []error   // per call, when set
	log  *[]string
	// cancel, if set, is called during call number cancelAt (from 1).
	cancel   context.CancelFunc
	cancelAt int
	calls    int
}

func (f *fakeEngine) Name() string { return f.name }

func (f *fakeEngine) Run(ctx context.Context, job bench.FileJob) (bench.Result, error) {
	f.calls++
	*f.log = append(*f.log, f.name)
	iops := f.iops[f.calls-1]
	r := bench.Result{Bench: "file", Engine: f.name, RW: job.RW, BS: job.BS, QD: job.QD,
		Ops: int64(iops), Seconds: 1, IOPS: iops, P50Us: iops / 1000}
	if f.cancel != nil && f.calls == f.cancelAt {
		f.cancel()
		return r, ctx.Err()
	}
	if f.calls <= len(f.errs) && f.errs[f.calls-1] != nil {
		return r, f.errs[f.calls-1]
	}
	return r, nil
}

func TestRunFileJobsRounds(t *testing.T) {
	var log []string
	a := &fakeEngine{name: "a", iops: []float64{300, 100, 200}, log: &log}
	b := &fakeEngine{name: "b", iops: []float64{10, 30, 20}, log: &log}
	jobs := []bench.FileJob{{RW: "randread", BS: 4096, QD: 1}, {RW: "randread", BS: 4096, QD: 8}}
	rows, err := runFileJobs(t.Context(), jobs[:1], []bench.FileEngine{a, b}, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, ","); got != "a,b,a,b,a,b" {
		t.Errorf("run order %s, want the engines interleaved", got)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %+v", len(rows), rows)
	}
	for i, want := range []struct {
		engine         string
		iops, min, max float64
	}{{"a", 200, 100, 300}, {"b", 20, 10, 30}} {
		r := rows[i]
		if r.Engine != want.engine || r.IOPS != want.iops || r.P50Us != want.iops/1000 || r.Rounds != 3 || r.IOPSMin != want.min || r.IOPSMax != want.max {
			t.Errorf("row %d: %+v, want engine %s median %v range %v–%v", i, r, want.engine, want.iops, want.min, want.max)
		}
	}

	// Rounds are per job: each job finishes its rounds before the next.
	log = nil
	a = &fakeEngine{name: "a", iops: []float64{1, 2, 3, 4}, log: &log}
	rows, _ = runFileJobs(t.Context(), jobs, []bench.FileEngine{a}, 2, false)
	if len(rows) != 2 || rows[0].QD != 1 || rows[0].IOPS != 1 || rows[1].QD != 8 || rows[1].IOPS != 3 {
		t.Errorf("two jobs, two rounds: %+v", rows)
	}
}

func TestRunFileJobsFailures(t *testing.T) {
	var log []string
	boom := errors.New("boom")
	// a fails in its second round: its row is the median of the good
	// run, with the error noted. b measures nothing: run once. c fails
	// at once: its row is the failed run.
	a := &fakeEngine{name: "a", iops: []float64{100, 50, 70}, errs: []error{nil, boom}, log: &log}
	b := &fakeEngine{name: "b", iops: []float64{0, 0, 0}, log: &log}
	c := &fakeEngine{name: "c", iops: []float64{5, 5, 5}, errs: []error{boom}, log: &log}
	rows, _ := runFileJobs(t.Context(), []bench.FileJob{{RW: "randread", BS: 4096, QD: 4}}, []bench.FileEngine{a, b, c}, 3, false)
	if got := strings.Join(log, ","); got != "a,b,c,a" {
		t.Errorf("run order %s, want a,b,c,a", got)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	if r := rows[0]; r.IOPS != 100 || r.Rounds != 1 || r.Note != "round 2 error: boom" {
		t.Errorf("a: %+v", r)
	}
	if r := rows[1]; r.Engine != "b" || r.IOPS != 0 || r.Rounds != 1 {
		t.Errorf("b: %+v", r)
	}
	if r := rows[2]; r.Engine != "c" || r.Note != "error: boom" || r.IOPS != 5 {
		t.Errorf("c: %+v", r)
	}
}

func TestRunFileJobsInterrupted(t *testing.T) {
	var log []string
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// Interrupted in round 2 during b: a has two runs, b one full run
	// and one cut short, c one.
	a := &fakeEngine{name: "a", iops: []float64{100, 300, 1}, log: &log}
	b := &fakeEngine{name: "b", iops: []float64{10, 40, 1}, log: &log, cancel: cancel, cancelAt: 2}
	c := &fakeEngine{name: "c", iops: []float64{1, 1, 1}, log: &log}
	jobs := []bench.FileJob{{RW: "randread", BS: 4096, QD: 4}, {RW: "randread", BS: 4096, QD: 8}}
	rows, err := runFileJobs(ctx, jobs, []bench.FileEngine{a, b, c}, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, ","); got != "a,b,c,a,b" {
		t.Errorf("run order %s", got)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want a, b and c of the first job: %+v", len(rows), rows)
	}
	if r := rows[0]; r.Engine != "a" || r.Rounds != 2 || r.IOPS != 100 || r.Note != "" {
		t.Errorf("a: %+v", r)
	}
	if r := rows[1]; r.Engine != "b" || r.Rounds != 2 || r.IOPS != 10 || r.IOPSMax != 40 || r.Note != "" {
		t.Errorf("b: %+v", r)
	}
	if r := rows[2]; r.Engine != "c" || r.Rounds != 1 {
		t.Errorf("c: %+v", r)
	}
}
