package ringo_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo"
	"github.com/ringo-io/ringo/internal/testutil"
)

// A file that cannot be read without blocking (preadv2 RWF_NOWAIT says
// EOPNOTSUPP) and is better read with plain system calls (tmpfs;
// overlayfs, a container's root) would have every ring read handed to an
// io-wq worker (0.02-0.03x os): its reads, ReadV included, are plain
// system calls, with the same results.
func TestReadsOfNowaitlessFilesSkipTheRing(t *testing.T) {
	forNowaitlessDirs(t, testReadsOfNowaitlessFile)
}

// forNowaitlessDirs runs test in a directory on tmpfs (/dev/shm) and in
// one on an overlayfs mounted for it (root only), skipping those whose
// files can be read without blocking on this kernel.
func forNowaitlessDirs(t *testing.T, test func(t *testing.T, dir string)) {
	t.Run("tmpfs", func(t *testing.T) {
		dir, err := os.MkdirTemp("/dev/shm", "ringo-test-")
		if err != nil {
			t.Skip("no /dev/shm:", err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		test(t, dir)
	})
	t.Run("overlayfs", func(t *testing.T) {
		base := testutil.DiskDir(t)
		for _, d := range []string{"lower", "upper", "work", "merged"} {
			if err := os.Mkdir(base+"/"+d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		merged := base + "/merged"
		opts := "lowerdir=" + base + "/lower,upperdir=" + base + "/upper,workdir=" + base + "/work"
		if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
			t.Skip("cannot mount an overlayfs here:", err)
		}
		t.Cleanup(func() { unix.Unmount(merged, unix.MNT_DETACH) })
		test(t, merged)
	})
}

func testReadsOfNowaitlessFile(t *testing.T, dir string) {
	t.Run("ReadV only", func(t *testing.T) { testReadVOfNowaitlessFile(t, dir) })
	name := dir + "/f"
	want := bytes.Repeat([]byte("tmpfs data "), 1000)
	writeNowaitless(t, name, want)
	e, f := openOn(t, newEngine(t), name)
	buf := make([]byte, 100)
	if _, err := f.ReadAt(buf, 0); err != nil { // finds out
		t.Fatal(err)
	}
	before := e.Stats().Submitted
	for off := 0; off+100 <= len(want); off += 100 {
		n, err := f.ReadAt(buf, int64(off))
		if n != 100 || err != nil || !bytes.Equal(buf, want[off:off+100]) {
			t.Fatalf("ReadAt(100 at %d) = %d, %v (match %v)", off, n, err, bytes.Equal(buf[:n], want[off:off+n]))
		}
	}
	a, b := make([]byte, 7), make([]byte, 9)
	if n, err := f.ReadV([][]byte{a, b}, 3); n != 16 || err != nil || string(a)+string(b) != string(want[3:19]) {
		t.Fatalf("ReadV = %d, %v, %q%q", n, err, a, b)
	}
	rest := make([]byte, 20)
	if n, err := f.ReadAt(rest, int64(len(want)-5)); n != 5 || err == nil {
		t.Fatalf("ReadAt across the end = %d, %v; want 5, io.EOF", n, err)
	}
	if got := e.Stats().Submitted - before; got != 0 {
		t.Fatalf("%d requests went through the ring; want none", got)
	}
}

// nowaitless reports whether the file name cannot be read without
// blocking: preadv2(RWF_NOWAIT) fails with EOPNOTSUPP.
func nowaitless(t *testing.T, name string) bool {
	t.Helper()
	probe, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	_, err = unix.Preadv2(int(probe.Fd()), [][]byte{make([]byte, 10)}, 0, unix.RWF_NOWAIT)
	return errors.Is(err, unix.EOPNOTSUPP)
}

// With WithMappedReads, such a file (tmpfs: no hot/cold votes, its pages
// are memory) is mapped from its first reads, and still sees a writer.
func TestMappedNowaitlessFile(t *testing.T) {
	dir, err := os.MkdirTemp("/dev/shm", "ringo-test-")
	if err != nil {
		t.Skip("no /dev/shm:", err)
	}
	defer os.RemoveAll(dir)
	name := dir + "/f"
	want := bytes.Repeat([]byte("0123456789"), 1000)
	writeNowaitless(t, name, want)
	_, f := openOn(t, mappedEngine(t), name)
	for range 2 {
		checkRead(t, f, want, 5, 100)
	}
	if !f.MappedForTest() {
		t.Fatal("a tmpfs file not mapped after its first reads")
	}
	checkRead(t, f, want, int64(len(want))-50, 100)
	if err := os.WriteFile(name, []byte("short"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkRead(t, f, []byte("short"), 0, 100)
}

// ReadFile's linked chain would hand its READs on such a file to io-wq
// (67-75 µs a 4 KiB tmpfs file against os's 11-13): it reads those the
// long way, with the same result.
func TestReadFileOfNowaitlessFileTakesTheLongWay(t *testing.T) {
	forNowaitlessDirs(t, testReadFileOfNowaitlessFile)
}

func testReadFileOfNowaitlessFile(t *testing.T, dir string) {
	name := dir + "/f"
	want := bytes.Repeat([]byte("small file "), 300)
	writeNowaitless(t, name, want)
	e := newEngine(t)
	if _, done, err := e.ReadFileLinkedForTest(name); done || err != nil {
		t.Fatalf("the linked chain took a tmpfs file (done %v, %v)", done, err)
	}
	got, err := e.ReadFile(name)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ReadFile = %d bytes, %v; want %d", len(got), err, len(want))
	}
}

// A file read only through ReadV learns it too.
func testReadVOfNowaitlessFile(t *testing.T, dir string) {
	name := dir + "/v"
	want := bytes.Repeat([]byte("vectored "), 100)
	writeNowaitless(t, name, want)
	e, f := openOn(t, newEngine(t), name)
	before := e.Stats().Submitted
	for off := 0; off+16 <= len(want); off += 16 {
		a, b := make([]byte, 7), make([]byte, 9)
		if n, err := f.ReadV([][]byte{a, b}, int64(off)); n != 16 || err != nil || string(a)+string(b) != string(want[off:off+16]) {
			t.Fatalf("ReadV at %d = %d, %v, %q%q", off, n, err, a, b)
		}
	}
	if got := e.Stats().Submitted - before; got != 0 {
		t.Fatalf("%d ReadV requests went through the ring; want none", got)
	}
}

// writeNowaitless writes want to name, and skips the test unless the file
// cannot be read without blocking.
func writeNowaitless(t *testing.T, name string, want []byte) {
	t.Helper()
	if err := os.WriteFile(name, want, 0o644); err != nil {
		t.Fatal(err)
	}
	if !nowaitless(t, name) {
		t.Skip("preadv2(RWF_NOWAIT) works here: the filesystem reads without blocking")
	}
}

// openOn opens name read-only with e, closed at the end of the test.
func openOn(t *testing.T, e *ringo.Engine, name string) (*ringo.Engine, *ringo.File) {
	t.Helper()
	f, err := e.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return e, f
}
