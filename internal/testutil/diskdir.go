package testutil

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// DiskDir returns a new directory, removed when the test ends, on a disk
// filesystem: t.TempDir(), unless the temporary directory is on a memory
// filesystem (tmpfs, ramfs), where files cannot be read without blocking,
// take no O_DIRECT and never leave the page cache; then one under
// /var/tmp. Tests of the disk paths (the page-cache probe, ReadFile's
// linked chain, O_DIRECT) need one. It skips the test if there is none.
func DiskDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if !onMemoryFS(dir) {
		return dir
	}
	dir, err := os.MkdirTemp("/var/tmp", "ringo-test-")
	if err != nil || onMemoryFS(dir) {
		t.Skip("no disk filesystem for the test's files (the temporary directory is on tmpfs)")
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func onMemoryFS(dir string) bool {
	var fs unix.Statfs_t
	if unix.Statfs(dir, &fs) != nil {
		return false
	}
	return fs.Type == unix.TMPFS_MAGIC || fs.Type == unix.RAMFS_MAGIC
}
