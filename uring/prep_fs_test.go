package uring

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openDir opens dir as a directory fd for the *at Prep methods, closed
// at the end of the test.
func openDir(t *testing.T, dir string) int32 {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, int32(fd))
	return int32(fd)
}

// skipIfNoXattr skips the test when the file system under dir does not
// support user extended attributes.
func skipIfNoXattr(t *testing.T, res int32, dir string) {
	t.Helper()
	if res == errnoRes(syscall.ENOTSUP) || res == errnoRes(syscall.EOPNOTSUPP) {
		var st unix.Statfs_t
		unix.Statfs(dir, &st)
		t.Skipf("user xattrs not supported by the file system of %s (f_type %#x)", dir, st.Type)
	}
}

func TestPrepOpenatCreates(t *testing.T) {
	r := mustRing(t, 4, 0)
	dir := t.TempDir()
	path := cstr("created")

	mustSQE(t, r).PrepOpenat(openDir(t, dir), path, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	c := runOne(t, r)
	runtime.KeepAlive(path)
	if c.Res < 0 {
		t.Fatalf("openat: %v", resErr(c.Res))
	}
	defer unix.Close(int(c.Res))

	if _, err := unix.Write(int(c.Res), []byte("via ring fd")); err != nil {
		t.Fatalf("write to the opened fd: %v", err)
	}
	wantFileContent(t, filepath.Join(dir, "created"), "via ring fd")
}

func TestPrepOpenatMissingFailsENOENT(t *testing.T) {
	r := mustRing(t, 4, 0)
	path := cstr(filepath.Join(t.TempDir(), "missing"))

	mustSQE(t, r).PrepOpenat(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	wantRes(t, "openat of a missing file", runOne(t, r), errnoRes(syscall.ENOENT))
	runtime.KeepAlive(path)
}

func TestPrepOpenat2(t *testing.T) {
	r := mustRing(t, 4, 0)
	dir := t.TempDir()
	mustWriteFile(t, filepath.Join(dir, "f"), []byte("openat2"), 0o600)
	path := cstr("f")
	how := &OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH}
	escape(how)

	mustSQE(t, r).PrepOpenat2(openDir(t, dir), path, how)
	c := runOne(t, r)
	runtime.KeepAlive(path)
	runtime.KeepAlive(how)
	if c.Res < 0 {
		t.Fatalf("openat2: %v", resErr(c.Res))
	}
	defer unix.Close(int(c.Res))

	got := make([]byte, 16)
	n, err := unix.Read(int(c.Res), got)
	if err != nil || string(got[:n]) != "openat2" {
		t.Fatalf("read %q, %v", got[:n], err)
	}
}

func TestPrepOpenat2ResolveBeneathRejectsEscape(t *testing.T) {
	r := mustRing(t, 4, 0)
	dir := t.TempDir()
	path := cstr("../escape")
	how := &OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH}
	escape(how)

	mustSQE(t, r).PrepOpenat2(openDir(t, dir), path, how)
	wantRes(t, "openat2 RESOLVE_BENEATH of ../", runOne(t, r), errnoRes(syscall.EXDEV))
	runtime.KeepAlive(path)
	runtime.KeepAlive(how)
}

func TestPrepStatx(t *testing.T) {
	r := mustRing(t, 4, 0)
	dir := t.TempDir()
	mustWriteFile(t, filepath.Join(dir, "sized"), make([]byte, 123), 0o640)
	path := cstr("sized")
	st := new(unix.Statx_t)
	escape(st)

	mustSQE(t, r).PrepStatx(openDir(t, dir), path, 0, unix.STATX_SIZE|unix.STATX_MODE, st)
	wantRes(t, "statx", runOne(t, r), 0)
	runtime.KeepAlive(path)
	runtime.KeepAlive(st)

	if st.Mask&unix.STATX_SIZE == 0 || st.Size != 123 {
		t.Fatalf("statx size %d (mask %#x), want 123", st.Size, st.Mask)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		t.Fatalf("statx mode %#o, want a regular file", st.Mode)
	}
}

func TestPrepStatxEmptyPathOnFd(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, make([]byte, 77))
	empty := cstr("")
	st := new(unix.Statx_t)
	escape(st)

	mustSQE(t, r).PrepStatx(fdOf(t, f), empty, unix.AT_EMPTY_PATH, unix.STATX_SIZE, st)
	wantRes(t, "statx AT_EMPTY_PATH", runOne(t, r), 0)
	runtime.KeepAlive(empty)
	runtime.KeepAlive(st)

	if st.Size != 77 {
		t.Fatalf("statx size %d, want 77", st.Size)
	}
}

