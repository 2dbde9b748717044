package ringo_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo"
)

// Behaviour that must match the os package, on both backends.

func bothBackends(t *testing.T, fn func(t *testing.T, e *ringo.Engine)) {
	t.Run("uring", func(t *testing.T) { fn(t, newEngine(t)) })
	t.Run("syscall", func(t *testing.T) { fn(t, newEngine(t, ringo.WithSyscallBackend())) })
}

// pipeFiles returns the read and write ends of a pipe as ringo Files,
// non-blocking as os.Pipe makes them.
func pipeFiles(t *testing.T, e *ringo.Engine) (r, w *ringo.File) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	r, w = e.NewFile(uintptr(p[0]), "|0"), e.NewFile(uintptr(p[1]), "|1")
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// Pipes have no offsets: ReadAt and WriteAt fail with ESPIPE, as pread and
// pwrite do, and neither takes nor adds a byte (io_uring's READ/WRITE
// would ignore the offset and move data).
func TestStreamReadAtWriteAtRefused(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		r, w := pipeFiles(t, e)
		if _, err := w.Write([]byte("abc")); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 8)
		if n, err := r.ReadAt(b, 0); n != 0 || !errors.Is(err, syscall.ESPIPE) {
			t.Fatalf("ReadAt on a pipe = %d, %v; want ESPIPE", n, err)
		}
		if n, err := w.WriteAt([]byte("XY"), 0); n != 0 || !errors.Is(err, syscall.ESPIPE) {
			t.Fatalf("WriteAt on a pipe = %d, %v; want ESPIPE", n, err)
		}
		if _, err := r.ReadV([][]byte{b}, 0); !errors.Is(err, syscall.ESPIPE) {
			t.Fatalf("ReadV on a pipe = %v; want ESPIPE", err)
		}
		n, err := r.Read(b)
		if err != nil || string(b[:n]) != "abc" {
			t.Fatalf("Read = %q, %v; want the untouched \"abc\"", b[:n], err)
		}
	})
}

// Close ends a Read waiting on an empty pipe, and the Read reports an
// error matching fs.ErrClosed, as with os.
func TestCloseEndsWaitingRead(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		r, _ := pipeFiles(t, e)
		errc := make(chan error, 1)
		go func() {
			_, err := r.Read(make([]byte, 8))
			errc <- err
		}()
		time.Sleep(20 * time.Millisecond) // let the Read start waiting
		if err := within(t, 10*time.Second, "Close with a Read waiting", r.Close); err != nil {
			t.Fatalf("Close = %v", err)
		}
		if err := <-errc; !errors.Is(err, fs.ErrClosed) {
			t.Fatalf("the waiting Read returned %v; want an error matching fs.ErrClosed", err)
		}
		if fd := r.Fd(); fd != ^uintptr(0) {
			t.Fatalf("Fd after Close = %d, want ^uintptr(0)", fd)
		}
	})
}

// Seek on a directory drops the entries the lister holds, so listing
// again from the start gives each name once.
func TestDirSeekRestartsListing(t *testing.T) {
	e := newEngine(t)
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c", "d"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	f, err := e.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Readdirnames(1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	names, err := f.Readdirnames(-1)
	sort.Strings(names)
	if err != nil || len(names) != 4 {
		t.Fatalf("Readdirnames after Seek(0) = %v, %v; want the 4 names once", names, err)
	}
}

// MkdirAll makes every directory named on the way, not the cleaned path.
func TestMkdirAllDotDot(t *testing.T) {
	e := newEngine(t)
	base := t.TempDir()
	if err := e.MkdirAll(filepath.Join(base, "a", "b")+"/../c", 0o755); err != nil {
		t.Fatalf("MkdirAll(a/b/../c) = %v", err)
	}
	for _, d := range []string{"a/b", "a/c"} {
		if fi, err := os.Stat(filepath.Join(base, d)); err != nil || !fi.IsDir() {
			t.Fatalf("%s: %v", d, err)
		}
	}
}

