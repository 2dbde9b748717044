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

// cmdBenchSuite is `ringo bench` with no benchmark named: the README's
// main job. It needs no setup: it makes its own files in the temp
// directory (removed afterwards), installs fio/liburing where it can, and
// ends with one table of every figure and the ratios.
func cmdBenchSuite(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "a shorter suite (about 15 s)")
	asJSON := fs.Bool("json", false, "one JSON object per result line")
	plot := fs.String("plot", "", "write an SVG chart of the O_DIRECT queue-depth sweep")
	sizeFlag := fs.String("size", "", "test file size (default 512m; --quick 256m)")
	if err := fs.Parse(args); err != nil {
		return badInput("%v", err)
	}
	if fs.NArg() > 0 {
		return badInput("bench: unexpected argument %q", fs.Arg(0))
	}
	// The machine may drift by tens of percent from minute to minute, so
	// the full suite runs each file workload in 3 interleaved rounds of
	// shorter runs (about the time of the single 2 s run per engine it
	// used to make) and reports the median; --quick keeps one run.
	dur := 2 * time.Second
	fileDur, rounds := 600*time.Millisecond, 3
	size := int64(512 << 20)
	if *quick {
		dur = 500 * time.Millisecond
		fileDur, rounds = dur, 1
		size = 256 << 20
	}
	if *sizeFlag != "" {
		s, err := parseSize(*sizeFlag)
		if err != nil {
			return badInput("--size: %v", err)
		}
		size = s
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
	path, cleanup, err := testFile("", size)
	if err != nil {
		progress.Done()
		return err
	}
	defer cleanup()
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
	directOK := bench.CheckDirect(path) == nil
	if *quick {
		if directOK {
			plans = append(plans, plan{withRing, job(true, false, 32)})
		}
		plans = append(plans, plan{[]string{"uring", "os", "aio"}, job(false, false, 32)}, plan{[]string{"uring", "os"}, job(false, true, 32)})
	} else {
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
			plan{[]string{"uring", "os", "aio"}, job(false, true, 32)},
			plan{[]string{"uring", "os"}, job(false, true, 1)})
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
		sf := bench.SmallFilesJob{Dir: filepath.Join(filepath.Dir(path), fmt.Sprintf("ringo-bench-small-%d", os.Getpid())),
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
		fmt.Printf("ringo bench%s — machine: %s\n", map[bool]string{true: " --quick", false: ""}[*quick], machine())
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
