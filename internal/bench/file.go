package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// bufAlign is the alignment of AlignedBuffer: enough for O_DIRECT on any
// common block device (logical blocks of 512 or 4096 bytes).
const bufAlign = 4096

// AlignedBuffer returns an n-byte buffer whose first byte is 4096-aligned,
// suitable for O_DIRECT. It is an anonymous private mapping (unix.Mmap), so
// it is outside the Go heap: the garbage collector neither scans nor moves
// it, and it is never freed unless passed to FreeAligned. Benchmarks
// allocate a handful per run, so leaking them is acceptable; long-lived
// callers should free them. It returns nil, nil for n <= 0, and an error
// if the mapping fails (a size larger than memory, for instance).
func AlignedBuffer(n int) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	if n > math.MaxInt-bufAlign {
		return nil, fmt.Errorf("bench: aligned buffer of %d bytes: too large", n)
	}
	size := (n + bufAlign - 1) &^ (bufAlign - 1)
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, fmt.Errorf("bench: aligned buffer of %s: %w", fmtBytes(int64(n)), err)
	}
	return b[:n], nil
}

// FreeAligned unmaps a buffer returned by AlignedBuffer (it must be the
// slice AlignedBuffer returned, possibly resliced from index 0). The buffer
// must not be used afterwards.
func FreeAligned(b []byte) error {
	if cap(b) == 0 {
		return nil
	}
	return unix.Munmap(b[:cap(b)])
}

// prepareChunk is the write size of PrepareFile.
const prepareChunk = 1 << 20

// PrepareFile makes sure path is a regular file of at least size bytes of
// non-zero pseudo-random data, so that reads really hit the disk (no holes,
// nothing a compressing or deduplicating layer could shortcut). A missing
// file is created; a smaller one is extended (its existing bytes are kept);
// a file already large enough is left alone. The data is written in 1 MiB
// chunks and fsync'd. Before writing it checks the free space of the
// filesystem and fails with "size X does not fit: only Y free on DIR".
//
// ctx is checked before each chunk: when it is done, PrepareFile undoes
// what it did (it removes a file it created, truncates a file it extended
// back to its former size) and returns ctx's error.
func PrepareFile(ctx context.Context, path string, size int64) error {
	if size <= 0 {
		return fmt.Errorf("prepare %s: size must be positive, got %d", path, size)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var have int64
	existed := false
	switch st, err := os.Stat(path); {
	case err == nil:
		if !st.Mode().IsRegular() {
			return fmt.Errorf("prepare %s: not a regular file", path)
		}
		have, existed = st.Size(), true
		if have >= size {
			return nil
		}
	case errors.Is(err, os.ErrNotExist):
	default:
		return fmt.Errorf("prepare %s: %w", path, err)
	}

	dir := filepath.Dir(path)
	free, err := FreeSpace(dir)
	if err != nil {
		return fmt.Errorf("prepare %s: %w", path, err)
	}
	if need := size - have; need > free {
		return fmt.Errorf("size %s does not fit: only %s free on %s", fmtBytes(size), fmtBytes(free), dir)
	}

	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("prepare %s: %w", path, err)
	}
	// undo closes f and puts path back as it was.
	undo := func() {
		f.Close()
		if existed {
			os.Truncate(path, have)
		} else {
			os.Remove(path)
		}
	}
	buf := make([]byte, prepareChunk)
	rng := rand.NewChaCha8([32]byte{'r', 'i', 'n', 'g', 'o'})
	for off := have; off < size; {
		if err := ctx.Err(); err != nil {
			undo()
			return err
		}
		n := min(int64(len(buf)), size-off)
		_, _ = rng.Read(buf[:n]) // never fails
		if _, err := f.WriteAt(buf[:n], off); err != nil {
			undo()
			return fmt.Errorf("prepare %s: %w", path, err)
		}
		off += n
	}
	if err := f.Sync(); err != nil {
		undo()
		return fmt.Errorf("prepare %s: fsync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("prepare %s: %w", path, err)
	}
	return nil
}

// FreeSpace returns the bytes available to an unprivileged user on the
// filesystem of dir (statfs f_bavail × f_bsize).
func FreeSpace(dir string) (int64, error) {
	var sfs unix.Statfs_t
	if err := unix.Statfs(dir, &sfs); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return int64(sfs.Bavail) * int64(sfs.Bsize), nil
}

// EvictCache drops path's pages from the page cache (fdatasync, then
// posix_fadvise POSIX_FADV_DONTNEED over the whole file), so the next run
// starts cold.
func EvictCache(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("evict cache of %s: %w", path, err)
	}
	defer unix.Close(fd)
	if err := unix.Fdatasync(fd); err != nil {
		return fmt.Errorf("evict cache of %s: fdatasync: %w", path, err)
	}
	if err := unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("evict cache of %s: fadvise: %w", path, err)
	}
	return nil
}