// Rename does not replace a directory (os refuses with EEXIST where
// rename(2) would replace an empty one).
func TestRenameOntoDirectory(t *testing.T) {
	e := newEngine(t)
	base := t.TempDir()
	d1, d2, file := filepath.Join(base, "d1"), filepath.Join(base, "d2"), filepath.Join(base, "f")
	os.Mkdir(d1, 0o755)
	os.Mkdir(d2, 0o755)
	os.WriteFile(file, nil, 0o644)
	for _, c := range [][2]string{{d1, d2}, {d1, d1}, {file, d1}} {
		osErr := os.Rename(c[0], c[1])
		err := e.Rename(c[0], c[1])
		var le *os.LinkError
		if !errors.As(err, &le) || !errors.Is(err, fs.ErrExist) || !errors.Is(osErr, fs.ErrExist) {
			t.Fatalf("Rename(%s, %s) = %v (os: %v); want a LinkError matching fs.ErrExist", c[0], c[1], err, osErr)
		}
	}
	if _, err := os.Stat(d2); err != nil {
		t.Fatalf("d2 was replaced: %v", err)
	}
}

// Odd calls get os's answers, never a panic.
func TestOddCallsLikeOS(t *testing.T) {
	e := newEngine(t)
	var nilFile *ringo.File
	if err := nilFile.Truncate(-1); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("nil Truncate = %v", err)
	}
	if err := nilFile.Fallocate(0, 0, 1); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("nil Fallocate = %v", err)
	}
	name := filepath.Join(t.TempDir(), "ro")
	os.WriteFile(name, []byte("data"), 0o644)
	f, err := e.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	of, _ := os.Open(name)
	defer of.Close()
	_, osErr := of.Write(nil)
	if _, err := f.Write(nil); !errors.Is(err, syscall.EBADF) || !errors.Is(osErr, syscall.EBADF) {
		t.Fatalf("Write(nil) on a read-only file = %v (os: %v); want EBADF", err, osErr)
	}
	f.Close()
	of.Close()
	n, osErr := of.ReadAt(nil, 0)
	if m, err := f.ReadAt(nil, 0); m != n || err != osErr {
		t.Fatalf("ReadAt(nil) on a closed file = %d, %v; os: %d, %v", m, err, n, osErr)
	}
	if err := f.Truncate(-1); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("Truncate(-1) on a closed file = %v", err)
	}

	pool, err := e.NewBufferPool(2, 4096)
	if err != nil {
		t.Fatal(err)
	}
	b := pool.Get()
	pool.Close()
	pool.Put(b) // after Close: ignored
	if got := pool.Get(); got != nil {
		t.Fatalf("Get after Close = %d bytes, want nil", len(got))
	}
}

// A request the kernel refuses while preparing it (a path too long) must
// not strand the requests submitted with it: every Open returns, and so
// does Close.
func TestRefusedSQEDoesNotStrandBatch(t *testing.T) {
	e, err := ringo.NewEngine(reaperOpts...)
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(t.TempDir(), "good")
	os.WriteFile(good, []byte("x"), 0o644)
	long := "/" + strings.Repeat("a", 5000)
	done := make(chan error, 64)
	for i := range 64 {
		go func() {
			name := good
			if i%4 == 0 {
				name = long
			}
			f, err := e.Open(name)
			if err == nil {
				f.Close()
			}
			if name == long && !errors.Is(err, syscall.ENAMETOOLONG) {
				done <- fmt.Errorf("Open(long path) = %v, want ENAMETOOLONG", err)
				return
			}
			if name == good && err != nil {
				done <- fmt.Errorf("Open(%s) = %v", good, err)
				return
			}
			done <- nil
		}()
	}
	awaitAll(t, done, 64, 20*time.Second, "Opens batched with refused SQEs")
	within(t, 20*time.Second, "Engine.Close", e.Close)
}

// A read cancelled by Close while a deadline is still far ahead reports
// the Close, not a timeout.
func TestCloseWithFarDeadlineIsNotTimeout(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		r, _ := pipeFiles(t, e)
		if err := r.SetReadDeadline(time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := r.Read(make([]byte, 8))
			errc <- err
		}()
		time.Sleep(20 * time.Millisecond)
		r.Close()
		if err := <-errc; !errors.Is(err, fs.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read = %v; want fs.ErrClosed, not a timeout", err)
		}
	})
}

