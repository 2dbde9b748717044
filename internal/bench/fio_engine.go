package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// defaultFioEngine is the fio ioengine used when FioEngine.IOEngine is "".
const defaultFioEngine = "io_uring"

// FioEngine runs a file job with fio, the reference tool, so every table
// has an outside yardstick. IOEngine is fio's --ioengine ("" means
// io_uring; libaio, psync, ... also work). Synchronous ioengines (psync,
// sync, pvsync, pvsync2, vsync) run QD fio threads (--numjobs=QD, one
// request each); the others run one thread with --iodepth=QD.
//
// The latency percentiles are fio's completion latency (clat), which for
// asynchronous ioengines leaves out the submission time (slat).
type FioEngine struct{ IOEngine string }

func (e FioEngine) ioengine() string {
	if e.IOEngine == "" {
		return defaultFioEngine
	}
	return e.IOEngine
}

// Name is "fio" for the default io_uring ioengine, "fio-"+IOEngine
// otherwise.
func (e FioEngine) Name() string {
	if e.ioengine() == defaultFioEngine {
		return "fio"
	}
	return "fio-" + e.IOEngine
}

// fioSyncEngines are the fio ioengines with one request in flight per job.
var fioSyncEngines = map[string]bool{"psync": true, "sync": true, "pvsync": true, "pvsync2": true, "vsync": true}

// fioArgs builds fio's command line for job.
func fioArgs(job FileJob, ioengine string) []string {
	direct := 0
	if job.Direct {
		direct = 1
	}
	invalidate := 1
	if job.Warm {
		invalidate = 0
	}
	args := []string{
		"--name=ringo",
		"--filename=" + fioEscape(job.Path),
		"--rw=" + job.RW,
		"--bs=" + strconv.Itoa(job.BS),
		"--direct=" + strconv.Itoa(direct),
		"--size=" + strconv.FormatInt(job.Size, 10),
		"--time_based",
		"--runtime=" + fioDuration(job.Duration),
		"--ioengine=" + ioengine,
	}
	if fioSyncEngines[ioengine] {
		args = append(args, "--iodepth=1", "--numjobs="+strconv.Itoa(job.QD), "--group_reporting")
	} else {
		args = append(args, "--iodepth="+strconv.Itoa(job.QD))
	}
	args = append(args, "--thread", "--output-format=json", "--invalidate="+strconv.Itoa(invalidate))
	if job.RW == "randrw" {
		args = append(args, "--rwmixread="+strconv.Itoa(job.Mix))
	}
	if strings.HasPrefix(job.RW, "rand") {
		// Uniform random offsets with repeats, like OffsetGen, instead of
		// fio's default of visiting every block once per pass.
		args = append(args, "--norandommap")
	}
	return args
}

// fioEscape escapes the colons of path for fio's --filename, which splits
// its value on ':' into several files unless the colon is written "\:"
// (fio removes the one backslash before a colon and keeps every other
// backslash, so no other character needs escaping).
func fioEscape(path string) string { return strings.ReplaceAll(path, ":", `\:`) }

// fioDuration formats d for fio's --runtime: whole seconds as "Ns", other
// durations in milliseconds.
func fioDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(max(1, int64(d/time.Millisecond)), 10) + "ms"
}

