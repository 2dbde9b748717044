package main

import (
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo/internal/bench"
	"github.com/ringo-io/ringo/internal/testutil"
)

// diskDir returns a new directory on a disk filesystem if there is one
// (where benchDir puts its files), removed after the test.
func diskDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp(benchDir(), "ringo-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// fileArgs are the arguments of a small, short file benchmark on path.
func fileArgs(path string, extra ...string) []string {
	return append([]string{"bench", "file", "--bs", "4k", "--qd", "4", "--size", "8m", "--duration", "200ms", "--file", path}, extra...)
}

func TestBenchFileBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	x := filepath.Join(dir, "x")
	for _, c := range []struct {
		args    []string
		mention string
	}{
		{[]string{"--engine", "bogus"}, `unknown engine "bogus"`},
		{[]string{"--engines", "uring,bogus"}, `unknown engine "bogus"`},
		{[]string{"--bs", "0"}, "--bs"},
		{[]string{"--bs", "128m"}, "--bs"},
		{[]string{"--qd", "0"}, "--qd"},
		{[]string{"--sweep-qd", "1,0"}, "--sweep-qd"},
		{[]string{"--rw", "bogus"}, "--rw"},
		{[]string{"--mix", "101"}, "--mix"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--rounds", "0"}, "--rounds"},
		{[]string{"--rounds", "-3"}, "--rounds"},
		{[]string{"--size", "lots"}, "--size"},
		{[]string{"--size", "1000t", "--file", x}, "does not fit"},
		{[]string{"--size", "1m", "--file", "/nonexistent-dir/x"}, "/nonexistent-dir"},
		{[]string{"--size", "1m", "--file", dir}, "not a regular file"},
		{[]string{"--nonsense"}, "nonsense"},
		// Overflowing sizes, impossible shapes and plots are refused
		// before anything runs.
		{[]string{"--bs", "16777216t"}, "--bs"},
		{[]string{"--size", "16777216t"}, "--size"},
		{[]string{"--bs", "1m", "--size", "512k"}, "larger than --size"},
		{[]string{"--engines", "aio", "--bs", "64m", "--qd", "512", "--size", "1g"}, "of buffers"},
		{[]string{"--bs", "64m", "--sweep-qd", "1,32", "--size", "1g"}, "of buffers"},
		{[]string{"--direct", "--bs", "1000"}, "multiple of"},
		{[]string{"--plot", filepath.Join(dir, "p.png")}, "only .svg"},
		{[]string{"--plot", "/nonexistent-dir/p.svg"}, "--plot"},
		// The workload is a flag; a stray word is not silently ignored.
		{[]string{"--qd", "4", "randwrite"}, `unexpected argument "randwrite"`},
	} {
		res := runRingo(t, append([]string{"bench", "file"}, c.args...)...)
		if res.code != exitUsage {
			t.Errorf("bench file %q: exit %d, want %d\nstderr:\n%s", c.args, res.code, exitUsage, res.stderr)
			continue
		}
		msg := strings.TrimSpace(res.stderr)
		if !strings.Contains(msg, c.mention) {
			t.Errorf("bench file %q: stderr does not mention %q:\n%s", c.args, c.mention, msg)
		}
		// One clear line, except for flag errors, where the flag package
		// adds the flag list.
		if c.args[0] != "--nonsense" && strings.Contains(msg, "\n") {
			t.Errorf("bench file %q: want one line on stderr, got:\n%s", c.args, msg)
		}
	}
	if _, err := os.Stat(x); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file that does not fit was created anyway: %v", err)
	}
	if _, err := os.Stat(tempTestFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bad input left a test file: %v", err)
	}
}

// fileState is a file's size and a digest of its contents.
func fileState(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d bytes, sha256 %x", len(b), sha256.Sum256(b))
}