// The smallest ring the engine takes still carries every kind of request
// (a ReadFile chain of 4 SQEs, a read with a deadline of 2).
func TestSmallestRing(t *testing.T) {
	e := newEngine(t, ringo.WithEntries(8))
	name := filepath.Join(t.TempDir(), "small")
	os.WriteFile(name, []byte("small ring"), 0o644)
	if b, err := e.ReadFile(name); err != nil || string(b) != "small ring" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	r, w := pipeFiles(t, e)
	w.Write([]byte("x"))
	r.SetReadDeadline(time.Now().Add(time.Minute))
	if n, err := r.Read(make([]byte, 4)); n != 1 || err != nil {
		t.Fatalf("Read with a deadline = %d, %v", n, err)
	}
}

// A Read waiting on a socket does not hold up a Write on the same File,
// and a ReadContext queued behind it still follows its context.
func TestStreamReadDoesNotBlockWrite(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		a, b := e.NewFile(uintptr(sp[0]), "a"), e.NewFile(uintptr(sp[1]), "b")
		defer b.Close()
		defer a.Close()
		readErr := make(chan error, 1)
		go func() {
			_, err := a.Read(make([]byte, 8))
			readErr <- err
		}()
		time.Sleep(20 * time.Millisecond)
		write := func() error { _, err := a.Write([]byte("ping")); return err }
		if err := within(t, 10*time.Second, "Write with a Read waiting", write); err != nil {
			t.Fatalf("Write = %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := a.ReadContext(ctx, make([]byte, 8)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadContext behind a waiting Read = %v, want context.DeadlineExceeded", err)
		}
		got := make([]byte, 8)
		if n, err := b.Read(got); err != nil || string(got[:n]) != "ping" {
			t.Fatalf("peer Read = %q, %v", got[:n], err)
		}
		b.Write([]byte("pong"))
		if err := <-readErr; err != nil {
			t.Fatalf("the waiting Read = %v", err)
		}
	})
}

// A context ends a Read or Write waiting on a pipe, on both backends, and
// a write cut short reports exactly the bytes that went in.
func TestStreamContextAndShortWrite(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		r, w := pipeFiles(t, e)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := r.ReadContext(ctx, make([]byte, 8)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadContext on an empty pipe = %v, want context.DeadlineExceeded", err)
		}
		w.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := w.Write(make([]byte, 1<<20)) // more than the pipe holds
		if err == nil {
			t.Fatal("a 1 MiB Write into an unread pipe succeeded")
		}
		w.SetWriteDeadline(time.Time{})
		total := 0
		buf := make([]byte, 1<<16)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			m, err := r.ReadContext(ctx, buf)
			cancel()
			total += m
			if err != nil {
				break
			}
		}
		if total != n {
			t.Fatalf("Write reported %d bytes, the pipe held %d", n, total)
		}
	})
}

// Close of a File given a blocking pipe returns even with a Read blocked
// in the kernel (as os.File's does; the descriptor closes once the Read
// returns), and listing a pipe's "directory" leaks no descriptor.
func TestStreamCloseNoHangNoLeak(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil { // blocking
			t.Fatal(err)
		}
		r := e.NewFile(uintptr(p[0]), "|0")
		w := os.NewFile(uintptr(p[1]), "|1")
		defer w.Close()
		if nb, _ := unix.FcntlInt(uintptr(p[0]), unix.F_GETFL, 0); nb&unix.O_NONBLOCK != 0 {
			t.Fatal("NewFile made a blocking descriptor non-blocking")
		}
		go r.Read(make([]byte, 8))
		time.Sleep(20 * time.Millisecond)
		within(t, 10*time.Second, "Close with a Read blocked on a blocking pipe", r.Close)
		w.Write([]byte("x")) // let the blocked Read end

		before := countFds(t)
		for range 5 {
			r, w := pipeFiles(t, e)
			r.ReadDir(-1)
			r.Close()
			w.Close()
		}
		if after := countFds(t); after > before {
			t.Fatalf("descriptors: %d before, %d after 5 pipes listed and closed", before, after)
		}
	})
}

