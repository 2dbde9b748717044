package ringo_test

import (
	"bytes"
	"errors"
	"fmt"
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
	"github.com/ringo-io/ringo/internal/testutil"
)

// readFileChunk mirrors the linked chain's buffer size (fs.go).
const readFileChunk = 64 << 10

func TestReadFileLinkedSizes(t *testing.T) {
	e := newEngine(t)
	dir := testutil.DiskDir(t)
	rng := rand.New(rand.NewPCG(7, 7))
	for _, size := range []int{0, 1, 100, 4095, 4096, 4097, readFileChunk - 1, readFileChunk, readFileChunk + 1, 1 << 20} {
		name := filepath.Join(dir, fmt.Sprintf("f%d", size))
		want := make([]byte, size)
		for i := range want {
			want[i] = byte(rng.Uint32())
		}
		if err := os.WriteFile(name, want, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := e.ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("ReadFile(%d bytes) = %d bytes, %v; want the file", size, len(got), err)
		}
		// Files that fit the chain's buffer are answered by the chain
		// alone; the others take the long way.
		data, done, err := e.ReadFileLinkedForTest(name)
		if wantDone := size <= readFileChunk; done != wantDone {
			t.Fatalf("%d bytes: chain done = %v, want %v", size, done, wantDone)
		}
		if done && (err != nil || !bytes.Equal(data, want)) {
			t.Fatalf("%d bytes: chain read %d bytes, %v", size, len(data), err)
		}
	}
	if free, total := e.FreeFileSlotsForTest(); total == 0 || free != total {
		t.Fatalf("registered-file slots: %d free of %d after the reads", free, total)
	}
}

func TestReadFileLinkedErrors(t *testing.T) {
	e := newEngine(t)
	dir := testutil.DiskDir(t)
	missing := filepath.Join(dir, "missing")
	_, err := e.ReadFile(missing)
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Op != "open" || pe.Path != missing {
		t.Fatalf("ReadFile(missing) = %v; want *fs.PathError open ENOENT", err)
	}
	// Through a file used as a directory: ENOTDIR, as os reports it.
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	_, err = e.ReadFile(filepath.Join(file, "below"))
	_, osErr := os.ReadFile(filepath.Join(file, "below"))
	if !errors.Is(err, syscall.ENOTDIR) || !errors.Is(osErr, syscall.ENOTDIR) {
		t.Fatalf("ReadFile(file/below) = %v; os says %v", err, osErr)
	}
	// A directory opens but cannot be read: "read ...: is a directory",
	// like os.ReadFile, and the chain's CLOSE still frees the slot.
	_, err = e.ReadFile(dir)
	_, osErr = os.ReadFile(dir)
	if !errors.As(err, &pe) || pe.Op != "read" || !errors.Is(err, syscall.EISDIR) {
		t.Fatalf("ReadFile(dir) = %v; want *fs.PathError read EISDIR (os: %v)", err, osErr)
	}
	if _, err := e.ReadFile("bad\x00name"); err == nil {
		t.Fatal("ReadFile with a NUL byte in the name succeeded")
	}
	if free, total := e.FreeFileSlotsForTest(); free != total {
		t.Fatalf("registered-file slots: %d free of %d after failed reads", free, total)
	}
}

// Special files: procfs files claim to be regular with a size of 0 (the
// chain's second read finds their end); pipes and devices never take the
// chain, so nothing it consumed could be lost to the long way.
func TestReadFileLinkedSpecialFiles(t *testing.T) {
	e := newEngine(t)
	got, done, err := e.ReadFileLinkedForTest("/proc/self/status")
	if !done || err != nil || !bytes.HasPrefix(got, []byte("Name:")) {
		t.Fatalf("chain on /proc/self/status: %q, done %v, err %v", got, done, err)
	}
	got, err = e.ReadFile("/proc/self/status")
	if err != nil || !bytes.HasPrefix(got, []byte("Name:")) {
		t.Fatalf("ReadFile(/proc/self/status) = %q, %v", got, err)
	}
	if _, done, _ := e.ReadFileLinkedForTest("/dev/null"); done {
		t.Fatal("the chain took /dev/null, a device")
	}
	if got, err := e.ReadFile("/dev/null"); err != nil || len(got) != 0 {
		t.Fatalf("ReadFile(/dev/null) = %q, %v", got, err)
	}
	// A FIFO whose writer sends more than the chain would read: every
	// byte arrives, as with os.ReadFile.
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("0123456789abcdef"), (2*readFileChunk)/16)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		w.Write(want)
		w.Close()
	}()
	got, err = e.ReadFile(fifo)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ReadFile(fifo) = %d bytes, %v; want %d", len(got), err, len(want))
	}
}

