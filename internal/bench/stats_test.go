package bench

import (
	"math"
	"runtime"
	"sync"
	"testing"
	"time"
)

func within(got, want time.Duration, rel float64) bool {
	return math.Abs(float64(got-want)) <= rel*float64(want)
}

func TestHistogramBucketsRoundTrip(t *testing.T) {
	if histBuckets != histLen {
		t.Fatalf("histBuckets = %d, histLen = %d", histBuckets, histLen)
	}
	prevHi := int64(-1)
	for i := 0; i < histLen; i++ {
		lo, hi := histBounds(i)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if histIndex(lo) != i || (hi <= histMax && histIndex(hi) != i) {
			t.Fatalf("bucket %d [%d,%d] does not map back", i, lo, hi)
		}
		if lo >= 100 && float64(hi-lo+1)/float64(lo) > 0.01 {
			t.Fatalf("bucket %d [%d,%d] wider than 1%%", i, lo, hi)
		}
		prevHi = hi
	}
	if prevHi < histMax {
		t.Fatalf("last bucket ends at %d < %d", prevHi, histMax)
	}
}

func TestHistogramQuantilesUniform(t *testing.T) {
	h := NewHistogram()
	// 1µs, 2µs, ..., 10000µs: the q-quantile is q*10ms.
	for i := 1; i <= 10000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	if h.Count() != 10000 {
		t.Fatalf("Count = %d", h.Count())
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 5000 * time.Microsecond},
		{0.9, 9000 * time.Microsecond},
		{0.99, 9900 * time.Microsecond},
		{0.999, 9990 * time.Microsecond},
		{0.0001, 1 * time.Microsecond},
	} {
		if got := h.Quantile(c.q); !within(got, c.want, 0.01) {
			t.Errorf("Quantile(%v) = %v, want %v ±1%%", c.q, got, c.want)
		}
	}
	if got := h.Quantile(1); got != 10*time.Millisecond {
		t.Errorf("Quantile(1) = %v, want the max 10ms", got)
	}
	if got := h.Quantile(0); got != time.Microsecond {
		t.Errorf("Quantile(0) = %v, want the min 1µs", got)
	}
	if got, want := h.Mean(), 5000500*time.Nanosecond; got != want {
		t.Errorf("Mean = %v, want %v", got, want)
	}
}

func TestHistogramBimodalAndRange(t *testing.T) {
	h := NewHistogram()
	for range 990 {
		h.Record(100 * time.Microsecond)
	}
	for range 10 {
		h.Record(20 * time.Millisecond)
	}
	if got := h.Quantile(0.5); !within(got, 100*time.Microsecond, 0.01) {
		t.Errorf("p50 = %v", got)
	}
	if got := h.Quantile(0.99); !within(got, 100*time.Microsecond, 0.01) {
		t.Errorf("p99 = %v", got)
	}
	if got := h.Quantile(0.995); !within(got, 20*time.Millisecond, 0.01) {
		t.Errorf("p99.5 = %v", got)
	}

	// Extremes are clamped to the range and stay exact at the edges.
	e := NewHistogram()
	e.Record(100 * time.Nanosecond)
	e.Record(-5)
	e.Record(time.Hour)
	if e.Min() != 0 || e.Max() != 100*time.Second {
		t.Errorf("min/max = %v/%v", e.Min(), e.Max())
	}
	if got := e.Quantile(0.5); got != 100*time.Nanosecond {
		t.Errorf("p50 = %v, want 100ns", got)
	}
	if got := e.Quantile(1); got != 100*time.Second {
		t.Errorf("max = %v, want 100s", got)
	}

	var empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Count() != 0 || empty.Mean() != 0 {
		t.Error("empty histogram not zero")
	}
}

func TestHistogramMerge(t *testing.T) {
	a, b, all := NewHistogram(), NewHistogram(), NewHistogram()
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i*i) * time.Nanosecond * 37
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	m := NewHistogram()
	m.Merge(a)
	m.Merge(b)
	m.Merge(nil)
	m.Merge(NewHistogram())
	if *m != *all {
		t.Fatal("merge of halves differs from the histogram of everything")
	}
	m.Reset()
	if m.Count() != 0 {
		t.Fatal("Reset did not empty")
	}
}