// A user's existing file is used as it is: whole without --size, never
// grown by a larger --size, never written by a read workload.
func TestBenchFileExistingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(diskDir(t), "mine.dat")
	if err := bench.PrepareFile(t.Context(), path, 4<<20); err != nil {
		t.Fatal(err)
	}
	before := fileState(t, path)
	base := []string{"bench", "file", "--bs", "4k", "--qd", "2", "--duration", "200ms", "--file", path, "--engines", "uring,os"}
	res := mustSucceed(t, base...)
	if !strings.Contains(res.stdout, "4 MiB used") {
		t.Errorf("the table does not say the file's 4 MiB were used:\n%s", res.stdout)
	}
	mustSucceed(t, append(base, "--size", "1m", "--rw", "read", "--json")...)
	res = runRingo(t, append(base, "--size", "8m")...)
	if res.code != exitUsage || !strings.Contains(res.stderr, "larger than --file") || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
		t.Errorf("--size larger than the file: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	if after := fileState(t, path); after != before {
		t.Errorf("the user's file changed: %s, was %s", after, before)
	}
	// Writes stay within the file.
	mustSucceed(t, append(base, "--rw", "randwrite", "--json")...)
	if st, err := os.Stat(path); err != nil || st.Size() != 4<<20 {
		t.Errorf("randwrite changed the file's size: %v", err)
	}
	// An empty file and a --bs larger than the file are refused.
	empty := filepath.Join(filepath.Dir(path), "empty.dat")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"bench", "file", "--file", empty},
		{"bench", "file", "--file", path, "--bs", "8m"},
	} {
		if res := runRingo(t, args...); res.code != exitUsage || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
			t.Errorf("%q: exit %d, stderr:\n%s", args, res.code, res.stderr)
		}
	}
	if st, err := os.Stat(empty); err != nil || st.Size() != 0 {
		t.Errorf("the empty file was filled: %v", err)
	}
}

// A file that may only be read is measured by the read workloads, and a
// write workload on it is one clear line and exit status 2, not a table
// of error rows.
func TestBenchFileReadOnlyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(diskDir(t), "ro.dat")
	if err := bench.PrepareFile(t.Context(), path, 8<<20); err != nil {
		t.Fatal(err)
	}
	testutil.MakeReadOnly(t, path)
	res := mustSucceed(t, fileArgs(path, "--engines", "uring,os,aio,ring", "--json")...)
	checkFileRows(t, res.stdout, "randread", false, "uring", "os", "aio", "ring")
	for _, rw := range []string{"randwrite", "write", "randrw"} {
		res := runRingo(t, fileArgs(path, "--engines", "uring,os", "--rw", rw)...)
		msg := strings.TrimSpace(res.stderr)
		if res.code != exitUsage || !strings.Contains(msg, "cannot open") || strings.Contains(msg, "\n") || res.stdout != "" {
			t.Errorf("--rw %s on a read-only file: exit %d, stdout %q, stderr:\n%s", rw, res.code, res.stdout, msg)
		}
	}
}

func TestBenchFileDirectOnTmpfs(t *testing.T) {
	t.Parallel()
	if mem, err := onMemoryFS("/dev/shm"); err != nil || !mem {
		t.Skip("no tmpfs at /dev/shm")
	}
	path := fmt.Sprintf("/dev/shm/ringo-test-%d.dat", os.Getpid())
	t.Cleanup(func() { os.Remove(path) })
	res := runRingo(t, fileArgs(path, "--direct", "--size", "16m")...)
	if res.code != exitUsage || !strings.Contains(res.stderr, "--direct") || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
		t.Errorf("--direct on tmpfs: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("--direct on tmpfs filled %s before refusing", path)
	}
}

