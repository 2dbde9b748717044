package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringo-io/ringo/internal/bench"
)

func TestBenchSuiteQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("the quick suite takes about 15 s")
	}
	t.Parallel()
	res := mustSucceed(t, "bench", "--quick")
	for _, s := range []string{"ringo bench --quick", "nop", "file", "smallfiles", "uring", "os", "aio", "c-liburing", "ratios", "uring/os"} {
		if !strings.Contains(res.stdout, s) {
			t.Errorf("bench --quick output does not contain %q:\n%s", s, res.stdout)
		}
	}
	// The raw ring joins the O_DIRECT comparison, where there is one.
	probe := filepath.Join(diskDir(t), "direct.dat")
	if err := bench.PrepareFile(probe, 1<<20); err != nil {
		t.Fatal(err)
	}
	if bench.CheckDirect(probe) == nil {
		for _, s := range []string{"ring", "uring/ring"} {
			if !strings.Contains(res.stdout, s) {
				t.Errorf("bench --quick output does not contain %q:\n%s", s, res.stdout)
			}
		}
	}
	if res := runRingo(t, "bench", "--quick", "extra"); res.code != exitUsage {
		t.Errorf("bench --quick extra: exit %d, want %d", res.code, exitUsage)
	}
}
