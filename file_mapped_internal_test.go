package ringo

// Tests of mapped reads (file_mapped.go) that need internals: the
// kernel lease-break-time, the mapping cap, the first leases. Real kernel.

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mappedForTest writes data to a new file in dir, opens it with e and
// makes it mapped (hot, then a hot read maps it), or skips the test.
func mappedForTest(t *testing.T, e *Engine, dir string, data []byte) (*File, string) {
	t.Helper()
	f, name, ok := tryMappedForTest(t, e, dir, data)
	if !ok {
		t.Skip("never mapped")
	}
	return f, name
}

// tryMappedForTest is mappedForTest, reporting instead of skipping when
// the file is not mapped (a lease refused, the mapping cap reached).
func tryMappedForTest(t *testing.T, e *Engine, dir string, data []byte) (*File, string, bool) {
	t.Helper()
	name := filepath.Join(dir, "f"+strconv.Itoa(int(time.Now().UnixNano())))
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := e.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	buf := make([]byte, 16)
	for i := 0; i < 200 && f.mapping.Load() == nil; i++ {
		f.hot.Store(true)
		f.mapStatus.CompareAndSwap(mapLater, mapUntried) // retry now, not 1 in 4096
		f.ReadAt(buf, 0)
	}
	return f, name, f.mapping.Load() != nil
}

// setLeaseBreakTime sets /proc/sys/fs/lease-break-time for the test, or
// skips it.
func setLeaseBreakTime(t *testing.T, v string) {
	t.Helper()
	const p = "/proc/sys/fs/lease-break-time"
	old, err := os.ReadFile(p)
	if err != nil {
		t.Skip(err)
	}
	if err := os.WriteFile(p, []byte(v), 0); err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { os.WriteFile(p, old, 0) })
}

// lease-break-time is an int number of seconds with no upper bound
// (proc_dointvec); the kernel computes jiffies + lease_break_time*HZ in
// int, so a large value ("never time out") overflows into the past and
// a breaker goes ahead at once, without this process letting go. A read
// that starts after the writer's truncate has returned is then served
// from the mapping under the stale size: pread says 100 bytes and EOF.
func TestMappedHugeLeaseBreakTime(t *testing.T) {
	setLeaseBreakTime(t, "2147483647")
	// The kernel logs "schedule_timeout: wrong timeout value" with a
	// stack at each break; keep it off the console so that logging does
	// not itself take the whole millisecond.
	if old, err := os.ReadFile("/proc/sys/kernel/printk"); err == nil {
		os.WriteFile("/proc/sys/kernel/printk", []byte("1"), 0)
		t.Cleanup(func() { os.WriteFile("/proc/sys/kernel/printk", []byte(strings.Fields(string(old))[0]), 0) })
	}
	// Only the kernel's timeout may end the lease: the documented
	// "ignore the signal, lose only promptness" mode.
	watchLeases()
	signal.Ignore(leaseSignal)
	defer signal.Notify(leases.ch, leaseSignal)

	e := hotTestEngine(t, WithMappedReads())
	dir := t.TempDir()
	data := bytes.Repeat([]byte{'x'}, 8192)
	for try := 0; try < 50; try++ {
		f, name, ok := tryMappedForTest(t, e, dir, data)
		if !ok {
			continue // not mapped: nothing to go wrong
		}
		buf := make([]byte, 4096)
		f.ReadAt(buf, 0) // F_GETLEASE: trusted for 1 ms
		start := time.Now()
		w, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		openTook := time.Since(start)
		if err := w.Truncate(100); err != nil {
			t.Fatal(err)
		}
		w.Close()
		// The file now has 100 bytes; this read starts after that.
		n, err := f.ReadAt(buf, 0)
		if n != 100 || err != io.EOF {
			t.Fatalf("open for write took %v (lease not let go); then ReadAt(4096 at 0) of a 100-byte file = %d, %v; want 100, EOF (tail %q)",
				openTook, n, err, buf[n-8:n])
		}
	}
}

// open(O_RDONLY|O_TRUNC) truncates (Linux does) without breaking a read
// lease: the opener is a reader. The mapping's pages then fault, and the
// reads must still say the file is empty.
func TestMappedRdonlyTrunc(t *testing.T) {
	e := hotTestEngine(t, WithMappedReads())
	data := bytes.Repeat([]byte{'y'}, 3*4096)
	f, name := mappedForTest(t, e, t.TempDir(), data)
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	l, _ := unix.FcntlInt(uintptr(f.fd), unix.F_GETLEASE, 0)
	t.Logf("after O_RDONLY|O_TRUNC: lease %d (F_RDLCK=%d), mapped %v", l, unix.F_RDLCK, f.mapping.Load() != nil)
	buf := make([]byte, 4096)
	for i := 0; i < 1000; i++ {
		n, err := f.ReadAt(buf, 0)
		if n != 0 || err != io.EOF {
			t.Fatalf("ReadAt of an emptied file = %d, %v", n, err)
		}
	}
}

