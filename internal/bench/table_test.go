package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func sampleRows() []Result {
	return []Result{
		{Bench: "file", Engine: "uring", RW: "randread", BS: 4096, QD: 32, Direct: true, Ops: 412000, Seconds: 10, IOPS: 41234, MiBs: 161.1, CPUUsPerOp: 2.5, P50Us: 95.7, P99Us: 358.4, P999Us: 6324, EntersPerOp: 0.031, Threads: 5},
		{Bench: "file", Engine: "os", RW: "randread", BS: 4096, QD: 32, Direct: true, Ops: 220000, Seconds: 10, IOPS: 22000, MiBs: 85.9, CPUUsPerOp: 10, P50Us: 140, P99Us: 900, P999Us: 12000, Threads: 37},
		{Bench: "file", Engine: "aio", RW: "randread", BS: 4096, QD: 32, Direct: true, Ops: 400000, Seconds: 10, IOPS: 40000, MiBs: 156, CPUUsPerOp: 3, P50Us: 100, P99Us: 400, P999Us: 7000, Threads: 4},
		{Bench: "file", Engine: "fio", RW: "randread", BS: 4096, QD: 32, Direct: true, Note: "fio not installed"},
		{Bench: "file", Engine: "uring", RW: "read", BS: 1 << 20, QD: 1, Warm: true, Ops: 1000, Seconds: 1, IOPS: 1000, MiBs: 1000, CPUUsPerOp: 50, Threads: 3},
		{Bench: "file", Engine: "os", RW: "read", BS: 1 << 20, QD: 1, Warm: true, Ops: 900, Seconds: 1, IOPS: 900, MiBs: 900, CPUUsPerOp: 60, Threads: 3},
		{Bench: "nop", Engine: "uring", Batch: 32, Ops: 1e7, Seconds: 1, NsPerOp: 45.3, OpsPerSec: 22.1e6, CPUUsPerOp: 0.045, EntersPerOp: 0.031, Threads: 3},
	}
}

func TestPrintTable(t *testing.T) {
	var b bytes.Buffer
	if err := PrintTable(&b, sampleRows()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Log("\n" + out)
	lines := strings.Split(out, "\n")
	for _, h := range []string{"bench", "engine", "rw", "bs", "qd", "batch", "cache", "IOPS", "MiB/s", "ns/op", "p50 µs", "p99 µs", "p99.9 µs", "CPU µs/op", "enters/op", "threads", "note"} {
		if !strings.Contains(lines[0], h) {
			t.Errorf("header lacks %q: %s", h, lines[0])
		}
	}
	for _, s := range []string{"41.2k", "22.1M", "0.031", "6324", "95.7", "direct", "warm", "1m", "4k", "fio not installed",
		"uring/os", "uring/aio", "1.87x", "0.25x", "0.83x", "file randread 4k qd32 direct", "file read 1m qd1 warm"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	if strings.Contains(out, "uring/fio") {
		t.Error("ratio against a row without numbers")
	}
	// Baselines select the comparisons.
	b.Reset()
	PrintTable(&b, sampleRows(), "aio")
	if out := b.String(); strings.Contains(out, "uring/os") || !strings.Contains(out, "uring/aio") {
		t.Errorf("baselines ignored:\n%s", out)
	}
	// Optional columns disappear when unused.
	b.Reset()
	PrintTable(&b, sampleRows()[:2])
	if out := b.String(); strings.Contains(out, "batch") || strings.Contains(out, "ns/op") {
		t.Errorf("unused optional columns shown:\n%s", out)
	}
}

func TestPrintTableAligned(t *testing.T) {
	var b bytes.Buffer
	PrintTable(&b, sampleRows())
	lines := strings.Split(strings.SplitN(b.String(), "\n\n", 2)[0], "\n")
	// The rule line's dashes and spaces give the column boundaries; right-
	// aligned numeric cells must end at the end of their dash run.
	rule := []rune(lines[1])
	var ends []int
	for i := range rule {
		if rule[i] == '-' && (i+1 == len(rule) || rule[i+1] == ' ') {
			ends = append(ends, i)
		}
	}
	for _, l := range lines[2:] {
		r := []rune(l)
		for _, e := range ends {
			if e+1 < len(r) && r[e+1] != ' ' {
				t.Fatalf("cell runs past column end %d:\n%s\n%s", e, string(rule), l)
			}
		}
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{
		{0, "0"}, {0.005, "0.0050"}, {0.031, "0.031"}, {0.5, "0.50"}, {0.999, "1.00"}, {3.14159, "3.14"}, {95.71, "95.7"}, {1234, "1234"}, {9999, "9999"},
		{41234, "41.2k"}, {412345, "412k"}, {1.234e6, "1.23M"}, {22.1e6, "22.1M"}, {3.2e9, "3.20G"},
	} {
		if got := fmtNum(c.x); got != c.want {
			t.Errorf("fmtNum(%v) = %q, want %q", c.x, got, c.want)
		}
	}
	for n, want := range map[int]string{0: "-", 512: "512", 1536: "1536", 4096: "4k", 65536: "64k", 1 << 20: "1m", 1 << 30: "1g"} {
		if got := fmtSize(n); got != want {
			t.Errorf("fmtSize(%d) = %q, want %q", n, got, want)
		}
	}
	if got := fmtRatio(3, 2); got != "1.50x" {
		t.Error(got)
	}
	if got := fmtRatio(3, 0); got != "-" {
		t.Error(got)
	}
	if got := fmtBytes(3 << 30); got != "3.0 GiB" {
		t.Error(got)
	}
	if got := fmtBytes(100); got != "100 B" {
		t.Error(got)
	}
}

func TestPrintJSON(t *testing.T) {
	var b bytes.Buffer
	rows := sampleRows()
	for _, r := range rows {
		if err := PrintJSON(&b, r); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("%d lines for %d rows", len(lines), len(rows))
	}
	var file, nop map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &file); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"bench", "engine", "rw", "bs", "qd", "direct", "warm", "ops", "seconds", "iops", "mib_s", "cpu_us_per_op", "p50_us", "p99_us", "p999_us", "enters_per_op", "threads"} {
		if _, ok := file[k]; !ok {
			t.Errorf("file row lacks %q: %s", k, lines[0])
		}
	}
	if err := json.Unmarshal([]byte(lines[6]), &nop); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"bench", "engine", "batch", "ns_per_op", "ops_per_sec", "cpu_us_per_op", "enters_per_op", "threads"} {
		if _, ok := nop[k]; !ok {
			t.Errorf("nop row lacks %q: %s", k, lines[6])
		}
	}
	if nop["bench"] != "nop" || nop["ns_per_op"] != 45.3 {
		t.Errorf("nop row %v", nop)
	}
	var note map[string]any
	json.Unmarshal([]byte(lines[3]), &note)
	if note["note"] != "fio not installed" {
		t.Errorf("note row %v", note)
	}
}

func TestProgressSilentOffTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "progress")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := NewProgress(f)
	p.Update("running %s qd=%d", "uring", 32)
	p.Done()
	var nilP *Progress
	nilP.Update("x")
	nilP.Done()
	if st, _ := f.Stat(); st.Size() != 0 {
		t.Fatalf("progress wrote %d bytes to a regular file", st.Size())
	}

	// Terminal behaviour, forced.
	p = &Progress{w: f, tty: true}
	p.Update("a\nb %d", 1)
	p.Update("c")
	p.Done()
	got, _ := os.ReadFile(f.Name())
	if want := "\ra b 1\x1b[K\rc\x1b[K\r\x1b[K"; string(got) != want {
		t.Fatalf("terminal output %q, want %q", got, want)
	}
}

// enters_per_op is always in the rows of engines that count enters, even
// at 0 (a run whose requests all completed without entering the kernel),
// and left out of the others'.
func TestJSONEntersPerOpZero(t *testing.T) {
	for _, c := range []struct {
		r    Result
		want bool
	}{
		{Result{Bench: "file", Engine: "uring", Ops: 10}, true},
		{Result{Bench: "file", Engine: "uring-sqpoll", Ops: 10}, true},
		{Result{Bench: "file", Engine: "ring", Ops: 10}, true},
		{Result{Bench: "smallfiles", Engine: "uring", Ops: 10}, true},
		{Result{Bench: "file", Engine: "uring", Ops: 10, EntersPerOp: 0.5}, true},
		{Result{Bench: "file", Engine: "os", Ops: 10}, false},
		{Result{Bench: "file", Engine: "aio", Ops: 10}, false},
		{Result{Bench: "file", Engine: "fio", Ops: 10}, false},
	} {
		var b bytes.Buffer
		if err := PrintJSON(&b, c.r); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		v, ok := m["enters_per_op"]
		if ok != c.want || (ok && v != c.r.EntersPerOp) {
			t.Errorf("%s %s: enters_per_op %v (present %v), want present %v: %s", c.r.Bench, c.r.Engine, v, ok, c.want, b.String())
		}
		if m["engine"] != c.r.Engine || m["ops"] != float64(c.r.Ops) {
			t.Errorf("fields lost: %s", b.String())
		}
		var back Result
		if err := json.Unmarshal(b.Bytes(), &back); err != nil || back != c.r {
			t.Errorf("round trip: %+v, %v; want %+v", back, err, c.r)
		}
	}
}