// A call Engine.Close cancels reports fs.ErrClosed.
func TestEngineCloseEndsWaitingRead(t *testing.T) {
	e, err := ringo.NewEngine(reaperOpts...)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := pipeFiles(t, e)
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 8))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	e.Close()
	if err := <-errc; !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("Read cancelled by Engine.Close = %v, want fs.ErrClosed", err)
	}
}

// WriteV refuses an O_APPEND file as WriteAt does (as os.File.WriteAt
// does): pwritev would ignore the offset and append.
func TestWriteVAppendModeRefused(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		name := filepath.Join(t.TempDir(), "append")
		os.WriteFile(name, []byte("abc"), 0o644)
		f, err := e.OpenFile(name, os.O_RDWR|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		_, atErr := f.WriteAt([]byte("XY"), 0)
		if atErr == nil {
			t.Fatal("WriteAt on an O_APPEND file succeeded")
		}
		for _, bufs := range [][][]byte{{[]byte("XY")}, {[]byte("X"), nil, []byte("Y")}, {nil}} {
			n, err := f.WriteV(bufs, 0)
			if n != 0 || err == nil || fmt.Sprintf("%T", err) != fmt.Sprintf("%T", atErr) {
				t.Fatalf("WriteV(%q) on an O_APPEND file = %d, %v (%T); want 0 and an error like WriteAt's: %v (%T)", bufs, n, err, err, atErr, atErr)
			}
		}
		if b, _ := os.ReadFile(name); string(b) != "abc" {
			t.Fatalf("file = %q after refused writes, want \"abc\"", b)
		}
		// Reading at an offset is fine in append mode.
		b := make([]byte, 2)
		if n, err := f.ReadV([][]byte{b}, 1); n != 2 || err != nil || string(b) != "bc" {
			t.Fatalf("ReadV on an O_APPEND file = %d, %v, %q", n, err, b)
		}
	})
}

// ReadV and WriteV of nothing but empty buffers move nothing and report
// no error, as ReadAt and WriteAt of an empty slice do.
func TestWriteVReadVEmptyBuffers(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		name := filepath.Join(t.TempDir(), "empty")
		os.WriteFile(name, []byte("abc"), 0o644)
		f, err := e.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r, w := pipeFiles(t, e)
		for _, bufs := range [][][]byte{nil, {}, {nil}, {nil, {}}, {make([]byte, 0, 8)}} {
			for _, off := range []int64{0, 3, 100} {
				if n, err := f.WriteV(bufs, off); n != 0 || err != nil {
					t.Errorf("WriteV(%q, %d) = %d, %v; want 0, nil", bufs, off, n, err)
				}
				if n, err := f.ReadV(bufs, off); n != 0 || err != nil {
					t.Errorf("ReadV(%q, %d) = %d, %v; want 0, nil", bufs, off, n, err)
				}
			}
			if n, err := w.WriteV(bufs, 0); n != 0 || err != nil {
				t.Errorf("WriteV(%q) on a pipe = %d, %v; want 0, nil like WriteAt", bufs, n, err)
			}
			if n, err := r.ReadV(bufs, 0); n != 0 || err != nil {
				t.Errorf("ReadV(%q) on a pipe = %d, %v; want 0, nil like ReadAt", bufs, n, err)
			}
		}
		if fi, err := f.Stat(); err != nil || fi.Size() != 3 {
			t.Fatalf("after empty writes: Stat = %v, %v; want size 3", fi, err)
		}
		if n, err := f.WriteV([][]byte{nil}, -1); n != 0 || err == nil {
			t.Errorf("WriteV at a negative offset = %d, %v; want an error", n, err)
		}
	})
}

// ReadV and WriteV leave the caller's [][]byte as it was.
func TestVectoredKeepsCallerSlices(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		name := filepath.Join(t.TempDir(), "v")
		os.WriteFile(name, []byte("abcdefgh"), 0o644)
		f, err := e.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		a, b := make([]byte, 3), make([]byte, 5)
		bufs := [][]byte{a, b}
		if n, err := f.ReadV(bufs, 0); n != 8 || err != nil {
			t.Fatalf("ReadV = %d, %v", n, err)
		}
		if len(bufs[0]) != 3 || len(bufs[1]) != 5 || string(bufs[0])+string(bufs[1]) != "abcdefgh" {
			t.Fatalf("ReadV changed the caller's slices: %q", bufs)
		}
		if n, err := f.WriteV(bufs, 8); n != 8 || err != nil {
			t.Fatalf("WriteV = %d, %v", n, err)
		}
		if len(bufs[0]) != 3 || len(bufs[1]) != 5 {
			t.Fatalf("WriteV changed the caller's slices: %q", bufs)
		}
	})
}

