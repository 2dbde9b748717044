package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// column is one column of PrintTable.
type column struct {
	head     string
	right    bool // right-aligned (numbers)
	optional bool // shown only when some row has a value
	cell     func(r Result) string
}

var tableColumns = []column{
	{head: "bench", cell: func(r Result) string { return r.Bench }},
	{head: "engine", cell: func(r Result) string { return r.Engine }},
	{head: "rw", cell: func(r Result) string { return dash(r.RW) }},
	{head: "bs", right: true, cell: func(r Result) string { return fmtSize(r.BS) }},
	{head: "qd", right: true, cell: func(r Result) string { return fmtInt(r.QD) }},
	{head: "batch", right: true, optional: true, cell: func(r Result) string { return fmtInt(r.Batch) }},
	{head: "setup", optional: true, cell: func(r Result) string { return dash(r.Setup) }},
	{head: "cache", cell: func(r Result) string { return cacheMode(r) }},
	{head: "IOPS", right: true, cell: func(r Result) string { return fmtNumOrDash(rate(r)) }},
	{head: "IOPS range", optional: true, cell: roundsCell},
	{head: "MiB/s", right: true, cell: func(r Result) string { return fmtNumOrDash(r.MiBs) }},
	{head: "ns/op", right: true, optional: true, cell: func(r Result) string { return fmtNumOrDash(r.NsPerOp) }},
	{head: "p50 µs", right: true, cell: func(r Result) string { return fmtNumOrDash(r.P50Us) }},
	{head: "p99 µs", right: true, cell: func(r Result) string { return fmtNumOrDash(r.P99Us) }},
	{head: "p99.9 µs", right: true, cell: func(r Result) string { return fmtNumOrDash(r.P999Us) }},
	{head: "CPU µs/op", right: true, cell: func(r Result) string { return fmtNumOrDash(r.CPUUsPerOp) }},
	{head: "enters/op", right: true, cell: func(r Result) string { return fmtNumOrDash(r.EntersPerOp) }},
	{head: "threads", right: true, cell: func(r Result) string { return fmtInt(r.Threads) }},
	{head: "note", cell: func(r Result) string { return r.Note }},
}

// rate is a row's operations per second: IOPS, or OpsPerSec for rows (nop)
// that only set that.
func rate(r Result) float64 {
	if r.IOPS == 0 {
		return r.OpsPerSec
	}
	return r.IOPS
}

// cacheMode is "direct", "warm" or "cold" for benchmarks on files, "-" for
// the others.
func cacheMode(r Result) string {
	switch {
	case r.Bench != "file" && r.Bench != "smallfiles":
		return "-"
	case r.Direct:
		return "direct"
	case r.Warm:
		return "warm"
	default:
		return "cold"
	}
}

// isRingo reports whether engine is ringo's ("uring", or a variant
// "uring-...").
func isRingo(engine string) bool {
	return engine == "uring" || strings.HasPrefix(engine, "uring-") || strings.HasPrefix(engine, "uring+")
}

// PrintTable writes rows as an aligned text table, followed by a ratio
// section: for each group of rows measuring the same thing (bench, rw, bs,
// qd, cache mode, and batch/setup when set) that has a ringo row (engine
// "uring"), the IOPS and CPU-per-op ratios of ringo to each baseline engine
// of the group. baselines names the engines to compare with (e.g. "os",
// "aio", "fio"); without it, every other engine in the group is used.
// Columns batch, setup, IOPS range (of rows that are the median of
// several runs, MedianRun) and ns/op appear only when some row uses them.
func PrintTable(w io.Writer, rows []Result, baselines ...string) error {
	var cols []column
	for _, c := range tableColumns {
		if c.optional {
			used := false
			for _, r := range rows {
				if v := c.cell(r); v != "" && v != "-" {
					used = true
					break
				}
			}
			if !used {
				continue
			}
		}
		cols = append(cols, c)
	}
	heads := make([]string, len(cols))
	right := make([]bool, len(cols))
	for i, c := range cols {
		heads[i], right[i] = c.head, c.right
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = make([]string, len(cols))
		for j, c := range cols {
			cells[i][j] = c.cell(r)
		}
	}
	if err := writeAligned(w, heads, right, cells); err != nil {
		return err
	}

	ratios := ratioRows(rows, baselines)
	if len(ratios) == 0 {
		return nil
	}
	if _, err := fmt.Fprintln(w, "\nratios (IOPS: above 1x ringo is faster; CPU/op: below 1x ringo is cheaper)"); err != nil {
		return err
	}
	return writeAligned(w, []string{"workload", "ratio", "IOPS", "CPU/op"}, []bool{false, false, true, true}, ratios)
}

// groupKey identifies rows that measure the same thing.
type groupKey struct {
	bench, rw, setup string
	bs, qd, batch    int
	cache            string
}

func keyOf(r Result) groupKey {
	return groupKey{bench: r.Bench, rw: r.RW, setup: r.Setup, bs: r.BS, qd: r.QD, batch: r.Batch, cache: cacheMode(r)}
}

func (k groupKey) String() string {
	parts := []string{k.bench}
	if k.rw != "" {
		parts = append(parts, k.rw)
	}
	if k.bs != 0 {
		parts = append(parts, fmtSize(k.bs))
	}
	if k.qd != 0 {
		parts = append(parts, "qd"+strconv.Itoa(k.qd))
	}
	if k.batch != 0 {
		parts = append(parts, "batch"+strconv.Itoa(k.batch))
	}
	if k.setup != "" {
		parts = append(parts, k.setup)
	}
	if k.cache != "-" {
		parts = append(parts, k.cache)
	}
	return strings.Join(parts, " ")
}

