package bench

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo/internal/testutil"
)

// diskTempDir returns a temporary directory on a disk-backed filesystem
// (not tmpfs), or skips.
func diskTempDir(t *testing.T) string {
	t.Helper()
	for _, base := range []string{"", "/var/tmp", "/"} {
		var dir string
		if base == "" {
			dir = t.TempDir()
		} else {
			d, err := os.MkdirTemp(base, "ringo-bench-test-")
			if err != nil {
				continue
			}
			t.Cleanup(func() { os.RemoveAll(d) })
			dir = d
		}
		var sfs unix.Statfs_t
		if err := unix.Statfs(dir, &sfs); err == nil && uint32(sfs.Type) != tmpfsMagic && uint32(sfs.Type) != ramfsMagic {
			return dir
		}
	}
	t.Skip("no disk-backed temporary directory")
	return ""
}

func TestAlignedBuffer(t *testing.T) {
	for _, n := range []int{1, 512, 4096, 4097, 1 << 20} {
		b, err := AlignedBuffer(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != n {
			t.Fatalf("len = %d, want %d", len(b), n)
		}
		if p := uintptr(unsafe.Pointer(&b[0])); p%4096 != 0 {
			t.Fatalf("AlignedBuffer(%d) at %#x, not 4096-aligned", n, p)
		}
		b[0], b[n-1] = 1, 2 // writable
		if err := FreeAligned(b); err != nil {
			t.Fatalf("FreeAligned: %v", err)
		}
	}
	if b, err := AlignedBuffer(0); b != nil || err != nil {
		t.Errorf("AlignedBuffer(0) = %v, %v; want nil, nil", b, err)
	}
	if err := FreeAligned(nil); err != nil {
		t.Error(err)
	}
}

// A buffer larger than memory is an error, not a panic (--bs 64m --qd 512
// on the aio engine used to panic).
func TestAlignedBufferTooLarge(t *testing.T) {
	for _, n := range []int{1 << 62, math.MaxInt} {
		b, err := AlignedBuffer(n)
		if err == nil || b != nil {
			FreeAligned(b)
			t.Errorf("AlignedBuffer(%d) = %d bytes, %v; want an error", n, len(b), err)
		}
	}
}

// Jobs whose buffers, QD×BS, exceed MaxInFlightBytes are refused before
// anything is allocated.
func TestValidateFileJobInFlightCap(t *testing.T) {
	job := FileJob{RW: "randread", BS: 64 << 20, QD: 512, Size: 1 << 40, Duration: time.Second}
	if err := validateFileJob(job); err == nil || !strings.Contains(err.Error(), "1.0 GiB") {
		t.Errorf("qd 512 × bs 64m: %v", err)
	}
	p := preparedFile(t)
	job.Path = p
	for _, e := range []FileEngine{AIOEngine{}, RingEngine{}, OSEngine{}, UringEngine{}} {
		if _, err := e.Run(t.Context(), job); err == nil {
			t.Errorf("%s ran qd 512 × bs 64m", e.Name())
		}
	}
	job.QD, job.BS = 16, 64<<20
	if err := validateFileJob(job); err != nil {
		t.Errorf("qd 16 × bs 64m = 1 GiB: %v", err)
	}
}

func checkPrepared(t *testing.T, path string, size int64) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != size {
		t.Fatalf("size %d, want %d", len(data), size)
	}
	zero := make([]byte, 4096)
	for off := 0; off < len(data); off += 4096 {
		end := min(off+4096, len(data))
		if bytes.Equal(data[off:end], zero[:end-off]) {
			t.Fatalf("block at %d is all zeros", off)
		}
	}
	// Not sparse: the allocated blocks cover the size.
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Blocks*512 < size {
		t.Fatalf("file is sparse: %d bytes allocated for %d", st.Blocks*512, size)
	}
	return data
}

