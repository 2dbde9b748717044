package ringo

// Tests of hot files (file.go, readHot) that need the File's internals:
// f.hot and f.tryCache. Real kernel, no mocks, no timing.

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"github.com/ringo-io/ringo/internal/testutil"
	"golang.org/x/sys/unix"
)

func hotTestEngine(t *testing.T, opts ...Option) *Engine {
	t.Helper()
	e, err := NewEngine(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// A file format with a 4 KiB header and 32 KiB blocks: the header is
// read often and stays cached, the blocks (pages 1, 9, 17, ...) are cold.
// Once hot, every block read that misses is a pread64 through RawSyscall
// (or a fault on the file's mapping) that waits for the disk holding its
// P, so the file must leave the hot path after a few misses, whatever its
// offsets (sampling hot reads by page number never checked these: it
// stayed hot for ever). Both hot ways are checked: pread64, and the
// leased mapping (file_mapped.go).
func TestHotFileLeavesHotPathOnMisses(t *testing.T) {
	for _, mapped := range []bool{false, true} {
		name := "pread64"
		if mapped {
			name = "mapped"
		}
		t.Run(name, func(t *testing.T) { testHotFileLeavesHotPath(t, mapped) })
	}
}

func testHotFileLeavesHotPath(t *testing.T, mapped bool) {
	var opts []Option
	if mapped {
		opts = append(opts, WithMappedReads())
	}
	e := hotTestEngine(t, opts...)
	name := filepath.Join(testutil.DiskDir(t), "blocks") // FADV_DONTNEED must work
	const hdr, block, nblocks = 4096, 32 << 10, 512
	data := make([]byte, hdr+block*nblocks)
	for i := range data {
		data[i] = byte(i*7 + i>>12)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := e.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Fsync(int(f.Fd())); err != nil { // dirty pages are not evicted
		t.Fatal(err)
	}
	// Residency through mincore on a mapping (never faulted in).
	m, err := unix.Mmap(int(f.Fd()), 0, len(data), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (len(data)+4095)/4096)
	resident := func(off, n int) int {
		if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
			t.Fatal(e)
		}
		c := 0
		for p := off / 4096; p < (off+n+4095)/4096; p++ {
			c += int(vec[p] & 1)
		}
		return c
	}

	// The header is read often and cached; say its hits made the file
	// hot (voting is random, so set it rather than count on the dice).
	h := make([]byte, hdr)
	for range 16 {
		if _, err := f.ReadAt(h, 0); err != nil {
			t.Fatal(err)
		}
	}
	f.hot.Store(true)
	if mapped {
		for range 64 { // the first hot reads map the file
			if _, err := f.ReadAt(h, 0); err != nil {
				t.Fatal(err)
			}
		}
		if f.mapping.Load() == nil {
			t.Skip("file not mapped (no read lease here?)")
		}
	}
	buf := make([]byte, block)
	misses := 0
	for k := range nblocks {
		off := hdr + block*k
		// Pages the mapping has faulted in stay resident (FADV_DONTNEED
		// leaves mapped pages), and read-around brings neighbours:
		// only a block with nothing resident is a sure miss.
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			t.Skip("fadvise:", err)
		}
		if resident(off, block) != 0 {
			continue
		}
		if _, err := f.ReadAt(buf, int64(off)); err != nil {
			t.Fatal(err)
		}
		misses++
		if !f.hot.Load() {
			t.Logf("left the hot path after %d page-cache misses", misses)
			return
		}
	}
	// One hot read in hotSampleEvery (8) checks: 110 misses leave the
	// file hot with a chance of (7/8)^110, about 4e-7.
	if misses < 110 {
		t.Skipf("only %d reads found their block evicted (FADV_DONTNEED did not evict: tmpfs?)", misses)
	}
	t.Fatalf("still hot after %d ReadAt calls that each missed the page cache (each a P-holding disk read)", misses)
}

// One ReadAt whose offset+length overflows int64 (an untrusted Range
// header, say) makes preadv2 fail EINVAL, as os.File.ReadAt does; it must
// not switch off the File's cached-read paths for good.
func TestHugeOffsetKeepsCachedReads(t *testing.T) {
	e := hotTestEngine(t)
	name := filepath.Join(testutil.DiskDir(t), "f")
	if err := os.WriteFile(name, make([]byte, 1<<16), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := e.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for range 32 {
		if _, err := f.ReadAt(buf, 0); err != nil {
			t.Fatal(err)
		}
	}
	f.hot.Store(true)
	if !f.tryCache.Load() || !f.hot.Load() {
		t.Fatalf("tryCache %v hot %v before", f.tryCache.Load(), f.hot.Load())
	}
	_, err = f.ReadAt(buf, math.MaxInt64-100)
	g, _ := os.Open(name)
	defer g.Close()
	_, oserr := g.ReadAt(buf, math.MaxInt64-100)
	if !errors.Is(err, syscall.EINVAL) || !errors.Is(oserr, syscall.EINVAL) {
		t.Fatalf("ringo %v, os %v; want EINVAL from both", err, oserr)
	}
	if _, err := f.ReadAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	if !f.tryCache.Load() {
		t.Fatal("one ReadAt with an overflowing offset switched off cached reads (preadv2 and hot pread64) for the File's lifetime")
	}
}