// ratioRows computes the cells of the ratio section.
func ratioRows(rows []Result, baselines []string) [][]string {
	var order []groupKey
	groups := map[groupKey][]Result{}
	for _, r := range rows {
		if r.Note != "" && rate(r) == 0 {
			continue // e.g. "fio not installed"
		}
		k := keyOf(r)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var out [][]string
	for _, k := range order {
		g := groups[k]
		label := k.String()
		for _, ring := range g {
			if !isRingo(ring.Engine) {
				continue
			}
			var others []Result
			if len(baselines) == 0 {
				for _, o := range g {
					if !isRingo(o.Engine) {
						others = append(others, o)
					}
				}
			} else {
				for _, b := range baselines {
					for _, o := range g {
						if o.Engine == b {
							others = append(others, o)
						}
					}
				}
			}
			for _, o := range others {
				iops := fmtRatio(rate(ring), rate(o))
				cpu := fmtRatio(ring.CPUUsPerOp, o.CPUUsPerOp)
				if iops == "-" && cpu == "-" {
					continue
				}
				out = append(out, []string{label, ring.Engine + "/" + o.Engine, iops, cpu})
				label = ""
			}
		}
	}
	return out
}

// fmtRatio formats a/b as "1.85x", or "-" when either is missing.
func fmtRatio(a, b float64) string {
	if a <= 0 || b <= 0 || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return "-"
	}
	x := a / b
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0fx", x)
	case x >= 10:
		return fmt.Sprintf("%.1fx", x)
	default:
		return fmt.Sprintf("%.2fx", x)
	}
}

// writeAligned writes a header, a rule and rows, each column as wide as its
// widest cell, separated by two spaces; trailing blanks are trimmed.
func writeAligned(w io.Writer, heads []string, right []bool, rows [][]string) error {
	width := make([]int, len(heads))
	for i, h := range heads {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i, c := range cells {
			if i > 0 {
				l.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if right[i] {
				l.WriteString(pad + c)
			} else {
				l.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	line(heads)
	rule := make([]string, len(heads))
	for i := range rule {
		rule[i] = strings.Repeat("-", width[i])
	}
	line(rule)
	for _, row := range rows {
		line(row)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fmtNum formats x with about three significant digits and a k, M or G
// suffix from 10000 on: 0.031, 3.14, 95.7, 1234, 41.2k, 412k, 1.23M.
func fmtNum(x float64) string {
	a := math.Abs(x)
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return fmt.Sprint(x)
	case a >= 1e9:
		return short(x/1e9) + "G"
	case a >= 1e6:
		return short(x/1e6) + "M"
	case a >= 1e4:
		return short(x/1e3) + "k"
	}
	return short(x)
}

func short(x float64) string {
	a := math.Abs(x)
	switch {
	case a == 0:
		return "0"
	case a < 0.995:
		// Two significant digits: 0.50, 0.031, 0.0042.
		return strconv.FormatFloat(x, 'f', int(-math.Floor(math.Log10(a)))+1, 64)
	case a < 9.995:
		return strconv.FormatFloat(x, 'f', 2, 64)
	case a < 99.95:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
}

// fmtNumOrDash is fmtNum, or "-" for 0 (not measured).
func fmtNumOrDash(x float64) string {
	if x == 0 {
		return "-"
	}
	return fmtNum(x)
}

func fmtInt(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fmtSize formats a block size: 512, 4k, 64k, 1m; "-" for 0.
func fmtSize(n int) string {
	switch {
	case n == 0:
		return "-"
	case n%(1<<30) == 0:
		return strconv.Itoa(n>>30) + "g"
	case n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "m"
	case n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "k"
	}
	return strconv.Itoa(n)
}

// PrintJSON writes r as one JSON object on one line (the format of
// `ringo bench --json`).
func PrintJSON(w io.Writer, r Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Progress is a live status line on a terminal: each Update rewrites the
// line in place ("\r", then erase to end of line). On anything that is not
// a terminal it writes nothing, so redirected output stays clean. A nil
// *Progress is valid and silent. Safe for concurrent use.
type Progress struct {
	mu    sync.Mutex
	w     *os.File
	tty   bool
	shown bool
}

// NewProgress returns a Progress writing to w (usually os.Stderr).
func NewProgress(w *os.File) *Progress {
	return &Progress{w: w, tty: isTerminal(w)}
}

// isTerminal reports whether f is a terminal (TCGETS succeeds).
func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	tty := false
	_ = rc.Control(func(fd uintptr) {
		_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		tty = err == nil
	})
	return tty
}

// termWidth is the width of the terminal f, or 0 if unknown.
func termWidth(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	cols := 0
	_ = rc.Control(func(fd uintptr) {
		if ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ); err == nil {
			cols = int(ws.Col)
		}
	})
	return cols
}

// Update replaces the status line with fmt.Sprintf(format, args...), cut to
// the terminal width so it never wraps.
func (p *Progress) Update(format string, args ...any) {
	if p == nil || !p.tty {
		return
	}
	s := fmt.Sprintf(format, args...)
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	if cols := termWidth(p.w); cols > 1 && utf8.RuneCountInString(s) > cols-1 {
		s = string([]rune(s)[:cols-1])
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.w, "\r"+s+"\x1b[K")
	p.shown = true
}

// Done clears the status line, leaving the cursor at the start of an empty
// line for what follows.
func (p *Progress) Done() {
	if p == nil || !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		_, _ = io.WriteString(p.w, "\r\x1b[K")
		p.shown = false
	}
}