func TestPrepareFile(t *testing.T) {
	dir := diskTempDir(t)
	p := filepath.Join(dir, "data")
	const size = 3<<20 + 12345 // not a multiple of the chunk
	if err := PrepareFile(t.Context(), p, size); err != nil {
		t.Fatal(err)
	}
	first := checkPrepared(t, p, size)

	// Large enough: untouched.
	if err := PrepareFile(t.Context(), p, 1<<20); err != nil {
		t.Fatal(err)
	}
	if again := checkPrepared(t, p, size); !bytes.Equal(first, again) {
		t.Fatal("PrepareFile rewrote a file that was large enough")
	}

	// Smaller: extended, existing bytes kept.
	if err := PrepareFile(t.Context(), p, 5<<20); err != nil {
		t.Fatal(err)
	}
	if ext := checkPrepared(t, p, 5<<20); !bytes.Equal(ext[:size], first) {
		t.Fatal("extending changed the existing bytes")
	}

	if err := EvictCache(p); err != nil {
		t.Fatalf("EvictCache: %v", err)
	}
}

func TestPrepareFileErrors(t *testing.T) {
	dir := t.TempDir()
	var sfs unix.Statfs_t
	if err := unix.Statfs(dir, &sfs); err != nil {
		t.Fatal(err)
	}
	free := int64(sfs.Bavail) * int64(sfs.Bsize)
	err := PrepareFile(t.Context(), filepath.Join(dir, "huge"), free+1<<40)
	if err == nil || !strings.Contains(err.Error(), "does not fit: only") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("too big: got %v", err)
	}
	if _, serr := os.Stat(filepath.Join(dir, "huge")); serr == nil {
		t.Fatal("file created although it does not fit")
	}
	if err := PrepareFile(t.Context(), filepath.Join(dir, "x"), 0); err == nil {
		t.Fatal("size 0 accepted")
	}
	if err := PrepareFile(t.Context(), dir, 4096); err == nil {
		t.Fatal("directory accepted")
	}
	if err := PrepareFile(t.Context(), filepath.Join(dir, "missing", "x"), 4096); err == nil {
		t.Fatal("missing directory accepted")
	}
	if err := EvictCache(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("EvictCache of a missing file succeeded")
	}
}

// An interrupted PrepareFile puts the file back as it found it: a file it
// created is removed, a file it extended is cut back to its old size.
func TestPrepareFileInterrupted(t *testing.T) {
	dir := diskTempDir(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p := filepath.Join(dir, "new")
	if err := PrepareFile(ctx, p, 4<<20); !errors.Is(err, context.Canceled) {
		t.Fatalf("PrepareFile with a cancelled context: %v", err)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial file left behind: %v", err)
	}

	old := filepath.Join(dir, "old")
	if err := PrepareFile(t.Context(), old, 1<<20); err != nil {
		t.Fatal(err)
	}
	before := checkPrepared(t, old, 1<<20)
	if err := PrepareFile(ctx, old, 4<<20); !errors.Is(err, context.Canceled) {
		t.Fatalf("PrepareFile with a cancelled context: %v", err)
	}
	if after := checkPrepared(t, old, 1<<20); !bytes.Equal(before, after) {
		t.Error("an interrupted extension changed the existing bytes")
	}
}

// resident returns, per page of path's first size bytes, whether it is
// in the page cache (mincore of a mapping of the file).
func resident(t *testing.T, path string, size int) []bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	page := os.Getpagesize()
	vec := make([]byte, (size+page-1)/page)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatalf("mincore: %v", errno)
	}
	in := make([]bool, len(vec))
	for i, v := range vec {
		in[i] = v&1 != 0
	}
	return in
}

// WarmCache reads in the job's region, [0, size), and nothing far past it.
func TestWarmCacheRegion(t *testing.T) {
	p := preparedFile(t) // workersTestSize: 8 MiB
	if err := EvictCache(p); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(resident(t, p, workersTestSize), true) {
		t.Skip("EvictCache left pages cached: cannot observe WarmCache")
	}
	const warm = 1 << 20
	if err := WarmCache(p, warm); err != nil {
		t.Fatal(err)
	}
	in := resident(t, p, workersTestSize)
	page := os.Getpagesize()
	for i, r := range in {
		switch off := i * page; {
		case off < warm && !r:
			t.Fatalf("page at %d, in the warmed region, is not cached", off)
		case off >= 2*warm && r:
			t.Fatalf("page at %d, past the warmed region (%d bytes), was read in", off, warm)
		}
	}
	// Through setCache, as the engines call it: the job's Size.
	if err := setCache(FileJob{Path: p, Warm: true, Size: workersTestSize}); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(resident(t, p, workersTestSize), false) {
		t.Error("a warm job's region is not all cached")
	}
	// A size past the end of the file reads it whole.
	if err := WarmCache(p, 2*workersTestSize); err != nil {
		t.Fatal(err)
	}
	if err := WarmCache(filepath.Join(filepath.Dir(p), "missing"), 1); err == nil {
		t.Error("WarmCache of a missing file succeeded")
	}
}

