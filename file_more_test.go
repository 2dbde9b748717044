package ringo_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

func TestFileOSMethods(t *testing.T) {
	e := newEngine(t)
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	f, err := e.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.WriteString("héllo"); n != 6 || err != nil {
		t.Fatalf("WriteString = %d, %v", n, err)
	}
	if err := f.Chmod(0o600); err != nil {
		t.Fatalf("Chmod: %v", err)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after Chmod = %v", fi.Mode())
	}
	if err := f.Chown(-1, -1); err != nil {
		t.Fatalf("Chown(-1, -1): %v", err)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var seen uintptr
	if err := rc.Control(func(fd uintptr) { seen = fd }); err != nil || seen != f.Fd() {
		t.Fatalf("Control saw fd %d (%v), want %d", seen, err, f.Fd())
	}
	calls := 0
	if err := rc.Read(func(uintptr) bool { calls++; return true }); err != nil || calls != 1 {
		t.Fatalf("RawConn.Read: %d calls, %v", calls, err)
	}
	// Not done: there is no readiness to wait for, so an error, not a spin.
	if err := rc.Write(func(uintptr) bool { calls++; return false }); err == nil || calls != 2 {
		t.Fatalf("RawConn.Write not done: %d calls, %v; want one call and an error", calls, err)
	}
	if b, _ := os.ReadFile(name); string(b) != "héllo" {
		t.Fatalf("file holds %q", b)
	}
	f.Close()
	if err := f.Chmod(0o644); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("Chmod after Close = %v, want fs.ErrClosed", err)
	}
	if err := rc.Control(func(uintptr) { t.Fatal("Control ran after Close") }); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("Control after Close = %v, want fs.ErrClosed", err)
	}
}

func TestFileReadDir(t *testing.T) {
	e := newEngine(t)
	dir := t.TempDir()
	var want []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
		want = append(want, n)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	want = append(want, "sub")
	baseFds := countFds(t)
	d, err := e.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// In pieces: the position carries over between calls, as with os.
	var got []string
	for {
		ents, err := d.ReadDir(2)
		for _, de := range ents {
			got = append(got, de.Name())
			if de.Name() == "sub" && !de.IsDir() {
				t.Errorf("sub: IsDir false")
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("ReadDir: %v", err)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("ReadDir names %v, want %v", got, want)
	}
	d.Close()
	if _, err := d.Readdirnames(-1); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("Readdirnames after Close = %v", err)
	}
	if n := countFds(t); n > baseFds {
		t.Fatalf("fds %d after Close, baseline %d (the lister's duplicate leaked)", n, baseFds)
	}

	d2, _ := e.Open(dir)
	defer d2.Close()
	names, err := d2.Readdirnames(-1)
	slices.Sort(names)
	if err != nil || !slices.Equal(names, want) {
		t.Fatalf("Readdirnames = %v, %v", names, err)
	}
	// On a regular file, listing fails as with os (ENOTDIR).
	f, _ := e.Open(filepath.Join(dir, "a"))
	defer f.Close()
	if _, err := f.ReadDir(-1); err == nil {
		t.Fatal("ReadDir on a regular file succeeded")
	}
}

// A read blocked on an empty pipe gives up at its deadline with
// os.ErrDeadlineExceeded; without one it gets the data. The pipe is
// non-blocking, as os.Pipe makes it: on the syscall backend a blocking
// descriptor given to NewFile takes no deadline, as with os.NewFile.
func TestFileDeadline(t *testing.T) {
	e := newEngine(t)
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	r := e.NewFile(uintptr(p[0]), "pipe-r")
	defer r.Close()
	w := os.NewFile(uintptr(p[1]), "pipe-w")
	defer w.Close()

	if err := r.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	n, err := r.Read(buf)
	var pe *fs.PathError
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &pe) || pe.Op != "read" {
		t.Fatalf("Read past its deadline = %d, %v; want *fs.PathError read os.ErrDeadlineExceeded", n, err)
	}
	var timeout interface{ Timeout() bool }
	if !errors.As(err, &timeout) || !timeout.Timeout() {
		t.Fatalf("deadline error %v does not report Timeout()", err)
	}
	// Once passed, the deadline fails calls at once.
	if _, err := r.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second Read = %v", err)
	}
	// Cleared: data written later arrives.
	r.SetDeadline(time.Time{})
	go func() {
		time.Sleep(10 * time.Millisecond)
		w.Write([]byte("ping"))
	}()
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("Read without deadline = %q, %v", buf[:n], err)
	}
	// A far deadline does not disturb a read that completes.
	r.SetReadDeadline(time.Now().Add(time.Hour))
	w.Write([]byte("pong"))
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("Read before its deadline = %q, %v", buf[:n], err)
	}
	r.Close()
	if err := r.SetDeadline(time.Now()); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("SetDeadline after Close = %v", err)
	}
}
