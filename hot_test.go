package ringo_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Reads of a cached file switch to pread64 ("hot"); they must return
// exactly what the preadv2 and ring paths return: the data, short reads
// and io.EOF at the end, a file truncated by someone else, and pages
// evicted from the page cache while the file is hot.
func TestHotReadsStayCorrect(t *testing.T) {
	const size = 1 << 20
	f, name, want := openPatterned(t, newEngine(t), size)
	check := func(off int64, n int) {
		t.Helper()
		checkRead(t, f, want, off, n)
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
		if nowaitless(t, name) {
			t.Skip("the filesystem has no non-blocking reads (tmpfs?): no hot path")
		}
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
