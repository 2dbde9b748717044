package ringo_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo"
)

// A new deadline applies to calls already waiting, as with os.File.

// deadlineCases runs fn on every kind of engine, with the descriptors
// fn makes non-blocking (as os.Pipe makes them) and, on io_uring, also
// blocking: a call on a blocking stream waits in its READ or WRITE
// request, on a non-blocking one in a POLL_ADD. (On the syscall backend a
// blocking descriptor given to NewFile takes no deadline, as with os.)
func deadlineCases(t *testing.T, fn func(t *testing.T, e *ringo.Engine, blocking bool)) {
	engines := []struct {
		name string
		opts []ringo.Option
	}{
		{"uring", nil},
		{"uring-loop", []ringo.Option{ringo.WithReaper(ringo.ReaperLoop)}},
		{"syscall", []ringo.Option{ringo.WithSyscallBackend()}},
	}
	for _, c := range engines {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t, c.opts...)
			t.Run("nonblocking", func(t *testing.T) { fn(t, e, false) })
			if e.Backend() == ringo.BackendIOUring {
				t.Run("blocking", func(t *testing.T) { fn(t, e, true) })
			}
		})
	}
}

// streamPair returns the two ends of a pipe (r reads, w writes) or of a
// socket pair, as ringo Files closed at the end of the test.
func streamPair(t *testing.T, e *ringo.Engine, socket, blocking bool) (r, w *ringo.File) {
	t.Helper()
	flags := unix.O_CLOEXEC
	if !blocking {
		flags |= unix.O_NONBLOCK
	}
	var p [2]int
	var err error
	if socket {
		var sp [2]int
		sp, err = unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|flags, 0)
		p = sp
	} else {
		err = unix.Pipe2(p[:], flags)
	}
	if err != nil {
		t.Fatal(err)
	}
	r, w = e.NewFile(uintptr(p[0]), "s0"), e.NewFile(uintptr(p[1]), "s1")
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// letWait lets calls started by other goroutines reach their wait: on
// io_uring until the engine holds n requests, otherwise for a moment.
// Either way a call that has not started waiting yet still takes the new
// deadline when it starts, so no test depends on it.
func letWait(t *testing.T, e *ringo.Engine, n int64) {
	t.Helper()
	if e.Backend() == ringo.BackendIOUring {
		waitFor(t, func() bool { return e.OutstandingForTest() >= n }, "calls to wait in the ring")
		return
	}
	time.Sleep(20 * time.Millisecond)
}

type rwResult struct {
	n   int
	err error
}

func await(t *testing.T, c <-chan rwResult, what string) rwResult {
	t.Helper()
	select {
	case r := <-c:
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("%s has not returned after 10s", what)
		return rwResult{}
	}
}

func isDeadlinePathError(err error, op string) bool {
	var pe *fs.PathError
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &pe) && pe.Op == op
}

// A deadline set in the past ends a Read and a Write already waiting, with
// os's error, and takes nothing: the bytes a cut Write reports are
// exactly those that went in, and the pipe works on afterwards.
func TestSetDeadlineEndsWaitingCalls(t *testing.T) {
	deadlineCases(t, func(t *testing.T, e *ringo.Engine, blocking bool) {
		r, w := streamPair(t, e, false, blocking)
		got := make(chan rwResult, 1)
		go func() {
			n, err := r.Read(make([]byte, 8))
			got <- rwResult{n, err}
		}()
		letWait(t, e, 1)
		if err := r.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if res := await(t, got, "a Read waiting when its deadline was set in the past"); res.n != 0 || !isDeadlinePathError(res.err, "read") {
			t.Fatalf("waiting Read = %d, %v; want *fs.PathError read os.ErrDeadlineExceeded", res.n, res.err)
		}

		// A Write waiting on a full pipe.
		data := make([]byte, 1<<20) // more than a pipe holds
		for i := range data {
			data[i] = byte(i % 251)
		}
		go func() {
			n, err := w.Write(data)
			got <- rwResult{n, err}
		}()
		letWait(t, e, 1)
		if err := w.SetWriteDeadline(time.Unix(1, 0)); err != nil {
			t.Fatal(err)
		}
		res := await(t, got, "a Write waiting when its deadline was set in the past")
		if res.n >= len(data) || !isDeadlinePathError(res.err, "write") {
			t.Fatalf("waiting Write = %d, %v; want a short count and *fs.PathError write os.ErrDeadlineExceeded", res.n, res.err)
		}
		w.SetWriteDeadline(time.Time{})
		r.SetReadDeadline(time.Time{})
		in := readUntil(t, r, res.n)
		if len(in) != res.n || !bytes.Equal(in, data[:res.n]) {
			t.Fatalf("the pipe held %d bytes (or other bytes) after a Write that reported %d", len(in), res.n)
		}
		// Nothing more is in the pipe: the next byte is the marker.
		if _, err := w.Write([]byte("E")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 8)
		if n, err := r.Read(buf); err != nil || string(buf[:n]) != "E" {
			t.Fatalf("Read after the drained Write = %q, %v; want the marker alone", buf[:n], err)
		}
	})
}

