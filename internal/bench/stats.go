package bench

import (
	"errors"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Histogram layout (log-linear, in nanoseconds, like HdrHistogram):
//
//   - values below 2*histSub (256ns) have one exact bucket each;
//   - above that, every power of two is split into histSub (128) linear
//     sub-buckets, so a bucket is at most 1/128 (0.78%) of its value wide
//     and the bucket midpoint that Quantile reports is within 0.4%.
//
// The top bucket holds histMax (100s); larger values are clamped into it.
// The whole histogram is a fixed array (~31 KiB): Record never allocates.
const (
	histSubBits = 7
	histSub     = 1 << histSubBits // sub-buckets per power of two
	histMax     = int64(100 * time.Second)
)

var histBuckets = histIndex(histMax) + 1

// histLen is histBuckets as a constant (the array size needs one); checked
// in init.
const histLen = 3899

func init() {
	if histBuckets != histLen {
		panic("bench: histogram size mismatch")
	}
}

// Histogram records durations from 100ns (exact below 256ns) to 100s with
// about 1% precision. The zero value is ready to use; it is not safe for
// concurrent use: give each goroutine its own and Merge them at the end.
type Histogram struct {
	counts [histLen]int64
	n      int64
	sum    int64 // ns
	min    int64 // ns, valid when n > 0
	max    int64 // ns
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return new(Histogram) }

// histIndex maps a value in ns (0 <= v <= histMax) to its bucket.
func histIndex(v int64) int {
	if v < 2*histSub {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - (histSubBits + 1) // >= 1
	m := int(v >> uint(shift))                         // in [histSub, 2*histSub)
	return 2*histSub + (shift-1)*histSub + (m - histSub)
}

// histBounds returns the smallest and largest value (ns) of bucket i.
func histBounds(i int) (lo, hi int64) {
	if i < 2*histSub {
		return int64(i), int64(i)
	}
	k := i - 2*histSub
	shift := uint(k/histSub + 1)
	m := int64(k%histSub + histSub)
	return m << shift, (m+1)<<shift - 1
}

// Record adds one duration. Negative durations count as 0, durations above
// 100s as 100s.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	} else if v > histMax {
		v = histMax
	}
	h.counts[histIndex(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += v
}

// Merge adds all of o's samples to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Reset empties the histogram.
func (h *Histogram) Reset() { *h = Histogram{} }

// Count is the number of recorded samples.
func (h *Histogram) Count() int64 { return h.n }

// Min is the smallest recorded sample (0 when empty).
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max is the largest recorded sample (0 when empty).
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean is the exact mean of the recorded samples (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / h.n)
}

// Quantile returns the q-quantile (0 <= q <= 1), e.g. 0.99 for p99: the
// midpoint of the bucket holding the ceil(q*Count())-th smallest sample,
// clamped to [Min, Max] (exactly Min and Max for the first and last
// sample). It returns 0 when the histogram is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	if math.IsNaN(q) || q < 0 {
		q = 0
	} else if q > 1 {
		q = 1
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	switch {
	case rank <= 1:
		return time.Duration(h.min) // exact
	case rank >= h.n:
		return time.Duration(h.max) // exact
	}
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := histBounds(i)
			v := lo + (hi-lo)/2
			if v < h.min {
				v = h.min
			}
			if v > h.max {
				v = h.max
			}
			return time.Duration(v)
		}
	}
	return time.Duration(h.max)
}

// Meter measures one benchmark run of the current process: wall clock,
// process CPU time (user+system, all threads) and the OS threads the run
// used.
//
// Threads are counted as those that ran during the measurement: their
// on-CPU time (/proc/self/task/TID/schedstat) grew, or they appeared. The
// Go runtime never ends an idle thread, so a plain count of the process's
// threads would charge a run with every thread an earlier engine in the
// same process left behind (the os engine leaves dozens). Threads that
// both start and end between two samples (every threadSampleInterval) are
// missed. Where schedstat cannot be read, the largest thread count seen is
// used instead.
type Meter struct {
	wall0 time.Time
	cpu0  time.Duration

	mu      sync.Mutex
	base    map[int]uint64 // on-CPU ns per thread at StartMeter
	used    map[int]bool   // threads seen running since StartMeter
	noStats bool           // schedstat unreadable: count threads instead

	maxThreads atomic.Int64
	done       chan struct{}
	sampler    sync.WaitGroup

	stopOnce sync.Once
	stopped  atomic.Bool
	wall     time.Duration // frozen at Stop
	cpu      time.Duration // frozen at Stop
}

// threadSampleInterval is how often Meter looks at the process's OS
// threads. Reading every thread's schedstat costs a few system calls per
// thread, so it is kept rare enough not to show in CPU per op.
const threadSampleInterval = 50 * time.Millisecond

