package ringo_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo"
)

// A Write with a write deadline that waits for a slab slot (every slot
// held by a Read waiting on another pipe) is never ended by its deadline:
// File.acquire ends the wait only on ctx or Close. os.File's Write fails
// with os.ErrDeadlineExceeded at the deadline.
func TestDeadlineEndsWaitForSlot(t *testing.T) {
	w2 := writerWithoutSlot(t)
	w2.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	err := within(t, 5*time.Second, "Write with a 50ms deadline waiting for a slot", func() error {
		_, err := w2.Write([]byte("y"))
		return err
	})
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write = %v, want os.ErrDeadlineExceeded", err)
	}
}

// Same, with the deadline moved into the past while the Write waits: the
// documented "a new deadline also applies to calls already waiting".
func TestPastDeadlineEndsWaitForSlot(t *testing.T) {
	w2 := writerWithoutSlot(t)
	errc := make(chan error, 1)
	go func() { _, err := w2.Write([]byte("y")); errc <- err }()
	time.Sleep(50 * time.Millisecond) // let it reach acquire
	w2.SetWriteDeadline(time.Now().Add(-time.Second))
	err := within(t, 5*time.Second, "Write after SetWriteDeadline(past) while waiting for a slot", func() error { return <-errc })
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write = %v, want os.ErrDeadlineExceeded", err)
	}
}

// cancelledByOther retries every ECANCELED that neither this call nor a
// Close caused, on the theory that only a dup's File.Close cancels. The
// kernel cancels requests itself too: io-wq fails work with -ECANCELED
// when it cannot create a worker thread (RLIMIT_NPROC, pids.max). A
// ReadAt of a /proc file (no FMODE_NOWAIT: always io-wq) then retries for
// ever, burning a CPU, where before today it returned the error (and
// os.File.ReadAt, a plain pread, succeeds). Run in a child process: it
// takes setuid(nobody) and RLIMIT_NPROC=1.
func TestKernelCancelNotRetried(t *testing.T) {
	if os.Getenv("RINGO_TEST_NPROC_CHILD") == "1" {
		nprocChild(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to setuid")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKernelCancelNotRetried$", "-test.v", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), "RINGO_TEST_NPROC_CHILD=1", "GOMAXPROCS=2")
	out, err := cmd.CombinedOutput()
	t.Logf("child: %v\n%s", err, out)
	if bytes.Contains(out, []byte("CHILD-HANG")) {
		t.Fatal("ReadAt of /proc/self/stat with no io-wq worker possible never returned (cancelledByOther retries the kernel's ECANCELED for ever)")
	}
	if !bytes.Contains(out, []byte("CHILD-RETURNED")) {
		t.Skip("child did not reach the ReadAt")
	}
}

func nprocChild(t *testing.T) {
	// Idle Ms for the runtime to reuse: it cannot make threads later.
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			<-start
			runtime.UnlockOSThread()
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(start)
	wg.Wait()

	e, err := ringo.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open("/proc/self/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skip(err)
	}
	f := e.NewFile(uintptr(fd), "/proc/self/stat")
	if err := unix.Setrlimit(unix.RLIMIT_NPROC, &unix.Rlimit{Cur: 1, Max: 1}); err != nil {
		t.Skip(err)
	}
	if err := syscall.Setuid(65534); err != nil {
		t.Skip(err)
	}
	done := make(chan struct{})
	var n int
	go func() {
		defer close(done)
		n, err = f.ReadAt(make([]byte, 4096), 0)
	}()
	select {
	case <-done:
		fmt.Printf("CHILD-RETURNED n=%d err=%v\n", n, err)
	case <-time.After(10 * time.Second):
		s1 := e.Stats()
		time.Sleep(time.Second)
		s2 := e.Stats()
		fmt.Printf("CHILD-HANG submitted %d then %d a second later\n", s1.Submitted, s2.Submitted)
		os.Exit(0)
	}
}

// OpenFile of a FIFO for reading needs two free slab slots at once
// (acquirePair), and waits for them holding neither. On a ring where one
// slot is held by a call that waits (a Read on an empty pipe), it waits
// for ever, even with a writer on the FIFO: os.Open returns as soon as
// the writer is there, and so did ringo before today (the second request
// would not even wait).
func TestFIFOOpenWithOneSlotFree(t *testing.T) {
	e := newEngine(t, ringo.WithMaxInFlight(2))
	r1, _ := pipeFiles(t, e)
	go r1.Read(make([]byte, 8)) // holds one of the two slots
	waitOutstanding(t, e, 1)
	t.Cleanup(func() { e.Close() }) // first: ends the Read

	fifo := mkfifo(t)
	wc := make(chan *os.File, 1)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // waits for the reader
		if err == nil {
			w.Write([]byte("hello"))
		}
		wc <- w
	}()
	t.Cleanup(func() {
		select {
		case w := <-wc:
			if w != nil {
				w.Close()
			}
		case <-time.After(time.Second):
		}
	})
	time.Sleep(20 * time.Millisecond) // the writer waits in its open
	err := within(t, 5*time.Second, "Open of a FIFO with a writer, one slot free", func() error {
		f, err := e.Open(fifo)
		if err == nil {
			f.Close()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
