package bench

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func approx(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

func TestFioName(t *testing.T) {
	for _, c := range []struct{ io, name string }{{"", "fio"}, {"io_uring", "fio"}, {"libaio", "fio-libaio"}, {"psync", "fio-psync"}} {
		if got := (FioEngine{IOEngine: c.io}).Name(); got != c.name {
			t.Errorf("FioEngine{%q}.Name() = %q, want %q", c.io, got, c.name)
		}
	}
	var _ FileEngine = FioEngine{}
}

func TestFioArgs(t *testing.T) {
	job := FileJob{RW: "randread", BS: 4096, QD: 32, Direct: true, Size: 1 << 30, Path: "/d/f", Duration: 10 * time.Second}
	got := strings.Join(fioArgs(job, "io_uring"), " ")
	want := "--name=ringo --filename=/d/f --rw=randread --bs=4096 --direct=1 --size=1073741824 --time_based --runtime=10s --ioengine=io_uring --iodepth=32 --thread --output-format=json --invalidate=1 --norandommap"
	if got != want {
		t.Errorf("args\n got %s\nwant %s", got, want)
	}

	job = FileJob{RW: "randrw", Mix: 70, BS: 65536, QD: 4, Warm: true, Size: 1 << 20, Path: "/f", Duration: 1500 * time.Millisecond}
	args := fioArgs(job, "psync")
	for _, a := range []string{"--iodepth=1", "--numjobs=4", "--group_reporting", "--rwmixread=70", "--invalidate=0", "--direct=0", "--runtime=1500ms", "--bs=65536"} {
		if !slices.Contains(args, a) {
			t.Errorf("psync args %v lack %s", args, a)
		}
	}
	// fio splits --filename on ':' unless escaped.
	job.Path = `/d/a:b\c:`
	if args := fioArgs(job, "psync"); !slices.Contains(args, `--filename=/d/a\:b\c\:`) {
		t.Errorf("colons not escaped: %v", args)
	}
	job.RW = "read"
	args = fioArgs(job, "libaio")
	for _, a := range []string{"--iodepth=4", "--rw=read"} {
		if !slices.Contains(args, a) {
			t.Errorf("libaio args %v lack %s", args, a)
		}
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--numjobs") || strings.HasPrefix(a, "--rwmixread") || a == "--norandommap" {
			t.Errorf("libaio read args %v have %s", args, a)
		}
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFioRandread(t *testing.T) {
	job := FileJob{RW: "randread", BS: 4096, QD: 8, Direct: true, Size: 16 << 20, Duration: time.Second}
	// fio sometimes prints notes before the JSON.
	data := append([]byte("note: both iodepth >= 1 and synchronous I/O engine are selected\n"), readTestdata(t, "fio_randread.json")...)
	r, err := parseFioJSON(data, job, "fio")
	if err != nil {
		t.Fatal(err)
	}
	if r.Bench != "file" || r.Engine != "fio" || r.RW != "randread" || r.BS != 4096 || r.QD != 8 || !r.Direct || r.Warm {
		t.Errorf("job fields: %+v", r)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"ops", float64(r.Ops), 79564},
		{"iops", r.IOPS, 79484.515485},
		{"seconds", r.Seconds, 1.001},
		{"mib_s", r.MiBs, 325568575.0 / (1 << 20)},
		{"cpu_us_per_op", r.CPUUsPerOp, (13.9 + 58.6) / 100 * 1.000 * 1e6 / 79564},
		{"p50", r.P50Us, 90.624},
		{"p99", r.P99Us, 173.056},
		{"p99.9", r.P999Us, 244.736},
	}
	for _, c := range checks {
		if !approx(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseFioRandrwPsync(t *testing.T) {
	// fio --ioengine=psync --numjobs=4 --group_reporting --rw=randrw --rwmixread=70
	job := FileJob{RW: "randrw", Mix: 70, BS: 4096, QD: 4, Direct: true, Size: 16 << 20, Duration: time.Second}
	r, err := parseFioJSON(readTestdata(t, "fio_randrw_psync.json"), job, "fio-psync")
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops != 25041+11055 || !approx(r.IOPS, 25015.984016+11043.956044) {
		t.Errorf("ops %d iops %v", r.Ops, r.IOPS)
	}
	if !approx(r.MiBs, (102465470.0+45236043.0)/(1<<20)) {
		t.Errorf("mib_s %v", r.MiBs)
	}
	// job_runtime is summed over the 4 threads: 4000ms.
	if want := (2.75 + 13.7) / 100 * 4.0 * 1e6 / float64(r.Ops); !approx(r.CPUUsPerOp, want) {
		t.Errorf("cpu_us_per_op %v, want %v", r.CPUUsPerOp, want)
	}
	// Mixed percentiles lie between the read and the write ones.
	for _, c := range []struct {
		name        string
		got, lo, hi float64
	}{
		{"p50", r.P50Us, 86.528, 87.552},
		{"p99", r.P99Us, 226.304, 230.400},
		{"p99.9", r.P999Us, 4046.848, 7569.408},
	} {
		if c.got < c.lo-1e-9 || c.got > c.hi+1e-9 {
			t.Errorf("%s = %v, want within [%v, %v]", c.name, c.got, c.lo, c.hi)
		}
	}
}

func TestParseFioErrors(t *testing.T) {
	job := FileJob{RW: "randread", BS: 4096, QD: 1}
	for _, s := range []string{"", "fio: something went wrong", `{"jobs": []}`, `{"jobs": [{"jobname": "ringo", "error": 5}]}`, `{"jobs": [`} {
		if _, err := parseFioJSON([]byte(s), job, "fio"); err == nil {
			t.Errorf("parsed %q", s)
		}
	}
}

func TestFioQuantileMixture(t *testing.T) {
	a := newFioDist(100, map[string]float64{"50.000000": 10, "99.000000": 20, "100.000000": 30})
	b := newFioDist(300, map[string]float64{"50.000000": 100, "99.000000": 200, "100.000000": 300})
	if got := fioQuantile([]fioDist{a}, 99); got != 20 {
		t.Errorf("single p99 = %v", got)
	}
	// 100 samples <= 30, 150 more <= 100: the median of 400 is 100.
	if got := fioQuantile([]fioDist{a, b}, 50); got != 100 {
		t.Errorf("mixed p50 = %v", got)
	}
	if got := fioQuantile([]fioDist{a, b}, 20); got != 20 {
		t.Errorf("mixed p20 = %v", got)
	}
	if got := fioQuantile(nil, 50); got != 0 {
		t.Errorf("empty = %v", got)
	}
}

func TestFioNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	job := FileJob{RW: "randread", BS: 4096, QD: 4, Size: 1 << 20, Path: "/nonexistent", Duration: time.Second}
	r, err := FioEngine{IOEngine: "libaio"}.Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if r.Engine != "fio-libaio" || r.Note != "fio not installed" || r.Ops != 0 || r.RW != "randread" || r.QD != 4 {
		t.Errorf("%+v", r)
	}
}

func TestFioEngineIntegration(t *testing.T) {
	if _, err := exec.LookPath("fio"); err != nil {
		t.Skip("fio not installed")
	}
	p := preparedFile(t)
	direct := CheckDirect(p) == nil
	for _, c := range []struct {
		e       FioEngine
		rw      string
		qd      int
		direct  bool
		threads int
	}{
		{FioEngine{}, "randread", 8, true, 2},
		{FioEngine{IOEngine: "psync"}, "randrw", 2, false, 3},
		{FioEngine{IOEngine: "libaio"}, "read", 4, true, 2},
	} {
		if c.direct && !direct {
			c.direct = false
		}
		job := FileJob{RW: c.rw, Mix: 50, BS: 4096, QD: c.qd, Direct: c.direct, Size: workersTestSize, Path: p, Duration: 300 * time.Millisecond}
		r, err := c.e.Run(context.Background(), job)
		if err != nil {
			if strings.Contains(err.Error(), "io_uring") && c.e.IOEngine == "" {
				t.Logf("fio io_uring unavailable: %v", err)
				continue
			}
			t.Fatalf("%s %+v: %v", c.e.Name(), job, err)
		}
		checkFileResult(t, r, job, c.e.Name())
		// Measured: fio's job threads and its own (main, helper).
		if r.Threads < c.threads || r.Note != "" {
			t.Errorf("threads %d (want at least %d) note %q", r.Threads, c.threads, r.Note)
		}
		t.Logf("%s %s qd=%d: %.0f IOPS, %.2f µs CPU/op, p50 %.1f µs", r.Engine, r.RW, r.QD, r.IOPS, r.CPUUsPerOp, r.P50Us)
	}
	if st, err := os.Stat(p); err != nil || st.Size() != workersTestSize {
		t.Fatalf("file changed size: %v", err)
	}
}

// A path with colons is one file to fio, not several.
func TestFioEngineColonPath(t *testing.T) {
	if _, err := exec.LookPath("fio"); err != nil {
		t.Skip("fio not installed")
	}
	dir := diskTempDir(t)
	p := filepath.Join(dir, "a:b:c.dat")
	if err := PrepareFile(t.Context(), p, 1<<20); err != nil {
		t.Fatal(err)
	}
	job := FileJob{RW: "randread", BS: 4096, QD: 2, Size: 1 << 20, Path: p, Duration: 50 * time.Millisecond}
	r, err := FioEngine{IOEngine: "psync"}.Run(t.Context(), job)
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops <= 0 {
		t.Errorf("no operations: %+v", r)
	}
	names, _ := os.ReadDir(dir)
	if len(names) != 1 {
		t.Errorf("fio made other files next to %s: %v", p, names)
	}
	for _, stray := range []string{filepath.Join(dir, "a"), "b", "c.dat"} {
		if _, err := os.Stat(stray); err == nil {
			os.Remove(stray)
			t.Errorf("fio used %s", stray)
		}
	}
}

// A warm fio run starts with the job's region cached, as the other
// engines' do: after a run too short to read the file (1 ms), every page
// of it is in the page cache.
func TestFioEngineWarm(t *testing.T) {
	if _, err := exec.LookPath("fio"); err != nil {
		t.Skip("fio not installed")
	}
	p := preparedFile(t)
	if err := EvictCache(p); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(resident(t, p, workersTestSize), true) {
		t.Skip("EvictCache left pages cached: cannot observe the warm-up")
	}
	job := FileJob{RW: "randread", BS: 4096, QD: 1, Warm: true, Size: workersTestSize, Path: p, Duration: time.Millisecond}
	if _, err := (FioEngine{IOEngine: "psync"}).Run(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	in := resident(t, p, workersTestSize)
	if n := len(in) - countTrue(in); n > 0 {
		t.Errorf("%d of %d pages not cached after a warm fio run", n, len(in))
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// watchThreads counts a child's threads while it runs and stops at once
// when asked, whether or not the child is still there.
func TestWatchThreads(t *testing.T) {
	cmd := exec.Command("sleep", "10")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	w := watchThreads(cmd.Process.Pid)
	deadline := time.Now().Add(10 * time.Second)
	for countTasks(mustOpenProc(t, cmd.Process.Pid)) < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if n := w.stop(); n != 1 {
		t.Errorf("sleep had %d threads, want 1", n)
	}
	// A process that is gone: nothing to count.
	if n := watchThreads(cmd.Process.Pid).stop(); n != 0 {
		t.Errorf("a reaped process has %d threads", n)
	}
}

func mustOpenProc(t *testing.T, pid int) int {
	t.Helper()
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}
