package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ringo-io/ringo/internal/bench"
)

// The CLI is tested as a subprocess: the test binary re-executes itself
// with ringoMainEnv set, and then runs main() with the given arguments.
const ringoMainEnv = "RINGO_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(ringoMainEnv) == "1" {
		os.Args = append([]string{"ringo"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// ringoCmd returns the command running `ringo args...`.
func ringoCmd(ctx context.Context, t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), ringoMainEnv+"=1")
	return cmd
}

type runResult struct {
	code           int
	stdout, stderr string
}

// runRingo runs `ringo args...` to completion (at most two minutes).
func runRingo(t *testing.T, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := ringoCmd(ctx, t, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := runResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		res.code = ee.ExitCode()
	default:
		t.Fatalf("ringo %s: %v\nstderr:\n%s", strings.Join(args, " "), err, res.stderr)
	}
	return res
}

// mustSucceed runs ringo and fails the test unless it exits 0.
func mustSucceed(t *testing.T, args ...string) runResult {
	t.Helper()
	res := runRingo(t, args...)
	if res.code != 0 {
		t.Fatalf("ringo %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res
}

// jsonLines decodes every line of out as a JSON object, both as a map (to
// check which keys are present) and as a bench.Result.
func jsonLines(t *testing.T, out string) ([]map[string]any, []bench.Result) {
	t.Helper()
	var maps []map[string]any
	var rows []bench.Result
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		var r bench.Result
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		maps, rows = append(maps, m), append(rows, r)
	}
	return maps, rows
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"nonsense"}, {"bench", "nonsense"}, {"probe", "--bogus"}, {"bench", "nop", "--batch", "0"}} {
		res := runRingo(t, args...)
		if res.code != exitUsage {
			t.Errorf("ringo %q: exit %d, want %d; stderr:\n%s", args, res.code, exitUsage, res.stderr)
		}
		if !strings.Contains(res.stderr, "usage") && !strings.Contains(res.stderr, "ringo:") {
			t.Errorf("ringo %q: stderr explains nothing:\n%s", args, res.stderr)
		}
	}
	if res := runRingo(t, "help"); res.code != 0 || !strings.Contains(res.stdout, "usage") {
		t.Errorf("ringo help: exit %d, stdout %q", res.code, res.stdout)
	}
}

func TestProbe(t *testing.T) {
	t.Parallel()
	res := mustSucceed(t, "probe", "--json")
	var rep probeReport
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("probe --json: %v\n%s", err, res.stdout)
	}
	if rep.Kernel == "" || !rep.Available || rep.Error != "" {
		t.Errorf("probe: kernel %q, available %v, error %q", rep.Kernel, rep.Available, rep.Error)
	}
	if len(rep.Ops) != 65 {
		t.Errorf("probe: %d ops, want 65", len(rep.Ops))
	}
	n := 0
	for i, o := range rep.Ops {
		if o.Op != i || o.Name == "" {
			t.Errorf("op %d: %+v", i, o)
		}
		if o.Supported {
			n++
		}
	}
	if n != rep.Supported {
		t.Errorf("supported_ops = %d, but %d ops are marked supported", rep.Supported, n)
	}
	if len(rep.Ops) == 0 || rep.Ops[0].Name != "NOP" || !rep.Ops[0].Supported {
		t.Errorf("NOP not reported as supported: %+v", rep.Ops[:min(1, len(rep.Ops))])
	}

	res = mustSucceed(t, "probe")
	if !strings.Contains(res.stdout, "NOP") || !strings.Contains(res.stdout, "io_uring available") {
		t.Errorf("probe output:\n%s", res.stdout)
	}
}

func TestBenchNop(t *testing.T) {
	t.Parallel()
	res := mustSucceed(t, "bench", "nop", "--batch", "4", "--ops", "20000", "--rounds", "1", "--json")
	_, rows := jsonLines(t, res.stdout)
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1:\n%s", len(rows), res.stdout)
	}
	r := rows[0]
	if r.Bench != "nop" || r.Engine != "uring" || r.Batch != 4 || r.Setup != "none" || r.Ops != 20000 {
		t.Errorf("row %+v", r)
	}
	if r.NsPerOp <= 0 || r.OpsPerSec <= 0 {
		t.Errorf("ns_per_op %v, ops_per_sec %v: want > 0", r.NsPerOp, r.OpsPerSec)
	}

	res = mustSucceed(t, "bench", "nop", "--batch", "8", "--ops", "4000", "--rounds", "1", "--setup", "single-issuer,defer-taskrun")
	if !strings.Contains(res.stdout, "SINGLE_ISSUER|DEFER_TASKRUN") || !strings.Contains(res.stdout, "ns/op") {
		t.Errorf("bench nop output:\n%s", res.stdout)
	}
	if res := runRingo(t, "bench", "nop", "--setup", "bogus"); res.code != exitUsage || !strings.Contains(res.stderr, "known:") {
		t.Errorf("--setup bogus: exit %d, stderr %q", res.code, res.stderr)
	}
}