func TestDirectAlign(t *testing.T) {
	dir := diskTempDir(t)
	p := filepath.Join(dir, "data")
	// Before the file exists: the block device under its directory.
	a := DirectAlign(p)
	if a < 512 || a > 64<<10 || a&(a-1) != 0 {
		t.Errorf("DirectAlign of a new file = %d, want a power of two from 512", a)
	}
	if err := PrepareFile(t.Context(), p, 1<<20); err != nil {
		t.Fatal(err)
	}
	if CheckDirect(p) != nil {
		return
	}
	// A file with working O_DIRECT: statx's answer, which a read of that
	// size at that offset must satisfy.
	a = DirectAlign(p)
	if a < 1 || a > bufAlign || bufAlign%a != 0 {
		t.Fatalf("DirectAlign = %d", a)
	}
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_DIRECT, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	buf, err := AlignedBuffer(bufAlign)
	if err != nil {
		t.Fatal(err)
	}
	defer FreeAligned(buf)
	if _, err := unix.Pread(fd, buf[:a], a); err != nil {
		t.Errorf("O_DIRECT read of %d bytes at %d: %v", a, a, err)
	}
}

// fsImmutableFL is FS_IMMUTABLE_FL of FS_IOC_SETFLAGS (chattr +i).
// Every engine reads a file it may not write; the write workloads are
// refused by the open, not by a failed request.
func TestEnginesReadOnlyFile(t *testing.T) {
	p := preparedFile(t)
	testutil.MakeReadOnly(t, p)
	engines := []FileEngine{OSEngine{}, UringEngine{}, AIOEngine{}, RingEngine{}}
	if _, err := exec.LookPath("fio"); err == nil {
		engines = append(engines, FioEngine{})
	}
	for _, e := range engines {
		for _, rw := range []string{"randread", "read"} {
			job := FileJob{RW: rw, BS: 4096, QD: 2, Size: workersTestSize, Path: p, Duration: 50 * time.Millisecond}
			r, err := e.Run(t.Context(), job)
			if err != nil {
				t.Errorf("%s %s on a read-only file: %v", e.Name(), rw, err)
			} else if r.Ops <= 0 {
				t.Errorf("%s %s on a read-only file: no operations", e.Name(), rw)
			}
		}
		if _, ok := e.(FioEngine); ok {
			continue
		}
		job := FileJob{RW: "randwrite", BS: 4096, QD: 2, Size: workersTestSize, Path: p, Duration: 50 * time.Millisecond}
		if _, err := e.Run(t.Context(), job); err == nil {
			t.Errorf("%s randwrite on a read-only file succeeded", e.Name())
		}
	}
}

