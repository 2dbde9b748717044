package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/ringo-io/ringo/internal/bench"
	"github.com/ringo-io/ringo/internal/cref"
	"github.com/ringo-io/ringo/uring"
)

// The suite's test file: suiteSize (suiteQuickSize with --quick), or half
// the free space of its filesystem when that is less, but never under
// suiteMinSize.
const (
	suiteSize      = 512 << 20
	suiteQuickSize = 256 << 20
	suiteMinSize   = 64 << 20
)

// suiteFileSize chooses the size of the suite's test file, in dir with
// free bytes available: want when explicit (the user's --size), if it
// fits; otherwise want or half the free space, whichever is less, in
// whole MiB, and at least suiteMinSize. What does not fit is bad input.
func suiteFileSize(want int64, explicit bool, free int64, dir string) (int64, error) {
	if explicit {
		if want > free {
			return 0, badInput("--size %s does not fit: only %s free on %s", fmtSize(want), fmtSize(free), dir)
		}
		return want, nil
	}
	size := min(want, free/2) &^ (1<<20 - 1)
	if size < suiteMinSize {
		return 0, badInput("the suite needs a test file of at least %s, twice that free, and only %s is free on %s; free some space or point TMPDIR to a larger disk", fmtSize(suiteMinSize), fmtSize(free), dir)
	}
	return size, nil
}