// More concurrent ReadFiles than registered-file slots: the excess takes
// the long way, every result is right, and every slot comes back.
func TestReadFileLinkedConcurrent(t *testing.T) {
	e := newEngine(t)
	dir := testutil.DiskDir(t)
	const files = 64
	for i := range files {
		os.WriteFile(filepath.Join(dir, fmt.Sprint(i)), bytes.Repeat([]byte{byte(i)}, 100+i*37), 0o644)
	}
	_, total := e.FreeFileSlotsForTest()
	workers := 2*total + 8
	// The long way opens files, which makes the engine's disk rings on
	// first use: they belong to the engine, not to a ReadFile.
	if f, err := e.Open(filepath.Join(dir, "0")); err == nil {
		f.Close()
	}
	baseFds := countFds(t)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 20 {
				i := (w + k) % files
				got, err := e.ReadFile(filepath.Join(dir, fmt.Sprint(i)))
				if err != nil || len(got) != 100+i*37 || (len(got) > 0 && got[len(got)-1] != byte(i)) {
					t.Errorf("file %d: %d bytes, %v", i, len(got), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if free, total := e.FreeFileSlotsForTest(); free != total {
		t.Fatalf("registered-file slots: %d free of %d", free, total)
	}
	if n := countFds(t); n > baseFds {
		t.Fatalf("open fds %d, baseline %d", n, baseFds)
	}
}

// Engine.Close while chains are in flight: callers get data or an error,
// never a crash, and no goroutine or descriptor is left behind.
func TestReadFileLinkedClose(t *testing.T) {
	dir := testutil.DiskDir(t)
	name := filepath.Join(dir, "f")
	os.WriteFile(name, bytes.Repeat([]byte("z"), 3000), 0o644)
	baseG, baseFds := runtime.NumGoroutine(), countFds(t)
	e := newEngine(t)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := e.ReadFile(name)
				if err != nil {
					// Whatever step Close interrupted, the caller
					// learns the engine is closed, as from os.
					if !errors.Is(err, fs.ErrClosed) {
						t.Errorf("ReadFile during Engine.Close = %v; want an error matching fs.ErrClosed", err)
					}
					return
				}
				if len(got) != 3000 {
					t.Errorf("read %d bytes", len(got))
					return
				}
			}
		}()
	}
	runtime.Gosched()
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	waitFor(t, func() bool { return runtime.NumGoroutine() <= baseG }, "goroutines back to baseline")
	waitFor(t, func() bool { return countFds(t) <= baseFds }, "fds back to baseline")
}

func TestReadFileLinkedAllocs(t *testing.T) {
	e := newEngine(t)
	name := filepath.Join(testutil.DiskDir(t), "f")
	os.WriteFile(name, make([]byte, 4096), 0o644)
	e.ReadFile(name)
	// The name's C string and the returned slice.
	if n := testing.AllocsPerRun(200, func() { e.ReadFile(name) }); n > 2 {
		t.Errorf("ReadFile: %v allocations per call; want at most 2", n)
	}
}

// The chain on the other kinds of plain rings: completions reaped by a
// thread, and submissions picked up by an SQPOLL kernel thread.
func TestReadFileLinkedReapers(t *testing.T) {
	for name, opt := range map[string]ringo.Option{
		"thread": ringo.WithReaper(ringo.ReaperThread),
		"sqpoll": ringo.WithSQPoll(10 * time.Millisecond),
	} {
		t.Run(name, func(t *testing.T) {
			reaperOpts = []ringo.Option{opt}
			defer func() { reaperOpts = nil }()
			t.Run("Sizes", TestReadFileLinkedSizes)
			t.Run("Errors", TestReadFileLinkedErrors)
			t.Run("Concurrent", TestReadFileLinkedConcurrent)
			t.Run("Close", TestReadFileLinkedClose)
		})
	}
}

func TestReadFileAfterEngineClose(t *testing.T) {
	e, err := ringo.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(testutil.DiskDir(t), "f")
	os.WriteFile(name, []byte("x"), 0o644)
	e.Close()
	if _, err := e.ReadFile(name); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("ReadFile after Engine.Close = %v, want fs.ErrClosed", err)
	}
}
