//go:build linux

package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestRingEngine(t *testing.T) {
	p := aioPatternFile(t, aioTestSize)
	for _, rw := range []string{"randread", "randwrite", "randrw", "read"} {
		for _, direct := range []bool{false, true} {
			if direct && !directOK(t, p) {
				continue
			}
			t.Run(fmt.Sprintf("%s/direct=%v", rw, direct), func(t *testing.T) {
				job := FileJob{RW: rw, Mix: 50, BS: 4096, QD: 8, Direct: direct,
					Size: aioTestSize, Path: p, Duration: 200 * time.Millisecond}
				var e FileEngine = RingEngine{}
				r, err := e.Run(t.Context(), job)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				if r.Ops <= 0 || r.IOPS <= 0 || r.Seconds <= 0 {
					t.Fatalf("no work measured: %+v", r)
				}
				if r.Engine != "ring" || r.Bench != "file" || r.RW != rw || r.QD != 8 || r.Direct != direct {
					t.Fatalf("result fields: %+v", r)
				}
				t.Logf("%d ops, %.0f IOPS, p50 %.1fus p99 %.1fus, %.2f CPU us/op, %.3f enters/op, %d threads, note %q",
					r.Ops, r.IOPS, r.P50Us, r.P99Us, r.CPUUsPerOp, r.EntersPerOp, r.Threads, r.Note)
				// At least one enter per batch of at most QD completions.
				if r.EntersPerOp < 1.0/8 {
					t.Fatalf("EntersPerOp = %v, want at least 1/QD", r.EntersPerOp)
				}
			})
		}
	}
}

func TestRingEngineRejects(t *testing.T) {
	p := aioPatternFile(t, 1<<20)
	base := FileJob{RW: "randread", BS: 4096, QD: 8, Size: 1 << 20, Path: p, Duration: 50 * time.Millisecond}

	job := base
	job.QD = ringMaxQD + 1
	if _, err := (RingEngine{}).Run(t.Context(), job); err == nil || !strings.Contains(err.Error(), "at most 4096") {
		t.Fatalf("QD 4097: err = %v, want a queue depth error", err)
	}
	// A job larger than the file reads past its end: a short read.
	job = base
	job.Size = 64 << 20
	if _, err := (RingEngine{}).Run(t.Context(), job); err == nil || !strings.Contains(err.Error(), "short read") {
		t.Fatalf("Run past EOF: err = %v, want a short read", err)
	}
	job = base
	job.Path = filepath.Join(t.TempDir(), "missing")
	if _, err := (RingEngine{}).Run(t.Context(), job); err == nil {
		t.Fatal("missing file accepted")
	}
}

// TestRingEngineDepths runs depths that are not powers of two, and the
// largest accepted, so that the ring is sized up correctly.
func TestRingEngineDepths(t *testing.T) {
	p := aioPatternFile(t, aioTestSize)
	for _, qd := range []int{1, 3, 100, ringMaxQD} {
		job := FileJob{RW: "randread", BS: 512, QD: qd, Warm: true, Size: aioTestSize, Path: p, Duration: 50 * time.Millisecond}
		r, err := (RingEngine{}).Run(t.Context(), job)
		if err != nil || r.Ops <= 0 {
			t.Fatalf("qd %d: %d ops, %v", qd, r.Ops, err)
		}
	}
}