// Filesystem magic numbers (statfs f_type) of memory-backed filesystems.
const (
	tmpfsMagic = 0x01021994
	ramfsMagic = 0x858458f6
)

// CheckDirect reports whether direct I/O (O_DIRECT) on the existing file
// path really bypasses the page cache: it fails with a clear error if the
// filesystem refuses O_DIRECT (EINVAL from open or from an aligned read),
// if it is memory-backed (tmpfs and ramfs accept O_DIRECT since Linux 6.6
// but it measures nothing there), or if it reports (statx STATX_DIOALIGN)
// that it has no direct I/O support or needs more than 4096-byte alignment.
func CheckDirect(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("direct I/O not supported on %s: the filesystem refuses O_DIRECT (%v); run without direct I/O or use a file on a disk filesystem", path, err)
		}
		return fmt.Errorf("direct I/O check of %s: %w", path, err)
	}
	defer unix.Close(fd)

	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err == nil {
		switch uint32(sfs.Type) {
		case tmpfsMagic, ramfsMagic:
			return fmt.Errorf("direct I/O not supported on %s: it is on a memory-backed filesystem (tmpfs/ramfs), where O_DIRECT is accepted but still goes through memory; use a file on a disk filesystem", path)
		}
	}

	var stx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_DIOALIGN, &stx); err == nil && stx.Mask&unix.STATX_DIOALIGN != 0 {
		if stx.Dio_offset_align == 0 {
			return fmt.Errorf("direct I/O not supported on %s: the filesystem reports no direct I/O support", path)
		}
		if stx.Dio_mem_align > bufAlign || stx.Dio_offset_align > bufAlign {
			return fmt.Errorf("direct I/O on %s needs %d-byte aligned offsets and %d-byte aligned buffers; ringo uses %d", path, stx.Dio_offset_align, stx.Dio_mem_align, bufAlign)
		}
	}

	// Some filesystems (FUSE, network) accept the open and refuse the I/O.
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err == nil && st.Size >= bufAlign {
		buf, err := AlignedBuffer(bufAlign)
		if err != nil {
			return fmt.Errorf("direct I/O check of %s: %w", path, err)
		}
		defer FreeAligned(buf)
		if _, err := unix.Pread(fd, buf, 0); err != nil {
			if errors.Is(err, unix.EINVAL) {
				return fmt.Errorf("direct I/O not supported on %s: an aligned O_DIRECT read fails (%v); run without direct I/O or use a file on a disk filesystem", path, err)
			}
			return fmt.Errorf("direct I/O check of %s: read: %w", path, err)
		}
	}
	return nil
}

