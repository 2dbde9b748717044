package bench

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fakeSweep() []Result {
	var rows []Result
	engines := []struct {
		name string
		iops float64
		cpu  float64
	}{{"uring", 40000, 3}, {"os", 25000, 9}, {"aio", 38000, 4}, {"fio", 41000, 2.5}}
	for _, e := range engines {
		for qd := 1; qd <= 64; qd *= 2 {
			rows = append(rows, Result{Bench: "file", Engine: e.name, RW: "randread", BS: 4096, QD: qd, Direct: true,
				IOPS: e.iops * float64(qd) / (1 + float64(qd)/8), CPUUsPerOp: e.cpu + 4/float64(qd)})
		}
	}
	rows = append(rows, Result{Bench: "file", Engine: "fio-psync", RW: "randread", BS: 4096, QD: 8, Direct: true, Note: "fio not installed"})
	return rows
}

// svgInfo is what the test reads back from an SVG.
type svgInfo struct {
	texts     []string
	polylines map[string]int // per panel id, class="series"
	engines   map[string]map[string]bool
}

func parseSVG(t *testing.T, data []byte) svgInfo {
	t.Helper()
	info := svgInfo{polylines: map[string]int{}, engines: map[string]map[string]bool{}}
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []xml.StartElement
	panel := func() string {
		for i := len(stack) - 1; i >= 0; i-- {
			for _, a := range stack[i].Attr {
				if a.Name.Local == "id" && strings.HasPrefix(a.Value, "panel-") {
					return a.Value
				}
			}
		}
		return ""
	}
	attr := func(e xml.StartElement, name string) string {
		for _, a := range e.Attr {
			if a.Name.Local == name {
				return a.Value
			}
		}
		return ""
	}
	var root string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = e.Name.Local
				if e.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("root namespace %q", e.Name.Space)
				}
			}
			if e.Name.Local == "polyline" && attr(e, "class") == "series" {
				info.polylines[panel()]++
			}
			if e.Name.Local == "g" && attr(e, "class") == "series" {
				p := panel()
				if info.engines[p] == nil {
					info.engines[p] = map[string]bool{}
				}
				info.engines[p][attr(e, "data-engine")] = true
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && stack[len(stack)-1].Name.Local == "text" {
				info.texts = append(info.texts, string(e))
			}
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q", root)
	}
	return info
}

func TestWritePlot(t *testing.T) {
	now = func() time.Time { return time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC) }
	defer func() { now = time.Now }()
	path := filepath.Join(t.TempDir(), "plot.svg")
	machine := `2 cores, 24 GiB, kernel 6.18, ext4 on virtio <vda> & "friends"`
	if err := WritePlot(path, fakeSweep(), machine); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info := parseSVG(t, data)
	all := strings.Join(info.texts, "\n")
	for _, s := range []string{"ringo bench: file randread 4k direct", "queue depth (log2 scale)", "IOPS", "CPU µs/op",
		machine + " · 2026-03-14", "uring", "os", "aio", "fio", "1", "8", "64"} {
		if !strings.Contains(all, s) {
			t.Errorf("SVG text lacks %q", s)
		}
	}
	if strings.Contains(all, "fio-psync") {
		t.Error("row without numbers plotted")
	}
	for _, p := range []string{"panel-iops", "panel-cpu"} {
		if info.polylines[p] != 4 {
			t.Errorf("%s: %d series polylines, want 4 (one per engine)", p, info.polylines[p])
		}
		for _, e := range []string{"uring", "os", "aio", "fio"} {
			if !info.engines[p][e] {
				t.Errorf("%s lacks engine %s", p, e)
			}
		}
	}
}

func TestWritePlotMixedWorkloadsAndErrors(t *testing.T) {
	dir := t.TempDir()
	rows := fakeSweep()
	rows = append(rows, Result{Bench: "file", Engine: "uring", RW: "randwrite", BS: 4096, QD: 4, IOPS: 1000, CPUUsPerOp: 5})
	p := filepath.Join(dir, "mixed.svg")
	if err := WritePlot(p, rows, ""); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	info := parseSVG(t, data)
	if info.polylines["panel-iops"] != 5 || !info.engines["panel-cpu"]["uring file randwrite 4k cold"] {
		t.Errorf("mixed workloads: %v %v", info.polylines, info.engines)
	}

	err := WritePlot(filepath.Join(dir, "plot.png"), rows, "")
	if err == nil || !strings.Contains(err.Error(), "only .svg is supported") {
		t.Errorf("png: %v", err)
	}
	if err := WritePlot(filepath.Join(dir, "empty.svg"), []Result{{Engine: "fio", Note: "fio not installed"}}, ""); err == nil {
		t.Error("plot without data succeeded")
	}
	// A single queue depth still gives a sane axis.
	one := []Result{{Bench: "file", Engine: "uring", RW: "randread", BS: 4096, QD: 16, IOPS: 5000, CPUUsPerOp: 3}}
	p = filepath.Join(dir, "one.svg")
	if err := WritePlot(p, one, "m"); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(p)
	if info := parseSVG(t, data); info.polylines["panel-iops"] != 1 || strings.Contains(string(data), "NaN") || strings.Contains(string(data), "Inf") {
		t.Errorf("single point plot: %v", info.polylines)
	}
}

func TestNiceAxis(t *testing.T) {
	for _, c := range []struct{ max, step, top float64 }{
		{100, 25, 125}, {41234, 10000, 50000}, {3.2, 1, 4}, {0, 1, 5},
	} {
		step, top := niceAxis(c.max)
		if step != c.step || top != c.top {
			t.Errorf("niceAxis(%v) = %v, %v; want %v, %v", c.max, step, top, c.step, c.top)
		}
	}
}

func TestFmtTick(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 5: "5", 2.5: "2.5", 15: "15", 10000: "10k", 12500: "12.5k", 1.5e6: "1.5M", 100000: "100k", 0.25: "0.25"} {
		if got := fmtTick(v); got != want {
			t.Errorf("fmtTick(%v) = %q, want %q", v, got, want)
		}
	}
}

// CheckPlotPath finds, before any run, the plots WritePlot would fail to
// write, and leaves nothing behind.
func TestCheckPlotPath(t *testing.T) {
	dir := t.TempDir()
	for _, good := range []string{filepath.Join(dir, "a.svg"), filepath.Join(dir, "B.SVG")} {
		if err := CheckPlotPath(good); err != nil {
			t.Errorf("CheckPlotPath(%s): %v", good, err)
		}
	}
	existing := filepath.Join(dir, "old.svg")
	if err := os.WriteFile(existing, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckPlotPath(existing); err != nil {
		t.Errorf("CheckPlotPath(existing): %v", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep" {
		t.Errorf("CheckPlotPath changed an existing file: %q", b)
	}
	if err := os.Mkdir(filepath.Join(dir, "d.svg"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, mention string }{
		{filepath.Join(dir, "a.png"), "only .svg"},
		{filepath.Join(dir, "noext"), "only .svg"},
		{filepath.Join(dir, "missing", "a.svg"), "no such file or directory"},
		{filepath.Join(dir, "d.svg"), "not a regular file"},
		{filepath.Join(existing, "a.svg"), "cannot write to"},
	} {
		err := CheckPlotPath(c.path)
		if err == nil || !strings.Contains(err.Error(), c.mention) || strings.Contains(err.Error(), "\n") {
			t.Errorf("CheckPlotPath(%s) = %v, want one line mentioning %q", c.path, err, c.mention)
		}
	}
	names, _ := os.ReadDir(dir)
	if len(names) != 2 {
		t.Errorf("CheckPlotPath left files behind: %v", names)
	}
}