func TestCheckDirect(t *testing.T) {
	dir := diskTempDir(t)
	p := filepath.Join(dir, "data")
	if err := PrepareFile(t.Context(), p, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := CheckDirect(p); err != nil {
		t.Errorf("CheckDirect on a disk filesystem: %v", err)
	}
	if err := CheckDirect(filepath.Join(dir, "missing")); err == nil {
		t.Error("CheckDirect of a missing file succeeded")
	}

	var sfs unix.Statfs_t
	if err := unix.Statfs("/dev/shm", &sfs); err != nil || uint32(sfs.Type) != tmpfsMagic {
		t.Skip("/dev/shm is not tmpfs")
	}
	f, err := os.CreateTemp("/dev/shm", "ringo-direct-")
	if err != nil {
		t.Skip(err)
	}
	defer os.Remove(f.Name())
	f.Write(make([]byte, 8192))
	f.Close()
	err = CheckDirect(f.Name())
	if err == nil {
		t.Fatal("CheckDirect on tmpfs succeeded")
	}
	if !strings.Contains(err.Error(), "direct I/O not supported") {
		t.Errorf("unclear error: %v", err)
	}
}

func TestOffsetGenBounds(t *testing.T) {
	const size = 10<<20 + 100 // not a multiple of bs
	for _, rw := range []string{"randread", "randwrite", "randrw", "read", "write"} {
		for _, bs := range []int{512, 4096, 65536, 1 << 20} {
			job := FileJob{RW: rw, BS: bs, Size: size, Mix: 50}
			next := OffsetGen(job, 42)
			seen := map[int64]bool{}
			for range 20000 {
				off, _ := next()
				if off%int64(bs) != 0 || off < 0 || off > size-int64(bs) {
					t.Fatalf("%s bs=%d: offset %d out of bounds or unaligned", rw, bs, off)
				}
				seen[off] = true
			}
			blocks := (size-bs)/bs + 1
			if want := min(blocks, 2000); len(seen) < want {
				t.Errorf("%s bs=%d: only %d distinct offsets of %d blocks", rw, bs, len(seen), blocks)
			}
		}
	}
}

func TestOffsetGenSequential(t *testing.T) {
	job := FileJob{RW: "read", BS: 4096, Size: 5*4096 + 100}
	next := OffsetGen(job, 1)
	var got []int64
	for range 12 {
		off, w := next()
		if w {
			t.Fatal("read gave a write")
		}
		got = append(got, off/4096)
	}
	want := []int64{0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sequence %v, want %v", got, want)
		}
	}
	job.RW = "write"
	if _, w := OffsetGen(job, 1)(); !w {
		t.Fatal("write gave a read")
	}
	// Size == BS: always offset 0.
	one := OffsetGen(FileJob{RW: "randread", BS: 4096, Size: 4096}, 3)
	for range 100 {
		if off, _ := one(); off != 0 {
			t.Fatal("offset beyond the only block")
		}
	}
}

func TestOffsetGenMix(t *testing.T) {
	const n = 100000
	for _, c := range []struct {
		rw     string
		mix    int
		writes float64 // expected fraction
	}{
		{"randread", 0, 0}, {"randwrite", 0, 1},
		{"randrw", 70, 0.30}, {"randrw", 50, 0.50}, {"randrw", 0, 1}, {"randrw", 100, 0},
	} {
		next := OffsetGen(FileJob{RW: c.rw, Mix: c.mix, BS: 4096, Size: 1 << 30}, 12345)
		w := 0
		for range n {
			if _, write := next(); write {
				w++
			}
		}
		if got := float64(w) / n; got < c.writes-0.02 || got > c.writes+0.02 {
			t.Errorf("%s mix=%d: write fraction %.3f, want %.2f", c.rw, c.mix, got, c.writes)
		}
	}
}

func TestOffsetGenDeterministicAndSpread(t *testing.T) {
	job := FileJob{RW: "randread", BS: 4096, Size: 1 << 30}
	a, b, c := OffsetGen(job, 7), OffsetGen(job, 7), OffsetGen(job, 8)
	same, differ := true, false
	var lowHalf int
	blocks := int64(1<<30) / 4096
	for range 10000 {
		x, _ := a()
		y, _ := b()
		z, _ := c()
		same = same && x == y
		differ = differ || x != z
		if x/4096 < blocks/2 {
			lowHalf++
		}
	}
	if !same || !differ {
		t.Errorf("same seed same sequence: %v; different seeds differ: %v", same, differ)
	}
	if lowHalf < 4500 || lowHalf > 5500 {
		t.Errorf("%d of 10000 offsets in the lower half", lowHalf)
	}
}

func TestOffsetGenNoAlloc(t *testing.T) {
	for _, rw := range []string{"randread", "randrw", "read"} {
		next := OffsetGen(FileJob{RW: rw, Mix: 50, BS: 4096, Size: 1 << 30}, 1)
		if n := testing.AllocsPerRun(1000, func() { next() }); n != 0 {
			t.Errorf("%s: %v allocations per call", rw, n)
		}
	}
}