func TestHistogramRecordNoAlloc(t *testing.T) {
	h := NewHistogram()
	d := time.Duration(1)
	if n := testing.AllocsPerRun(1000, func() { d = d*3 + 7; h.Record(d % (200 * time.Second)) }); n != 0 {
		t.Fatalf("Record allocates %v times", n)
	}
}

func TestMeter(t *testing.T) {
	m := StartMeter()
	deadline := time.Now().Add(60 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	_ = x
	h := NewHistogram()
	for i := 1; i <= 100; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	job := FileJob{RW: "randread", BS: 4096, QD: 8, Direct: true, Warm: false}
	r := m.Stop(job, "test", 1000, h)
	if r.Bench != "file" || r.Engine != "test" || r.RW != "randread" || r.BS != 4096 || r.QD != 8 || !r.Direct || r.Warm {
		t.Errorf("job fields not copied: %+v", r)
	}
	if r.Ops != 1000 || r.Seconds < 0.05 {
		t.Errorf("ops/seconds: %+v", r)
	}
	if r.IOPS <= 0 || math.Abs(r.IOPS-1000/r.Seconds) > 1e-6 {
		t.Errorf("IOPS = %v", r.IOPS)
	}
	if math.Abs(r.MiBs-r.IOPS*4096/(1<<20)) > 1e-6 {
		t.Errorf("MiBs = %v", r.MiBs)
	}
	if r.CPUUsPerOp <= 0 {
		t.Errorf("CPUUsPerOp = %v after a busy loop", r.CPUUsPerOp)
	}
	if r.Threads < 1 {
		t.Errorf("Threads = %d", r.Threads)
	}
	if r.P50Us < 49 || r.P50Us > 51 || r.P99Us < 98 || r.P99Us > 100 || r.P999Us < 99 || r.P999Us > 101 {
		t.Errorf("percentiles %v %v %v", r.P50Us, r.P99Us, r.P999Us)
	}
	// Stopped: frozen numbers, second Stop is harmless.
	r2 := m.Stop(job, "test", 1000, nil)
	if r2.Seconds != r.Seconds || m.CPUSeconds()*1e6/1000 != r.CPUUsPerOp || m.MaxThreads() != r.Threads {
		t.Errorf("second Stop differs: %+v vs %+v", r2, r)
	}
	if r2.P50Us != 0 {
		t.Errorf("nil histogram gave p50 %v", r2.P50Us)
	}
}

func TestMeterCountsThreads(t *testing.T) {
	if countThreads() < 1 {
		t.Skip("/proc/self/task not readable")
	}
	m := StartMeter()
	// Park 4 goroutines on locked OS threads: each holds its own thread.
	done := make(chan struct{})
	for range 4 {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			<-done
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(done)
	r := m.Stop(FileJob{}, "x", 0, nil)
	if r.Threads < 5 {
		t.Errorf("Threads = %d", r.Threads)
	}
	if r.IOPS != 0 || r.CPUUsPerOp != 0 {
		t.Errorf("zero ops gave %+v", r)
	}
}

// Threads left idle by earlier work in the process (Go never ends them)
// are not charged to a run.
func TestMeterIgnoresIdleThreads(t *testing.T) {
	if threadTimes() == nil {
		t.Skip("/proc/self/task/TID/schedstat not readable")
	}
	// 8 goroutines, each locked to its own thread and parked for the
	// whole measurement: their threads exist but never run.
	release := make(chan struct{})
	var ready sync.WaitGroup
	for range 8 {
		ready.Add(1)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ready.Done()
			<-release
		}()
	}
	ready.Wait()
	defer close(release)
	time.Sleep(20 * time.Millisecond) // let them reach the futex wait
	total := countThreads()
	m := StartMeter()
	x := 0
	for i := range 1_000_000 {
		x += i
	}
	_ = x
	time.Sleep(2 * threadSampleInterval)
	r := m.Stop(FileJob{}, "x", 1, nil)
	if r.Threads < 1 || r.Threads > total-8 {
		t.Errorf("Threads = %d of the process's %d, 8 of them parked all along", r.Threads, total)
	}
}
