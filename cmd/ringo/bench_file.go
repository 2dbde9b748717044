package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo"
	"github.com/ringo-io/ringo/internal/bench"
	"github.com/ringo-io/ringo/uring"
)

// parseSize parses "4k", "1m", "1g", "512" (binary units).
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "ib"), "b")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult, t = 1<<10, t[:n-1]
		case 'm':
			mult, t = 1<<20, t[:n-1]
		case 'g':
			mult, t = 1<<30, t[:n-1]
		case 't':
			mult, t = 1<<40, t[:n-1]
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	if v > math.MaxInt64/mult {
		return 0, fmt.Errorf("bad size %q: too large", s)
	}
	return v * mult, nil
}

// fileEngine returns the named engine.
func fileEngine(name string) (bench.FileEngine, error) {
	switch name {
	case "uring":
		return bench.UringEngine{}, nil
	case "uring-fixed":
		return bench.UringEngine{Fixed: true}, nil
	case "uring-nofixed":
		return bench.UringEngine{NoFixed: true}, nil
	case "uring-mapped":
		return bench.UringEngine{Opts: []ringo.Option{ringo.WithMappedReads()}, Variant: "mapped"}, nil
	case "uring-thread":
		return bench.UringEngine{Opts: []ringo.Option{ringo.WithReaper(ringo.ReaperThread)}, Variant: "thread"}, nil
	case "uring-loop":
		return bench.UringEngine{Opts: []ringo.Option{ringo.WithReaper(ringo.ReaperLoop)}, Variant: "loop"}, nil
	case "uring-sqpoll":
		return bench.UringEngine{Opts: []ringo.Option{ringo.WithSQPoll(50 * time.Millisecond)}, Variant: "sqpoll"}, nil
	case "uring-coop":
		return bench.UringEngine{Opts: []ringo.Option{ringo.WithSetupFlags(uring.SetupCoopTaskrun)}, Variant: "coop"}, nil
	case "uring-2rings":
		return bench.UringEngine{Opts: []ringo.Option{ringo.WithRings(2)}, Variant: "2rings"}, nil
	case "os":
		return bench.OSEngine{}, nil
	case "aio":
		return bench.AIOEngine{}, nil
	case "ring":
		return bench.RingEngine{}, nil
	case "fio":
		return bench.FioEngine{}, nil
	case "fio-libaio":
		return bench.FioEngine{IOEngine: "libaio"}, nil
	case "fio-psync":
		return bench.FioEngine{IOEngine: "psync"}, nil
	}
	return nil, fmt.Errorf("unknown engine %q (want uring, uring-fixed, uring-nofixed, uring-mapped, os, aio, ring, fio, fio-libaio, fio-psync)", name)
}

// benchDir picks a directory on a real disk for the test file: the temp
// directory unless it is a memory filesystem, else /var/tmp.
func benchDir() string {
	for _, d := range []string{os.TempDir(), "/var/tmp"} {
		if mem, err := onMemoryFS(d); err == nil && !mem {
			return d
		}
	}
	return os.TempDir()
}

// onMemoryFS reports whether dir is on tmpfs or ramfs.
func onMemoryFS(dir string) (bool, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return false, err
	}
	return st.Type == 0x01021994 /* tmpfs */ || st.Type == 0x858458f6 /* ramfs */, nil
}

// tempTestFile is the path of this process's temporary test file, in
// benchDir.
func tempTestFile() string {
	return filepath.Join(benchDir(), fmt.Sprintf("ringo-bench-%d.dat", os.Getpid()))
}

// testFile makes the benchmark file with bench.PrepareFile: path, or a
// temporary file (tempTestFile) when path is "", which the returned
// cleanup removes. It is not for a user's existing file, which is used as
// it is. When ctx is done first it returns ctx's error, having removed
// what it made; its other errors are bad input.
func testFile(ctx context.Context, path string, size int64) (string, func(), error) {
	cleanup := func() {}
	if path == "" {
		path = tempTestFile()
		cleanup = func() { os.Remove(path) }
	}
	if err := bench.PrepareFile(ctx, path, size); err != nil {
		cleanup()
		if ctx.Err() != nil {
			return "", func() {}, ctx.Err()
		}
		return "", func() {}, badInput("%v", err)
	}
	return path, cleanup, nil
}

// fmtSize formats a byte count for messages: "512 MiB", "1.5 GiB", "1000 B".
func fmtSize(n int64) string {
	for _, u := range []struct {
		unit  string
		bytes int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.bytes {
			if n%u.bytes == 0 {
				return fmt.Sprintf("%d %s", n/u.bytes, u.unit)
			}
			return fmt.Sprintf("%.1f %s", float64(n)/float64(u.bytes), u.unit)
		}
	}
	return fmt.Sprintf("%d B", n)
}

