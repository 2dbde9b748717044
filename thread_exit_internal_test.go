package ringo

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A request that waits on a poll the kernel armed for it (a read of an
// empty pipe) runs its completion as task work of the thread that
// submitted it. If that thread has exited by then, the kernel cancels the
// request instead (-ECANCELED, nothing read). A goroutine locked to its
// thread ends the thread when it returns, and if it was the flusher it
// had submitted other goroutines' requests: those are made again
// (File.cancelledByOther).

// onDyingThread runs fn on an OS thread that ends after fn returns, and
// returns once the thread is gone.
func onDyingThread(t *testing.T, fn func()) {
	t.Helper()
	tids := make(chan int, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if unix.Gettid() != unix.Getpid() {
			tids <- unix.Gettid()
			fn()
			return
		}
		// The runtime never ends the main thread. While this goroutine
		// holds it, a goroutine started now runs on another one.
		inner := make(chan struct{})
		go func() {
			defer close(inner)
			runtime.LockOSThread()
			tids <- unix.Gettid()
			fn()
		}()
		<-inner
		runtime.UnlockOSThread()
	}()
	task := "/proc/self/task/" + strconv.Itoa(<-tids)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(task); errors.Is(err, os.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the locked thread did not end")
		}
		time.Sleep(time.Millisecond)
	}
}

// flushOnThisThread submits from the calling thread, as the flusher,
// the next n SQEs other goroutines queue; the caller holds the flusher
// role (sh.flushing), so nobody else submits them.
func flushOnThisThread(t *testing.T, sh *shard, n int) {
	deadline := time.Now().Add(10 * time.Second)
	for sent := 0; sent < n; {
		sh.mu.Lock()
		k := sh.ring.FlushSQ()
		sh.queued = 0
		sh.mu.Unlock()
		if k == 0 {
			if time.Now().After(deadline) {
				t.Errorf("%d of the %d requests expected came to the ring in 10 s", sent, n)
				return
			}
			time.Sleep(time.Millisecond)
			continue
		}
		done, err := sh.ring.SubmitFlushed(k, 0)
		if err != nil {
			t.Error(err)
			return
		}
		sh.submitted.Add(uint64(done))
		sent += int(done)
		sh.reap()
	}
}

// ringTestEngine is a new engine on io_uring, closed when the test ends.
func ringTestEngine(t *testing.T) *Engine {
	t.Helper()
	e := hotTestEngine(t)
	if e.Backend() == BackendSyscall {
		t.Skip("io_uring unavailable:", e.BackendReason())
	}
	return e
}

// holdFlusher takes the flusher role of sh, so that requests queued
// meanwhile wait in the SQ until flushOnThisThread submits them.
func holdFlusher(sh *shard) {
	for !sh.flushing.CompareAndSwap(false, true) {
		runtime.Gosched()
	}
}

// fifoOpen is the outcome of an OpenFile.
type fifoOpen struct {
	f   *File
	err error
}

// openFIFOOnDyingThread makes a FIFO and opens it with flag (O_RDONLY or
// O_WRONLY) through a new engine, on a goroutine whose first sqes
// requests a thread that then exits submits (onDyingThread); the
// outcome arrives on the returned channel.
func openFIFOOnDyingThread(t *testing.T, flag, sqes int) (string, <-chan fifoOpen) {
	t.Helper()
	e := ringTestEngine(t)
	fifo := t.TempDir() + "/fifo"
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sh := e.pick()
	holdFlusher(sh)
	opened := make(chan fifoOpen, 1)
	onDyingThread(t, func() {
		go func() {
			f, err := e.OpenFile(fifo, flag, 0)
			opened <- fifoOpen{f, err}
		}()
		flushOnThisThread(t, sh, sqes)
		sh.flushing.Store(false)
		// Let the io-wq worker start waiting before the thread exits.
		time.Sleep(50 * time.Millisecond)
	})
	return fifo, opened
}

func TestReadOutlivesTheThreadThatSubmittedIt(t *testing.T) {
	e := ringTestEngine(t)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	f := e.NewFile(uintptr(p[0]), "pipe")
	defer f.Close()
	sh := f.sh
	holdFlusher(sh)
	type result struct {
		n   int
		err error
	}
	read := make(chan result, 1)
	buf := make([]byte, 8)
	onDyingThread(t, func() {
		// The read, submitted from this thread, finds the pipe empty and
		// waits on a poll the kernel arms for this thread, which is gone
		// when the data comes.
		go func() {
			n, err := f.Read(buf)
			read <- result{n, err}
		}()
		flushOnThisThread(t, sh, 1)
		sh.flushing.Store(false)
	})
	if _, err := unix.Write(p[1], []byte("x")); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-read:
		if r.err != nil || r.n != 1 || buf[0] != 'x' {
			t.Fatalf("Read = %d %q, %v; want 1 \"x\" (the read died with the thread that submitted it, and was not retried)", r.n, buf[:r.n], r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not return in 10 s")
	}
}

// The same for an open an io-wq worker was blocked in: a FIFO's write
// end, waiting for a reader, when the thread that submitted it exits
// (-ERESTARTSYS).
func TestFIFOOpenOutlivesTheThreadThatSubmittedIt(t *testing.T) {
	// The writer's two OPENATs: the non-blocking try (ENXIO: no reader)
	// and the blocking one, which an io-wq worker of the dying thread
	// runs, waiting for a reader, when the thread exits.
	fifo, opened := openFIFOOnDyingThread(t, os.O_WRONLY, 2)
	time.Sleep(50 * time.Millisecond)
	r, err := os.OpenFile(fifo, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	select {
	case res := <-opened:
		if res.err != nil {
			t.Fatalf("OpenFile of a FIFO's write end: %v (the open died with the thread that submitted it, and was not retried)", res.err)
		}
		res.f.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("OpenFile of a FIFO's write end did not return in 10 s")
	}
}

// And for the read end, which OpenFile holds open while a second,
// blocking open waits for a writer (awaitFIFOWriter).
func TestFIFOReaderWaitOutlivesTheThreadThatSubmittedIt(t *testing.T) {
	// The reader's OPENAT (it opens at once), then the POLL_ADD and the
	// blocking open of its wait for a writer, which an io-wq worker of
	// the dying thread runs when the thread exits.
	fifo, opened := openFIFOOnDyingThread(t, os.O_RDONLY, 3)
	select {
	case res := <-opened:
		if res.err == nil {
			res.f.Close()
		}
		t.Fatalf("OpenFile of a FIFO's read end returned (%v) with no writer: its wait died with the thread that submitted it", res.err)
	case <-time.After(100 * time.Millisecond):
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	select {
	case res := <-opened:
		if res.err != nil {
			t.Fatal(res.err)
		}
		res.f.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("OpenFile of a FIFO's read end did not return in 10 s")
	}
}