// checkFileRows checks the JSON output of a file benchmark: one row per
// engine, in order, with every documented field and a positive rate.
func checkFileRows(t *testing.T, out, rw string, direct bool, engines ...string) []bench.Result {
	t.Helper()
	maps, rows := jsonLines(t, out)
	if len(rows) != len(engines) {
		t.Fatalf("%d rows, want %d (%v):\n%s", len(rows), len(engines), engines, out)
	}
	for i, r := range rows {
		for _, k := range []string{"bench", "engine", "rw", "bs", "qd", "direct", "ops", "seconds", "iops", "mib_s", "cpu_us_per_op", "p50_us", "p99_us", "p999_us", "threads"} {
			if _, ok := maps[i][k]; !ok {
				t.Errorf("row %d (%s): no %q field", i, r.Engine, k)
			}
		}
		if r.Engine != engines[i] || r.Bench != "file" || r.RW != rw || r.BS != 4096 || r.QD != 4 || r.Direct != direct {
			t.Errorf("row %d: %+v", i, r)
		}
		// The raw ring notes the registrations the kernel refused
		// (RLIMIT_MEMLOCK); the run itself is fine.
		note := r.Note
		if r.Engine == "ring" && strings.HasPrefix(note, "unregistered ") {
			note = ""
		}
		if note != "" || r.IOPS <= 0 || r.MiBs <= 0 || r.Ops <= 0 || r.Threads < 1 || r.P50Us <= 0 || r.P99Us < r.P50Us {
			t.Errorf("row %d (%s): note %q, iops %v, mib_s %v, ops %d, threads %d, p50 %v, p99 %v",
				i, r.Engine, r.Note, r.IOPS, r.MiBs, r.Ops, r.Threads, r.P50Us, r.P99Us)
		}
		// Buffered writes may bypass the ring (pwrite on filesystems
		// without async buffered writes): enters are checked on reads.
		if (strings.HasPrefix(r.Engine, "uring") || r.Engine == "ring") && rw == "randread" && r.EntersPerOp <= 0 {
			t.Errorf("row %d (%s): enters_per_op %v, want > 0", i, r.Engine, r.EntersPerOp)
		}
	}
	return rows
}

func TestBenchFileRandRead(t *testing.T) {
	t.Parallel()
	path := filepath.Join(diskDir(t), "f.dat")
	res := mustSucceed(t, fileArgs(path, "--engines", "uring,os,aio", "--rw", "randread", "--json")...)
	checkFileRows(t, res.stdout, "randread", false, "uring", "os", "aio")
	if st, err := os.Stat(path); err != nil || st.Size() != 8<<20 {
		t.Errorf("the --file given is not kept at 8m: %v", err)
	}
}

func TestBenchFileRandWrite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(diskDir(t), "f.dat")
	res := mustSucceed(t, fileArgs(path, "--engines", "uring,os,aio", "--rw", "randwrite", "--json")...)
	checkFileRows(t, res.stdout, "randwrite", false, "uring", "os", "aio")
}

func TestBenchFileDirect(t *testing.T) {
	t.Parallel()
	path := filepath.Join(diskDir(t), "f.dat")
	if err := bench.PrepareFile(t.Context(), path, 8<<20); err != nil {
		t.Fatal(err)
	}
	if err := bench.CheckDirect(path); err != nil {
		t.Skip(err)
	}
	res := mustSucceed(t, fileArgs(path, "--engines", "uring,os,aio", "--direct", "--json")...)
	checkFileRows(t, res.stdout, "randread", true, "uring", "os", "aio")
}

func TestBenchFileFio(t *testing.T) {
	t.Parallel()
	path := filepath.Join(diskDir(t), "f.dat")
	res := mustSucceed(t, fileArgs(path, "--engine", "fio", "--json")...)
	if _, err := exec.LookPath("fio"); err != nil {
		_, rows := jsonLines(t, res.stdout)
		if len(rows) != 1 || rows[0].Engine != "fio" || rows[0].Note != "fio not installed" {
			t.Errorf("without fio: %s", res.stdout)
		}
		t.Skip("fio not installed: checked the note only")
	}
	checkFileRows(t, res.stdout, "randread", false, "fio")
}

func TestBenchFileSweepPlot(t *testing.T) {
	t.Parallel()
	dir := diskDir(t)
	svg := filepath.Join(dir, "out.svg")
	res := mustSucceed(t, fileArgs(filepath.Join(dir, "f.dat"), "--engines", "uring,os", "--sweep-qd", "1,2", "--plot", svg)...)
	// The table: a row per engine and depth, and the ratios.
	for _, s := range []string{"machine:", "uring", "os", "ratios", "uring/os", "qd1", "qd2"} {
		if !strings.Contains(res.stdout, s) {
			t.Errorf("table does not contain %q:\n%s", s, res.stdout)
		}
	}
	f, err := os.Open(svg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	root := ""
	elems := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", svg, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			elems++
		}
	}
	if root != "svg" || elems < 10 {
		t.Errorf("%s: root <%s>, %d elements", svg, root, elems)
	}
}