// readUntil reads from r until it has at least n bytes.
func readUntil(t *testing.T, r *ringo.File, n int) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 64<<10)
	for len(out) < n {
		m, err := r.Read(buf)
		if err != nil {
			t.Fatalf("Read after %d of %d bytes: %v", len(out), n, err)
		}
		out = append(out, buf[:m]...)
	}
	return out
}

// A deadline moved later while a Read waits keeps it waiting past the
// old one, and the Read then gets the data written afterwards; a deadline
// moved earlier (or set where there was none) ends it then.
func TestSetDeadlineMovesWaitingRead(t *testing.T) {
	deadlineCases(t, func(t *testing.T, e *ringo.Engine, blocking bool) {
		r, w := streamPair(t, e, false, blocking)
		first := time.Now().Add(time.Second)
		r.SetReadDeadline(first)
		got := make(chan rwResult, 1)
		buf := make([]byte, 8)
		go func() {
			n, err := r.Read(buf)
			got <- rwResult{n, err}
		}()
		letWait(t, e, 1)
		if err := r.SetReadDeadline(time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !time.Now().Before(first) {
			// This goroutine was held up past the first deadline (a
			// loaded machine): the Read may rightly have timed out, so
			// this run shows nothing either way.
			t.Skip("stalled past the first deadline before extending it; inconclusive")
		}
		time.Sleep(time.Until(first) + 100*time.Millisecond) // past the first deadline
		if _, err := w.Write([]byte("late")); err != nil {
			t.Fatal(err)
		}
		if res := await(t, got, "a Read whose deadline was extended"); res.err != nil || string(buf[:res.n]) != "late" {
			t.Fatalf("Read with its deadline extended = %q, %v; want \"late\"", buf[:res.n], res.err)
		}

		// No deadline, then one set while the Read waits.
		r.SetReadDeadline(time.Time{})
		go func() {
			n, err := r.Read(buf)
			got <- rwResult{n, err}
		}()
		letWait(t, e, 1)
		r.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if res := await(t, got, "a Read given a deadline while waiting"); res.n != 0 || !isDeadlinePathError(res.err, "read") {
			t.Fatalf("Read given a near deadline while waiting = %d, %v; want os.ErrDeadlineExceeded", res.n, res.err)
		}
		// Cleared: data written later arrives.
		r.SetReadDeadline(time.Time{})
		go func() {
			n, err := r.Read(buf)
			got <- rwResult{n, err}
		}()
		letWait(t, e, 1)
		w.Write([]byte("ping"))
		if res := await(t, got, "a Read without deadline"); res.err != nil || string(buf[:res.n]) != "ping" {
			t.Fatalf("Read without deadline = %q, %v", buf[:res.n], res.err)
		}
	})
}

// A read deadline leaves a Write waiting on the same socket alone: it
// ends only when the peer has taken every byte, all of them.
func TestSetReadDeadlineSparesWaitingWrite(t *testing.T) {
	deadlineCases(t, func(t *testing.T, e *ringo.Engine, blocking bool) {
		a, b := streamPair(t, e, true, blocking)
		data := make([]byte, 4<<20) // more than the socket buffers hold
		for i := range data {
			data[i] = byte(i % 253)
		}
		wrote := make(chan rwResult, 1)
		go func() {
			n, err := a.Write(data)
			wrote <- rwResult{n, err}
		}()
		read := make(chan rwResult, 1)
		go func() {
			n, err := a.Read(make([]byte, 8))
			read <- rwResult{n, err}
		}()
		letWait(t, e, 2)
		a.SetReadDeadline(time.Now().Add(-time.Second))
		if res := await(t, read, "a Read waiting when its deadline was set in the past"); !isDeadlinePathError(res.err, "read") {
			t.Fatalf("waiting Read = %d, %v; want os.ErrDeadlineExceeded", res.n, res.err)
		}
		select {
		case res := <-wrote:
			t.Fatalf("the Write returned (%d, %v) before the peer read", res.n, res.err)
		default:
		}
		in := readUntil(t, b, len(data))
		if !bytes.Equal(in, data) {
			t.Fatalf("the peer got %d bytes, not the %d written", len(in), len(data))
		}
		if res := await(t, wrote, "the Write"); res.n != len(data) || res.err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil", res.n, res.err, len(data))
		}
	})
}