func TestPrepRenameat(t *testing.T) {
	r := mustRing(t, 4, 0)
	dir := t.TempDir()
	mustWriteFile(t, filepath.Join(dir, "old"), []byte("moved"), 0o600)
	dfd := openDir(t, dir)
	oldp, newp := cstr("old"), cstr("new")

	mustSQE(t, r).PrepRenameat(dfd, oldp, dfd, newp, 0)
	wantRes(t, "renameat", runOne(t, r), 0)
	runtime.KeepAlive(oldp)
	runtime.KeepAlive(newp)

	if _, err := os.Stat(filepath.Join(dir, "old")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old name still there: %v", err)
	}
	wantFileContent(t, filepath.Join(dir, "new"), "moved")
}

func TestPrepRenameatNoReplaceFailsEEXIST(t *testing.T) {
	r := mustRing(t, 4, 0)
	dir := t.TempDir()
	for _, n := range []string{"a", "b"} {
		mustWriteFile(t, filepath.Join(dir, n), []byte(n), 0o600)
	}
	dfd := openDir(t, dir)
	a, b := cstr("a"), cstr("b")

	mustSQE(t, r).PrepRenameat(dfd, a, dfd, b, unix.RENAME_NOREPLACE)
	wantRes(t, "renameat RENAME_NOREPLACE onto an existing name", runOne(t, r), errnoRes(syscall.EEXIST))
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}

func TestPrepUnlinkatFile(t *testing.T) {
	r := mustRing(t, 4, 0)
	dir := t.TempDir()
	mustWriteFile(t, filepath.Join(dir, "doomed"), nil, 0o600)
	path := cstr("doomed")

	mustSQE(t, r).PrepUnlinkat(openDir(t, dir), path, 0)
	wantRes(t, "unlinkat", runOne(t, r), 0)
	runtime.KeepAlive(path)

	if _, err := os.Stat(filepath.Join(dir, "doomed")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file still there: %v", err)
	}
}

func TestPrepUnlinkatRemoveDir(t *testing.T) {
	r := mustRing(t, 4, 0)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	dfd := openDir(t, dir)
	path := cstr("sub")

	mustSQE(t, r).PrepUnlinkat(dfd, path, 0)
	wantRes(t, "unlinkat of a directory without AT_REMOVEDIR", runOne(t, r), errnoRes(syscall.EISDIR))
	mustSQE(t, r).PrepUnlinkat(dfd, path, unix.AT_REMOVEDIR)
	wantRes(t, "unlinkat AT_REMOVEDIR", runOne(t, r), 0)
	runtime.KeepAlive(path)

	if _, err := os.Stat(filepath.Join(dir, "sub")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directory still there: %v", err)
	}
}

func TestPrepMkdirat(t *testing.T) {
	r := mustRing(t, 4, 0)
	dir := t.TempDir()
	path := cstr("made")

	mustSQE(t, r).PrepMkdirat(openDir(t, dir), path, 0o750)
	wantRes(t, "mkdirat", runOne(t, r), 0)
	runtime.KeepAlive(path)

	fi, err := os.Stat(filepath.Join(dir, "made"))
	if err != nil || !fi.IsDir() {
		t.Fatalf("stat of the new directory: %v, %v", fi, err)
	}
}

func TestPrepSymlinkat(t *testing.T) {
	r := mustRing(t, 4, 0)
	dir := t.TempDir()
	target, link := cstr("some/target"), cstr("link")

	mustSQE(t, r).PrepSymlinkat(target, openDir(t, dir), link)
	wantRes(t, "symlinkat", runOne(t, r), 0)
	runtime.KeepAlive(target)
	runtime.KeepAlive(link)

	if got, err := os.Readlink(filepath.Join(dir, "link")); err != nil || got != "some/target" {
		t.Fatalf("readlink = %q, %v", got, err)
	}
}

