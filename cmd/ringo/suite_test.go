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
	for _, s := range []string{"ringo bench --quick", "test file: ", "nop", "file", "smallfiles", "uring", "os", "aio", "c-liburing", "ratios", "uring/os"} {
		if !strings.Contains(res.stdout, s) {
			t.Errorf("bench --quick output does not contain %q:\n%s", s, res.stdout)
		}
	}
	// The raw ring joins the O_DIRECT comparison, where there is one.
	probe := filepath.Join(diskDir(t), "direct.dat")
	if err := bench.PrepareFile(t.Context(), probe, 1<<20); err != nil {
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

// The suite's test file fits the temporary directory: at most half its
// free space, 64 MiB at least, and a --size given must fit.
func TestSuiteFileSize(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		want     int64
		explicit bool
		free     int64
		size     int64 // 0: refused
	}{
		{512 * mib, false, 100 << 30, 512 * mib},
		{256 * mib, false, 100 << 30, 256 * mib},
		{512 * mib, false, 600 * mib, 300 * mib},
		{512 * mib, false, 301*mib + 12345, 150 * mib}, // whole MiB
		{512 * mib, false, 128 * mib, 64 * mib},
		{512 * mib, false, 128*mib - 1, 0},
		{512 * mib, false, 0, 0},
		{100 * mib, true, 150 * mib, 100 * mib}, // the user's size: all of it may be used
		{100 * mib, true, 99 * mib, 0},
	} {
		size, err := suiteFileSize(c.want, c.explicit, c.free, "/d")
		if size != c.size || (err == nil) != (c.size != 0) {
			t.Errorf("suiteFileSize(%d, %v, %d) = %d, %v; want %d", c.want, c.explicit, c.free, size, err, c.size)
		}
		if err != nil {
			if _, ok := err.(usageError); !ok || !strings.Contains(err.Error(), "free on /d") || strings.Contains(err.Error(), "\n") {
				t.Errorf("suiteFileSize(%d, %v, %d): error %q, want one line of bad input naming the directory", c.want, c.explicit, c.free, err)
			}
		}
	}
}

// Bad input to the suite is refused before its first step runs.
func TestBenchSuiteBadInput(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args    []string
		mention string
	}{
		{[]string{"--size", "1000t"}, "does not fit"},
		{[]string{"--size", "16777216t"}, "--size"},
		{[]string{"--size", "1k"}, "--size"},
		{[]string{"--plot", "out.png"}, "only .svg"},
		{[]string{"--plot", "/nonexistent-dir/out.svg"}, "--plot"},
	} {
		res := runRingo(t, append([]string{"bench", "--quick"}, c.args...)...)
		msg := strings.TrimSpace(res.stderr)
		if res.code != exitUsage || !strings.Contains(msg, c.mention) || strings.Contains(msg, "\n") || res.stdout != "" {
			t.Errorf("bench --quick %q: exit %d, stdout %q, stderr:\n%s", c.args, res.code, res.stdout, msg)
		}
	}
}