// An eventfd has no offsets either (it is no FIFO or socket, and lseek
// works on it): ReadAt fails with ESPIPE and leaves the counter; Read
// takes it, waiting for it on both backends when the descriptor is
// non-blocking.
func TestEventfdLikeOS(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			t.Skip(err)
		}
		f := e.NewFile(uintptr(fd), "eventfd")
		defer f.Close()
		one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
		buf := make([]byte, 8)
		if n, err := f.ReadAt(buf, 0); n != 0 || !errors.Is(err, syscall.ESPIPE) {
			t.Fatalf("ReadAt on an eventfd = %d, %v; want ESPIPE", n, err)
		}
		go func() {
			time.Sleep(20 * time.Millisecond)
			unix.Write(fd, one)
		}()
		if n, err := f.Read(buf); n != 8 || err != nil || buf[0] != 1 {
			t.Fatalf("Read on an eventfd = %d, %v, %v; want the counter 1", n, err, buf)
		}
	})
}

// A deadline os refuses (a blocking pipe given to NewFile, syscall
// backend) is not kept: reads go on working after its time.
func TestRefusedDeadlineNotKept(t *testing.T) {
	e := newEngine(t, ringo.WithSyscallBackend())
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r := e.NewFile(uintptr(p[0]), "|0")
	defer r.Close()
	w := os.NewFile(uintptr(p[1]), "|1")
	defer w.Close()
	if err := r.SetReadDeadline(time.Now().Add(time.Millisecond)); !errors.Is(err, os.ErrNoDeadline) {
		t.Fatalf("SetReadDeadline on a blocking pipe = %v, want os.ErrNoDeadline (as os.NewFile)", err)
	}
	time.Sleep(5 * time.Millisecond)
	w.Write([]byte("ok"))
	buf := make([]byte, 2)
	if n, err := r.Read(buf); n != 2 || err != nil {
		t.Fatalf("Read after a refused deadline's time = %d, %v", n, err)
	}
}

