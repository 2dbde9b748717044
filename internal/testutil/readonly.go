// Package testutil holds helpers shared by the tests of several packages.
package testutil

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// fsImmutableFL is FS_IOC_GETFLAGS' FS_IMMUTABLE_FL (chattr +i).
const fsImmutableFL = 0x10

// MakeReadOnly makes opening path for writing fail (chmod 0444, or for
// root, which ignores permissions, the immutable attribute, removed again
// when the test ends), or skips the test.
func MakeReadOnly(t testing.TB, path string) {
	t.Helper()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
		if err == nil {
			err = unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsImmutableFL))
		}
		if err != nil {
			t.Skipf("cannot make %s read-only for root: %v", path, err)
		}
		t.Cleanup(func() {
			f, err := os.Open(path)
			if err != nil {
				return
			}
			defer f.Close()
			unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags&^fsImmutableFL))
		})
	}
	if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
		f.Close()
		t.Skipf("%s is still writable", path)
	}
}