// StartMeter starts measuring now.
func StartMeter() *Meter {
	m := &Meter{done: make(chan struct{}), used: make(map[int]bool)}
	m.base = threadTimes()
	m.noStats = m.base == nil
	m.sampleThreads()
	m.sampler.Add(1)
	go m.sampleLoop()
	m.cpu0 = processCPU()
	m.wall0 = time.Now()
	return m
}

func (m *Meter) sampleLoop() {
	defer m.sampler.Done()
	t := time.NewTicker(threadSampleInterval)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
			m.sampleThreads()
		}
	}
}

func (m *Meter) sampleThreads() {
	n := 0
	if m.noStats {
		n = countThreads()
	} else {
		now := threadTimes()
		m.mu.Lock()
		for tid, ns := range now {
			if b, ok := m.base[tid]; !ok || ns > b {
				m.used[tid] = true
			}
		}
		n = len(m.used)
		m.mu.Unlock()
	}
	for {
		old := m.maxThreads.Load()
		if int64(n) <= old || m.maxThreads.CompareAndSwap(old, int64(n)) {
			return
		}
	}
}

// countThreads returns the number of OS threads of this process (entries
// of /proc/self/task), or 0 if that cannot be read.
func countThreads() int {
	names, err := taskIDs()
	if err != nil {
		return 0
	}
	return len(names)
}

func taskIDs() ([]string, error) {
	f, err := os.Open("/proc/self/task")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// threadTimes returns each thread's on-CPU time in nanoseconds (the first
// field of /proc/self/task/TID/schedstat), or nil if the kernel does not
// provide it. Threads that end while being read are skipped.
func threadTimes() map[int]uint64 {
	names, err := taskIDs()
	if err != nil {
		return nil
	}
	times := make(map[int]uint64, len(names))
	buf := make([]byte, 128)
	for _, name := range names {
		tid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		fd, err := unix.Open("/proc/self/task/"+name+"/schedstat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) {
			continue // the thread ended
		}
		if err != nil {
			return nil
		}
		n, err := unix.Read(fd, buf)
		unix.Close(fd)
		if err != nil || n <= 0 {
			continue
		}
		field, _, _ := strings.Cut(string(buf[:n]), " ")
		ns, err := strconv.ParseUint(strings.TrimSpace(field), 10, 64)
		if err != nil {
			return nil
		}
		times[tid] = ns
	}
	if len(times) == 0 {
		return nil
	}
	return times
}

// processCPU is the user+system CPU time used so far by all threads of the
// process.
func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// halt stops the sampler and freezes the measurements; safe to call twice.
func (m *Meter) halt() {
	m.stopOnce.Do(func() {
		m.cpu = processCPU() - m.cpu0
		m.wall = time.Since(m.wall0)
		close(m.done)
		m.sampler.Wait()
		m.sampleThreads()
		m.stopped.Store(true)
	})
}

// Stop ends the measurement (later calls return the same numbers) and
// builds the Result row of a file benchmark: ops operations of job.BS bytes
// each, latencies taken from h (which may be nil).
func (m *Meter) Stop(job FileJob, engine string, ops int64, h *Histogram) Result {
	m.halt()
	r := Result{
		Bench:   "file",
		Engine:  engine,
		RW:      job.RW,
		BS:      job.BS,
		QD:      job.QD,
		Direct:  job.Direct,
		Warm:    job.Warm,
		Ops:     ops,
		Seconds: m.WallSeconds(),
		Threads: m.MaxThreads(),
	}
	if r.Seconds > 0 {
		r.IOPS = float64(ops) / r.Seconds
		r.MiBs = float64(ops) * float64(job.BS) / (1 << 20) / r.Seconds
	}
	if ops > 0 {
		r.CPUUsPerOp = m.CPUSeconds() * 1e6 / float64(ops)
	}
	if h != nil && h.Count() > 0 {
		r.P50Us = us(h.Quantile(0.50))
		r.P99Us = us(h.Quantile(0.99))
		r.P999Us = us(h.Quantile(0.999))
	}
	return r
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// Elapsed is the wall-clock time since StartMeter, or up to Stop once
// stopped.
func (m *Meter) Elapsed() time.Duration {
	if m.stopped.Load() {
		return m.wall
	}
	return time.Since(m.wall0)
}

// WallSeconds is Elapsed in seconds.
func (m *Meter) WallSeconds() float64 { return m.Elapsed().Seconds() }

// CPU is the process CPU time (user+system) used since StartMeter, or up to
// Stop once stopped.
func (m *Meter) CPU() time.Duration {
	if m.stopped.Load() {
		return m.cpu
	}
	return processCPU() - m.cpu0
}

// CPUSeconds is CPU in seconds.
func (m *Meter) CPUSeconds() float64 { return m.CPU().Seconds() }

// MaxThreads is the number of OS threads seen running since StartMeter
// (see Meter), or, where per-thread CPU times are unavailable, the largest
// number of threads the process had.
func (m *Meter) MaxThreads() int { return int(m.maxThreads.Load()) }