// The smallest loop ring under many O_DIRECT callers: the doorbell poll's
// re-arm must not be lost when the SQ is full.
func TestSmallLoopRingManyCallers(t *testing.T) {
	e := newEngine(t, ringo.WithEntries(8))
	name := filepath.Join(diskDir(t), "small-loop")
	if err := os.WriteFile(name, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := e.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
	if err != nil {
		t.Skipf("O_DIRECT refused here: %v", err)
	}
	defer f.Close()
	done := make(chan error, 64)
	for g := range 64 {
		go func() {
			buf, err := ringo.AlignedBuffer(4096)
			if err != nil {
				done <- err
				return
			}
			defer ringo.FreeAligned(buf)
			for i := range 50 {
				if _, err := f.ReadAt(buf, int64((g*50+i)%256)*4096); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	awaitAll(t, done, 64, 30*time.Second, "O_DIRECT reads on an 8-entry loop ring")
}

// within runs fn and returns its error, failing the test if fn has not
// returned after limit: a check that the call ends at all, not a timing.
func within(t *testing.T, limit time.Duration, what string, fn func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- fn() }()
	select {
	case err := <-errc:
		return err
	case <-time.After(limit):
		t.Fatalf("%s has not returned after %v", what, limit)
		return nil
	}
}

// awaitAll receives n results from done, failing the test on the first
// error or if they have not all arrived after limit.
func awaitAll(t *testing.T, done <-chan error, n int, limit time.Duration, what string) {
	t.Helper()
	timeout := time.After(limit)
	for range n {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-timeout:
			t.Fatalf("%s have not all finished after %v", what, limit)
		}
	}
}

// mkfifo makes a FIFO in a fresh directory.
func mkfifo(t *testing.T) string {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	return fifo
}

// writeFIFOLater opens fifo for writing once a reader has it open, writes
// data and closes it. The writer starts late on purpose, so a reader that
// did not wait for it would have seen the end of the file; it sets
// opening first. It opens O_NONBLOCK and retries ENXIO (no reader yet)
// rather than blocking, so a reader that gave up early fails the test
// instead of hanging the writer; closing stop ends the retries.
func writeFIFOLater(fifo string, data []byte, opening *atomic.Bool, stop <-chan struct{}) error {
	time.Sleep(30 * time.Millisecond)
	opening.Store(true)
	for {
		fd, err := unix.Open(fifo, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err == unix.ENXIO {
			select {
			case <-stop:
				return nil
			case <-time.After(time.Millisecond):
				continue
			}
		}
		if err != nil {
			return err
		}
		_, err = unix.Write(fd, data)
		unix.Close(fd)
		return err
	}
}

// Opening a FIFO for reading waits for a writer, as os.Open does, so
// ReadFile and Open+Read see what a writer that comes later sends. (On
// io_uring, OPENAT opened it without waiting; a read could then find the
// end of the file.)
func TestFIFOReadWaitsForWriter(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		var opening atomic.Bool
		readers := map[string]func(string) ([]byte, error){
			"ReadFile": e.ReadFile,
			"Open+Read": func(name string) ([]byte, error) {
				f, err := e.Open(name)
				if err != nil {
					return nil, err
				}
				defer f.Close()
				if !opening.Load() {
					return nil, errors.New("Open returned before any writer began to open the FIFO")
				}
				return io.ReadAll(f)
			},
		}
		for what, read := range readers {
			t.Run(what, func(t *testing.T) {
				fifo := mkfifo(t)
				want := []byte("sent by a late writer")
				stop := make(chan struct{})
				werr := make(chan error, 1)
				opening.Store(false)
				go func() { werr <- writeFIFOLater(fifo, want, &opening, stop) }()
				var got []byte
				err := within(t, 10*time.Second, what+" of a FIFO", func() (err error) {
					got, err = read(fifo)
					return err
				})
				close(stop)
				if err != nil || string(got) != string(want) {
					t.Fatalf("%s(fifo) = %q, %v; want %q", what, got, err, want)
				}
				if err := <-werr; err != nil {
					t.Fatalf("writer: %v", err)
				}
			})
		}
	})
}

// A reader that comes while a writer waits in open(2) gets what it sends.
func TestFIFOReadWriterWaiting(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		fifo := mkfifo(t)
		want := []byte("sent by a waiting writer")
		werr := make(chan error, 1)
		go func() {
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err == nil {
				_, err = w.Write(want)
				w.Close()
			}
			werr <- err
		}()
		time.Sleep(30 * time.Millisecond) // let the writer wait in open
		var got []byte
		err := within(t, 10*time.Second, "ReadFile of a FIFO", func() (err error) {
			got, err = e.ReadFile(fifo)
			return err
		})
		if err != nil || string(got) != string(want) {
			t.Fatalf("ReadFile(fifo) = %q, %v; want %q", got, err, want)
		}
		if err := <-werr; err != nil {
			t.Fatalf("writer: %v", err)
		}
	})
}

// Opening a FIFO for writing waits for a reader, as os.OpenFile does; on
// io_uring OPENAT failed at once with ENXIO.
func TestFIFOWriteWaitsForReader(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		fifo := mkfifo(t)
		type result struct {
			f   *ringo.File
			err error
		}
		opened := make(chan result, 1)
		go func() {
			f, err := e.OpenFile(fifo, os.O_WRONLY, 0)
			opened <- result{f, err}
		}()
		time.Sleep(30 * time.Millisecond) // let the open wait for a reader
		// A non-blocking reader: it never waits, so the test cannot hang
		// on it.
		rfd, err := unix.Open(fifo, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(rfd)
		var w *ringo.File
		if err := within(t, 10*time.Second, "OpenFile(fifo, O_WRONLY)", func() error {
			r := <-opened
			w = r.f
			return r.err
		}); err != nil {
			t.Fatalf("OpenFile(fifo, O_WRONLY) = %v; want it to wait for the reader", err)
		}
		want := "sent to a reader that came later"
		if _, err := w.Write([]byte(want)); err != nil {
			t.Fatal(err)
		}
		w.Close()
		b := make([]byte, 100)
		n, err := unix.Read(rfd, b)
		if err != nil || string(b[:n]) != want {
			t.Fatalf("reader got %q, %v; want %q", b[:max(n, 0)], err, want)
		}
	})
}

