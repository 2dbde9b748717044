package testutil

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// DiskDir returns a new directory, removed when the test ends, whose
// files can be read without blocking (preadv2 RWF_NOWAIT), as files on a
// disk filesystem can: t.TempDir(), or, when the temporary directory is
// on tmpfs or overlayfs (a container), one under /var/tmp. Tests of the
// disk paths (the page-cache probe, ReadFile's linked chain, O_DIRECT)
// need one. It skips the test if there is none.
func DiskDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if nonblockingReads(dir) {
		return dir
	}
	dir, err := os.MkdirTemp("/var/tmp", "ringo-test-")
	if err != nil {
		t.Skip("no directory on a disk filesystem for the test's files:", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if !nonblockingReads(dir) {
		t.Skip("no directory on a disk filesystem for the test's files (tmpfs or overlayfs everywhere)")
	}
	return dir
}

// nonblockingReads reports whether a file made in dir can be read with
// preadv2(RWF_NOWAIT).
func nonblockingReads(dir string) bool {
	name := filepath.Join(dir, ".ringo-probe")
	if err := os.WriteFile(name, []byte("probe"), 0o644); err != nil {
		return false
	}
	defer os.Remove(name)
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = unix.Preadv2(int(f.Fd()), [][]byte{make([]byte, 5)}, 0, unix.RWF_NOWAIT)
	return !errors.Is(err, unix.EOPNOTSUPP)
}
