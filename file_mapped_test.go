package ringo_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo"
)

// Mapped reads (file_mapped.go): a hot read-only file is read by copying
// from a shared mapping under a read lease. Every way the file can change
// under it must show in the very next read, exactly as pread shows it.

func mappedEngine(t *testing.T) *ringo.Engine { return newEngine(t, ringo.WithMappedReads()) }

// openPatterned writes size patterned bytes to a new file, opens it
// read-only with e (closed at the end of the test) and returns the file,
// its name and its contents.
func openPatterned(t *testing.T, e *ringo.Engine, size int) (*ringo.File, string, []byte) {
	t.Helper()
	name := filepath.Join(t.TempDir(), "patterned")
	want := make([]byte, size)
	for i := range want {
		want[i] = byte(i*7 + i>>12)
	}
	if err := os.WriteFile(name, want, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := e.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, name, want
}

// mappedFile is openPatterned, read until its reads copy from the mapping.
func mappedFile(t *testing.T, e *ringo.Engine, size int) (*ringo.File, string, []byte) {
	t.Helper()
	f, name, want := openPatterned(t, e, size)
	waitMapped(t, f, size)
	return f, name, want
}

// waitMapped reads f's pages over and over until f is mapped: enough
// sampled hits make it hot (one in 64 votes; 16 votes), and a hot read
// maps it, or, while a lease cannot be had, one hot read in 4096 tries
// again.
func waitMapped(t *testing.T, f *ringo.File, size int) {
	t.Helper()
	buf := make([]byte, 4096)
	for i := range 1 << 20 {
		if f.MappedForTest() {
			return
		}
		off := int64(i*4096) % int64(size)
		if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}
	var sfs unix.Statfs_t
	unix.Statfs(f.Name(), &sfs)
	t.Skipf("file never mapped (read leases refused here? filesystem magic %#x)", sfs.Type)
}

// checkRead compares f.ReadAt with what want says, the way os reports it.
func checkRead(t *testing.T, f *ringo.File, want []byte, off int64, n int) {
	t.Helper()
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, off)
	start := min(off, int64(len(want)))
	end := min(off+int64(n), int64(len(want)))
	wantN := int(end - start)
	if got != wantN || !bytes.Equal(buf[:got], want[start:end]) {
		t.Fatalf("ReadAt(%d bytes at %d) = %d bytes (match %v), %v; want %d", n, off, got, bytes.Equal(buf[:got], want[start:end]), err, wantN)
	}
	if wantN < n && err != io.EOF {
		t.Fatalf("ReadAt(%d bytes at %d) short read err = %v, want io.EOF", n, off, err)
	}
	if wantN == n && err != nil {
		t.Fatalf("ReadAt(%d bytes at %d) = %v", n, off, err)
	}
}

func TestMappedReadsMatchOS(t *testing.T) {
	const size = 1<<20 + 777 // a partial last page
	f, _, want := mappedFile(t, mappedEngine(t), size)
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		checkRead(t, f, want, r.Int64N(size), 1+r.IntN(64<<10))
	}
	checkRead(t, f, want, size-100, 4096)
	checkRead(t, f, want, size, 4096)
	checkRead(t, f, want, size+5000, 4096)
	checkRead(t, f, want, 0, size+10)
	if !f.MappedForTest() {
		t.Fatal("plain reads of an unchanged file let go of its mapping")
	}
}

// A writer in this very process: its open waits for the lease, which the
// lease-break signal releases; the reads after its write see the write.
func TestMappedSeesWriterInSameProcess(t *testing.T) {
	const size = 256 << 10
	f, name, want := mappedFile(t, mappedEngine(t), size)
	w, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	patch := bytes.Repeat([]byte("written"), 1000)
	if _, err := w.WriteAt(patch, 5000); err != nil {
		t.Fatal(err)
	}
	copy(want[5000:], patch)
	checkRead(t, f, want, 4096, 8192)
	if f.MappedForTest() {
		t.Fatal("mapped while a writer has the file open")
	}
	// Appends grow the file past the old size.
	if _, err := w.WriteAt([]byte("tail"), size); err != nil {
		t.Fatal(err)
	}
	want = append(want, "tail"...)
	checkRead(t, f, want, size-10, 100)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// With the writer gone the file is mapped again, at its new size.
	waitMapped(t, f, len(want))
	checkRead(t, f, want, size-10, 100)
	checkRead(t, f, want, 5000, len(patch))
}