// cmdBenchSuite is `ringo bench` with no benchmark named: the README's
// main job. It needs no setup: it makes its own files in the temp
// directory (removed afterwards), installs fio/liburing where it can, and
// ends with one table of every figure and the ratios.
func cmdBenchSuite(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "a shorter suite (about 15 s)")
	asJSON := fs.Bool("json", false, "one JSON object per result line")
	plot := fs.String("plot", "", "write an SVG chart of the O_DIRECT queue-depth sweep")
	sizeFlag := fs.String("size", "", "test file size (default 512m, --quick 256m, or half the free space of the temporary directory if less, 64m at least)")
	schedBatch := fs.Bool("sched-batch", false, "run the process under SCHED_BATCH (ringo.SetBatchScheduling; as chrt --batch 0 does)")
	if err := fs.Parse(args); err != nil {
		return badInput("%v", err)
	}
	if fs.NArg() > 0 {
		return badInput("bench: unexpected argument %q", fs.Arg(0))
	}
	if err := batchIf(*schedBatch); err != nil {
		return err
	}
	if err := checkPlot(*plot); err != nil {
		return err
	}
	// The machine may drift by tens of percent from minute to minute, so
	// the full suite runs each file workload in 3 interleaved rounds of
	// shorter runs (about the time of the single 2 s run per engine it
	// used to make) and reports the median; --quick keeps one run.
	dur := 2 * time.Second
	fileDur, rounds := 600*time.Millisecond, 3
	want := int64(suiteSize)
	if *quick {
		dur = 500 * time.Millisecond
		fileDur, rounds = dur, 1
		want = suiteQuickSize
	}
	explicit := *sizeFlag != ""
	if explicit {
		s, err := parseSize(*sizeFlag)
		if err != nil {
			return badInput("--size: %v", err)
		}
		if s < 4096 {
			return badInput("--size %s: want at least 4k (one block)", *sizeFlag)
		}
		want = s
	}
	// The test file's size is settled before anything runs, so that a
	// small disk is one clear line, not an error after the first steps.
	dir := benchDir()
	free, err := bench.FreeSpace(dir)
	if err != nil {
		return badInput("temporary directory: %v", err)
	}
	size, err := suiteFileSize(want, explicit, free, dir)
	if err != nil {
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	progress := bench.NewProgress(os.Stderr)

	if _, err := exec.LookPath("fio"); err != nil {
		progress.Update("installing fio …")
		cref.Install("fio")
	}

	var rows []bench.Result
	emit := func(rs ...bench.Result) {
		rows = append(rows, rs...)
		if *asJSON {
			for _, r := range rs {
				bench.PrintJSON(os.Stdout, r)
			}
		}
	}

	// 1. NOP round trips through the raw ring, against C liburing.
	nopOps := int64(2_000_000)
	batches := []int{1, 32}
	if *quick {
		nopOps = 500_000
		batches = []int{32}
	}
	for _, b := range batches {
		for _, flags := range []uint32{0, uring.SetupSingleIssuer} {
			if ctx.Err() != nil {
				break
			}
			progress.Update("nop batch=%d %s …", b, uring.SetupFlagsString(flags))
			rs, err := benchNop(b, nopOps, flags, 1, true)
			if err != nil {
				progress.Done()
				return err
			}
			emit(rs...)
		}
	}

	// 2. File I/O on one test file, every engine side by side.
	path := ""
	if ctx.Err() == nil {
		progress.Update("preparing a %s test file in %s …", fmtSize(size), dir)
		p, cleanup, err := testFile(ctx, "", size)
		if err != nil && ctx.Err() == nil {
			progress.Done()
			return err
		}
		defer cleanup()
		path = p
	}
	all := []string{"uring", "os", "aio", "fio"}
	// The raw ring joins the O_DIRECT qd32 comparison only: there its row
	// shows how close ringo's engine comes to io_uring itself.
	withRing := []string{"uring", "os", "aio", "ring", "fio"}
	type plan struct {
		engines []string
		job     bench.FileJob
	}
	job := func(direct, warm bool, qd int) bench.FileJob {
		return bench.FileJob{RW: "randread", BS: 4096, QD: qd, Direct: direct, Warm: warm, Size: size, Path: path, Duration: fileDur}
	}
	var plans []plan
	directOK := path != "" && bench.CheckDirect(path) == nil
	switch {
	case path == "": // interrupted while preparing it
	case *quick:
		if directOK {
			plans = append(plans, plan{withRing, job(true, false, 32)})
		}
		plans = append(plans, plan{[]string{"uring", "os", "aio"}, job(false, false, 32)}, plan{[]string{"uring", "uring-mapped", "os"}, job(false, true, 32)})
	default:
		if directOK {
			for _, qd := range []int{1, 32, 128} {
				engines := all
				if qd == 32 {
					engines = withRing
				}
				plans = append(plans, plan{engines, job(true, false, qd)})
			}
		}
		plans = append(plans, plan{all, job(false, false, 32)},
			plan{[]string{"uring", "uring-mapped", "os", "aio"}, job(false, true, 32)},
			plan{[]string{"uring", "uring-mapped", "os"}, job(false, true, 1)})
	}
	for _, p := range plans {
		var engs []bench.FileEngine
		for _, n := range p.engines {
			e, _ := fileEngine(n)
			engs = append(engs, e)
		}
		progress.Done()
		rs, _ := runFileJobs(ctx, []bench.FileJob{p.job}, engs, rounds, false)
		emit(rs...)
	}

	// 3. Many small files, read whole.
	if ctx.Err() == nil {
		sf := bench.SmallFilesJob{Dir: filepath.Join(dir, fmt.Sprintf("ringo-bench-small-%d", os.Getpid())),
			Count: 2000, FileSize: 4096, QD: 32, Duration: dur}
		if *quick {
			sf.Count = 500
		}
		defer os.RemoveAll(sf.Dir)
		progress.Update("smallfiles: creating %d files …", sf.Count)
		if err := bench.PrepareSmallFiles(sf); err == nil {
			for _, run := range []func() (bench.Result, error){
				func() (bench.Result, error) { return bench.SmallFilesRingo(ctx, sf) },
				func() (bench.Result, error) { return bench.SmallFilesOS(ctx, sf) },
			} {
				progress.Update("smallfiles qd=%d …", sf.QD)
				r, err := run()
				if err != nil && ctx.Err() == nil {
					r.Note = "error: " + err.Error()
				}
				emit(r)
			}
		}
	}
	progress.Done()
	if !*asJSON {
		fmt.Printf("ringo bench%s — machine: %s — test file: %s in %s\n", map[bool]string{true: " --quick", false: ""}[*quick], machine(), fmtSize(size), dir)
		bench.PrintTable(os.Stdout, rows, "os", "aio", "fio", "ring", "c-liburing")
	}
	if *plot != "" {
		var sweep []bench.Result
		for _, r := range rows {
			if r.Bench == "file" && r.Direct && r.Note == "" {
				sweep = append(sweep, r)
			}
		}
		if err := bench.WritePlot(*plot, sweep, machineNoDate()); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "ringo: interrupted; the figures above are what was measured")
	}
	return nil
}