// checkPlot checks a --plot path before the run (bench.CheckPlotPath).
func checkPlot(path string) error {
	if path == "" {
		return nil
	}
	if err := bench.CheckPlotPath(path); err != nil {
		return badInput("--%v", err) // "--plot x.png: only .svg is supported"
	}
	return nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// checkAccess opens path once as the workload rw needs it (read-only for
// the read-only workloads), so that a file the engines could not open is
// one clear error before the run instead of an error in every row.
func checkAccess(path, rw string) error {
	flag := os.O_RDWR
	if bench.ReadOnly(rw) {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		how := "reading and writing (--rw " + rw + ")"
		if flag == os.O_RDONLY {
			how = "reading"
		}
		return badInput("--file %s: cannot open it for %s: %v", path, how, err)
	}
	return f.Close()
}

// checkDirectAlign refuses a --bs that O_DIRECT cannot use on path (or,
// when it does not exist yet, on its filesystem): offsets and lengths are
// multiples of bs, so bs must be a multiple of bench.DirectAlign.
func checkDirectAlign(path string, bs int64) error {
	if a := bench.DirectAlign(path); a > 0 && bs%a != 0 {
		return badInput("--bs %d: --direct on %s needs a multiple of %d bytes", bs, filepath.Dir(path), a)
	}
	return nil
}

// interruptible returns a context cancelled by Ctrl-C or SIGTERM.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

const benchFileUsage = `usage: ringo bench file [flags]

Runs one file workload (or one per --sweep-qd depth) on every engine and
prints a table, then ringo's IOPS and CPU/op ratios to the others.

engines:
  uring       ringo: --qd goroutines calling ringo.File.ReadAt/WriteAt
              (uring-fixed, uring-nofixed: registered buffers or not;
              uring-mapped: WithMappedReads, hot read-only files copied
              from a leased mapping)
  os          --qd goroutines calling os.File.ReadAt/WriteAt
  aio         Linux native AIO (io_submit/io_getevents) from one goroutine
  ring        one raw io_uring ring (package uring) driven from one thread
              the way aio drives AIO: what io_uring itself reaches here,
              so that uring/ring is the cost of ringo's goroutine engine
  fio         fio's io_uring engine (fio-libaio, fio-psync: other engines)

On a noisy machine use --rounds 3 or more: the engines then run in turn,
round after round, and each row is the engine's median run.

flags:
`

func cmdBenchFile(args []string) error {
	fs := flag.NewFlagSet("bench file", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchFileUsage)
		fs.PrintDefaults()
	}
	engine := fs.String("engine", "", "one engine (same as --engines with one name)")
	engines := fs.String("engines", "uring,os,aio,fio", "engines to compare: uring, uring-fixed, uring-nofixed, uring-mapped, os, aio, ring, fio, fio-libaio, fio-psync")
	rw := fs.String("rw", "randread", "randread | randwrite | read | write | randrw")
	mix := fs.Int("mix", 50, "randrw: percent reads")
	bsFlag := fs.String("bs", "4k", "block size")
	qd := fs.Int("qd", 32, "queue depth (requests in flight)")
	sweep := fs.String("sweep-qd", "", "comma-separated queue depths to sweep, e.g. 1,4,16,64")
	direct := fs.Bool("direct", false, "O_DIRECT")
	warm := fs.Bool("warm", false, "keep the page cache (default: evict the file's pages first, as fio does)")
	sizeFlag := fs.String("size", "1g", "bytes of the file to use: a new file is made this size; an existing --file is used whole unless --size is given, and never grown")
	file := fs.String("file", "", "file to use (default: a temporary file, removed afterwards); a missing one is created and kept, an existing one is read (and written by write workloads) within its size")
	duration := fs.Duration("duration", 5*time.Second, "time per run")
	rounds := fs.Int("rounds", 1, "runs per engine, interleaved across engines; each row is the median run")
	asJSON := fs.Bool("json", false, "one JSON object per result line")
	plot := fs.String("plot", "", "write an SVG chart of IOPS and CPU/op against queue depth")
	cpuprofile := fs.String("cpuprofile", "", "write a Go CPU profile of the run")
	schedBatch := fs.Bool("sched-batch", false, "run the process under SCHED_BATCH (ringo.SetBatchScheduling; as chrt --batch 0 does)")
	if err := fs.Parse(args); err != nil {
		return badInput("%v", err)
	}
	if fs.NArg() > 0 {
		return badInput("bench file: unexpected argument %q (the workload is a flag: --rw %s)", fs.Arg(0), fs.Arg(0))
	}
	if *engine != "" {
		*engines = *engine
	}
	if err := batchIf(*schedBatch); err != nil {
		return err
	}
	var engs []bench.FileEngine
	for _, name := range strings.Split(*engines, ",") {
		e, err := fileEngine(strings.TrimSpace(name))
		if err != nil {
			return badInput("%v", err)
		}
		engs = append(engs, e)
	}
	bs, err := parseSize(*bsFlag)
	if err != nil || bs > 64<<20 {
		return badInput("--bs %q: want a size up to 64m", *bsFlag)
	}
	size, err := parseSize(*sizeFlag)
	if err != nil {
		return badInput("--size: %v", err)
	}
	qds := []int{*qd}
	if *sweep != "" {
		qds = nil
		for _, s := range strings.Split(*sweep, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || v < 1 || v > 1024 {
				return badInput("--sweep-qd: bad queue depth %q (want 1..1024)", s)
			}
			qds = append(qds, v)
		}
	}
	if *qd < 1 || *qd > 1024 {
		return badInput("--qd %d: want 1..1024", *qd)
	}
	if *duration <= 0 {
		return badInput("--duration must be positive")
	}
	if *rounds < 1 {
		return badInput("--rounds %d: want 1 or more", *rounds)
	}
	switch *rw {
	case "randread", "randwrite", "read", "write", "randrw":
	default:
		return badInput("--rw %q: want randread, randwrite, read, write or randrw", *rw)
	}
	if *mix < 0 || *mix > 100 {
		return badInput("--mix %d: want 0..100", *mix)
	}
	// A user's existing file is used as it is: never grown, never filled.
	// Without --size, all of it is used.
	existing := false
	if *file != "" {
		switch st, err := os.Stat(*file); {
		case err == nil:
			if !st.Mode().IsRegular() {
				return badInput("--file %s: not a regular file", *file)
			}
			existing = true
			switch {
			case st.Size() == 0:
				return badInput("--file %s is empty; give a file with data, or a new file name (ringo creates it with --size bytes)", *file)
			case !flagSet(fs, "size"):
				size = st.Size()
			case size > st.Size():
				return badInput("--size %s is larger than --file %s (%s); ringo does not grow an existing file: give --size %s or less, or no --size to use it whole", *sizeFlag, *file, fmtSize(st.Size()), fmtSize(st.Size()))
			}
			if err := checkAccess(*file, *rw); err != nil {
				return err
			}
		case errors.Is(err, os.ErrNotExist):
		default:
			return badInput("--file: %v", err)
		}
	}
	if bs > size {
		what := "--size " + *sizeFlag
		if !flagSet(fs, "size") && existing {
			what = fmt.Sprintf("the %s of --file %s", fmtSize(size), *file)
		}
		return badInput("--bs %s is larger than %s", *bsFlag, what)
	}
	for _, q := range qds {
		if int64(q)*bs > bench.MaxInFlightBytes {
			return badInput("--qd %d × --bs %s needs %s of buffers; want at most %s (lower --qd or --bs)", q, *bsFlag, fmtSize(int64(q)*bs), fmtSize(bench.MaxInFlightBytes))
		}
	}
	if err := checkPlot(*plot); err != nil {
		return err
	}
	path := *file
	if path == "" {
		path = tempTestFile()
	}
	if *direct {
		// Refuse O_DIRECT on a memory filesystem before filling the file:
		// it would only waste --size bytes of RAM.
		if mem, err := onMemoryFS(filepath.Dir(path)); err == nil && mem {
			return badInput("--direct: %s is on a memory-backed filesystem (tmpfs/ramfs), where O_DIRECT measures nothing; use a file on a disk filesystem", path)
		}
		if existing {
			if err := bench.CheckDirect(path); err != nil {
				return badInput("--direct: %v", err)
			}
		}
		if err := checkDirectAlign(path, bs); err != nil {
			return err
		}
	}
	// Catch Ctrl-C before making the temporary file, so that it is removed
	// even when the interrupt comes while it is being filled.
	ctx, stop := interruptible()
	defer stop()
	if !existing {
		p, cleanup, err := testFile(ctx, *file, size)
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "ringo: interrupted while preparing the test file")
			return nil
		}
		if err != nil {
			return err
		}
		defer cleanup()
		path = p
		if *direct {
			// Now that the file exists its filesystem can say exactly.
			if err := bench.CheckDirect(path); err != nil {
				return badInput("--direct: %v", err)
			}
			if err := checkDirectAlign(path, bs); err != nil {
				return err
			}
		}
	}
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			return badInput("--cpuprofile: %v", err)
		}
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	var jobs []bench.FileJob
	for _, q := range qds {
		jobs = append(jobs, bench.FileJob{RW: *rw, Mix: *mix, BS: int(bs), QD: q, Direct: *direct, Warm: *warm,
			Size: size, Path: path, Duration: *duration})
	}
	rows, err := runFileJobs(ctx, jobs, engs, *rounds, *asJSON)
	if !*asJSON {
		label := *file
		if label == "" {
			label = "temporary"
		}
		fmt.Printf("machine: %s\nfile: %s, %s used\n", machine(), label, fmtSize(size))
		bench.PrintTable(os.Stdout, rows, fileBaselines...)
	}
	if *plot != "" && len(rows) > 0 {
		if perr := bench.WritePlot(*plot, rows, machineNoDate()); perr != nil {
			return perr
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "ringo: interrupted; the figures above are what was measured")
		return nil
	}
	return err
}