// A mapping outlives its lease (mapData is kept for a later lease, until
// Close): mapMaxMappings must count mappings, not leases, or files whose
// leases writers broke pile up mappings past it (and past
// vm.max_map_count, which the Go runtime shares).
func TestMappedMappingsOutliveLeases(t *testing.T) {
	e := hotTestEngine(t, WithMappedReads())
	dir := t.TempDir()
	const n = mapMaxMappings + 100
	var names []string
	for i := 0; i < n; i++ {
		f, name, ok := tryMappedForTest(t, e, dir, bytes.Repeat([]byte{'z'}, 4096))
		if !ok {
			continue
		}
		names = append(names, name)
		// A writer comes and goes: the lease is let go, the mapping stays.
		w, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		if f.mapping.Load() != nil {
			t.Fatal("still leased after a writer")
		}
	}
	maps, _ := os.ReadFile("/proc/self/maps")
	mapped := 0
	for _, name := range names {
		if strings.Contains(string(maps), name) {
			mapped++
		}
	}
	leases.mu.Lock()
	held := len(leases.files)
	leases.mu.Unlock()
	if mapped > mapMaxMappings {
		t.Fatalf("%d files mapped at once (mapMaxMappings %d), %d holding leases", mapped, mapMaxMappings, held)
	}
}

// A range past int64 (off+len overflows): pread64 fails EINVAL, as do
// os.File.ReadAt and ringo's other read paths; a mapped read must too,
// not report io.EOF.
func TestMappedOffsetOverflow(t *testing.T) {
	e := hotTestEngine(t, WithMappedReads())
	f, name := mappedForTest(t, e, t.TempDir(), bytes.Repeat([]byte{'q'}, 8192))
	g, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	buf := make([]byte, 4096)
	_, oserr := g.ReadAt(buf, math.MaxInt64-100)
	for i := 0; i < 200; i++ {
		f.hot.Store(true)
		_, err := f.ReadAt(buf, math.MaxInt64-100)
		if !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("mapped %v: ReadAt at MaxInt64-100 = %v; os.File.ReadAt = %v", f.mapping.Load() != nil, err, oserr)
		}
	}
}

// The first leases, taken at once by several files, raced with
// watchLeases' once.Do making leases.files (go test -race; it shows when
// this test takes the process's first lease: -run FirstLeases).
func TestMappedFirstLeasesRace(t *testing.T) {
	e := hotTestEngine(t, WithMappedReads())
	dir := t.TempDir()
	var files []*File
	for i := 0; i < 16; i++ {
		name := filepath.Join(dir, strconv.Itoa(i))
		os.WriteFile(name, bytes.Repeat([]byte{'r'}, 4096), 0o644)
		f, err := e.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.hot.Store(true)
		files = append(files, f)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			buf := make([]byte, 64)
			for i := 0; i < 1000 && f.mapping.Load() == nil; i++ {
				f.hot.Store(true)
				f.ReadAt(buf, 0) // a hot read maps the file (tryMap)
			}
		}()
	}
	close(start)
	wg.Wait()
}

// Writers in this very process, on one P (the lease-break watcher must
// still run): truncate(2) by path, an O_NONBLOCK open (EAGAIN, then the
// lease is let go), a ringo OpenFile for writing (OPENAT in the ring).
func TestMappedSameProcessWriters(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	e := hotTestEngine(t, WithMappedReads())
	data := bytes.Repeat([]byte{'s'}, 3*4096)
	f, name := mappedForTest(t, e, t.TempDir(), data)
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			panic("same-process writer hung")
		}
	}()
	defer close(done)
	if err := unix.Truncate(name, 5000); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8192)
	if n, err := f.ReadAt(buf, 0); n != 5000 || err != io.EOF {
		t.Fatalf("after truncate(2): %d, %v", n, err)
	}
	for i := 0; f.mapping.Load() == nil; i++ {
		if i > 100000 {
			t.Fatal("not remapped")
		}
		f.hot.Store(true)
		f.ReadAt(buf[:10], 0)
	}
	_, err := unix.Open(name, unix.O_WRONLY|unix.O_NONBLOCK, 0)
	t.Logf("O_NONBLOCK open while leased: %v", err)
	for i := 0; f.mapping.Load() == nil && i < 100000; i++ {
		f.hot.Store(true)
		f.ReadAt(buf[:10], 0)
	}
	w, err := e.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteAt([]byte("AB"), 0)
	w.Close()
	if n, err := f.ReadAt(buf[:2], 0); n != 2 || err != nil || string(buf[:2]) != "AB" {
		t.Fatalf("after ringo writer: %q %v", buf[:n], err)
	}
}
