package ringo_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ringo-io/ringo"
)

// reaperOpts is added to every engine the tests make; TestLoopReaper
// re-runs the engine tests with ReaperLoop through it.
var reaperOpts []ringo.Option

func newEngine(t testing.TB, opts ...ringo.Option) *ringo.Engine {
	t.Helper()
	e, err := ringo.NewEngine(append(opts, reaperOpts...)...)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// diskDir is a directory on a disk filesystem (O_DIRECT needs one; /tmp
// may be tmpfs).
func diskDir(t testing.TB) string {
	t.Helper()
	for _, base := range []string{os.Getenv("RINGO_TEST_DIR"), "/var/tmp", os.TempDir()} {
		if base == "" {
			continue
		}
		d, err := os.MkdirTemp(base, "ringo-test-")
		if err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

func TestReadWriteAt(t *testing.T) {
	e := newEngine(t)
	name := filepath.Join(t.TempDir(), "f")
	f, err := e.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []byte("hello, io_uring")
	if n, err := f.WriteAt(want, 100); n != len(want) || err != nil {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	got := make([]byte, len(want))
	if n, err := f.ReadAt(got, 100); n != len(want) || err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ReadAt = %d, %v, %q", n, err, got)
	}
	// Reading past the end: short count and io.EOF, like os.
	n, err := f.ReadAt(make([]byte, 10), 110)
	if n != 5 || err != io.EOF {
		t.Fatalf("ReadAt at end = %d, %v; want 5, EOF", n, err)
	}
	osData, _ := os.ReadFile(name)
	if !bytes.Equal(osData[100:], want) || len(osData) != 115 {
		t.Fatalf("os sees %q", osData)
	}
}

func TestReadWriteSeek(t *testing.T) {
	e := newEngine(t)
	name := filepath.Join(t.TempDir(), "f")
	f, err := e.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("abcdef")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("ghi")); err != nil {
		t.Fatal(err)
	}
	if pos, err := f.Seek(2, io.SeekStart); pos != 2 || err != nil {
		t.Fatalf("Seek = %d, %v", pos, err)
	}
	got, err := io.ReadAll(f)
	if err != nil || string(got) != "cdefghi" {
		t.Fatalf("ReadAll after Seek = %q, %v", got, err)
	}
	if n, err := f.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Fatalf("Read at EOF = %d, %v", n, err)
	}
}

func TestVectored(t *testing.T) {
	e := newEngine(t)
	f, err := e.Create(filepath.Join(t.TempDir(), "v"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := f.WriteV([][]byte{[]byte("one "), {}, []byte("two "), []byte("three")}, 0)
	if n != 13 || err != nil {
		t.Fatalf("WriteV = %d, %v", n, err)
	}
	a, b := make([]byte, 4), make([]byte, 20)
	n, err = f.ReadV([][]byte{a, b}, 0)
	if n != 13 || err != nil || string(a) != "one " || string(b[:9]) != "two three" {
		t.Fatalf("ReadV = %d, %v, %q %q", n, err, a, b[:9])
	}
	if _, err := f.ReadV(make([][]byte, 2000), 0); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("ReadV with 2000 iovecs: %v, want EINVAL", err)
	}
}

func TestSyncTruncateFallocateStat(t *testing.T) {
	e := newEngine(t)
	name := filepath.Join(t.TempDir(), "s")
	f, err := e.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Fallocate(0, 0, 1<<20); err != nil {
		t.Fatalf("Fallocate: %v", err)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != 1<<20 || fi.Name() != "s" || !fi.Mode().IsRegular() {
		t.Fatalf("Stat after Fallocate = %v, %v", fi, err)
	}
	if err := f.Truncate(1000); err != nil {
		t.Fatalf("Truncate: %v", err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if err := f.Datasync(); err != nil {
		t.Fatalf("Datasync: %v", err)
	}
	if err := f.SyncContext(context.Background()); err != nil {
		t.Fatalf("SyncContext: %v", err)
	}
	if fi, err := os.Stat(name); err != nil || fi.Size() != 1000 {
		t.Fatalf("os.Stat after Truncate = %v, %v", fi, err)
	}
	if err := f.Truncate(-1); err == nil {
		t.Fatal("Truncate(-1) succeeded")
	}
}

func TestErrorsLikeOS(t *testing.T) {
	e := newEngine(t)
	dir := t.TempDir()
	_, err := e.Open(filepath.Join(dir, "missing"))
	var pe *fs.PathError
	if !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) || pe.Op != "open" {
		t.Fatalf("Open(missing) = %v; want *fs.PathError matching fs.ErrNotExist", err)
	}
	if !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("error does not wrap syscall.Errno: %v", err)
	}
	if _, err := e.Open("bad\x00name"); err == nil {
		t.Fatal("NUL in name accepted")
	}
	f, err := e.Create(filepath.Join(dir, "x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadAt(make([]byte, 1), -1); err == nil || !errors.As(err, &pe) {
		t.Fatalf("negative offset: %v", err)
	}
	if _, err := f.WriteAt(make([]byte, 1), -5); err == nil {
		t.Fatal("WriteAt negative offset succeeded")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for name, fn := range map[string]func() error{
		"ReadAt":  func() error { _, err := f.ReadAt(make([]byte, 1), 0); return err },
		"WriteAt": func() error { _, err := f.WriteAt(make([]byte, 1), 0); return err },
		"Read":    func() error { _, err := f.Read(make([]byte, 1)); return err },
		"Write":   func() error { _, err := f.Write(make([]byte, 1)); return err },
		"Sync":    f.Sync,
		"Stat":    func() error { _, err := f.Stat(); return err },
		"Seek":    func() error { _, err := f.Seek(0, 0); return err },
		"Close":   f.Close,
	} {
		if err := fn(); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("%s after Close = %v; want fs.ErrClosed", name, err)
		}
	}
	var nilFile *ringo.File
	if _, err := nilFile.ReadAt(make([]byte, 1), 0); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("ReadAt on nil File = %v; want fs.ErrInvalid", err)
	}
	// A read-only file refuses writes with EBADF, reported like os.
	ro, err := e.Open(filepath.Join(dir, "x"))
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.WriteAt([]byte("x"), 0); !errors.Is(err, syscall.EBADF) {
		t.Errorf("WriteAt on O_RDONLY = %v; want EBADF", err)
	}
	// O_APPEND refuses WriteAt, as os does.
	ap, err := e.OpenFile(filepath.Join(dir, "x"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ap.Close()
	if _, err := ap.WriteAt([]byte("x"), 0); err == nil {
		t.Error("WriteAt on O_APPEND succeeded")
	}
}

func TestEngineOptionsRejected(t *testing.T) {
	for _, opts := range [][]ringo.Option{
		{ringo.WithRings(0)},
		{ringo.WithEntries(0)},
		{ringo.WithEntries(4)}, // smaller than a linked chain
		{ringo.WithMaxInFlight(0)},
	} {
		if e, err := ringo.NewEngine(opts...); err == nil {
			e.Close()
			t.Errorf("NewEngine accepted bad options")
		}
	}
}

// TestConcurrentIntegrity: 64 goroutines write and read random ranges of
// random sizes (1 B - 1 MiB) in their own region of one file, checking
// every read against their model; at the end the file as the os package
// reads it must equal the models byte for byte.
func TestConcurrentIntegrity(t *testing.T) {
	for _, direct := range []bool{false, true} {
		name := "buffered"
		if direct {
			name = "direct"
		}
		t.Run(name, func(t *testing.T) { integrity(t, direct, false) })
		t.Run(name+"-cancel", func(t *testing.T) { integrity(t, direct, true) })
	}
}

func integrity(t *testing.T, direct, cancels bool) {
	const workers = 64
	const region = 2 << 20
	e := newEngine(t, ringo.WithRings(2))
	path := filepath.Join(diskDir(t), "integrity")
	flag := os.O_RDWR | os.O_CREATE
	if direct {
		flag |= syscall.O_DIRECT
	}
	f, err := e.OpenFile(path, flag, 0o644)
	if err != nil {
		if direct && errors.Is(err, syscall.EINVAL) {
			t.Skip("filesystem refuses O_DIRECT")
		}
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Truncate(path, workers*region); err != nil {
		t.Fatal(err)
	}
	models := make([][]byte, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	ops, maxSize := 60, 1<<20
	if testing.Short() || raceEnabled {
		ops, maxSize = 12, 256<<10
	}
	for w := range workers {
		models[w] = make([]byte, region)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			fill := rand.NewChaCha8([32]byte{byte(w)})
			model := models[w]
			base := int64(w) * region
			var buf []byte
			if direct {
				buf, _ = ringo.AlignedBuffer(1 << 20)
				defer ringo.FreeAligned(buf)
			} else {
				buf = make([]byte, 1<<20)
			}
			for range ops {
				var off, size int
				if direct {
					size = (1 + rng.IntN(maxSize/4096)) * 4096
					off = rng.IntN((region-size)/4096+1) * 4096
				} else {
					size = 1 + rng.IntN(maxSize)
					off = rng.IntN(region - size + 1)
				}
				p := buf[:size]
				ctx := context.Background()
				var cancel context.CancelFunc = func() {}
				if cancels && rng.IntN(3) == 0 {
					ctx, cancel = context.WithCancel(ctx)
					if rng.IntN(2) == 0 {
						cancel()
					} else {
						time.AfterFunc(time.Duration(rng.IntN(200))*time.Microsecond, cancel)
					}
				}
				if rng.IntN(2) == 0 {
					fill.Read(p)
					n, err := f.WriteAtContext(ctx, p, base+int64(off))
					copy(model[off:off+n], p[:n])
					if err != nil && !errors.Is(err, context.Canceled) {
						errs <- err
						cancel()
						return
					}
					if err == nil && n != size {
						errs <- errors.New("short write without error")
					}
				} else {
					n, err := f.ReadAtContext(ctx, p, base+int64(off))
					if err != nil && !errors.Is(err, context.Canceled) {
						errs <- err
						cancel()
						return
					}
					if err == nil && n != size {
						errs <- errors.New("short read without error")
					}
					if !bytes.Equal(p[:n], model[off:off+n]) {
						errs <- errors.New("read returned wrong data")
						cancel()
						return
					}
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	osData, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for w := range workers {
		if !bytes.Equal(osData[w*region:(w+1)*region], models[w]) {
			t.Fatalf("region %d differs from what was written", w)
		}
	}
}

// TestCloseWithInFlight closes the engine while 1,000 reads wait on an
// empty pipe: every call returns, no goroutine or fd is left behind, and
// later calls get fs.ErrClosed.
func TestCloseWithInFlight(t *testing.T) {
	baseG := runtime.NumGoroutine()
	baseFds := countFds(t)
	e, err := ringo.NewEngine(reaperOpts...)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	rfd, err := syscall.Dup(int(pr.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	pr.Close()
	f := e.NewFile(uintptr(rfd), "pipe")
	const n = 1000
	var wg sync.WaitGroup
	var started sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		started.Add(1)
		go func() {
			defer wg.Done()
			started.Done()
			_, err := f.Read(make([]byte, 8))
			errs <- err
		}()
	}
	started.Wait()
	for e.OutstandingForTest() == 0 {
		runtime.Gosched()
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err == nil {
			t.Fatal("a read on an empty pipe succeeded")
		}
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("ReadAt after engine Close = %v; want fs.ErrClosed", err)
	}
	if _, err := e.Open("/dev/null"); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("Open after engine Close = %v; want fs.ErrClosed", err)
	}
	f.Close()
	pw.Close()
	waitFor(t, func() bool { return runtime.NumGoroutine() <= baseG }, "goroutines back to baseline")
	if got := countFds(t); got > baseFds {
		t.Fatalf("fds: %d after, %d before", got, baseFds)
	}
}

// TestFileCloseWithInFlight closes a File while reads on it wait.
func TestFileCloseWithInFlight(t *testing.T) {
	e := newEngine(t)
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[1])
	f := e.NewFile(uintptr(fds[0]), "pipe")
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.Read(make([]byte, 1))
		}()
	}
	for e.OutstandingForTest() == 0 {
		runtime.Gosched()
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if _, err := f.Read(make([]byte, 1)); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("Read after Close = %v", err)
	}
}

func TestContextCancelAndDeadline(t *testing.T) {
	e := newEngine(t)
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[1])
	f := e.NewFile(uintptr(fds[0]), "pipe")
	defer f.Close()

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(5*time.Millisecond, cancel)
	if _, err := f.ReadContext(ctx, make([]byte, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled read = %v; want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := f.ReadContext(ctx, make([]byte, 1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read past deadline = %v; want context.DeadlineExceeded", err)
	}
	// A completed request reports its data even with a cancelled context
	// racing it: write first, then read with a context cancelled after.
	syscall.Write(fds[1], []byte("z"))
	ctx, cancel = context.WithCancel(context.Background())
	buf := make([]byte, 1)
	n, err := f.ReadContext(ctx, buf)
	cancel()
	if n != 1 || err != nil || buf[0] != 'z' {
		t.Fatalf("read with data = %d, %v", n, err)
	}
	// An already-cancelled context does not submit.
	if _, err := f.ReadContext(ctx, buf); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with dead context = %v", err)
	}
}

// TestSharedRingManyGoroutines: 4 and then 256 goroutines sharing one
// ring all finish (a previous Go library deadlocked at 4).
func TestSharedRingManyGoroutines(t *testing.T) {
	e := newEngine(t, ringo.WithEntries(8), ringo.WithMaxInFlight(16))
	f, err := e.Create(filepath.Join(t.TempDir(), "shared"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, 4096), 0); err != nil {
		t.Fatal(err)
	}
	for _, g := range []int{4, 256} {
		var wg sync.WaitGroup
		for range g {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := make([]byte, 512)
				for i := range 200 {
					if _, err := f.ReadAt(b, int64(i%8)*512); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
}

// TestRequestsRightAfterNewEngine hammers an engine the moment NewEngine
// returns (a previous Go library crashed when a request arrived before its
// poller was set up).
func TestRequestsRightAfterNewEngine(t *testing.T) {
	name := filepath.Join(t.TempDir(), "early")
	os.WriteFile(name, []byte("early"), 0o644)
	for range 20 {
		e, err := ringo.NewEngine(reaperOpts...)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if b, err := e.ReadFile(name); err != nil || string(b) != "early" {
					t.Errorf("ReadFile = %q, %v", b, err)
				}
			}()
		}
		wg.Wait()
		e.Close()
	}
}

func TestReaperThread(t *testing.T) {
	e := newEngine(t, ringo.WithReaper(ringo.ReaperThread))
	name := filepath.Join(t.TempDir(), "r")
	if err := e.WriteFile(name, []byte("thread reaper"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := e.ReadFile(name)
	if err != nil || string(b) != "thread reaper" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
}

func TestBufferPoolFixed(t *testing.T) {
	e := newEngine(t)
	pool, err := e.NewBufferPool(4, 8192)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if !pool.Registered() {
		t.Skip("fixed buffers could not be registered (RLIMIT_MEMLOCK)")
	}
	path := filepath.Join(diskDir(t), "fixed")
	f, err := e.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_DIRECT, 0o644)
	if err != nil {
		t.Skipf("O_DIRECT: %v", err)
	}
	defer f.Close()
	b := pool.Get()
	for i := range b {
		b[i] = byte(i * 7)
	}
	if _, err := f.WriteAt(b, 8192); err != nil {
		t.Fatalf("WriteAt fixed: %v", err)
	}
	c := pool.Get()
	if _, err := f.ReadAt(c[:4096], 8192+4096); err != nil {
		t.Fatalf("ReadAt fixed: %v", err)
	}
	if !bytes.Equal(c[:4096], b[4096:]) {
		t.Fatal("fixed read returned wrong data")
	}
	pool.Put(b)
	pool.Put(c)
}

func TestAllocsReadAtWriteAt(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	e := newEngine(t)
	f, err := e.Create(filepath.Join(t.TempDir(), "allocs"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	f.WriteAt(buf, 0)
	f.ReadAt(buf, 0)
	if n := testing.AllocsPerRun(200, func() { f.ReadAt(buf, 0) }); n > 0 {
		t.Errorf("ReadAt: %v allocations per call; want 0", n)
	}
	if n := testing.AllocsPerRun(200, func() { f.WriteAt(buf, 0) }); n > 0 {
		t.Errorf("WriteAt: %v allocations per call; want 0", n)
	}
}

func countFds(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLoopReaper runs the engine tests again on ReaperLoop rings
// (SINGLE_ISSUER|DEFER_TASKRUN, one submitting thread per ring).
func TestLoopReaper(t *testing.T) { rerunEngineTests(t, ringo.ReaperLoop) }

// TestPollReaper runs the engine tests again on ReaperPoll rings (an
// unlocked goroutine per ring blocked in io_uring_enter, yielding its P
// after each delivery).
func TestPollReaper(t *testing.T) { rerunEngineTests(t, ringo.ReaperPoll) }

// rerunEngineTests runs the engine tests with every ring on reaper.
func rerunEngineTests(t *testing.T, reaper ringo.Reaper) {
	reaperOpts = []ringo.Option{ringo.WithReaper(reaper)}
	defer func() { reaperOpts = nil }()
	for name, fn := range map[string]func(*testing.T){
		"ReadWriteAt":              TestReadWriteAt,
		"ReadWriteSeek":            TestReadWriteSeek,
		"Vectored":                 TestVectored,
		"SyncTruncateFallocate":    TestSyncTruncateFallocateStat,
		"ErrorsLikeOS":             TestErrorsLikeOS,
		"ConcurrentIntegrity":      TestConcurrentIntegrity,
		"CloseWithInFlight":        TestCloseWithInFlight,
		"FileCloseWithInFlight":    TestFileCloseWithInFlight,
		"ContextCancelAndDeadline": TestContextCancelAndDeadline,
		"SharedRingManyGoroutines": TestSharedRingManyGoroutines,
		"RequestsRightAfterNew":    TestRequestsRightAfterNewEngine,
		"BufferPoolFixed":          TestBufferPoolFixed,
		"FSHelpers":                TestFSHelpers,
	} {
		t.Run(name, fn)
	}
}