// truncate(2) by path from another process, and a writer there.
func TestMappedSeesOtherProcess(t *testing.T) {
	const size = 1 << 20
	f, name, want := mappedFile(t, mappedEngine(t), size)
	// dd's open blocks until the lease is let go (GNU truncate(1) opens
	// O_NONBLOCK, which fails with EAGAIN instead: WithMappedReads).
	if out, err := exec.Command("dd", "if=/dev/null", "of="+name, "bs=1", "seek=300000", "status=none").CombinedOutput(); err != nil {
		t.Fatalf("dd: %v: %s", err, out)
	}
	want = want[:300000]
	checkRead(t, f, want, 299000, 4096) // short: the old page tail is gone
	checkRead(t, f, want, 400000, 4096) // past the new end
	waitMapped(t, f, len(want))
	cmd := exec.Command("sh", "-c", `printf 'XYZ' | dd of="$0" bs=1 seek=1000 conv=notrunc status=none`, name)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dd: %v: %s", err, out)
	}
	copy(want[1000:], "XYZ")
	checkRead(t, f, want, 0, 4096)
}

// A program that ignores the lease-break signal: the writer waits only
// until the next read, which finds the lease being broken, lets it go and
// reads the ordinary way.
func TestMappedLeaseReleasedWithoutSignal(t *testing.T) {
	const size = 1 << 20
	f, name, want := mappedFile(t, mappedEngine(t), size)
	restore := ringo.IgnoreLeaseSignalForTest()
	defer restore()
	cmd := exec.Command("dd", "if=/dev/null", "of="+name, "bs=1", "seek=5000", "status=none")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the kernel marks the lease as being broken (dd then
	// waits in its open).
	for {
		l, err := unix.FcntlInt(f.Fd(), unix.F_GETLEASE, 0)
		if err != nil {
			t.Fatal(err)
		}
		if l != unix.F_RDLCK {
			break
		}
		if cmd.ProcessState != nil {
			t.Fatal("dd ended while the lease was held")
		}
	}
	// Reads that find the lease still held return the old contents (dd
	// has not truncated); the first that asks the kernel again (a read
	// may skip asking for a millisecond after an answer, and one in 64
	// asks preadv2 instead) finds it being broken and lets go of it.
	for i := 0; f.MappedForTest(); i++ {
		if i == 100000 {
			t.Fatal("100000 reads, over 10 s, did not let go of a lease being broken")
		}
		if i%64 == 63 {
			time.Sleep(100 * time.Microsecond)
		}
		buf := make([]byte, 4096)
		n, err := f.ReadAt(buf, 8192)
		if f.MappedForTest() && (n != 4096 || err != nil || !bytes.Equal(buf, want[8192:8192+4096])) {
			t.Fatalf("read under the lease: %d bytes, %v (match %v)", n, err, bytes.Equal(buf[:n], want[8192:8192+n]))
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("dd: %v", err)
	}
	checkRead(t, f, want[:5000], 0, 8192)
}

// A file open for writing elsewhere cannot be leased: its hot reads keep
// pread64, and are right.
func TestMappedNotWhileWriterOpen(t *testing.T) {
	e := mappedEngine(t)
	name := filepath.Join(t.TempDir(), "f")
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<14)
	if err := os.WriteFile(name, want, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	f, err := e.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for range 64 {
		for off := 0; off < len(want); off += 4096 {
			checkRead(t, f, want, int64(off), 4096)
		}
	}
	if !f.HotForTest() {
		t.Skip("file never turned hot")
	}
	if f.MappedForTest() {
		t.Fatal("mapped with a writer open")
	}
	if _, err := w.WriteAt([]byte("new"), 10); err != nil {
		t.Fatal(err)
	}
	copy(want[10:], "new")
	checkRead(t, f, want, 0, 4096)
}

// Close unmaps the file and lets go of the lease: the process's maps no
// longer name it, and a writer's open does not wait.
func TestMappedClose(t *testing.T) {
	f, name, _ := mappedFile(t, mappedEngine(t), 128<<10)
	if !strings.Contains(readMaps(t), name) {
		t.Fatal("mapped file not in /proc/self/maps")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(readMaps(t), name) {
		t.Fatal("file still mapped after Close")
	}
	if _, err := f.ReadAt(make([]byte, 10), 0); err == nil {
		t.Fatal("ReadAt after Close succeeded")
	}
}

func readMaps(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMappedReadAtAllocs(t *testing.T) {
	f, _, _ := mappedFile(t, mappedEngine(t), 256<<10)
	buf := make([]byte, 4096)
	off := int64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		off = (off + 4096) % (256 << 10)
		if _, err := f.ReadAt(buf, off); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("mapped ReadAt: %v allocations, want 0", allocs)
	}
}

// A writer in this process truncates and rewrites the file over and over,
// to a new size each time, while readers read it through the mapping. A
// read during which the file did not change (its writer may be waiting in
// open for the lease) must return exactly the version last written: its
// bytes and its size, never an older one's (a read that overlaps a
// truncate and a write may see a mix, with pread too, and is not
// checked). Mapped, fallback and re-mapped reads all take part.
func TestMappedReadsSeeCompletedWrites(t *testing.T) {
	const pages, versions = 16, 300
	f, name, _ := mappedFile(t, mappedEngine(t), pages*4096)
	// Version 0: every page starts with 0.
	if err := os.WriteFile(name, make([]byte, pages*4096), 0o644); err != nil {
		t.Fatal(err)
	}
	waitMapped(t, f, pages*4096)
	// Each version ends 100 bytes into its last page, so a read of that
	// page is short: a stale size would show as a full one.
	var sizes [versions + 1]atomic.Int64 // bytes in each version
	sizes[0].Store(pages * 4096)
	// changing is the version being written once its writer is past
	// open (and so may have changed the file); published, once written.
	var changing, published atomic.Uint32
	var checked atomic.Int64
	done := make(chan struct{})
	errc := make(chan error, 9)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			r := rand.New(rand.NewPCG(uint64(g), 9))
			for {
				select {
				case <-done:
					return
				default:
				}
				p := r.IntN(pages)
				v, c0 := published.Load(), changing.Load()
				n, err := f.ReadAt(buf, int64(p)*4096)
				if err != nil && err != io.EOF {
					errc <- fmt.Errorf("ReadAt(page %d) = %d, %v", p, n, err)
					return
				}
				if c0 != v || changing.Load() != v {
					continue // overlapped a change
				}
				checked.Add(1)
				want := min(max(sizes[v].Load()-int64(p)*4096, 0), 4096)
				if int64(n) != want || (n > 0 && binary.LittleEndian.Uint32(buf) != v) {
					errc <- fmt.Errorf("ReadAt(page %d) of version %d (%d bytes): %d bytes, version %d; want %d bytes", p, v, sizes[v].Load(), n, binary.LittleEndian.Uint32(buf), want)
					return
				}
			}
		}()
	}
	for v := uint32(1); v <= versions; v++ {
		size := 1 + int(v*7)%pages
		b := make([]byte, size*4096-4096+100)
		for p := range size {
			binary.LittleEndian.PutUint32(b[p*4096:], v)
		}
		sizes[v].Store(int64(len(b)))
		w, err := os.OpenFile(name, os.O_WRONLY, 0) // waits for the lease
		if err != nil {
			t.Fatal(err)
		}
		changing.Store(v)
		if err := w.Truncate(0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.WriteAt(b, 0); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		published.Store(v)
		if v%30 == 0 {
			waitMapped(t, f, len(b)) // and map it again now and then
		}
	}
	close(done)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if checked.Load() < 1000 {
		t.Errorf("only %d reads did not overlap a change", checked.Load())
	}
}