// Opens of a FIFO that never wait, as with os: O_WRONLY|O_NONBLOCK with
// no reader fails with ENXIO, O_RDONLY|O_NONBLOCK, O_RDWR and O_PATH
// succeed.
func TestFIFONonBlockingOpens(t *testing.T) {
	bothBackends(t, func(t *testing.T, e *ringo.Engine) {
		fifo := mkfifo(t)
		_, oserr := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		err := within(t, 10*time.Second, "OpenFile(fifo, O_WRONLY|O_NONBLOCK)", func() error {
			f, err := e.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
			if err == nil {
				f.Close()
			}
			return err
		})
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Op != "open" || pe.Path != fifo || pe.Err != syscall.ENXIO {
			t.Fatalf("OpenFile(fifo, O_WRONLY|O_NONBLOCK) with no reader = %#v; want *fs.PathError{open, ENXIO} (os: %v)", err, oserr)
		}
		if !errors.Is(oserr, syscall.ENXIO) {
			t.Fatalf("os.OpenFile(fifo, O_WRONLY|O_NONBLOCK) = %v; the test expects ENXIO", oserr)
		}
		for _, flag := range []int{os.O_RDONLY | syscall.O_NONBLOCK, os.O_RDWR, os.O_RDONLY | unix.O_PATH} {
			err := within(t, 10*time.Second, fmt.Sprintf("OpenFile(fifo, %#x)", flag), func() error {
				f, err := e.OpenFile(fifo, flag, 0)
				if err == nil {
					f.Close()
				}
				return err
			})
			if err != nil {
				t.Fatalf("OpenFile(fifo, %#x) = %v", flag, err)
			}
		}
	})
}

// Engine.Close ends an open waiting for a FIFO's writer or reader.
func TestFIFOOpenEndedByEngineClose(t *testing.T) {
	for _, flag := range []int{os.O_RDONLY, os.O_WRONLY} {
		t.Run(fmt.Sprintf("flag=%#x", flag), func(t *testing.T) {
			e := newEngine(t)
			fifo := mkfifo(t)
			errc := make(chan error, 1)
			go func() {
				f, err := e.OpenFile(fifo, flag, 0)
				if err == nil {
					f.Close()
				}
				errc <- err
			}()
			time.Sleep(30 * time.Millisecond) // let the open wait
			e.Close()
			err := within(t, 10*time.Second, "OpenFile of a FIFO during Engine.Close", func() error { return <-errc })
			var pe *fs.PathError
			if !errors.As(err, &pe) || !errors.Is(err, ringo.ErrEngineClosed) {
				t.Fatalf("OpenFile(fifo, %#x) during Engine.Close = %v; want a *fs.PathError matching ErrEngineClosed", flag, err)
			}
		})
	}
}

// A writer that opened, wrote and closed before the wait for a writer
// began ends the wait (which would otherwise wait for the next writer),
// and what it wrote is there to read.
func TestFIFOWriterCameAndWent(t *testing.T) {
	e := newEngine(t)
	fifo := mkfifo(t)
	rfd, err := unix.Open(fifo, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(rfd)
	wfd, err := unix.Open(fifo, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Write(wfd, []byte("gone"))
	unix.Close(wfd)
	if err := within(t, 10*time.Second, "the wait for a writer", func() error { return e.AwaitFIFOWriterForTest(rfd) }); err != nil {
		t.Fatalf("wait for a writer = %v", err)
	}
	b := make([]byte, 10)
	if n, err := unix.Read(rfd, b); err != nil || string(b[:n]) != "gone" {
		t.Fatalf("read %q, %v; want \"gone\"", b[:max(n, 0)], err)
	}
	if n := e.OutstandingForTest(); n != 0 {
		t.Fatalf("%d requests still in flight after the wait", n)
	}
}