// A Read that gets its data as its deadline passes returns it, or leaves
// it in the pipe for the next Read: never loses it.
func TestSetDeadlineRaceKeepsData(t *testing.T) {
	deadlineCases(t, func(t *testing.T, e *ringo.Engine, blocking bool) {
		r, w := streamPair(t, e, false, blocking)
		rounds := 100
		if raceEnabled {
			rounds = 30
		}
		buf := make([]byte, 8)
		won := 0
		for i := range rounds {
			r.SetReadDeadline(time.Time{})
			got := make(chan rwResult, 1)
			go func() {
				n, err := r.Read(buf)
				got <- rwResult{n, err}
			}()
			letWait(t, e, 1)
			msg := []byte{'a' + byte(i%26)}
			start := make(chan struct{})
			wrote := make(chan error, 1)
			go func() {
				<-start
				_, err := w.Write(msg)
				wrote <- err
			}()
			close(start)
			r.SetReadDeadline(time.Now().Add(-time.Second))
			res := await(t, got, "a Read racing its deadline")
			if err := <-wrote; err != nil {
				t.Fatal(err)
			}
			switch {
			case res.err == nil:
				if string(buf[:res.n]) != string(msg) {
					t.Fatalf("round %d: Read = %q, want %q", i, buf[:res.n], msg)
				}
				won++
			case isDeadlinePathError(res.err, "read"):
				r.SetReadDeadline(time.Time{})
				if n, err := r.Read(buf); err != nil || string(buf[:n]) != string(msg) {
					t.Fatalf("round %d: Read after a lost race = %q, %v; want %q", i, buf[:n], err, msg)
				}
			default:
				t.Fatalf("round %d: Read = %d, %v", i, res.n, res.err)
			}
		}
		t.Logf("the data won %d of %d races", won, rounds)
	})
}

// Deadlines moving all the time (later, earlier, cleared, passed) under a
// stream of reads and writes lose, duplicate and reorder nothing.
func TestDeadlineChurnLosesNoData(t *testing.T) {
	deadlineCases(t, func(t *testing.T, e *ringo.Engine, blocking bool) {
		r, w := streamPair(t, e, false, blocking)
		size := 1 << 20
		if raceEnabled {
			size = 256 << 10
		}
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i % 251)
		}
		stop := make(chan struct{})
		churned := make(chan error, 1)
		go func() {
			i := 0
			for {
				select {
				case <-stop:
					churned <- nil
					return
				default:
				}
				var d time.Time
				switch i % 8 {
				case 0, 1, 2:
					d = time.Now().Add(time.Hour + time.Duration(i))
				case 3, 4:
					d = time.Now().Add(10 * time.Millisecond)
				case 5:
					d = time.Now().Add(-time.Second)
				}
				if err := r.SetReadDeadline(d); err != nil {
					churned <- err
					return
				}
				if err := w.SetWriteDeadline(d); err != nil {
					churned <- err
					return
				}
				i++
				time.Sleep(100 * time.Microsecond)
			}
		}()
		wrote := make(chan error, 1)
		go func() {
			p := data
			for i := 0; len(p) > 0; i++ {
				chunk := min(len(p), 1+(i*997)%8192)
				n, err := w.Write(p[:chunk])
				p = p[n:]
				if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
					wrote <- err
					return
				}
				if err != nil {
					time.Sleep(50 * time.Microsecond)
				}
			}
			wrote <- nil
		}()
		read := make(chan error, 1)
		var in []byte
		go func() {
			buf := make([]byte, 4096)
			for len(in) < len(data) {
				n, err := r.Read(buf)
				in = append(in, buf[:n]...)
				if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
					read <- err
					return
				}
				if err != nil {
					time.Sleep(50 * time.Microsecond)
				}
			}
			read <- nil
		}()
		done := make(chan error, 2)
		go func() { done <- <-wrote }()
		go func() { done <- <-read }()
		awaitAll(t, done, 2, 60*time.Second, "reads and writes under moving deadlines")
		close(stop)
		if err := <-churned; err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(in, data) {
			t.Fatalf("read %d bytes, not the %d written in order", len(in), len(data))
		}
	})
}
