package ringo_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// File.Close ends a read that waits for ever where it can: the ring
// cancels it (a FUSE server sees FUSE_INTERRUPT). A plain pread cannot
// be ended; then Close does as os does.

// hangFUSE is a minimal FUSE server (the raw /dev/fuse protocol): one file "f" (8 KiB) whose READs are
// never answered, except that a FUSE_INTERRUPT for one is answered EINTR
// (as libfuse and go-fuse servers do), and release() answers them EIO.
type hangFUSE struct {
	fd   int
	mu   sync.Mutex
	hung map[uint64]bool
	done bool // released: READs fail with EIO
}

func le() binary.ByteOrder { return binary.LittleEndian }

func (s *hangFUSE) reply(unique uint64, errno int32, body []byte) {
	out := make([]byte, 16+len(body))
	le().PutUint32(out[0:], uint32(len(out)))
	le().PutUint32(out[4:], uint32(errno))
	le().PutUint64(out[8:], unique)
	copy(out[16:], body)
	unix.Write(s.fd, out)
}

func fuseAttr(ino uint64, mode uint32, size uint64) []byte {
	a := make([]byte, 88)
	le().PutUint64(a[0:], ino)
	le().PutUint64(a[8:], size)
	le().PutUint64(a[16:], (size+511)/512)
	le().PutUint32(a[60:], mode)
	le().PutUint32(a[64:], 1)    // nlink
	le().PutUint32(a[80:], 4096) // blksize
	return a
}

func (s *hangFUSE) attrOf(node uint64) []byte {
	if node == 1 {
		return fuseAttr(1, unix.S_IFDIR|0o755, 0)
	}
	return fuseAttr(2, unix.S_IFREG|0o644, 8192)
}

func (s *hangFUSE) serve() {
	defer unix.Close(s.fd) // the mount is gone: reads fail ENODEV
	buf := make([]byte, 1<<20+4096)
	for {
		n, err := unix.Read(s.fd, buf)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil || n < 40 {
			return
		}
		op := le().Uint32(buf[4:])
		unique := le().Uint64(buf[8:])
		node := le().Uint64(buf[16:])
		in := buf[40:n]
		switch op {
		case 26: // INIT
			out := make([]byte, 64)
			le().PutUint32(out[0:], 7)
			le().PutUint32(out[4:], 31)
			le().PutUint32(out[8:], le().Uint32(in[8:]))
			le().PutUint32(out[20:], 128*1024) // max_write
			s.reply(unique, 0, out)
		case 1: // LOOKUP
			name := string(in[:len(in)-1])
			if node != 1 || name != "f" {
				s.reply(unique, -int32(unix.ENOENT), nil)
				continue
			}
			out := make([]byte, 40)
			le().PutUint64(out[0:], 2)
			s.reply(unique, 0, append(out, s.attrOf(2)...))
		case 3: // GETATTR
			s.reply(unique, 0, append(make([]byte, 16), s.attrOf(node)...))
		case 14, 27: // OPEN, OPENDIR
			s.reply(unique, 0, make([]byte, 16))
		case 15: // READ: never answered
			s.mu.Lock()
			if s.done {
				s.reply(unique, -int32(unix.EIO), nil)
			} else {
				s.hung[unique] = true
			}
			s.mu.Unlock()
		case 36: // INTERRUPT
			u := le().Uint64(in[0:])
			s.mu.Lock()
			ok := s.hung[u]
			delete(s.hung, u)
			s.mu.Unlock()
			if ok {
				s.reply(u, -int32(unix.EINTR), nil)
			}
		case 2, 42: // FORGET, BATCH_FORGET: no reply
		case 18, 25, 29: // RELEASE, FLUSH, RELEASEDIR
			s.reply(unique, 0, nil)
		case 17: // STATFS
			s.reply(unique, 0, make([]byte, 80))
		case 22, 23: // GETXATTR, LISTXATTR
			s.reply(unique, -int32(unix.ENODATA), nil)
		default:
			s.reply(unique, -int32(unix.ENOSYS), nil)
		}
	}
}

func (s *hangFUSE) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	for u := range s.hung {
		s.reply(u, -int32(unix.EIO), nil)
		delete(s.hung, u)
	}
}

