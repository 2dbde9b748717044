package main

import (
	"strings"
	"testing"
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
	if res := runRingo(t, "bench", "--quick", "extra"); res.code != exitUsage {
		t.Errorf("bench --quick extra: exit %d, want %d", res.code, exitUsage)
	}
}
