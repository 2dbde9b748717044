package ringo_test

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo"
)

// TestLowOpenFileLimit: under a small RLIMIT_NOFILE (a user's ulimit -n,
// not root's) the engine still starts and every kind of ring works. A
// previous Go library asked for 65,535 registered-file slots up front and
// died with EMFILE under a 20,000 limit; ringo's tables are sized from the
// limit it finds (uring.SizeFileTable).
func TestLowOpenFileLimit(t *testing.T) {
	dir := diskDir(t)
	name := filepath.Join(dir, "low")
	want := bytes.Repeat([]byte("limit"), 1000)
	if err := os.WriteFile(name, want, 0o644); err != nil {
		t.Fatal(err)
	}
	// Under the usual limit first: can this kernel and filesystem give an
	// O_DIRECT file a registered slot at all?
	probe := newEngine(t)
	if f, err := probe.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0); err != nil {
		t.Skipf("O_DIRECT refused here: %v", err)
	} else if slot := f.SlotForTest(); f.Close() == nil && slot < 0 {
		t.Skip("no registered-file table on this kernel (loop ring unavailable)")
	}
	probe.Close()

	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	// Leave room for the test binary's own descriptors, but far less than
	// the tables ringo would like (1,024 per loop ring, 256 per plain one).
	low := unix.Rlimit{Cur: 96, Max: old.Max}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Skipf("cannot lower RLIMIT_NOFILE: %v", err)
	}
	defer unix.Setrlimit(unix.RLIMIT_NOFILE, &old)

	e := newEngine(t)
	// ReadFile: the linked chain's direct descriptor comes from the plain
	// ring's table, which must exist, cut to fit the limit.
	if _, total := e.FreeFileSlotsForTest(); total == 0 || total >= 96 {
		t.Fatalf("plain ring file table has %d slots under RLIMIT_NOFILE 96; want 0 < n < 96", total)
	}
	got, done, err := e.ReadFileLinkedForTest(name)
	if err != nil || !done || !bytes.Equal(got, want) {
		t.Fatalf("ReadFile chain = %d bytes, done %v, %v", len(got), done, err)
	}
	// O_DIRECT: a loop ring and its table of registered files.
	d, err := e.OpenFile(name, os.O_RDWR|syscall.O_DIRECT, 0)
	if err != nil {
		t.Fatalf("O_DIRECT open under the low limit: %v", err)
	}
	defer d.Close()
	buf, err := ringo.AlignedBuffer(4096)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.ReadAt(buf, 0); err != nil || n != 4096 || !bytes.Equal(buf, want[:4096]) {
		t.Fatalf("O_DIRECT ReadAt = %d, %v", n, err)
	}
	if slot := d.SlotForTest(); slot < 0 || slot >= 96 {
		t.Fatalf("O_DIRECT file's registered slot %d under RLIMIT_NOFILE 96; want a slot of a table cut to fit", slot)
	}
}