func mountHangFUSE(t *testing.T) (string, *hangFUSE) {
	t.Helper()
	fd, err := unix.Open("/dev/fuse", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skip("no /dev/fuse:", err)
	}
	dir := t.TempDir()
	opts := fmt.Sprintf("fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd)
	if err := unix.Mount("ringotest", dir, "fuse", 0, opts); err != nil {
		unix.Close(fd)
		t.Skip("cannot mount FUSE:", err)
	}
	s := &hangFUSE{fd: fd, hung: map[uint64]bool{}}
	go s.serve()
	t.Cleanup(func() {
		s.release()
		unix.Unmount(dir, unix.MNT_DETACH)
		s.release()
	})
	return dir, s
}

// closeEndsRead starts a ReadAt of name and checks that File.Close ends it.
func closeEndsRead(t *testing.T, name string, s *hangFUSE) {
	e := newEngine(t)
	f, err := e.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() {
		_, err := f.ReadAt(make([]byte, 100), 0)
		read <- err
	}()
	time.Sleep(300 * time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- f.Close() }()
	select {
	case err := <-read:
		if !errors.Is(err, fs.ErrClosed) {
			t.Errorf("read ended by Close: %v; want fs.ErrClosed, as os reports", err)
		}
		<-closed
	case <-time.After(3 * time.Second):
		s.release() // let the test end
		<-read
		<-closed
		t.Fatal("File.Close did not end a read that waits for ever (3 s)")
	}
}

// Control: a file on FUSE itself keeps the ring, and Close ends its read.
func TestCloseEndsReadOnFUSE(t *testing.T) {
	dir, s := mountHangFUSE(t)
	closeEndsRead(t, dir+"/f", s)
}

// An overlayfs whose lower layer is FUSE (or NFS): the overlay file is
// read with plain pread (overlayfs reads through the ring cost 0.02-0.16x
// os), which Close cannot end. As os does, Close then returns at once
// and leaves the descriptor to the read: later calls fail with
// fs.ErrClosed, and the descriptor closes when the read returns.
func TestCloseEndsReadOnOverlayOverFUSE(t *testing.T) {
	fdir, s := mountHangFUSE(t)
	base := t.TempDir()
	for _, d := range []string{"lower2", "merged"} {
		os.Mkdir(base+"/"+d, 0o755)
	}
	merged := base + "/merged"
	if err := unix.Mount("overlay", merged, "overlay", 0, "lowerdir="+fdir+":"+base+"/lower2"); err != nil {
		t.Skip("cannot mount overlayfs on FUSE:", err)
	}
	t.Cleanup(func() { unix.Unmount(merged, unix.MNT_DETACH) })

	e := newEngine(t)
	f, err := e.Open(merged + "/f")
	if err != nil {
		t.Fatal(err)
	}
	fd := int(f.Fd())
	read := make(chan error, 1)
	go func() {
		_, err := f.ReadAt(make([]byte, 100), 0)
		read <- err
	}()
	time.Sleep(300 * time.Millisecond) // the read waits in the FUSE server
	closed := make(chan error, 1)
	go func() { closed <- f.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close = %v", err)
		}
	case <-time.After(3 * time.Second):
		s.release()
		<-read
		<-closed
		t.Fatal("File.Close waited for a plain read that waits for ever")
	}
	if _, err := f.ReadAt(make([]byte, 10), 0); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("ReadAt after Close = %v, want fs.ErrClosed", err)
	}
	if link, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)); err != nil || link != merged+"/f" {
		t.Fatalf("descriptor %d = %q, %v while the read is in progress; want it open on the file", fd, link, err)
	}
	s.release() // the server answers EIO: the read ends, and closes the descriptor
	if err := <-read; err == nil {
		t.Error("the released read succeeded; want the server's EIO")
	}
	if link, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)); err == nil && link == merged+"/f" {
		t.Fatalf("descriptor %d still open on the file after its last read returned", fd)
	}
}

// A read deadline ends a read an io-wq worker is blocked in (the server
// never answers): its linked timeout interrupts it (-EINTR), which is
// the deadline passing, not a request to make again.
func TestReadDeadlineEndsReadOnFUSE(t *testing.T) {
	dir, s := mountHangFUSE(t)
	e := newEngine(t)
	f, err := e.Open(dir + "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
		t.Skip("no read deadlines on this file:", err)
	}
	read := make(chan error, 1)
	go func() {
		_, err := f.ReadAt(make([]byte, 100), 0)
		read <- err
	}()
	select {
	case err := <-read:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read past its deadline: %v; want os.ErrDeadlineExceeded", err)
		}
	case <-time.After(5 * time.Second):
		s.release() // let the test end
		<-read
		t.Fatal("the read deadline did not end a read that waits for ever (5 s)")
	}
}
