//go:build linux

package bench

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo/internal/aio"
)

const aioTestSize = 8 << 20

// aioPatternFile writes a file of size bytes in which every 8-byte word
// holds its own offset xor a constant, so any block read back can be
// checked against its offset.
func aioPatternFile(t *testing.T, size int) string {
	t.Helper()
	b := make([]byte, size)
	for off := 0; off < size; off += 8 {
		binary.LittleEndian.PutUint64(b[off:], uint64(off)^0x5eed5eed5eed5eed)
	}
	p := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func checkPattern(off int64, b []byte) error {
	for i := 0; i+8 <= len(b); i += 8 {
		want := uint64(off+int64(i)) ^ 0x5eed5eed5eed5eed
		if got := binary.LittleEndian.Uint64(b[i:]); got != want {
			return fmt.Errorf("block at %d: word %d = %#x, want %#x", off, i/8, got, want)
		}
	}
	return nil
}

func directOK(t *testing.T, path string) bool {
	if err := CheckDirect(path); err != nil {
		t.Logf("direct I/O skipped: %v", err)
		return false
	}
	return true
}

func TestAIOEngine(t *testing.T) {
	p := aioPatternFile(t, aioTestSize)
	for _, rw := range []string{"randread", "randwrite", "randrw", "read"} {
		for _, direct := range []bool{false, true} {
			if direct && !directOK(t, p) {
				continue
			}
			t.Run(fmt.Sprintf("%s/direct=%v", rw, direct), func(t *testing.T) {
				job := FileJob{RW: rw, Mix: 50, BS: 4096, QD: 8, Direct: direct,
					Size: aioTestSize, Path: p, Duration: 200 * time.Millisecond}
				var e FileEngine = AIOEngine{}
				r, err := e.Run(t.Context(), job)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				if r.Ops <= 0 || r.IOPS <= 0 || r.Seconds <= 0 {
					t.Fatalf("no work measured: %+v", r)
				}
				if r.Engine != "aio" || r.Bench != "file" || r.RW != rw || r.QD != 8 || r.Direct != direct {
					t.Fatalf("result fields: %+v", r)
				}
				t.Logf("%d ops, %.0f IOPS, p50 %.1fus p99 %.1fus, %.2f CPU us/op, %d threads", r.Ops, r.IOPS, r.P50Us, r.P99Us, r.CPUUsPerOp, r.Threads)
				if r.EntersPerOp != 0 {
					t.Fatalf("EntersPerOp = %v, want 0 for aio", r.EntersPerOp)
				}
			})
		}
	}
}

func TestAIOEngineRejects(t *testing.T) {
	p := aioPatternFile(t, 1<<20)
	base := FileJob{RW: "randread", BS: 4096, QD: 8, Size: 1 << 20, Path: p, Duration: 50 * time.Millisecond}

	job := base
	job.QD = aioMaxQD + 1
	if _, err := (AIOEngine{}).Run(t.Context(), job); err == nil {
		t.Fatal("QD 1025 accepted")
	}
	// A job larger than the file reads past its end: a short read.
	job = base
	job.Size = 64 << 20
	if _, err := (AIOEngine{}).Run(t.Context(), job); err == nil || !strings.Contains(err.Error(), "short read") {
		t.Fatalf("Run past EOF: err = %v, want a short read", err)
	}
	job = base
	job.Path = filepath.Join(t.TempDir(), "missing")
	if _, err := (AIOEngine{}).Run(t.Context(), job); err == nil {
		t.Fatal("missing file accepted")
	}
}

// runLoop runs an aioLoop over path with plain parameters.
func runLoop(t *testing.T, path string, direct bool, bs, qd int, d time.Duration,
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
	c, err := aio.New(qd)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf, err := AlignedBuffer(qd * bs)
	if err != nil {
		t.Fatal(err)
	}
	defer FreeAligned(buf)
	for i := range buf {
		buf[i] = fill
	}
	var latencies int64
	l := &aioLoop{ctx: t.Context(), c: c, fd: fd, bs: bs, qd: qd, buf: buf, next: next,
		until: time.Now().Add(d), record: func(time.Duration) { latencies++ }, check: check}
	ops, err := l.run()
	if latencies != ops {
		t.Errorf("recorded %d latencies for %d ops", latencies, ops)
	}
	return ops, err
}

// TestAIOLoopReadsPattern checks the data of every completed read.
func TestAIOLoopReadsPattern(t *testing.T) {
	p := aioPatternFile(t, aioTestSize)
	for _, direct := range []bool{false, true} {
		if direct && !directOK(t, p) {
			continue
		}
		t.Run(fmt.Sprintf("direct=%v", direct), func(t *testing.T) {
			job := FileJob{RW: "randread", BS: 4096, QD: 16, Size: aioTestSize}
			var checked int64
			ops, err := runLoop(t, p, direct, job.BS, job.QD, 100*time.Millisecond, OffsetGen(job, 7), 0xee,
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

// TestAIOLoopWrites writes each block of a small file exactly once (a
// sequential job whose first batch covers the file, with the deadline
// already past) and reads the file back with os.
func TestAIOLoopWrites(t *testing.T) {
	const bs, qd = 4096, 8
	for _, direct := range []bool{false, true} {
		p := aioPatternFile(t, bs*qd*2)
		if direct && !directOK(t, p) {
			continue
		}
		t.Run(fmt.Sprintf("direct=%v", direct), func(t *testing.T) {
			job := FileJob{RW: "write", BS: bs, QD: qd, Size: bs * qd}
			ops, err := runLoop(t, p, direct, bs, qd, 0, OffsetGen(job, 1), 0xa5, nil)
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
