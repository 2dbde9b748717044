package ringo

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo/internal/testutil"
)

// A lone buffered read that misses the page cache blocks in pread, as os
// does, instead of going through the ring (File.soloMiss); reads that
// overlap it beyond soloCallers take the ring. Either way the bytes are
// the file's.
func TestLoneCacheMissSkipsTheRing(t *testing.T) {
	e := ringTestEngine(t)
	dir := testutil.DiskDir(t)
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	if unix.Major(uint64(st.Dev)) == 0 {
		t.Skip(dir, "is not on a block device")
	}
	want := make([]byte, 1<<20)
	for i := range want {
		want[i] = byte(i*7 + i>>12)
	}
	name := filepath.Join(dir, "cold")
	if err := os.WriteFile(name, want, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := e.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !f.soloMiss || !f.sh.soloOK {
		t.Fatalf("a file on a block device: soloMiss %v, its ring's soloOK %v", f.soloMiss, f.sh.soloOK)
	}
	// No readahead: every read below misses the cache.
	if err := unix.Fadvise(f.fd, 0, 0, unix.FADV_RANDOM); err != nil {
		t.Fatal(err)
	}
	evict := func() {
		unix.Fsync(f.fd)
		if err := unix.Fadvise(f.fd, 0, 0, unix.FADV_DONTNEED); err != nil {
			t.Fatal(err)
		}
	}
	evict()
	before := f.sh.submitted.Load()
	buf := make([]byte, 4096)
	for _, off := range []int64{0, 300 << 10, 700 << 10} {
		if n, err := f.ReadAt(buf, off); n != len(buf) || err != nil || !bytes.Equal(buf, want[off:off+4096]) {
			t.Fatalf("ReadAt(%d) = %d, %v, or the wrong bytes", off, n, err)
		}
	}
	if n := f.sh.submitted.Load() - before; n != 0 {
		t.Errorf("lone cache misses made %d ring requests, want 0 (pread)", n)
	}
	// Control: the same reads without soloMiss do go to the ring, so the
	// reads above were misses.
	f.soloMiss = false
	evict()
	before = f.sh.submitted.Load()
	if n, err := f.ReadAt(buf, 500<<10); n != len(buf) || err != nil || !bytes.Equal(buf, want[500<<10:500<<10+4096]) {
		t.Fatalf("ReadAt = %d, %v, or the wrong bytes", n, err)
	}
	if f.sh.submitted.Load() == before {
		t.Fatal("control: a cache miss without soloMiss made no ring request (did the read hit the cache?)")
	}
	f.soloMiss = true

	// Many at once: those beyond soloCallers go through the ring.
	evict()
	before = f.sh.submitted.Load()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := make([]byte, 4096)
			for k := range 16 {
				off := int64((g*16+k)*37%256) * 4096
				if n, err := f.ReadAt(b, off); n != len(b) || err != nil || !bytes.Equal(b, want[off:off+4096]) {
					t.Errorf("ReadAt(%d) = %d, %v, or the wrong bytes", off, n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if f.sh.submitted.Load() == before {
		t.Log("16 goroutines' cache misses never overlapped beyond soloCallers")
	}
}

// Files on anonymous devices (tmpfs, FUSE, NFS, overlayfs) keep their
// misses on the ring, where Close can end a read that waits for ever.
func TestCacheMissOnAnonymousDeviceKeepsTheRing(t *testing.T) {
	e := hotTestEngine(t)
	f, err := e.Open("/proc/self/stat")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if f.soloMiss {
		t.Error("/proc/self/stat (an anonymous device): soloMiss set")
	}
}