func TestBenchFileRing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(diskDir(t), "f.dat")
	res := mustSucceed(t, fileArgs(path, "--engines", "uring,ring", "--json")...)
	checkFileRows(t, res.stdout, "randread", false, "uring", "ring")
	res = mustSucceed(t, fileArgs(path, "--engines", "uring,ring", "--rw", "randrw")...)
	if !strings.Contains(res.stdout, "uring/ring") {
		t.Errorf("no uring/ring ratio:\n%s", res.stdout)
	}
	// The usage text, printed on a flag error, describes the engine.
	res = runRingo(t, "bench", "file", "--nonsense")
	if !strings.Contains(res.stderr, "ring        one raw io_uring ring") || !strings.Contains(res.stderr, "--rounds") {
		t.Errorf("usage does not describe ring and --rounds:\n%s", res.stderr)
	}
}

func TestBenchFileRounds(t *testing.T) {
	t.Parallel()
	path := filepath.Join(diskDir(t), "f.dat")
	args := fileArgs(path, "--engines", "uring,os,ring", "--rounds", "2", "--duration", "100ms", "--sweep-qd", "2,4", "--json")
	res := mustSucceed(t, args...)
	maps, rows := jsonLines(t, res.stdout)
	// One line per engine and depth: the median runs.
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6:\n%s", len(rows), res.stdout)
	}
	for i, r := range rows {
		wantEngine, wantQD := []string{"uring", "os", "ring"}[i%3], []int{2, 4}[i/3]
		if r.Engine != wantEngine || r.QD != wantQD || r.Bench != "file" {
			t.Errorf("row %d: engine %s qd %d, want %s qd %d", i, r.Engine, r.QD, wantEngine, wantQD)
		}
		for _, k := range []string{"rounds", "iops_min", "iops_max"} {
			if _, ok := maps[i][k]; !ok {
				t.Errorf("row %d (%s): no %q field", i, r.Engine, k)
			}
		}
		if r.Rounds != 2 || r.IOPSMin <= 0 || r.IOPSMin > r.IOPS || r.IOPS > r.IOPSMax || r.IOPS != r.IOPSMin {
			t.Errorf("row %d (%s): rounds %d, iops %v, range %v–%v (2 runs: the median is the lower)",
				i, r.Engine, r.Rounds, r.IOPS, r.IOPSMin, r.IOPSMax)
		}
	}
	// The table shows the range.
	res = mustSucceed(t, fileArgs(path, "--engines", "uring,os", "--rounds", "2", "--duration", "100ms")...)
	for _, s := range []string{"IOPS range", "n=2 ", "uring/os"} {
		if !strings.Contains(res.stdout, s) {
			t.Errorf("table does not contain %q:\n%s", s, res.stdout)
		}
	}
}

// --sched-batch moves the process to SCHED_BATCH and says so in the
// machine line.
func TestBenchFileSchedBatch(t *testing.T) {
	t.Parallel()
	path := filepath.Join(diskDir(t), "f.dat")
	res := mustSucceed(t, fileArgs(path, "--engines", "uring", "--sched-batch")...)
	if !strings.Contains(res.stdout, "SCHED_BATCH") {
		t.Errorf("--sched-batch: the machine line does not name SCHED_BATCH:\n%s", res.stdout)
	}
	if attr, err := unix.SchedGetAttr(0, 0); err != nil || attr.Policy != unix.SCHED_NORMAL {
		return // the tests themselves run under another policy, which the child inherits
	}
	res = mustSucceed(t, fileArgs(path, "--engines", "uring")...)
	if strings.Contains(res.stdout, "SCHED_BATCH") {
		t.Errorf("without --sched-batch the machine line names SCHED_BATCH:\n%s", res.stdout)
	}
}
