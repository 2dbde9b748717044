package ringo

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The rest of *os.File's methods. None of them has an io_uring opcode
// that completes inline, so they are the plain system calls os makes.

// WriteString is Write of the bytes of s, like os.File.WriteString.
func (f *File) WriteString(s string) (int, error) { return f.Write([]byte(s)) }

// Chmod changes the file's mode bits (fchmod), like os.File.Chmod.
func (f *File) Chmod(mode fs.FileMode) error {
	return f.plain("chmod", func() error { return unix.Fchmod(f.fd, syscallMode(mode)) })
}

// Chown changes the file's owner and group (fchown); -1 keeps either,
// like os.File.Chown.
func (f *File) Chown(uid, gid int) error {
	return f.plain("chown", func() error { return unix.Fchown(f.fd, uid, gid) })
}

// plain runs the system call sys on the open descriptor, retrying EINTR,
// and wraps its error like os.
func (f *File) plain(op string, sys func() error) error {
	if err := f.incref(op); err != nil {
		return err
	}
	defer f.decref()
	err := f.withFd(func() error {
		_, err := ignoringEINTR2(func() (int, error) { return 0, sys() })
		return err
	})
	return f.wrap(op, err)
}

// SyscallConn returns a raw connection to the descriptor, like
// os.File.SyscallConn: its Control, Read and Write run fn with the
// descriptor, which stays open (Close waits) until fn returns.
func (f *File) SyscallConn() (syscall.RawConn, error) {
	if f == nil {
		return nil, os.ErrInvalid
	}
	if f.pf != nil {
		// A pipe or tty in Go's poller (syscall backend): os's own
		// RawConn, whose Read and Write wait for readiness.
		if err := f.incref("syscallconn"); err != nil {
			return nil, err
		}
		defer f.decref()
		return f.pf.SyscallConn()
	}
	return rawConn{f}, nil
}

type rawConn struct{ f *File }

func (c rawConn) Control(fn func(fd uintptr)) error {
	if err := c.f.incref("syscallconn"); err != nil {
		return err
	}
	defer c.f.decref()
	fn(uintptr(c.f.fd))
	return nil
}

// Read and Write call fn with the descriptor. A File's descriptor is not
// in Go's netpoller, so there is no readiness to wait for: if fn reports
// it is not done, they return an error rather than spin, as os.File does
// for descriptors it cannot poll.
func (c rawConn) Read(fn func(fd uintptr) (done bool)) error  { return c.once(fn) }
func (c rawConn) Write(fn func(fd uintptr) (done bool)) error { return c.once(fn) }

var errCannotWait = errors.New("ringo: waiting for readiness is not supported on a File's descriptor")

func (c rawConn) once(fn func(fd uintptr) bool) error {
	if err := c.f.incref("syscallconn"); err != nil {
		return err
	}
	defer c.f.decref()
	if !fn(uintptr(c.f.fd)) {
		return errCannotWait
	}
	return nil
}

// ReadDir reads the directory's entries, like os.File.ReadDir: n > 0
// returns at most n (io.EOF at the end), n <= 0 all that remain. Listing a
// directory has no io_uring opcode; it reads through an *os.File sharing
// the open file description, so the position carries over between calls.
func (f *File) ReadDir(n int) ([]fs.DirEntry, error) {
	d, err := f.dir("readdirent")
	if err != nil {
		return nil, err
	}
	defer f.decref()
	return d.ReadDir(n)
}

// Readdirnames reads the names of the directory's entries, like
// os.File.Readdirnames.
func (f *File) Readdirnames(n int) ([]string, error) {
	d, err := f.dir("readdirent")
	if err != nil {
		return nil, err
	}
	defer f.decref()
	return d.Readdirnames(n)
}

// dir returns the *os.File used to list the directory, made on first use
// from a duplicate of the descriptor and closed by Close. The caller
// holds a reference (decref when done).
func (f *File) dir(op string) (*os.File, error) {
	if err := f.incref(op); err != nil {
		return nil, err
	}
	f.dirOnce.Do(func() {
		var fd int
		err := f.withFd(func() (err error) {
			fd, err = unix.FcntlInt(uintptr(f.fd), unix.F_DUPFD_CLOEXEC, 0)
			return err
		})
		if err != nil {
			f.dirErr = f.wrap(op, err)
			return
		}
		f.dirFile.Store(os.NewFile(uintptr(fd), f.name))
	})
	if f.dirErr != nil {
		f.decref()
		return nil, f.dirErr
	}
	return f.dirFile.Load(), nil
}

