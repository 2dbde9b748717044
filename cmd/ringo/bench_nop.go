package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/ringo-io/ringo/internal/bench"
	"github.com/ringo-io/ringo/internal/cref"
	"github.com/ringo-io/ringo/uring"
)

// parseSetup turns "single-issuer,defer-taskrun" into setup flags.
func parseSetup(s string) (uint32, error) {
	var flags uint32
	if s == "" || s == "none" {
		return 0, nil
	}
	for _, name := range strings.Split(s, ",") {
		key := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(name), "-", "_"))
		found := false
		for _, f := range uring.SetupFlagNames {
			if f.Name == key {
				flags |= f.Flag
				found = true
			}
		}
		if !found {
			var names []string
			for _, f := range uring.SetupFlagNames {
				names = append(names, strings.ToLower(strings.ReplaceAll(f.Name, "_", "-")))
			}
			return 0, fmt.Errorf("unknown setup flag %q (known: %s)", name, strings.Join(names, ", "))
		}
	}
	if flags&uring.SetupDeferTaskrun != 0 {
		flags |= uring.SetupSingleIssuer
	}
	return flags, nil
}

// nopRun measures NOP round trips through the raw ring, exactly the loop
// of ../shared/ref/nop.c: batch SQEs, one submit-and-wait, reap them all.
func nopRun(batch int, ops int64, flags uint32) (time.Duration, int64, error) {
	// The ring's fd is registered, and SINGLE_ISSUER/DEFER_TASKRUN bind
	// the ring to one thread: stay on it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	entries := uint32(max(8, batch*2))
	r, err := uring.New(entries, &uring.Params{Flags: flags})
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	if err := r.RegisterRingFd(); err != nil {
		return 0, 0, err
	}
	cqes := make([]*uring.CQE, batch)
	var done int64
	start := time.Now()
	for done < ops {
		for i := range batch {
			sqe := r.GetSQE()
			sqe.PrepNop()
			sqe.UserData = uint64(i)
		}
		if _, err := r.SubmitAndWait(uint32(batch)); err != nil {
			return 0, done, err
		}
		n := r.PeekBatchCQE(cqes)
		r.CQAdvance(uint32(n))
		done += int64(n)
	}
	return time.Since(start), done, nil
}

func cmdBenchNop(args []string) error {
	fs := flag.NewFlagSet("bench nop", flag.ContinueOnError)
	batch := fs.Int("batch", 32, "SQEs per submit")
	ops := fs.Int64("ops", 3_000_000, "total NOPs per run")
	setup := fs.String("setup", "", "setup flags, comma separated (e.g. single-issuer,defer-taskrun,coop-taskrun)")
	rounds := fs.Int("rounds", 3, "runs per side; the best is reported")
	vsC := fs.Bool("vs-c", false, "also run the C liburing reference (../shared/ref/nop.c) and print the ratio")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if err := fs.Parse(args); err != nil {
		return badInput("%v", err)
	}
	if *batch < 1 || *batch > 4096 {
		return badInput("--batch %d: want 1..4096", *batch)
	}
	if *ops < int64(*batch) {
		return badInput("--ops %d: want at least --batch", *ops)
	}
	flags, err := parseSetup(*setup)
	if err != nil {
		return badInput("--setup: %v", err)
	}
	rows, err := benchNop(*batch, *ops, flags, *rounds, *vsC)
	if err != nil {
		return err
	}
	printNop(rows, *asJSON)
	return nil
}

func benchNop(batch int, ops int64, flags uint32, rounds int, vsC bool) ([]bench.Result, error) {
	var goNs, cNs []float64
	var cErr error
	for range max(rounds, 1) {
		d, n, err := nopRun(batch, ops, flags)
		if err != nil {
			return nil, fmt.Errorf("nop: %w", explainErr(err))
		}
		goNs = append(goNs, float64(d.Nanoseconds())/float64(n))
		if vsC && cErr == nil {
			ns, err := cref.RunNop(batch, ops, flags)
			if err != nil {
				cErr = err
			} else {
				cNs = append(cNs, ns)
			}
		}
	}
	setupName := uring.SetupFlagsString(flags)
	if flags == 0 || setupName == "" {
		setupName = "none"
	}
	best := func(xs []float64) float64 { sort.Float64s(xs); return xs[0] }
	g := best(goNs)
	rows := []bench.Result{{Bench: "nop", Engine: "uring", Batch: batch, Setup: setupName, Ops: ops,
		NsPerOp: g, OpsPerSec: 1e9 / g, IOPS: 1e9 / g}}
	if vsC {
		if cErr != nil {
			rows = append(rows, bench.Result{Bench: "nop", Engine: "c-liburing", Batch: batch, Setup: setupName, Note: cErr.Error()})
		} else {
			c := best(cNs)
			rows[0].RatioVsC = g / c
			rows = append(rows, bench.Result{Bench: "nop", Engine: "c-liburing", Batch: batch, Setup: setupName, Ops: ops,
				NsPerOp: c, OpsPerSec: 1e9 / c, IOPS: 1e9 / c})
		}
	}
	return rows, nil
}

func printNop(rows []bench.Result, asJSON bool) {
	for _, r := range rows {
		if asJSON {
			bench.PrintJSON(os.Stdout, r)
			continue
		}
		if r.Note != "" {
			fmt.Printf("nop batch=%-4d setup=%-26s %-10s %s\n", r.Batch, r.Setup, r.Engine, r.Note)
			continue
		}
		ratio := ""
		if r.RatioVsC > 0 {
			ratio = fmt.Sprintf("  ringo/C = %.3f×", r.RatioVsC)
		}
		fmt.Printf("nop batch=%-4d setup=%-26s %-10s %7.1f ns/op %7.2f Mops/s%s\n", r.Batch, r.Setup, r.Engine, r.NsPerOp, r.OpsPerSec/1e6, ratio)
	}
}

// explainErr adds a readable cause to io_uring setup failures.
func explainErr(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) && se.Syscall == "io_uring_setup" {
		return errors.New(explainUnavailable(err))
	}
	return err
}