// fileBaselines are the engines ringo's file rows are compared with.
var fileBaselines = []string{"os", "aio", "fio", "ring"}

// runFileJobs runs every job on every engine, rounds times, with a
// progress line, and returns one row per job and engine: its median run
// (bench.MedianRun). The engines of a job take turns (round 1: e1, e2, …;
// round 2: e1, e2, …), so that a machine whose speed drifts over minutes
// weighs on every engine alike. An engine that fails, or measures
// nothing (fio not installed), is not run again: its row is the median of
// its good runs with the error in the note, or the failed run itself. On
// interruption the rows cover what was measured; a run cut short before
// it measured anything is dropped when the engine has other runs.
func runFileJobs(ctx context.Context, jobs []bench.FileJob, engs []bench.FileEngine, rounds int, asJSON bool) ([]bench.Result, error) {
	progress := bench.NewProgress(os.Stderr)
	defer progress.Done()
	rounds = max(rounds, 1)
	var rows []bench.Result
	for _, job := range jobs {
		runs := make([][]bench.Result, len(engs))
		failed := make([]*bench.Result, len(engs))
		stopped := make([]bool, len(engs))
	measure:
		for round := 1; round <= rounds; round++ {
			for i, e := range engs {
				if stopped[i] {
					continue
				}
				if ctx.Err() != nil {
					break measure
				}
				if rounds > 1 {
					progress.Update("file %s bs=%d qd=%d %s: %s, round %d/%d …", job.RW, job.BS, job.QD, cacheWord(job), e.Name(), round, rounds)
				} else {
					progress.Update("file %s bs=%d qd=%d %s: %s …", job.RW, job.BS, job.QD, cacheWord(job), e.Name())
				}
				r, err := e.Run(ctx, job)
				if r.Engine == "" {
					r.Engine = e.Name()
					r.Bench, r.RW, r.BS, r.QD, r.Direct, r.Warm = "file", job.RW, job.BS, job.QD, job.Direct, job.Warm
				}
				switch {
				case ctx.Err() != nil:
					if r.Ops > 0 || len(runs[i]) == 0 {
						runs[i] = append(runs[i], r)
					}
					break measure
				case err != nil:
					r.Note = "error: " + err.Error()
					failed[i] = &r
					stopped[i] = true
				default:
					runs[i] = append(runs[i], r)
					stopped[i] = r.Ops == 0
				}
			}
		}
		for i := range engs {
			var row bench.Result
			switch {
			case failed[i] != nil && len(runs[i]) == 0:
				row = *failed[i]
			case failed[i] != nil:
				row = bench.MedianRun(runs[i])
				row.Note = fmt.Sprintf("round %d %s", len(runs[i])+1, failed[i].Note)
			case len(runs[i]) > 0:
				row = bench.MedianRun(runs[i])
			default:
				continue // interrupted before its first run
			}
			rows = append(rows, row)
			if asJSON {
				bench.PrintJSON(os.Stdout, row)
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	return rows, nil
}

func cacheWord(j bench.FileJob) string {
	switch {
	case j.Direct:
		return "direct"
	case j.Warm:
		return "warm"
	}
	return "cold"
}

// machine describes this machine and the date, for tables.
func machine() string { return machineNoDate() + ", " + time.Now().Format("2006-01-02") }

// machineNoDate describes this machine (plots add the date themselves).
func machineNoDate() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				if i := strings.Index(line, ":"); i >= 0 {
					model = strings.TrimSpace(line[i+1:])
				}
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%d CPU (%s)%s, Linux %s, %s%s", runtime.NumCPU(), model, mem, kernelRelease(), runtime.Version(), schedNote())
}

// schedNote names the scheduling policy in the machine line when it is
// not the default (--sched-batch, or chrt): it moves the figures.
func schedNote() string {
	attr, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		return ""
	}
	switch attr.Policy {
	case unix.SCHED_NORMAL:
		return ""
	case unix.SCHED_BATCH:
		return ", SCHED_BATCH"
	default:
		return fmt.Sprintf(", scheduling policy %d", attr.Policy)
	}
}

// batchIf moves the process to SCHED_BATCH if on (--sched-batch).
func batchIf(on bool) error {
	if !on {
		return nil
	}
	if err := ringo.SetBatchScheduling(); err != nil {
		return fmt.Errorf("--sched-batch: %w", err)
	}
	return nil
}