// dirState is the lazily made directory lister of a File.
type dirState struct {
	dirOnce sync.Once
	dirFile atomic.Pointer[os.File] // set once by dir; Seek reads it
	dirErr  error
}

var (
	_ io.StringWriter = (*File)(nil)
	_ syscall.Conn    = (*File)(nil)
)

// SetDeadline sets the read and write deadlines, like SetReadDeadline and
// SetWriteDeadline together. As with os.File, a new deadline also applies
// to calls already waiting: one in the past ends them with an error
// matching os.ErrDeadlineExceeded, a later, earlier or zero one re-arms
// them; a call whose data has already moved returns it.
func (f *File) SetDeadline(t time.Time) error {
	if err := f.SetReadDeadline(t); err != nil {
		return err
	}
	return f.SetWriteDeadline(t)
}

// SetReadDeadline sets the deadline for Read and ReadAt calls: a request
// still waiting in the ring at t is cancelled (IORING_OP_LINK_TIMEOUT)
// and the call fails with an error matching os.ErrDeadlineExceeded; after
// t, calls fail at once. The zero time removes the deadline. As with
// os.File, the new deadline also applies to a Read already waiting on a
// pipe, socket or tty: a t in the past ends it with
// os.ErrDeadlineExceeded, any other t (or the zero time) re-arms it with
// t; if its data arrived first, the Read returns the data. A call on a
// regular file or block device, which never waits for long, keeps the
// deadline it started with. Unlike os.File, every kind of file takes
// deadlines, where os.File refuses them on regular files. A read served
// without the ring (a page-cache hit, see docs/DESIGN.md) never waits, so
// it is not cut short. Calls given a context follow the context instead.
// On the syscall backend (no io_uring) pipes, sockets and ttys are served
// as os serves them, in Go's poller, except a blocking descriptor given
// to NewFile, which takes no deadline (os.ErrNoDeadline), as with
// os.NewFile.
func (f *File) SetReadDeadline(t time.Time) error { return f.setDeadline(false, t) }

// SetWriteDeadline sets the deadline for Write and WriteAt calls, as
// SetReadDeadline does for reads. Buffered writes on filesystems where
// they are plain pwrite calls (ext4) are not cut short.
func (f *File) SetWriteDeadline(t time.Time) error { return f.setDeadline(true, t) }

func (f *File) setDeadline(write bool, t time.Time) error {
	if err := f.incref("setdeadline"); err != nil {
		return err
	}
	defer f.decref()
	if f.pf != nil {
		// os may refuse (a blocking descriptor: os.ErrNoDeadline); only
		// a deadline it took is kept, for pollRW to put back.
		var err error
		if write {
			err = f.pf.SetWriteDeadline(t)
		} else {
			err = f.pf.SetReadDeadline(t)
		}
		if err != nil {
			return f.wrap("setdeadline", err)
		}
	}
	var nd *time.Time
	if !t.IsZero() {
		nd = &t
	}
	old := f.deadlineOf(write).Swap(nd)
	// Calls waiting in the ring re-read the deadline (rw): wake them
	// after the store, unless it changed nothing.
	if (old == nil) != (nd == nil) || (old != nil && !old.Equal(t)) {
		f.wakeOf(write).wake()
	}
	return nil
}

func (f *File) wakeOf(write bool) *deadlineWake {
	if write {
		return &f.wwake
	}
	return &f.rwake
}

// deadlineWake tells the stream calls waiting in the ring in one
// direction that its deadline changed: each takes the current channel
// (watch) before it reads the deadline, and each change closes that
// channel after storing the new deadline (wake), so a call that read the
// old deadline always hears of the new one. The channel is made only
// when a call waits, and dropped by the change that closes it.
type deadlineWake struct {
	mu sync.Mutex
	ch chan struct{}
}

func (w *deadlineWake) watch() <-chan struct{} {
	w.mu.Lock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	ch := w.ch
	w.mu.Unlock()
	return ch
}

func (w *deadlineWake) wake() {
	w.mu.Lock()
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
	w.mu.Unlock()
}

// waitReady polls fd until it is ready for reading (or writing) or the
// deadline passes (os.ErrDeadlineExceeded): the syscall backend's way to
// honour a deadline.
func waitReady(fd int, write bool, deadline time.Time) error {
	events := int16(unix.POLLIN)
	if write {
		events = unix.POLLOUT
	}
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return os.ErrDeadlineExceeded
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(fds, int(min(left.Milliseconds()+1, 1<<30)))
		switch {
		case err == unix.EINTR:
		case err != nil:
			return err
		case n > 0:
			return nil // ready, or an error condition the read will report
		}
	}
}
