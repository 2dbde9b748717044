// Package bench holds the measurement machinery behind `ringo bench`:
// workloads, engines (ringo, os, Linux AIO, fio), statistics, tables and
// plots.
package bench

import (
	"context"
	"encoding/json"
	"time"
)

// FileJob describes one file benchmark run, the same for every engine.
type FileJob struct {
	RW       string        // randread | randwrite | read | write | randrw
	Mix      int           // percent reads for randrw (0-100)
	BS       int           // block size in bytes
	QD       int           // queue depth: requests in flight
	Direct   bool          // O_DIRECT
	Warm     bool          // keep the page cache (default: evict before the run)
	Size     int64         // bytes of the file used
	Path     string        // file to use (created and filled by PrepareFile)
	Duration time.Duration // run time
}

// Result is one row of output. JSON names are the documented interface of
// `ringo bench --json`.
type Result struct {
	Bench       string  `json:"bench"` // nop | file | smallfiles | net
	Engine      string  `json:"engine"`
	RW          string  `json:"rw,omitempty"`
	BS          int     `json:"bs,omitempty"`
	QD          int     `json:"qd,omitempty"`
	Batch       int     `json:"batch,omitempty"`
	Setup       string  `json:"setup,omitempty"`
	Direct      bool    `json:"direct"`
	Warm        bool    `json:"warm"`
	Ops         int64   `json:"ops"`
	Seconds     float64 `json:"seconds"`
	IOPS        float64 `json:"iops"`
	MiBs        float64 `json:"mib_s"`
	NsPerOp     float64 `json:"ns_per_op,omitempty"`
	OpsPerSec   float64 `json:"ops_per_sec,omitempty"`
	CPUUsPerOp  float64 `json:"cpu_us_per_op"`
	P50Us       float64 `json:"p50_us"`
	P99Us       float64 `json:"p99_us"`
	P999Us      float64 `json:"p999_us"`
	EntersPerOp float64 `json:"enters_per_op,omitempty"` // always present in the rows of engines that count enters (MarshalJSON)
	RatioVsC    float64 `json:"ratio_vs_c,omitempty"`    // nop: ringo ns/op over C liburing ns/op
	Threads     int     `json:"threads"`
	Note        string  `json:"note,omitempty"` // e.g. "fio not installed"
	// Rounds is how many runs the row is the median of (MedianRun);
	// IOPSMin and IOPSMax, set from two runs on, are the range of their
	// rates.
	Rounds  int     `json:"rounds,omitempty"`
	IOPSMin float64 `json:"iops_min,omitempty"`
	IOPSMax float64 `json:"iops_max,omitempty"`
}

// MarshalJSON encodes r with its JSON field names. enters_per_op is left
// out of the rows of engines that do not count io_uring_enter calls, and
// always present, 0 included, in those that do (ringo's engines and the
// raw ring on files).
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result // without the method
	if !countsEnters(r) {
		return json.Marshal(plain(r))
	}
	// The outer field hides the embedded one of the same JSON name.
	return json.Marshal(struct {
		plain
		EntersPerOp float64 `json:"enters_per_op"`
	}{plain(r), r.EntersPerOp})
}

// countsEnters reports whether r's engine counts its io_uring_enter calls:
// ringo's engines ("uring", "uring-…") and the raw ring, on files.
func countsEnters(r Result) bool {
	return (r.Bench == "file" || r.Bench == "smallfiles") && (isRingo(r.Engine) || r.Engine == "ring")
}

// FileEngine runs a FileJob and measures it.
type FileEngine interface {
	Name() string
	Run(ctx context.Context, job FileJob) (Result, error)
}

// ReaderWriterAt is what a goroutine-per-request engine needs from a file:
// os.File and ringo.File both satisfy it.
type ReaderWriterAt interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
}
