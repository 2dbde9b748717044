// Package bench holds the measurement machinery behind `ringo bench`:
// workloads, engines (ringo, os, Linux AIO, fio), statistics, tables and
// plots.
package bench

import (
	"context"
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
	EntersPerOp float64 `json:"enters_per_op,omitempty"`
	RatioVsC    float64 `json:"ratio_vs_c,omitempty"` // nop: ringo ns/op over C liburing ns/op
	Threads     int     `json:"threads"`
	Note        string  `json:"note,omitempty"` // e.g. "fio not installed"
	// Rounds is how many runs the row is the median of (MedianRun);
	// IOPSMin and IOPSMax, set from two runs on, are the range of their
	// rates.
	Rounds  int     `json:"rounds,omitempty"`
	IOPSMin float64 `json:"iops_min,omitempty"`
	IOPSMax float64 `json:"iops_max,omitempty"`
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
