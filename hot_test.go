package ringo_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Reads of a cached file switch to pread64 ("hot"); they must return
// exactly what the preadv2 and ring paths return: the data, short reads
// and io.EOF at the end, a file truncated by someone else, and pages
// evicted from the page cache while the file is hot.
func TestHotReadsStayCorrect(t *testing.T) {
	e := newEngine(t)
	name := filepath.Join(t.TempDir(), "hot")
	const size = 1 << 20
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
	defer f.Close()
	buf := make([]byte, 4096)
	check := func(off int64, n int) {
		t.Helper()
		got, err := f.ReadAt(buf[:n], off)
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
	// Every page, many times over: enough sampled hits (one in 64 hits
	// votes, at random; 16 votes) to make it hot, but for a chance of
	// about 1e-12.
	for range 16 {
		for p := int64(0); p < size/4096; p++ {
			check(p*4096, 4096)
		}
	}
	if !f.HotForTest() {
		t.Fatal("file not hot after 4096 cached reads")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		off := r.Int64N(size)
		check(off, 1+r.IntN(4096))
	}
	check(size-100, 4096)  // short, io.EOF
	check(size, 4096)      // nothing, io.EOF
	check(size+5000, 4096) // past the end

	// Someone else truncates the file: the hot path must see it.
	if err := os.Truncate(name, size/2+123); err != nil {
		t.Fatal(err)
	}
	want = want[:size/2+123]
	check(size/2, 4096)
	check(size/2+4096, 4096)

	// Pages evicted while the file is hot: the reads wait for the disk
	// and still return the data.
	g, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := unix.Fadvise(int(g.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil && !errors.Is(err, unix.ENOSYS) {
		t.Fatal(err)
	}
	for p := int64(0); p*4096 < int64(len(want)); p++ {
		check(p*4096, 4096)
	}
}