func TestPrepLinkat(t *testing.T) {
	r := mustRing(t, 4, 0)
	dir := t.TempDir()
	mustWriteFile(t, filepath.Join(dir, "orig"), []byte("shared"), 0o600)
	dfd := openDir(t, dir)
	oldp, newp := cstr("orig"), cstr("hard")

	mustSQE(t, r).PrepLinkat(dfd, oldp, dfd, newp, 0)
	wantRes(t, "linkat", runOne(t, r), 0)
	runtime.KeepAlive(oldp)
	runtime.KeepAlive(newp)

	a, errA := os.Stat(filepath.Join(dir, "orig"))
	b, errB := os.Stat(filepath.Join(dir, "hard"))
	if errA != nil || errB != nil || !os.SameFile(a, b) {
		t.Fatalf("hard link does not name the same file: %v %v", errA, errB)
	}
}

func TestPrepSetxattrGetxattr(t *testing.T) {
	r := mustRing(t, 4, 0)
	dir := t.TempDir()
	file := filepath.Join(dir, "attrs")
	mustWriteFile(t, file, nil, 0o600)
	path, name := cstr(file), cstr("user.ringo")
	value := heapBytes(5)
	copy(value, "xattr")

	mustSQE(t, r).PrepSetxattr(name, value, path, unix.XATTR_CREATE)
	c := runOne(t, r)
	skipIfNoXattr(t, c.Res, dir)
	wantRes(t, "setxattr", c, 0)

	got := heapBytes(64)
	mustSQE(t, r).PrepGetxattr(name, got, path)
	wantRes(t, "getxattr", runOne(t, r), 5)
	runtime.KeepAlive(path)
	runtime.KeepAlive(name)
	runtime.KeepAlive(value)
	runtime.KeepAlive(got)

	if string(got[:5]) != "xattr" {
		t.Fatalf("getxattr = %q", got[:5])
	}
}

func TestPrepFsetxattrFgetxattr(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, nil)
	fd := fdOf(t, f)
	name := cstr("user.ringo.fd")
	value := heapBytes(3)
	copy(value, "abc")

	mustSQE(t, r).PrepFsetxattr(fd, name, value, 0)
	c := runOne(t, r)
	skipIfNoXattr(t, c.Res, filepath.Dir(f.Name()))
	wantRes(t, "fsetxattr", c, 0)

	// An empty value buffer asks for the attribute's size.
	mustSQE(t, r).PrepFgetxattr(fd, name, nil)
	wantRes(t, "fgetxattr size query", runOne(t, r), 3)

	got := heapBytes(8)
	mustSQE(t, r).PrepFgetxattr(fd, name, got)
	wantRes(t, "fgetxattr", runOne(t, r), 3)
	runtime.KeepAlive(name)
	runtime.KeepAlive(value)
	runtime.KeepAlive(got)

	if string(got[:3]) != "abc" {
		t.Fatalf("fgetxattr = %q", got[:3])
	}
}

func TestPrepOpenatDirectAllocThenFixedRead(t *testing.T) {
	r := mustRing(t, 4, 0)
	mustRegisterFilesSparse(t, r, 8)
	dir := t.TempDir()
	mustWriteFile(t, filepath.Join(dir, "direct"), []byte("direct descriptor"), 0o600)
	path := cstr("direct")
	buf := heapBytes(6)

	mustSQE(t, r).PrepOpenatDirect(openDir(t, dir), path, unix.O_RDONLY, 0, FileIndexAlloc)
	c := runOne(t, r)
	runtime.KeepAlive(path)
	if c.Res < 0 {
		t.Fatalf("openat_direct: %v", resErr(c.Res))
	}
	slot := c.Res
	if slot >= 8 {
		t.Fatalf("allocated slot %d outside the 8-entry table", slot)
	}

	wantRes(t, "read through the direct descriptor", fixedRead(t, r, slot, buf), 6)
	if string(buf) != "direct" {
		t.Fatalf("read %q", buf)
	}
}

func TestPrepOpenat2DirectIntoSlot(t *testing.T) {
	r := mustRing(t, 4, 0)
	mustRegisterFilesSparse(t, r, 4)
	f := tempFile(t, []byte("slot 3"))
	path := cstr(f.Name())
	how := &OpenHow{Flags: unix.O_RDONLY}
	escape(how)
	buf := heapBytes(6)

	mustSQE(t, r).PrepOpenat2Direct(unix.AT_FDCWD, path, how, 3)
	wantRes(t, "openat2_direct into slot 3", runOne(t, r), 0)
	runtime.KeepAlive(path)
	runtime.KeepAlive(how)

	wantRes(t, "read through slot 3", fixedRead(t, r, 3, buf), 6)
	if string(buf) != "slot 3" {
		t.Fatalf("read %q", buf)
	}
}