// Run runs fio on job. Without fio in PATH it returns a Result carrying
// only the note "fio not installed", and no error. The page cache is set
// as for the other engines (setCache: the job's region read in for warm
// jobs, the file dropped otherwise) before fio starts. Threads is the
// largest number of threads the fio process was seen to have while it
// ran (its /proc/PID/task entries, sampled), 0 if it ended before the
// first sample.
func (e FioEngine) Run(ctx context.Context, job FileJob) (Result, error) {
	name := e.Name()
	blank := Result{Bench: "file", Engine: name, RW: job.RW, BS: job.BS, QD: job.QD, Direct: job.Direct, Warm: job.Warm}
	bin, err := exec.LookPath("fio")
	if err != nil {
		blank.Note = "fio not installed"
		return blank, nil
	}
	if err := validateFileJob(job); err != nil {
		return Result{}, err
	}
	if err := setCache(job); err != nil {
		return blank, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, fioArgs(job, e.ioengine())...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return blank, fmt.Errorf("fio: %w", err)
	}
	threads := watchThreads(cmd.Process.Pid)
	err = cmd.Wait()
	nthreads := threads.stop()
	if err != nil {
		if ctx.Err() != nil {
			return blank, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		return blank, fmt.Errorf("fio: %v: %s", err, msg)
	}
	r, err := parseFioJSON(stdout.Bytes(), job, name)
	if err != nil {
		return blank, err
	}
	r.Threads = nthreads
	return r, nil
}

// fioThreadSample is how often watchThreads counts the child's threads.
const fioThreadSample = 10 * time.Millisecond

// threadWatch samples the thread count of a child process.
type threadWatch struct {
	done chan struct{}
	max  chan int
}

// watchThreads starts counting the threads of the child process pid (not
// yet waited for) every fioThreadSample, until stop. It holds a descriptor
// of the process's /proc directory, opened now while pid cannot have been
// reused, so that samples taken after the child has ended and been reaped
// never count another process's threads. The first sample is taken before
// it returns.
func watchThreads(pid int) *threadWatch {
	w := &threadWatch{done: make(chan struct{}), max: make(chan int, 1)}
	dirfd, err := unix.Open("/proc/"+strconv.Itoa(pid), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		w.max <- 0
		return w
	}
	most := countTasks(dirfd) // a first sample now, however short the run
	go func() {
		defer unix.Close(dirfd)
		t := time.NewTicker(fioThreadSample)
		defer t.Stop()
		for {
			most = max(most, countTasks(dirfd))
			select {
			case <-w.done:
				w.max <- most
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// stop ends the sampling and returns the largest count seen.
func (w *threadWatch) stop() int {
	close(w.done)
	return <-w.max
}

// countTasks returns the number of entries of the "task" directory under
// the /proc/PID directory procDir, 0 if it cannot be read (the process has
// ended).
func countTasks(procDir int) int {
	fd, err := unix.Openat(procDir, "task", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	f := os.NewFile(uintptr(fd), "task")
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return 0
	}
	return len(names)
}

// fioOutput is the part of fio's --output-format=json that we read.
type fioOutput struct {
	Version string   `json:"fio version"`
	Jobs    []fioJob `json:"jobs"`
}

type fioJob struct {
	Name       string  `json:"jobname"`
	Error      int     `json:"error"`
	JobRuntime float64 `json:"job_runtime"` // ms, summed over the jobs of a group
	UsrCPU     float64 `json:"usr_cpu"`     // percent of JobRuntime
	SysCPU     float64 `json:"sys_cpu"`     // percent of JobRuntime
	Read       fioDir  `json:"read"`
	Write      fioDir  `json:"write"`
}

type fioDir struct {
	IOBytes  float64 `json:"io_bytes"`
	BwBytes  float64 `json:"bw_bytes"`
	IOPS     float64 `json:"iops"`
	Runtime  float64 `json:"runtime"` // ms
	TotalIOs float64 `json:"total_ios"`
	Clat     struct {
		N          float64            `json:"N"`
		Percentile map[string]float64 `json:"percentile"`
	} `json:"clat_ns"`
}

// parseFioJSON turns fio's JSON output into a Result for job (without
// Threads). Text before the JSON object (fio sometimes prints notes on
// stdout) is skipped.
func parseFioJSON(data []byte, job FileJob, engine string) (Result, error) {
	i := bytes.IndexByte(data, '{')
	if i < 0 {
		return Result{}, errors.New("fio: no JSON in output")
	}
	var out fioOutput
	if err := json.Unmarshal(data[i:], &out); err != nil {
		return Result{}, fmt.Errorf("fio: parsing JSON output: %w", err)
	}
	if len(out.Jobs) == 0 {
		return Result{}, errors.New("fio: no jobs in JSON output")
	}
	r := Result{Bench: "file", Engine: engine, RW: job.RW, BS: job.BS, QD: job.QD, Direct: job.Direct, Warm: job.Warm}
	var (
		ops, cpuSec, bw, runtimeMs float64
		dists                      []fioDist
	)
	for _, j := range out.Jobs {
		if j.Error != 0 {
			return Result{}, fmt.Errorf("fio: job %s failed with error %d", j.Name, j.Error)
		}
		cpuSec += (j.UsrCPU + j.SysCPU) / 100 * j.JobRuntime / 1000
		for _, d := range []*fioDir{&j.Read, &j.Write} {
			ops += d.TotalIOs
			r.IOPS += d.IOPS
			bw += d.BwBytes
			runtimeMs = max(runtimeMs, d.Runtime)
			if d.Clat.N > 0 && len(d.Clat.Percentile) > 0 {
				dists = append(dists, newFioDist(d.Clat.N, d.Clat.Percentile))
			}
		}
	}
	r.Ops = int64(ops)
	r.Seconds = runtimeMs / 1000
	r.MiBs = bw / (1 << 20)
	if ops > 0 {
		r.CPUUsPerOp = cpuSec * 1e6 / ops
	}
	r.P50Us = fioQuantile(dists, 50) / 1000
	r.P99Us = fioQuantile(dists, 99) / 1000
	r.P999Us = fioQuantile(dists, 99.9) / 1000
	return r, nil
}

// fioDist is one latency distribution as fio reports it: sample count and
// value (ns) at a list of percentiles.
type fioDist struct {
	n    float64
	pcts []float64 // ascending
	vals []float64 // vals[i] is the pcts[i]-th percentile
}

func newFioDist(n float64, m map[string]float64) fioDist {
	d := fioDist{n: n}
	for k, v := range m {
		p, err := strconv.ParseFloat(k, 64)
		if err != nil {
			continue
		}
		d.pcts = append(d.pcts, p)
		d.vals = append(d.vals, v)
	}
	idx := make([]int, len(d.pcts))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return d.pcts[idx[a]] < d.pcts[idx[b]] })
	p, v := make([]float64, len(idx)), make([]float64, len(idx))
	for i, j := range idx {
		p[i], v[i] = d.pcts[j], d.vals[j]
	}
	d.pcts, d.vals = p, v
	return d
}

// cdf is the fraction (percent) of samples at or below x, as far as the
// reported percentiles tell.
func (d fioDist) cdf(x float64) float64 {
	c := 0.0
	for i, v := range d.vals {
		if v <= x {
			c = max(c, d.pcts[i])
		}
	}
	return c
}

// fioQuantile returns the p-th percentile (ns) of the union of dists. With
// one distribution it is exactly what fio reported; for a read/write mix it
// is the smallest reported value at which the count-weighted mixture of
// the distributions reaches p. It returns 0 without data.
func fioQuantile(dists []fioDist, p float64) float64 {
	var total float64
	var cands []float64
	for _, d := range dists {
		total += d.n
		cands = append(cands, d.vals...)
	}
	if total == 0 || len(cands) == 0 {
		return 0
	}
	sort.Float64s(cands)
	for _, x := range cands {
		var c float64
		for _, d := range dists {
			c += d.n * d.cdf(x)
		}
		if c/total >= p-1e-9 {
			return x
		}
	}
	return cands[len(cands)-1]
}
