package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestMedianRun(t *testing.T) {
	run := func(iops, p99 float64) Result {
		return Result{Bench: "file", Engine: "uring", IOPS: iops, P99Us: p99, Ops: int64(iops)}
	}
	for _, c := range []struct {
		name     string
		runs     []Result
		iops     float64 // of the run picked
		p99      float64 // of the same run: the whole Result is kept
		min, max float64
	}{
		{"one", []Result{run(100, 7)}, 100, 7, 0, 0},
		{"odd", []Result{run(300, 1), run(100, 2), run(200, 3)}, 200, 3, 100, 300},
		{"even takes the lower middle", []Result{run(400, 1), run(100, 2), run(300, 3), run(200, 4)}, 200, 4, 100, 400},
		{"two", []Result{run(150, 1), run(50, 2)}, 50, 2, 50, 150},
		{"ties keep order", []Result{run(100, 1), run(100, 2), run(100, 3)}, 100, 2, 100, 100},
		{"five", []Result{run(5, 5), run(1, 1), run(4, 4), run(2, 2), run(3, 3)}, 3, 3, 1, 5},
	} {
		got := MedianRun(c.runs)
		if got.IOPS != c.iops || got.P99Us != c.p99 || got.Ops != int64(c.iops) {
			t.Errorf("%s: picked IOPS %v p99 %v ops %d, want IOPS %v p99 %v", c.name, got.IOPS, got.P99Us, got.Ops, c.iops, c.p99)
		}
		if got.Rounds != len(c.runs) || got.IOPSMin != c.min || got.IOPSMax != c.max {
			t.Errorf("%s: rounds %d, range %v–%v; want %d, %v–%v", c.name, got.Rounds, got.IOPSMin, got.IOPSMax, len(c.runs), c.min, c.max)
		}
	}
	if r := MedianRun(nil); r != (Result{}) {
		t.Errorf("MedianRun(nil) = %+v", r)
	}
	// Rows that only set OpsPerSec are ranked by it.
	nops := []Result{{Engine: "a", OpsPerSec: 3}, {Engine: "b", OpsPerSec: 1}, {Engine: "c", OpsPerSec: 2}}
	if r := MedianRun(nops); r.Engine != "c" || r.IOPSMin != 1 || r.IOPSMax != 3 {
		t.Errorf("by OpsPerSec: %+v", r)
	}
	// The input is left alone.
	in := []Result{run(3, 0), run(1, 0), run(2, 0)}
	MedianRun(in)
	if in[0].IOPS != 3 || in[0].Rounds != 0 {
		t.Errorf("input modified: %+v", in)
	}
}

func TestRoundsJSON(t *testing.T) {
	var b bytes.Buffer
	PrintJSON(&b, sampleRows()[0])
	if s := b.String(); strings.Contains(s, "rounds") || strings.Contains(s, "iops_min") {
		t.Errorf("single-run row has round fields: %s", s)
	}
	b.Reset()
	PrintJSON(&b, MedianRun([]Result{{IOPS: 1}, {IOPS: 2}, {IOPS: 3}}))
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["rounds"] != 3.0 || m["iops_min"] != 1.0 || m["iops_max"] != 3.0 || m["iops"] != 2.0 {
		t.Errorf("median row JSON: %s", b.String())
	}
}

func TestPrintTableRounds(t *testing.T) {
	rows := sampleRows()
	var b bytes.Buffer
	PrintTable(&b, rows)
	if strings.Contains(b.String(), "IOPS range") {
		t.Errorf("range column without rounds:\n%s", b.String())
	}
	rows[0].Rounds, rows[0].IOPSMin, rows[0].IOPSMax = 3, 39870, 112400
	rows[1].Rounds, rows[1].IOPSMin, rows[1].IOPSMax = 3, 21000, 23000
	b.Reset()
	PrintTable(&b, rows)
	out := b.String()
	t.Log("\n" + out)
	header := strings.SplitN(out, "\n", 2)[0]
	if !strings.Contains(header, "IOPS range") || !strings.Contains(header, "IOPS") || !strings.Contains(header, "note") {
		t.Errorf("header: %s", header)
	}
	for _, s := range []string{"n=3 39.9k–112k", "n=3 21.0k–23.0k", "fio not installed", "1.87x"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
}
