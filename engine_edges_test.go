package ringo_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo"
)

// waitOutstanding waits until the engine's plain rings hold n requests.
func waitOutstanding(t *testing.T, e *ringo.Engine, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.OutstandingForTest() != n {
		if time.Now().After(deadline) {
			t.Fatalf("outstanding = %d, want %d", e.OutstandingForTest(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A call waiting for a free slab slot (all WithMaxInFlight slots held by
// reads waiting on empty pipes) ignores its context: acquire is a bare
// channel receive.
func TestContextEndsWaitForSlot(t *testing.T) {
	w2 := writerWithoutSlot(t)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := w2.WriteContext(ctx, []byte("x"))
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it reach acquire
	cancel()
	err := within(t, 5*time.Second, "WriteContext after its context was cancelled", func() error { return <-errc })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteContext = %v, want context.Canceled", err)
	}
}

// File.Close waits forever for a call of its own that waits for a slab
// slot held by another file's request: cancelFd has nothing to cancel.
func TestFileCloseEndsWaitForSlot(t *testing.T) {
	w2 := writerWithoutSlot(t)
	go w2.Write([]byte("x")) // blocks in acquire, holding a File reference
	time.Sleep(50 * time.Millisecond)
	within(t, 5*time.Second, "File.Close of a file whose Write waits for a slot", w2.Close)
}

// Engine.Close sends one ASYNC_CANCEL_ANY and then waits for every final
// CQE without cancelling again. A hard-linked chain member that starts
// after that cancel (ReadFile's chain: the cancel interrupts READ, the
// hard link starts the probe READ) is never cancelled, and Close hangs.
// /proc/kmsg is a regular file (statx: S_IFREG, size 0) whose read blocks.
func TestEngineCloseEndsHardLinkedChain(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for /proc/kmsg")
	}
	// Drain pending kernel messages so the chain's first READ blocks.
	fd, err := unix.Open("/proc/kmsg", unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Skip(err)
	}
	buf := make([]byte, 1<<16)
	for {
		if _, err := unix.Read(fd, buf); err != nil {
			break
		}
	}
	unix.Close(fd)
	// Whatever happens, release the blocked reads at the end.
	defer func() {
		for range 4 {
			os.WriteFile("/dev/kmsg", []byte("ringo test: release /proc/kmsg readers\n"), 0)
			time.Sleep(20 * time.Millisecond)
		}
	}()

	e, err := ringo.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	go e.ReadFile("/proc/kmsg") // statx: regular, 0 bytes: the linked chain
	waitOutstanding(t, e, 1)
	time.Sleep(50 * time.Millisecond) // let the first READ reach io-wq and block
	within(t, 5*time.Second, "Engine.Close with a ReadFile chain in flight", e.Close)
}

// File.Close cancels with ASYNC_CANCEL_FD|ALL, which the kernel matches by
// open file description, not by descriptor number: closing one File
// cancels the requests of another File on a dup of its descriptor, and
// that File's Read fails with ECANCELED (os.File would go on waiting and
// return the data).
func TestCloseSparesDupsRequests(t *testing.T) {
	e := newEngine(t)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	d, err := unix.Dup(p[0])
	if err != nil {
		t.Fatal(err)
	}
	r1, r2, w := e.NewFile(uintptr(p[0]), "r1"), e.NewFile(uintptr(d), "r2"), e.NewFile(uintptr(p[1]), "w")
	t.Cleanup(func() { r2.Close(); w.Close() })
	errc := make(chan error, 1)
	go func() {
		b := make([]byte, 8)
		n, err := r2.Read(b)
		if err == nil && string(b[:n]) != "hello" {
			err = errors.New("read " + string(b[:n]))
		}
		errc <- err
	}()
	go r1.Read(make([]byte, 8)) // a call in progress, so Close cancels
	waitOutstanding(t, e, 2)
	if err := within(t, 5*time.Second, "r1.Close", r1.Close); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := within(t, 5*time.Second, "r2.Read", func() error { return <-errc }); err != nil {
		t.Fatalf("Read on a File whose dup was closed = %v, want the data", err)
	}
}

// OpenFile of a FIFO for reading (awaitFIFOWriter) used to hold two slab
// slots at once, a POLLHUP poll and a blocking OPENAT, each of which only
// the other can end. With one slot (or all but one held by waiting calls)
// and a writer that came and went before the second open, the open held
// the slot waiting for a writer that never came, and the poll that would
// end it waited for a slot: OpenFile never returned.
func TestOpenFIFOWithOneFreeSlot(t *testing.T) {
	e := newEngine(t, ringo.WithMaxInFlight(1))
	dir := t.TempDir()
	// Which of the two requests gets the slot first is a race (about even
	// here): try a few times.
	for i := range 10 {
		name := filepath.Join(dir, "fifo"+string(rune('a'+i)))
		if err := unix.Mkfifo(name, 0o600); err != nil {
			t.Fatal(err)
		}
		go func() {
			// Waits for ringo's reader, then writes and goes at once.
			w, err := os.OpenFile(name, os.O_WRONLY, 0)
			if err == nil {
				w.Write([]byte("x"))
				w.Close()
			}
		}()
		time.Sleep(20 * time.Millisecond) // the writer waits in its open
		err := within(t, 5*time.Second, "OpenFile of a FIFO on a one-slot engine", func() error {
			f, err := e.Open(name)
			if err == nil {
				f.Close()
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Linked chains (ReadFile's OPENAT -> READ -> READ -> CLOSE) from many
// goroutines on a ring of 8 SQEs: the SQ fills all the time, and a chain
// split across two submissions would come back broken (EBADF, or a short
// or wrong file).
func TestChainsOnFullSmallRing(t *testing.T) {
	e := newEngine(t, ringo.WithEntries(8), ringo.WithMaxInFlight(64))
	dir := t.TempDir()
	const files = 16
	want := make([][]byte, files)
	for i := range files {
		want[i] = bytes.Repeat([]byte{byte('a' + i)}, 100+i*37)
		if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(i)), want[i], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 100 {
				i := (g + k) % files
				got, err := e.ReadFile(filepath.Join(dir, strconv.Itoa(i)))
				if err != nil || !bytes.Equal(got, want[i]) {
					t.Errorf("ReadFile(%d) = %d bytes, %v; want %d bytes", i, len(got), err, len(want[i]))
					return
				}
			}
		}()
	}
	within(t, 60*time.Second, "ReadFile chains on an 8-entry ring", func() error { wg.Wait(); return nil })
}

// writerWithoutSlot returns the write end of a pipe on an engine whose
// only slab slot (WithMaxInFlight(1)) is held by a read waiting on
// another, empty pipe: its calls through the ring wait for a slot.
func writerWithoutSlot(t *testing.T) *ringo.File {
	e := newEngine(t, ringo.WithMaxInFlight(1))
	r1, _ := pipeFiles(t, e)
	go r1.Read(make([]byte, 8)) // waits in the ring, holding the only slot
	waitOutstanding(t, e, 1)
	_, w2 := pipeFiles(t, e)
	t.Cleanup(func() { e.Close() }) // runs first: frees the slot, so the pipes' Close can finish
	return w2
}
