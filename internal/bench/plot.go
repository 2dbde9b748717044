package bench

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// now is the clock of WritePlot's caption (replaced in tests).
var now = time.Now

// Plot geometry (SVG user units = pixels).
const (
	plotW      = 1100
	plotH      = 540
	panelTop   = 100
	panelH     = 330
	panelW     = 420
	panel1Left = 90
	panel2Left = 620
)

// knownColors gives the usual engines stable colors across plots.
var knownColors = map[string]string{
	"uring":      "#d62728", // red: ringo
	"os":         "#1f77b4", // blue
	"aio":        "#2ca02c", // green
	"fio":        "#ff7f0e", // orange
	"fio-libaio": "#9467bd", // purple
	"fio-psync":  "#8c564b", // brown
	"ring":       "#7f7f7f", // grey: the raw ring under ringo
}

var palette = []string{"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

// plotSeries is one line: an engine (and workload, when the rows mix
// several) with its points sorted by queue depth.
type plotSeries struct {
	name   string
	color  string
	marker int
	qd     []int
	iops   []float64
	cpu    []float64 // 0 = not measured
}

// WritePlot writes an SVG chart of rows to path: two panels side by side,
// IOPS and CPU µs per operation against queue depth (log2 axis), one line
// with markers per engine, a legend, a title, and a caption with machine
// (a description of the machine) and today's date. Rows without a queue
// depth or a rate (e.g. "fio not installed") are left out; repeated
// measurements of one engine at one queue depth are averaged. When the rows
// mix several workloads (bench, rw, bs, cache), each engine gets one line
// per workload. Only .svg is supported.
func WritePlot(path string, rows []Result, machine string) error {
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".svg" {
		return fmt.Errorf("plot %s: only .svg is supported", path)
	}
	svg, err := renderPlot(rows, machine)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return os.WriteFile(path, svg, 0o644)
}

// CheckPlotPath reports, before a run, whether WritePlot can write path:
// its name ends in .svg, and either it is an existing regular file that
// can be opened for writing, or a file can be created in its directory
// (checked by creating and removing a temporary file there). It leaves
// nothing behind and does not touch an existing path.
func CheckPlotPath(path string) error {
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".svg" {
		return fmt.Errorf("plot %s: only .svg is supported", path)
	}
	if st, err := os.Stat(path); err == nil {
		if !st.Mode().IsRegular() {
			return fmt.Errorf("plot %s: not a regular file", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("plot %s: cannot write it: %w", path, pathErrCause(err))
		}
		return f.Close()
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".ringo-plot-*.svg")
	if err != nil {
		return fmt.Errorf("plot %s: cannot write to %s: %w", path, dir, pathErrCause(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// pathErrCause is the cause of a *fs.PathError ("permission denied"),
// without the operation and path it names.
func pathErrCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// workloadLabel describes the workload of a file row: "file randread 4k
// direct".
func workloadLabel(r Result) string {
	k := keyOf(r)
	k.qd, k.batch = 0, 0
	return k.String()
}

func collectSeries(rows []Result) (series []*plotSeries, workloads []string) {
	type point struct {
		iops, cpu []float64
	}
	seenWL := map[string]bool{}
	for _, r := range rows {
		if r.QD <= 0 || rate(r) <= 0 {
			continue
		}
		if wl := workloadLabel(r); !seenWL[wl] {
			seenWL[wl] = true
			workloads = append(workloads, wl)
		}
	}
	multi := len(workloads) > 1
	byName := map[string]*plotSeries{}
	points := map[string]map[int]*point{}
	for _, r := range rows {
		if r.QD <= 0 || rate(r) <= 0 {
			continue
		}
		name := r.Engine
		if multi {
			name += " " + workloadLabel(r)
		}
		s := byName[name]
		if s == nil {
			s = &plotSeries{name: name}
			byName[name] = s
			points[name] = map[int]*point{}
			series = append(series, s)
		}
		p := points[name][r.QD]
		if p == nil {
			p = &point{}
			points[name][r.QD] = p
		}
		p.iops = append(p.iops, rate(r))
		if r.CPUUsPerOp > 0 {
			p.cpu = append(p.cpu, r.CPUUsPerOp)
		}
	}
	used := map[string]bool{}
	for _, s := range series {
		if c, ok := knownColors[s.name]; ok && !used[c] {
			s.color = c
			used[c] = true
		}
	}
	next := 0
	for i, s := range series {
		s.marker = i % 4
		if s.color != "" {
			continue
		}
		for next < len(palette) && used[palette[next]] {
			next++
		}
		if next < len(palette) {
			s.color = palette[next]
		} else {
			s.color = fmt.Sprintf("hsl(%d,70%%,40%%)", (i*137)%360)
		}
		used[s.color] = true
	}
	for _, s := range series {
		for qd := range points[s.name] {
			s.qd = append(s.qd, qd)
		}
		sort.Ints(s.qd)
		for _, qd := range s.qd {
			p := points[s.name][qd]
			s.iops = append(s.iops, mean(p.iops))
			s.cpu = append(s.cpu, mean(p.cpu))
		}
	}
	return series, workloads
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// svgWriter accumulates SVG text.
type svgWriter struct{ bytes.Buffer }

func (w *svgWriter) f(format string, args ...any) { fmt.Fprintf(&w.Buffer, format, args...) }

// text writes a <text> element with escaped content.
func (w *svgWriter) text(x, y float64, anchor, extra, s string) {
	w.f(`<text x="%.1f" y="%.1f" text-anchor="%s"%s>`, x, y, anchor, extra)
	_ = xml.EscapeText(&w.Buffer, []byte(s))
	w.f("</text>\n")
}

// marker draws marker shape k centered on (x, y).
func (w *svgWriter) marker(k int, x, y float64, color string) {
	switch k {
	case 1: // square
		w.f(`<rect x="%.1f" y="%.1f" width="8" height="8" fill="%s"/>`+"\n", x-4, y-4, color)
	case 2: // diamond
		w.f(`<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s"/>`+"\n", x, y-5.5, x+5.5, y, x, y+5.5, x-5.5, y, color)
	case 3: // triangle
		w.f(`<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s"/>`+"\n", x, y-5.5, x+5, y+4, x-5, y+4, color)
	default: // circle
		w.f(`<circle cx="%.1f" cy="%.1f" r="4.5" fill="%s"/>`+"\n", x, y, color)
	}
}

func renderPlot(rows []Result, machine string) ([]byte, error) {
	series, workloads := collectSeries(rows)
	if len(series) == 0 {
		return nil, errors.New("no rows with a queue depth and a rate to plot")
	}
	title := "ringo bench"
	if len(workloads) == 1 {
		title += ": " + workloads[0]
	} else {
		title += ": file I/O"
	}

	// x: log2 of the queue depth, padded so end points sit off the axes.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, qd := range s.qd {
			l := math.Log2(float64(qd))
			lo, hi = math.Min(lo, l), math.Max(hi, l)
		}
	}
	if hi-lo < 1 {
		lo, hi = lo-1, hi+1
	}
	lo, hi = lo-0.25, hi+0.25

	w := &svgWriter{}
	w.f(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="13">`+"\n", plotW, plotH, plotW, plotH)
	w.f(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	w.text(plotW/2, 32, "middle", ` font-size="20" font-weight="bold" id="title"`, title)

	// Legend: one row, centered under the title.
	const charW, itemGap = 7.2, 28.0
	total := 0.0
	for _, s := range series {
		total += 30 + charW*float64(len([]rune(s.name))) + itemGap
	}
	x := math.Max(10, (plotW-(total-itemGap))/2)
	w.f(`<g id="legend">` + "\n")
	for _, s := range series {
		w.f(`<line x1="%.1f" y1="60" x2="%.1f" y2="60" stroke="%s" stroke-width="2.5"/>`+"\n", x, x+24, s.color)
		w.marker(s.marker, x+12, 60, s.color)
		w.text(x+30, 64.5, "start", "", s.name)
		x += 30 + charW*float64(len([]rune(s.name))) + itemGap
	}
	w.f("</g>\n")

	w.panel("panel-iops", panel1Left, "IOPS (higher is better)", "IOPS", series, lo, hi, func(s *plotSeries, i int) float64 { return s.iops[i] })
	w.panel("panel-cpu", panel2Left, "CPU per operation (lower is better)", "CPU µs/op", series, lo, hi, func(s *plotSeries, i int) float64 { return s.cpu[i] })

	caption := now().Format("2006-01-02")
	if machine != "" {
		caption = machine + " · " + caption
	}
	w.text(plotW/2, plotH-18, "middle", ` font-size="12" fill="#555" id="caption"`, caption)
	w.f("</svg>\n")
	return w.Bytes(), nil
}

// panel draws one chart: axes, ticks, grid, labels and a polyline with
// markers per series (points where value returns 0 are skipped).
func (w *svgWriter) panel(id string, left float64, heading, ylabel string, series []*plotSeries, lo, hi float64, value func(*plotSeries, int) float64) {
	top, bottom, right := float64(panelTop), float64(panelTop+panelH), left+panelW
	ymax := 0.0
	for _, s := range series {
		for i := range s.qd {
			ymax = math.Max(ymax, value(s, i))
		}
	}
	step, ytop := niceAxis(ymax)
	px := func(qd int) float64 { return left + (math.Log2(float64(qd))-lo)/(hi-lo)*panelW }
	py := func(v float64) float64 { return bottom - v/ytop*panelH }

	w.f(`<g id="%s">`+"\n", id)
	w.text((left+right)/2, top-12, "middle", ` font-size="15" font-weight="bold"`, heading)
	// Grid and y ticks.
	for v := 0.0; v <= ytop*(1+1e-9); v += step {
		y := py(v)
		w.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", left, y, right, y)
		w.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", left-5, y, left, y)
		w.text(left-8, y+4.5, "end", "", fmtTick(v))
	}
	// x ticks at powers of two.
	for e := math.Ceil(lo); e <= hi; e++ {
		qd := int(math.Exp2(e))
		x := px(qd)
		w.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#f0f0f0"/>`+"\n", x, top, x, bottom)
		w.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", x, bottom, x, bottom+5)
		w.text(x, bottom+20, "middle", "", fmt.Sprint(qd))
	}
	// Axes and labels.
	w.f(`<polyline points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="black" class="axis"/>`+"\n", left, top, left, bottom, right, bottom)
	w.text((left+right)/2, bottom+42, "middle", ` class="xlabel"`, "queue depth (log2 scale)")
	w.text(0, 0, "middle", fmt.Sprintf(` class="ylabel" transform="translate(%.1f,%.1f) rotate(-90)"`, left-62, (top+bottom)/2), ylabel)
	// Series.
	for _, s := range series {
		var pts []string
		for i, qd := range s.qd {
			if v := value(s, i); v > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(qd), py(v)))
			}
		}
		w.f(`<g class="series" data-engine="`)
		_ = xml.EscapeText(&w.Buffer, []byte(s.name))
		w.f(`">`+"\n"+`<polyline class="series" points="%s" fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round"/>`+"\n", strings.Join(pts, " "), s.color)
		for i, qd := range s.qd {
			if v := value(s, i); v > 0 {
				w.marker(s.marker, px(qd), py(v), s.color)
			}
		}
		w.f("</g>\n")
	}
	w.f("</g>\n")
}

// niceAxis picks a tick step of 1, 2, 2.5 or 5 times a power of ten giving
// about five ticks, and the top of the axis (a multiple of the step at or
// above max, with a little headroom).
func niceAxis(max float64) (step, top float64) {
	if max <= 0 || math.IsNaN(max) || math.IsInf(max, 0) {
		return 1, 5
	}
	raw := max * 1.05 / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	return step, math.Ceil(max*1.05/step) * step
}

// fmtTick formats an axis tick: fmtNum without trailing zeros (5, 2.5,
// 10k, 1.5M).
func fmtTick(v float64) string {
	s := fmtNum(v)
	suffix := ""
	if n := len(s); n > 0 && strings.ContainsRune("kMG", rune(s[n-1])) {
		s, suffix = s[:n-1], s[n-1:]
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + suffix
}