// OffsetGen returns a generator of the offsets of job: each call returns
// the offset of the next request and whether it is a write.
//
//   - randread, randwrite, randrw: uniformly random multiples of job.BS in
//     [0, Size-BS];
//   - read, write: sequential from 0 in steps of BS, wrapping to 0 when the
//     next block would pass Size.
//
// write is true for write and randwrite, false for read and randread, and
// for randrw true with probability (100-Mix)% (Mix is the read percentage,
// clamped to 0..100). An unknown RW behaves like randread. The generator is
// deterministic for a given seed, does not allocate, and is not safe for
// concurrent use: give each goroutine its own (with its own seed).
func OffsetGen(job FileJob, seed int64) func() (off int64, write bool) {
	bs := int64(job.BS)
	if bs <= 0 {
		bs = 1
	}
	blocks := uint64(1)
	if job.Size >= bs {
		blocks = uint64((job.Size-bs)/bs + 1)
	}
	pcg := rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)
	// uniform returns a random number in [0, n) (Lemire's multiply-shift;
	// the bias is at most n/2^64).
	uniform := func(n uint64) uint64 {
		hi, _ := bits.Mul64(pcg.Uint64(), n)
		return hi
	}

	switch job.RW {
	case "read", "write":
		write := job.RW == "write"
		var next uint64
		return func() (int64, bool) {
			off := int64(next) * bs
			next++
			if next >= blocks {
				next = 0
			}
			return off, write
		}
	case "randwrite":
		return func() (int64, bool) {
			return int64(uniform(blocks)) * bs, true
		}
	case "randrw":
		mix := uint64(max(0, min(100, job.Mix)))
		return func() (int64, bool) {
			off := int64(uniform(blocks)) * bs
			return off, uniform(100) >= mix
		}
	default: // randread
		return func() (int64, bool) {
			return int64(uniform(blocks)) * bs, false
		}
	}
}

// fmtBytes formats a byte count with a binary unit, e.g. "1.5 GiB".
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// WarmCache reads the first size bytes of path (the region a job uses)
// through the page cache, so a warm run starts with every page it can
// touch cached whichever engine ran before it. Readahead is turned off on
// the descriptor (POSIX_FADV_RANDOM), so nothing past size is read in: the
// rest of a large file keeps its cache state. A file shorter than size is
// read whole.
func WarmCache(path string, size int64) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("warm cache of %s: %w", path, err)
	}
	defer unix.Close(fd)
	_ = unix.Fadvise(fd, 0, 0, unix.FADV_RANDOM) // only limits readahead
	buf := make([]byte, min(1<<20, max(size, 0)))
	for off := int64(0); off < size; {
		n, err := unix.Pread(fd, buf[:min(int64(len(buf)), size-off)], off)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("warm cache of %s: %w", path, err)
		}
		if n == 0 {
			return nil // end of file
		}
		off += int64(n)
	}
	return nil
}

// setCache puts job.Path's page cache in the state the job asks for: its
// first job.Size bytes read in for warm runs, the whole file dropped
// otherwise (fio's --invalidate=1).
func setCache(job FileJob) error {
	if job.Path == "" {
		return nil
	}
	if job.Warm {
		return WarmCache(job.Path, job.Size)
	}
	return EvictCache(job.Path)
}

// openFlags are the open(2) access flags job needs: read-only for the
// read-only workloads (randread, read), so that a file the user may only
// read can be measured, read-write otherwise; plus O_DIRECT for direct
// jobs.
func openFlags(job FileJob) int {
	flags := unix.O_RDWR
	if ReadOnly(job.RW) {
		flags = unix.O_RDONLY
	}
	if job.Direct {
		flags |= unix.O_DIRECT
	}
	return flags
}

// ReadOnly reports whether workload rw only reads (randread, read).
func ReadOnly(rw string) bool { return rw == "randread" || rw == "read" }

// DirectAlign returns the alignment, in bytes, that O_DIRECT offsets and
// lengths need on path: the filesystem's own answer (statx
// STATX_DIOALIGN) when path is a regular file and the filesystem gives
// one, else the logical block size of the block device under path (or
// under its directory, when path does not exist yet), else 512. It
// returns 0 when the filesystem says it has no direct I/O at all
// (CheckDirect explains that case).
func DirectAlign(path string) int64 {
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_DIOALIGN|unix.STATX_TYPE, &stx); err == nil &&
		stx.Mode&unix.S_IFMT == unix.S_IFREG && stx.Mask&unix.STATX_DIOALIGN != 0 {
		return int64(stx.Dio_offset_align)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if err := unix.Stat(filepath.Dir(path), &st); err != nil {
			return 512
		}
	}
	maj, mnr := unix.Major(st.Dev), unix.Minor(st.Dev)
	for _, p := range []string{"queue/logical_block_size", "../queue/logical_block_size"} { // disk, partition
		b, err := os.ReadFile(fmt.Sprintf("/sys/dev/block/%d:%d/%s", maj, mnr, p))
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 512
}