// runRingLoop runs a ringLoop over path with plain parameters; fixed
// registers the file and the slot buffers, as RingEngine does when it can.
func runRingLoop(t *testing.T, path string, direct, fixed bool, bs, qd int, d time.Duration,
	next func() (int64, bool), fill byte, check func(int64, bool, []byte) error) (int64, error) {
	t.Helper()
	flags := unix.O_RDWR | unix.O_CLOEXEC
	if direct {
		flags |= unix.O_DIRECT
	}
	fd, err := unix.Open(path, flags, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	buf, err := AlignedBuffer(qd * bs)
	if err != nil {
		t.Fatal(err)
	}
	defer FreeAligned(buf)
	for i := range buf {
		buf[i] = fill
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := newBenchRing(qd)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var latencies int64
	l := &ringLoop{ctx: t.Context(), r: r, fd: int32(fd), bs: bs, qd: qd, buf: buf, next: next,
		until: time.Now().Add(d), record: func(time.Duration) { latencies++ }, check: check}
	if fixed {
		if err := r.RegisterFiles([]int32{int32(fd)}); err != nil {
			t.Skipf("RegisterFiles: %v", err)
		}
		slots := make([][]byte, qd)
		for i := range slots {
			slots[i] = buf[i*bs : (i+1)*bs]
		}
		if err := r.RegisterBuffers(slots); err != nil {
			t.Skipf("RegisterBuffers: %v", err)
		}
		l.fd, l.fixedFile, l.fixedBufs = 0, true, true
	}
	ops, err := l.run()
	if latencies != ops {
		t.Errorf("recorded %d latencies for %d ops", latencies, ops)
	}
	if ops > 0 && l.enters <= 0 {
		t.Errorf("%d ops with %d enters", ops, l.enters)
	}
	return ops, err
}

// TestRingLoopReadsPattern checks the data of every completed read.
func TestRingLoopReadsPattern(t *testing.T) {
	p := aioPatternFile(t, aioTestSize)
	for _, direct := range []bool{false, true} {
		if direct && !directOK(t, p) {
			continue
		}
		for _, fixed := range []bool{false, true} {
			t.Run(fmt.Sprintf("direct=%v/fixed=%v", direct, fixed), func(t *testing.T) {
				job := FileJob{RW: "randread", BS: 4096, QD: 16, Size: aioTestSize}
				var checked int64
				ops, err := runRingLoop(t, p, direct, fixed, job.BS, job.QD, 100*time.Millisecond, OffsetGen(job, 7), 0xee,
					func(off int64, write bool, b []byte) error {
						if write {
							return fmt.Errorf("write at %d in a randread job", off)
						}
						checked++
						return checkPattern(off, b)
					})
				if err != nil {
					t.Fatal(err)
				}
				if ops <= 0 || checked != ops {
					t.Fatalf("ops = %d, checked = %d", ops, checked)
				}
			})
		}
	}
}

// TestRingLoopWrites writes each block of a small file exactly once (a
// sequential job whose first batch covers the file, with the deadline
// already past) and reads the file back with os.
func TestRingLoopWrites(t *testing.T) {
	const bs, qd = 4096, 8
	for _, direct := range []bool{false, true} {
		for _, fixed := range []bool{false, true} {
			p := aioPatternFile(t, bs*qd*2)
			if direct && !directOK(t, p) {
				continue
			}
			t.Run(fmt.Sprintf("direct=%v/fixed=%v", direct, fixed), func(t *testing.T) {
				job := FileJob{RW: "write", BS: bs, QD: qd, Size: bs * qd}
				ops, err := runRingLoop(t, p, direct, fixed, bs, qd, 0, OffsetGen(job, 1), 0xa5, nil)
				if err != nil {
					t.Fatal(err)
				}
				if ops != qd {
					t.Fatalf("ops = %d, want %d", ops, qd)
				}
				got, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got[:bs*qd], bytes.Repeat([]byte{0xa5}, bs*qd)) {
					t.Fatal("written blocks differ")
				}
				if err := checkPattern(bs*qd, got[bs*qd:]); err != nil {
					t.Fatalf("block past the job was touched: %v", err)
				}
			})
		}
	}
}

// TestRingLoopCheckError ends the run at the first failed check and still
// drains what is in flight.
func TestRingLoopCheckError(t *testing.T) {
	p := aioPatternFile(t, aioTestSize)
	job := FileJob{RW: "randread", BS: 4096, QD: 16, Size: aioTestSize}
	var calls int
	_, err := runRingLoop(t, p, false, false, job.BS, job.QD, time.Minute, OffsetGen(job, 3), 0,
		func(int64, bool, []byte) error {
			calls++
			if calls == 5 {
				return fmt.Errorf("boom")
			}
			return nil
		})
	if err == nil || err.Error() != "boom" {
		t.Fatalf("err = %v, want boom", err)
	}
}
