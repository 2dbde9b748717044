package ringo

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo/uring"
)

// maxRW is the largest transfer one request asks for. Linux caps a single
// read or write at 0x7ffff000 bytes; like the os package (internal/poll)
// we stay at 1 GiB so a huge buffer becomes several requests.
const maxRW = 1 << 30

// File is an open file whose I/O goes through an Engine. It mirrors
// *os.File and implements io.Reader, io.Writer, io.ReaderAt, io.WriterAt,
// io.Seeker and io.Closer. Methods are safe for concurrent use; ReadAt
// and WriteAt calls from many goroutines are what the Engine batches.
type File struct {
	e    *Engine
	sh   *shard
	fd   int
	name string

	appendMode bool
	// slot is the file's index in its ring's registered-file table, or
	// -1. Reads and writes use it (IOSQE_FIXED_FILE) when set.
	slot int32
	// solo lets a request with no other caller on its O_DIRECT ring use a
	// plain system call (O_DIRECT regular files and block devices).
	solo bool
	// soloMiss: a buffered read that misses the page cache with no other
	// caller on its ring blocks in pread instead (rw): a regular file on a
	// block device, whose reads end on their own.
	soloMiss bool
	// syncWrite sends buffered writes to regular files straight to
	// pwrite(2). On ext4 io_uring hands every such write to an io-wq
	// worker thread (3.5x slower than the system call, docs/DESIGN.md),
	// on btrfs too (0.06x os at qd 1); XFS completes them inline, but
	// through the ring they still measured 0.57-0.69x os at qd 1 and 32
	// against pwrite's 0.93-1.17x (session 5, a loop-mounted XFS): a
	// page-cache write is too short to gain from the hand-offs.
	syncWrite bool
	// syncRead sends reads straight to pread(2): the file cannot be
	// read without blocking (preadv2 RWF_NOWAIT said EOPNOTSUPP), so
	// io_uring would hand every read of it to an io-wq worker thread,
	// and its reads end on their own (plainReadsFS: tmpfs): a
	// 4 KiB read of a tmpfs file measured 37.5 µs that way against os's
	// 1.2 (0.03x os; 0.16x at 32 goroutines, with 14 threads).
	syncRead  atomic.Bool
	vecProbed atomic.Bool // vec asked preadv2 once (syncRead)
	// plainMayBlock: syncRead reads of this file may wait for ever
	// (overlayfs, whose layers may be FUSE or NFS: plainReadsFS). Close
	// cannot end a plain read, so, as os does, it returns and leaves
	// the descriptor to the last such read (inPlain, closeLater).
	plainMayBlock atomic.Bool
	inPlain       atomic.Int64 // plainMayBlock reads in a system call
	closeLater    atomic.Bool  // Close left finishClose to decref
	closeDone     atomic.Bool  // finishClose ran
	// tryCache serves buffered reads that hit the page cache with
	// preadv2(RWF_NOWAIT), which never blocks: a hit costs one system
	// call and no goroutine switch; a miss (EAGAIN) goes to the ring.
	tryCache atomic.Bool
	// hot: this file's reads have been page-cache hits lately, so they
	// use plain pread64 (readHot), which is cheaper than preadv2 but
	// cannot refuse to wait for the disk. hotVotes counts sampled
	// preadv2 hits towards it; a sampled slow pread64 clears it.
	hot      atomic.Bool
	hotVotes atomic.Int32
	// stream: a pipe, socket or tty, which has no file offset (ReadAt
	// and WriteAt fail with ESPIPE, as pread and pwrite do).
	stream bool
	// pf serves a stream file on the syscall backend through Go's
	// network poller (nil otherwise), so Close and deadlines can end a
	// read or write that waits, as they do for an os.File.
	pf *os.File
	// openSize is the size of a regular file when it was opened
	// (buffered files only; -1 if unknown): ReadFile's first guess.
	openSize int64

	// refs counts calls in progress; Close waits for them (after
	// cancelling their requests) before it closes the descriptor, so a
	// request can never reach a recycled fd number.
	refs    atomic.Int64
	closing atomic.Bool
	closed  chan struct{} // closed when Close begins: ends waits for a slab slot
	drained chan struct{}

	// Deadlines of Read/ReadAt and Write/WriteAt (SetDeadline); nil: none.
	rdeadline, wdeadline atomic.Pointer[time.Time]
	// rwake and wwake wake a stream call waiting in the ring when its
	// direction's deadline changes, so the new one applies to it
	// (file_more.go).
	rwake, wwake deadlineWake

	dirState // ReadDir/Readdirnames (file_more.go)
	mapState // mapped reads of hot read-only files (file_mapped.go)

	// rdLock and wrLock serialise Read and Write; on a file with an
	// offset they are one lock, shared with Seek (a read and a write
	// through the ring both move the offset). A pipe or socket has one
	// per direction, as os.File does, so a Read waiting for data never
	// holds up a Write. They are channels so a context can end the wait.
	rdLock, wrLock ctxLock
}

// Open opens the named file for reading through the default engine.
func Open(name string) (*File, error) { return Default().OpenFile(name, os.O_RDONLY, 0) }

// Create creates or truncates the named file through the default engine.
func Create(name string) (*File, error) {
	return Default().OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile is os.OpenFile through the default engine.
func OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	return Default().OpenFile(name, flag, perm)
}

// Open opens the named file for reading.
func (e *Engine) Open(name string) (*File, error) { return e.OpenFile(name, os.O_RDONLY, 0) }

// Create creates or truncates the named file.
func (e *Engine) Create(name string) (*File, error) {
	return e.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile opens the named file with the given flags (os.O_*, plus
// syscall.O_DIRECT) and permissions, like os.OpenFile, with an
// IORING_OP_OPENAT request. O_CLOEXEC is always added.
func (e *Engine) OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	path, err := cstring(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	flag |= syscall.O_CLOEXEC
	mode := syscallMode(perm)
	var fd int
	if e.closed.Load() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrEngineClosed}
	}
	var sh *shard
	if e.backend == BackendSyscall || flag&openPuntedFlags != 0 {
		fd, err = ignoringEINTR2(func() (int, error) { return unix.Open(name, flag, mode) })
	} else {
		sh = e.pick()
		fd, err = sh.openat(nil, nil, path, flag, mode, 0)
		if err == syscall.ENXIO && flag&unix.O_NONBLOCK == 0 && flag&unix.O_ACCMODE == unix.O_WRONLY {
			// OPENAT's non-blocking first try fails a FIFO's write end
			// with ENXIO while it has no reader, where open(2) waits for
			// one. IOSQE_ASYNC makes the open a blocking one on an io-wq
			// worker, so no Go thread is held and Engine.Close can still
			// cancel it. Anything else that gives ENXIO gives it again.
			fd, err = sh.openat(nil, nil, path, flag, mode, uring.SQEAsync)
		}
	}
	if err != nil && e.closed.Load() && (err == syscall.ECANCELED || err == errnoRestartSys) {
		err = ErrEngineClosed // Engine.Close cancelled the open
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return e.newFile(fd, name, flag, true, nil), nil
	}
	if sh != nil && st.Mode&unix.S_IFMT == unix.S_IFIFO && flag&(unix.O_NONBLOCK|unix.O_PATH) == 0 && flag&unix.O_ACCMODE == unix.O_RDONLY {
		// (sh: the ring made the open.) OPENAT's non-blocking first try
		// opens a FIFO's read end at once, writer or not, where open(2)
		// waits for a writer: the first read could then find the end of
		// the file. O_RDWR and O_PATH never wait, on Linux. A wait that fails for another reason than
		// Engine.Close (no descriptor left for its second open, say)
		// leaves the FIFO as OPENAT opened it, rather than failing an
		// open that os would not fail.
		if err := sh.awaitFIFOWriter(fd, name); err != nil && e.closed.Load() {
			unix.Close(fd)
			return nil, &fs.PathError{Op: "open", Path: name, Err: ErrEngineClosed}
		}
	}
	return e.newFile(fd, name, flag, true, &st), nil
}

// openat opens path with an OPENAT request on o (a slot of sh, or nil
// for a new one), sqeFlags (IOSQE_*) added, and ctx (nil: none) able to
// end it. An open that an io-wq worker was blocked in (a FIFO's, waiting
// for the other end) is interrupted when the thread that submitted it
// exits (-ERESTARTSYS): a goroutine locked to its thread that returns,
// if it was the flusher (File.cancelledByOther). Unless ctx has ended or
// Engine.Close is under way, such an open is made again, at most
// threadExitRetries times.
func (sh *shard) openat(ctx context.Context, o *op, path []byte, flag int, mode uint32, sqeFlags uint8) (int, error) {
	for tries := 0; ; tries++ {
		if o == nil {
			o = sh.acquire()
		}
		o.sqe.PrepOpenat(unix.AT_FDCWD, o.holdPath(path), flag, mode)
		o.sqe.Flags |= sqeFlags
		fd, err := sh.run(ctx, o)
		if !killedWithThread(err) || (ctx != nil && ctx.Err() != nil) || sh.e.closed.Load() || tries == threadExitRetries {
			return fd, err
		}
		o = nil // run released it
	}
}

// errnoRestartSys is ERESTARTSYS, which the kernel never shows a system
// call's caller but puts in the CQE of an open that io-wq was blocked in
// when a cancel interrupted it.
const errnoRestartSys = syscall.Errno(512)

// awaitFIFOWriter waits until the FIFO fd (open for reading, opened
// without waiting) has had a writer, which is when open(2) would have
// returned. Closing fd and opening the FIFO again with a blocking open
// would not do: a writer waiting in its open was woken by fd, and would
// find no reader (EPIPE, SIGPIPE) if it wrote before the second open. So
// fd stays open while a second, blocking open of the same FIFO (through
// /proc/self/fd, on an io-wq worker via IOSQE_ASYNC) waits for a writer.
// That open alone could wait for ever if a writer opened, wrote and
// closed before it began; fd then polls POLLHUP (the kernel reports it on
// a reader opened with no writer only once one has come and gone), which
// ends the wait instead. The data that writer sent stays in the pipe for
// fd to read.
func (sh *shard) awaitFIFOWriter(fd int, name string) error {
	err := sh.awaitFIFOWriterAt(fd, "/proc/self/fd/"+strconv.Itoa(fd))
	if err == syscall.ENOENT {
		// No /proc: the name, which may have come to mean another
		// file since, is all that is left.
		err = sh.awaitFIFOWriterAt(fd, name)
	}
	return err
}

func (sh *shard) awaitFIFOWriterAt(fd int, name string) error {
	path, err := cstring(name)
	if err != nil {
		return err
	}
	// The open takes a slot as OpenFile's own OPENAT did. The poll that
	// can end it takes a second one only if one is free at once: waiting
	// for two at a time could wait for ever (the others held by calls
	// waiting on pipes), even with the writer there. Without one, poll(2)
	// watches fd instead; the cancel it sends takes no slot.
	o := sh.acquire()
	po, ringPoll := sh.tryAcquire()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hup := false
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		if ringPoll {
			po.sqe.PrepPollAdd(int32(fd), unix.POLLHUP)
			_, err := sh.run(ctx, po)
			hup = err == nil
		} else {
			hup = pollHUP(ctx, fd)
		}
		cancel() // a writer has come and gone (or the poll failed): end the open
	}()
	fd2, err := sh.openat(ctx, o, path, unix.O_RDONLY|unix.O_CLOEXEC, 0, uring.SQEAsync)
	cancel() // a writer is there: end the poll
	<-polled
	if err == nil {
		unix.Close(fd2)
		return nil
	}
	if hup {
		return nil // the poll ended the open
	}
	return err
}

// pollHUP waits with poll(2), in slices of 10 ms so that ctx can end it,
// until fd reports POLLHUP (true) or ctx ends (false).
func pollHUP(ctx context.Context, fd int) bool {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLHUP}}
	for ctx.Err() == nil {
		n, err := unix.Poll(pfd, 10)
		if err == nil && n > 0 && pfd[0].Revents&unix.POLLHUP != 0 {
			return true
		}
		if err != nil && err != syscall.EINTR {
			return false
		}
	}
	return false
}

// openPuntedFlags are the open flags io_uring never handles inline: its
// OPENAT hands such opens to an io-wq worker thread (the kernel's
// io_openat refuses O_CREAT, O_TRUNC and O_TMPFILE in non-blocking mode),
// which costs a thread hop on top of the open. OpenFile makes those opens
// with the plain system call, as os does. Measured with WriteFile of 4 KiB
// over an existing file: 275 µs through the ring, 210 µs for os.WriteFile.
const openPuntedFlags = os.O_CREATE | os.O_TRUNC | unix.O_TMPFILE

// NewFile returns a File for an open descriptor; the File owns it from
// then on and closes it in Close.
func (e *Engine) NewFile(fd uintptr, name string) *File {
	fl, _ := unix.FcntlInt(fd, unix.F_GETFL, 0)
	return e.newFile(int(fd), name, fl, false, nil)
}

// newFile wraps fd; owned says ringo opened it (OpenFile), so its open
// file description is not shared with anyone yet. st is fd's fstat, or
// nil if the caller has none.
func (e *Engine) newFile(fd int, name string, flag int, owned bool, st *unix.Stat_t) *File {
	f := &File{e: e, fd: fd, name: name, appendMode: flag&os.O_APPEND != 0, drained: make(chan struct{}, 1), closed: make(chan struct{}), openSize: -1, slot: -1}
	haveStat := st != nil
	if st == nil {
		st = new(unix.Stat_t)
		haveStat = unix.Fstat(fd, st) == nil
	}
	m := st.Mode & unix.S_IFMT
	// Pipes, sockets and ttys have no offsets: pread/pwrite refuse them
	// (ESPIPE), but io_uring's READ and WRITE would ignore the offset and
	// consume or inject data, so ReadAt and WriteAt check first.
	f.stream = haveStat && (m == unix.S_IFIFO || m == unix.S_IFSOCK ||
		(m != unix.S_IFREG && m != unix.S_IFDIR && m != unix.S_IFBLK && !positional(fd)))
	f.rdLock = make(ctxLock, 1)
	f.wrLock = f.rdLock
	if f.stream {
		f.wrLock = make(ctxLock, 1)
	}
	if e.backend != BackendIOUring {
		nonblock := false
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil {
			nonblock = fl&unix.O_NONBLOCK != 0
		}
		if f.stream || (haveStat && nonblock && m != unix.S_IFREG && m != unix.S_IFDIR && m != unix.S_IFBLK) {
			// Served by an *os.File, as os serves such files: one ringo
			// opened goes into non-blocking mode and Go's poller, so
			// Close and deadlines end a call that waits (os.OpenFile
			// does the same); a descriptor handed to NewFile keeps its
			// mode, shared with whoever else holds it (os.NewFile
			// polls it only if it is non-blocking already).
			if owned {
				unix.SetNonblock(fd, true)
			}
			f.pf = os.NewFile(uintptr(fd), name)
		}
		return f
	}
	if flag&syscall.O_DIRECT != 0 {
		f.sh = e.pickDisk()
		if f.sh.lp != nil {
			f.slot = f.sh.registerFile(fd)
		}
		// Disk I/O ends on its own, so a lone request may block in a
		// system call (rw); a pipe or socket read might never end.
		f.solo = haveStat && (m == unix.S_IFREG || m == unix.S_IFBLK)
		return f
	}
	f.sh = e.pick()
	if haveStat && m == unix.S_IFREG {
		// Cache misses go to the disk rings, as O_DIRECT requests do
		// (engine.go, diskReaper).
		f.sh = e.pickDisk()
		// A device number with major 0 is an anonymous one: tmpfs,
		// overlayfs, NFS, FUSE, /proc, btrfs and ZFS. Some of those
		// may wait for ever (FUSE, NFS), and only the ring lets Close
		// end such a read. (fuseblk has a real major, but FUSE answers
		// RWF_NOWAIT with EOPNOTSUPP, so its misses never get here.)
		f.soloMiss = unix.Major(uint64(st.Dev)) != 0
		// Buffered reads first try the page cache with one
		// non-blocking preadv2(RWF_NOWAIT); only misses go to the
		// ring (docs/DESIGN.md, "Cached reads").
		f.tryCache.Store(true)
		f.openSize = st.Size
		if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
			f.syncWrite = true
		} else {
			// A descriptor handed to NewFile stays its owner's: its
			// lease owner and signal are not ours to set.
			f.mapOK = owned && e.cfg.mappedReads
		}
	}
	return f
}

// positional reports whether fd takes pread/pwrite: a tty, an eventfd, a
// timerfd or an inotify descriptor does not (ESPIPE), /dev/null and
// /dev/zero do. lseek is no test: it succeeds on eventfds. An empty
// pread asks the kernel the very question, and pwrite answers it for a
// descriptor open for writing only.
func positional(fd int) bool {
	_, err := unix.Pread(fd, nil, 0)
	if err == syscall.EBADF {
		_, err = unix.Pwrite(fd, nil, 0)
	}
	return err != syscall.ESPIPE
}

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

// Fd returns the file descriptor. It stays valid until Close; after
// Close it is ^uintptr(0), as os.File.Fd returns. Unlike os.File.Fd it
// never changes the descriptor's blocking mode: on the syscall backend a
// pipe or tty ringo opened is in non-blocking mode.
func (f *File) Fd() uintptr {
	if f == nil || f.closing.Load() {
		return ^uintptr(0)
	}
	// On the syscall backend a pipe or tty ringo opened stays in
	// non-blocking mode: switching it behind the poller's back would let
	// a blocked read hold up Close.
	return uintptr(f.fd)
}

// incref marks a call in progress; it fails once Close has begun.
func (f *File) incref(op string) error {
	if f == nil {
		return os.ErrInvalid
	}
	f.refs.Add(1)
	if f.closing.Load() || f.e.closed.Load() {
		f.decref()
		return &fs.PathError{Op: op, Path: f.name, Err: os.ErrClosed}
	}
	return nil
}

func (f *File) decref() {
	if f.refs.Add(-1) == 0 && f.closing.Load() {
		select {
		case f.drained <- struct{}{}:
		default:
		}
		if f.closeLater.Load() {
			f.finishClose() // Close left the descriptor to the last call
		}
	}
}

func (f *File) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, ErrEngineClosed) {
		err = os.ErrClosed
	}
	if (err == syscall.ECANCELED || err == syscall.EINTR) && (f.closing.Load() || f.e.closed.Load()) {
		// Close (the File's or the Engine's) cancelled the request (a
		// request an io-wq worker was running comes back EINTR: a
		// FUSE read): report it as os does for a call that Close
		// interrupts.
		err = os.ErrClosed
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // from f.pf: already an os error for this file
	}
	return &fs.PathError{Op: op, Path: f.name, Err: err}
}

// Close cancels the file's requests in flight, waits for them to finish,
// and closes the descriptor. Calls in progress return errors (a cancelled
// read reports the error; one that completed reports its data); later
// calls return an error matching fs.ErrClosed.
func (f *File) Close() error {
	if f == nil {
		return os.ErrInvalid
	}
	if f.closing.Swap(true) {
		return &fs.PathError{Op: "close", Path: f.name, Err: os.ErrClosed}
	}
	close(f.closed)
	if f.pf != nil {
		// os wakes the calls waiting in its poller and closes the
		// descriptor once every call holding it (ours go through
		// withFd) has returned; a call blocked in a system call on a
		// blocking descriptor keeps it open until it returns, as with
		// os, without holding up Close.
		if d := f.dirFile.Load(); d != nil {
			d.Close()
		}
		if err := f.pf.Close(); err != nil {
			return f.wrap("close", err)
		}
		return nil
	}
	// Calls in progress may be in the kernel, or about to submit (they
	// passed incref before closing was set): cancel what is on the fd
	// until every call has returned, so none is left waiting.
	wait := 100 * time.Microsecond
	if f.sh != nil {
		f.sh.fdClosers.Add(1)
		f.sh.fdCloseEpoch.Add(1)
		defer func() {
			f.sh.fdCloseEpoch.Add(1)
			f.sh.fdClosers.Add(-1)
		}()
	}
	for n := f.refs.Load(); n > 0; n = f.refs.Load() {
		if n == f.inPlain.Load() {
			// Every call left is a plain read that may wait for ever
			// (plainMayBlock): as os does, leave the descriptor to
			// the last of them (decref) instead of waiting.
			f.closeLater.Store(true)
			// Dekker with decref: it stores refs and then reads
			// closeLater; here the other way round.
			if f.refs.Load() == 0 {
				return f.finishClose()
			}
			return nil
		}
		if f.sh != nil && !f.e.closed.Load() {
			f.sh.cancelFd(f.fd)
		}
		select {
		case <-f.drained:
		case <-time.After(wait):
			wait = min(2*wait, 50*time.Millisecond)
		}
	}
	return f.finishClose()
}

// finishClose releases what the File holds and closes its descriptor,
// once no call is in progress: at the end of Close, or, when Close left
// it to them, after the last call (decref). It runs once.
func (f *File) finishClose() error {
	if !f.closeDone.CompareAndSwap(false, true) {
		return nil
	}
	f.closeMapping()
	if f.slot >= 0 && !f.e.closed.Load() {
		f.sh.unregisterFile(f.slot)
	}
	if d := f.dirFile.Load(); d != nil {
		d.Close()
	}
	if err := unix.Close(f.fd); err != nil {
		return &fs.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// rw performs one read or write request of at most maxRW bytes at off
// (-1: the file position).
func (f *File) rw(ctx context.Context, write bool, p []byte, off int64) (int, error) {
	if len(p) > maxRW {
		p = p[:maxRW]
	}
	// A deadline set with SetDeadline applies when no context is given
	// (a context's own deadline wins otherwise).
	var deadline *time.Time
	// moved is closed when the deadline changes while a stream call
	// waits in the ring (only streams wait for long: regular files take
	// no extra cost). It is taken before the deadline is read, so a
	// change made after that read always closes it.
	var moved <-chan struct{}
	if ctx == nil {
		if f.stream && f.sh != nil {
			moved = f.wakeOf(write).watch()
		}
		if write {
			deadline = f.wdeadline.Load()
		} else {
			deadline = f.rdeadline.Load()
		}
		if deadline != nil && !time.Now().Before(*deadline) {
			return 0, os.ErrDeadlineExceeded
		}
	}
	solo := false
	if f.solo && f.sh.soloOK {
		// A ring costs a lone request several thread wakeups
		// (a loop ring: doorbell, completion, the caller's goroutine); a plain system
		// call costs one. So the first soloCallers overlapping requests
		// on a ring block in pread/pwrite, as os would, and the rest go
		// through the ring and batch. Measured at qd 1 O_DIRECT: p50
		// 172 µs through the ring, 86 µs this way.
		solo = f.sh.callers.Add(1) <= soloCallers
		defer f.sh.callers.Add(-1)
	}
	if !write && f.mapOK && off >= 0 && len(p) <= hotMaxRead && f.syncRead.Load() {
		// A file whose pages never wait for a disk read the usual way
		// (tmpfs) has no hot/cold votes (they need preadv2): it is
		// mapped at once.
		if n, ok := f.readMapped(p, off); ok {
			return n, nil
		}
	}
	if f.sh == nil || (write && f.syncWrite) || (!write && f.syncRead.Load()) || solo {
		if ctx != nil {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		if f.pf != nil {
			return f.pollRW(ctx, write, p)
		}
		if deadline != nil && f.sh == nil {
			// Without io_uring a deadline is a poll(2) for readiness
			// first (a pipe may never become ready; a regular file always
			// is).
			if err := waitReady(f.fd, write, *deadline); err != nil {
				return 0, err
			}
		}
		if !write && f.syncRead.Load() {
			return f.plainRead(p, off)
		}
		return f.sysRW(write, p, off)
	}
	if f.closing.Load() {
		return 0, os.ErrClosed
	}
	if !write && f.tryCache.Load() {
		// (off -1, the file position, is preadv2's alone.)
		if off >= 0 && len(p) > 0 && len(p) <= hotMaxRead && f.hot.Load() {
			if n, ok := f.readHot(p, off); ok {
				return n, nil
			}
		}
		n, errno := preadNowait(f.fd, p, off)
		switch errno {
		case 0:
			if n > 0 || len(p) == 0 {
				f.voteHot()
				return n, nil
			}
			// 0 bytes: end of file, or nothing cached at all on some
			// filesystems; the ring gives the definite answer.
		case syscall.EAGAIN:
			if f.hotVotes.Load() != 0 {
				f.hotVotes.Store(0)
			}
			if f.hot.Load() {
				f.hot.Store(false) // a sampled hot read missed the cache
			}
			if f.soloMiss && f.sh.soloOK {
				// As for O_DIRECT (solo above): a lone miss blocks in
				// pread, one thread wakeup, where the ring costs
				// several. 4 KiB random reads of a cold file, qd 1:
				// 0.67x os through the ring, 1.04x this way (DESIGN.md).
				lone := f.sh.callers.Add(1) <= soloCallers
				defer f.sh.callers.Add(-1)
				if lone {
					if ctx != nil {
						if err := ctx.Err(); err != nil {
							return 0, err
						}
					}
					return f.sysRW(false, p, off)
				}
			}
		case syscall.EOPNOTSUPP:
			// This file cannot do non-blocking reads, so neither can
			// the ring: every ring read is an io-wq hop. Where plain
			// reads serve it better (plainReadsFS: tmpfs, overlayfs)
			// read it as os does (syncRead). Elsewhere (/proc/kmsg,
			// FUSE) a read may wait for ever, and only the ring lets
			// Close end it.
			if f.cannotNowait() {
				return f.plainRead(p, off)
			}
		case syscall.EINVAL, syscall.ENOSYS:
			// EINVAL for a range past int64 (off+len overflows) is the
			// call's fault, not the file's: the ring reports it.
			if errno != syscall.EINVAL || off < 0 || off+int64(len(p)) >= 0 {
				f.tryCache.Store(false) // this kernel cannot do it
			}
		default:
			return 0, errno
		}
	}
	tries := 0
	for {
		epoch := f.sh.fdCloseEpoch.Load()
		n, err := f.ringRW(ctx, write, p, off, deadline, moved)
		if err == errDeadlineMoved {
			// SetDeadline changed the deadline while the request
			// waited, and it was cancelled with nothing moved: go on
			// under the new deadline, as os does.
			if deadline, moved, err = f.rearm(write); err != nil {
				return 0, err
			}
			continue
		}
		if f.cancelledByOther(ctx, err, epoch, &tries) {
			continue
		}
		if err != syscall.EAGAIN || !f.stream {
			return n, err
		}
		// A pipe or socket in non-blocking mode (handed to NewFile):
		// io_uring then answers EAGAIN instead of waiting, so wait for
		// readiness with a poll request, as Go's poller would, and try
		// again.
		epoch = f.sh.fdCloseEpoch.Load()
		if err := f.ringWaitReady(ctx, write, deadline, moved); err == errDeadlineMoved {
			if deadline, moved, err = f.rearm(write); err != nil {
				return 0, err
			}
		} else if err != nil && !f.cancelledByOther(ctx, err, epoch, &tries) {
			return 0, err
		}
	}
}

// acquire takes a slab slot for a call of f, giving up when ctx ends,
// Close begins, the file deadline passes (os.ErrDeadlineExceeded) or it
// changes (errDeadlineMoved: moved closed).
func (f *File) acquire(ctx context.Context, deadline *time.Time, moved <-chan struct{}) (*op, error) {
	if o, ok := f.sh.tryAcquire(); ok {
		return o, nil // the usual case: no timer
	}
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	var expired <-chan time.Time
	if deadline != nil {
		t := time.NewTimer(time.Until(*deadline))
		defer t.Stop()
		expired = t.C
	}
	o, ok := f.sh.acquireOr(done, f.closed, expired, moved)
	if !ok {
		switch {
		case ctx != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case f.closing.Load():
			return nil, os.ErrClosed
		case moved != nil && isClosed(moved):
			return nil, errDeadlineMoved
		}
		return nil, os.ErrDeadlineExceeded
	}
	return o, nil
}

// cancelledByOther reports whether a request that ended -ECANCELED (or
// -EINTR, -ERESTARTSYS: one an io-wq worker was running) was cancelled by
// neither this call (ctx, deadline) nor this File's or the Engine's
// Close, and should be made again (nothing was transferred: a request
// that moved data reports the count). Two causes:
//
//   - The Close of a File on a dup of the descriptor: File.Close cancels
//     by open file description (ASYNC_CANCEL_FD), which dups share. Seen
//     if such a Close ran on the ring while the request was in flight
//     (epoch: fdCloseEpoch before it was issued).
//   - The exit of the thread that submitted it: the kernel cancels a
//     thread's poll-armed requests (a read or write of a pipe or socket
//     that had to wait) when the thread exits, and interrupts io-wq
//     work it queued. A goroutine locked to its thread
//     (runtime.LockOSThread) ends the thread when it returns; if that
//     goroutine was the flusher, the requests it submitted for other
//     goroutines die with it. The kernel also cancels requests of its
//     own accord where every retry would be cancelled again (io-wq
//     unable to start a worker: RLIMIT_NPROC, after tens of
//     milliseconds each time), so these are retried at most
//     threadExitRetries times per call (tries).
func (f *File) cancelledByOther(ctx context.Context, err error, epoch uint64, tries *int) bool {
	if !killedWithThread(err) || f.closing.Load() || f.e.closed.Load() || (ctx != nil && ctx.Err() != nil) {
		return false
	}
	if f.sh.fdClosers.Load() > 0 || f.sh.fdCloseEpoch.Load() != epoch {
		return true
	}
	*tries++
	return *tries <= threadExitRetries
}

// killedWithThread reports whether err is how the kernel ends a request
// it cancels (cancelledByOther): -ECANCELED, or -EINTR or -ERESTARTSYS
// for one an io-wq worker was running.
func killedWithThread(err error) bool {
	return err == syscall.ECANCELED || err == syscall.EINTR || err == errnoRestartSys
}

// threadExitRetries bounds cancelledByOther's retries, per call, of
// requests that no Close cancelled. A call whose request dies with more
// threads than that (each a goroutine locked to its thread that flushed
// it and returned, while the request waited) reports the cancellation.
const threadExitRetries = 3

// rearm returns the deadline now in force for a stream call that a
// deadline change interrupted, and a fresh moved channel (taken first,
// as in rw); it fails if that deadline has passed or Close has begun.
func (f *File) rearm(write bool) (*time.Time, <-chan struct{}, error) {
	moved := f.wakeOf(write).watch()
	deadline := f.deadlineOf(write).Load()
	if deadline != nil && !time.Now().Before(*deadline) {
		return nil, nil, os.ErrDeadlineExceeded
	}
	if f.closing.Load() {
		return nil, nil, os.ErrClosed
	}
	return deadline, moved, nil
}

// ringRW is one read or write request through the ring.
// moved (nil for files without a stream) ends the wait when the deadline
// changes: errDeadlineMoved.
func (f *File) ringRW(ctx context.Context, write bool, p []byte, off int64, deadline *time.Time, moved <-chan struct{}) (int, error) {
	sh := f.sh
	o, err := f.acquire(ctx, deadline, moved)
	if err != nil {
		return 0, err
	}
	o.holdBuf(p)
	idx, fixed := sh.fixedIndex(p)
	switch {
	case fixed && write:
		o.sqe.PrepWriteFixed(int32(f.fd), p, uint64(off), idx)
	case fixed:
		o.sqe.PrepReadFixed(int32(f.fd), p, uint64(off), idx)
	case write:
		o.sqe.PrepWrite(int32(f.fd), p, uint64(off))
	default:
		o.sqe.PrepRead(int32(f.fd), p, uint64(off))
	}
	if f.slot >= 0 {
		o.sqe.Fd = f.slot
		o.sqe.Flags |= uring.SQEFixedFile
	}
	if deadline != nil {
		o.setDeadline(*deadline)
	}
	n, err := sh.runUntil(ctx, o, moved)
	if deadline != nil && err == context.DeadlineExceeded {
		err = os.ErrDeadlineExceeded
	}
	return n, err
}

// ringWaitReady waits, through the ring, until the stream file is
// readable (or writable), under the same context, deadline and moved.
func (f *File) ringWaitReady(ctx context.Context, write bool, deadline *time.Time, moved <-chan struct{}) error {
	events := uint32(unix.POLLIN)
	if write {
		events = unix.POLLOUT
	}
	o, err := f.acquire(ctx, deadline, moved)
	if err != nil {
		return err
	}
	o.sqe.PrepPollAdd(int32(f.fd), events)
	if f.slot >= 0 {
		o.sqe.Fd = f.slot
		o.sqe.Flags |= uring.SQEFixedFile
	}
	if deadline != nil {
		o.setDeadline(*deadline)
	}
	_, err = f.sh.runUntil(ctx, o, moved)
	if deadline != nil && err == context.DeadlineExceeded {
		err = os.ErrDeadlineExceeded
	}
	return err
}

// pollRW reads or writes a stream file through f.pf (syscall backend),
// which waits in Go's poller and honours the file's deadlines. A context
// that ends sets a deadline in the past on pf, which ends the call; the
// file's own deadline is put back afterwards.
func (f *File) pollRW(ctx context.Context, write bool, p []byte) (int, error) {
	if ctx != nil && ctx.Done() != nil {
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(fired)
			f.setPollDeadline(write, time.Unix(1, 0))
		})
		defer func() {
			if !stop() {
				<-fired
				var t time.Time
				if d := f.deadlineOf(write).Load(); d != nil {
					t = *d
				}
				f.setPollDeadline(write, t)
			}
		}()
	}
	var n int
	var err error
	if write {
		n, err = f.pf.Write(p)
	} else {
		n, err = f.pf.Read(p)
	}
	if err == io.EOF {
		err = nil // the callers report a 0-byte read as io.EOF
	}
	if err != nil && ctx != nil && ctx.Err() != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = ctx.Err()
	}
	return n, err
}

func (f *File) setPollDeadline(write bool, t time.Time) {
	if write {
		f.pf.SetWriteDeadline(t)
	} else {
		f.pf.SetReadDeadline(t)
	}
}

func (f *File) deadlineOf(write bool) *atomic.Pointer[time.Time] {
	if write {
		return &f.wdeadline
	}
	return &f.rdeadline
}

// withFd runs fn (a system call on f.fd) while the descriptor surely stays
// open: a File served by pf holds os's reference for it, which os.File's
// Close waits for; other Files are kept open by their own reference
// count (incref), which the caller holds.
func (f *File) withFd(fn func() error) error {
	if f.pf == nil {
		return fn()
	}
	rc, err := f.pf.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(uintptr) { ferr = fn() }); err != nil {
		return err
	}
	return ferr
}

func (f *File) sysRW(write bool, p []byte, off int64) (int, error) {
	for {
		var n int
		var err error
		switch {
		case write && off < 0:
			n, err = unix.Write(f.fd, p)
		case write:
			n, err = unix.Pwrite(f.fd, p, off)
		case off < 0:
			n, err = unix.Read(f.fd, p)
		default:
			n, err = unix.Pread(f.fd, p, off)
		}
		if err == syscall.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}

var (
	errNegativeOffset      = errors.New("negative offset")
	errWriteAtInAppendMode = errors.New("ringo: invalid use of WriteAt on file opened with O_APPEND")
	errWriteVInAppendMode  = errors.New("ringo: invalid use of WriteV on file opened with O_APPEND")
)

// ReadAt reads len(p) bytes from offset off, like os.File.ReadAt: it
// returns fewer only with an error, io.EOF at the end of the file.
func (f *File) ReadAt(p []byte, off int64) (int, error) { return f.ReadAtContext(nil, p, off) }

// ReadAtContext is ReadAt with cancellation: if ctx ends first, the
// request is cancelled and ctx.Err() returned, unless the data had
// already arrived, in which case it is returned.
func (f *File) ReadAtContext(ctx context.Context, p []byte, off int64) (n int, err error) {
	if f == nil {
		return 0, os.ErrInvalid
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "readat", Path: f.name, Err: errNegativeOffset}
	}
	if len(p) == 0 {
		return 0, nil // os makes no call, so reports nothing, not even Close
	}
	if err := f.incref("read"); err != nil {
		return 0, err
	}
	defer f.decref()
	return f.full(ctx, false, p, off)
}

// WriteAt writes len(p) bytes at offset off, like os.File.WriteAt: all of
// them or an error. It fails on a file opened with O_APPEND.
func (f *File) WriteAt(p []byte, off int64) (int, error) { return f.WriteAtContext(nil, p, off) }

// WriteAtContext is WriteAt with cancellation. Buffered writes to regular
// files go straight to pwrite (see File.syncWrite), which cannot be
// cancelled once started; ctx is then only checked before the write.
func (f *File) WriteAtContext(ctx context.Context, p []byte, off int64) (n int, err error) {
	if f == nil {
		return 0, os.ErrInvalid
	}
	if f.appendMode {
		return 0, errWriteAtInAppendMode
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "writeat", Path: f.name, Err: errNegativeOffset}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := f.incref("write"); err != nil {
		return 0, err
	}
	defer f.decref()
	return f.full(ctx, true, p, off)
}

// full transfers all of p at off in requests of at most maxRW bytes, as
// os.File.ReadAt/WriteAt do: a read stops early only at end of file
// (io.EOF), a write only with an error.
func (f *File) full(ctx context.Context, write bool, p []byte, off int64) (n int, err error) {
	op := "read"
	if write {
		op = "write"
	}
	if f.stream && len(p) > 0 {
		return 0, f.wrap(op, syscall.ESPIPE)
	}
	for len(p) > 0 {
		m, e := f.rw(ctx, write, p, off)
		n += m // a transfer cut short still moved m bytes
		if e != nil {
			return n, f.wrap(op, e)
		}
		if m == 0 {
			if write {
				return n, f.wrap(op, io.ErrShortWrite)
			}
			return n, io.EOF
		}
		p = p[m:]
		off += int64(m)
	}
	return n, nil
}

// Read reads up to len(p) bytes from the file position, like os.File.Read.
func (f *File) Read(p []byte) (int, error) { return f.ReadContext(nil, p) }

// ReadContext is Read with cancellation.
func (f *File) ReadContext(ctx context.Context, p []byte) (int, error) {
	if err := f.incref("read"); err != nil {
		return 0, err
	}
	defer f.decref()
	if len(p) == 0 {
		return 0, nil
	}
	if err := f.rdLock.lock(ctx); err != nil {
		return 0, err
	}
	defer f.rdLock.unlock()
	n, err := f.rw(ctx, false, p, -1)
	if err != nil {
		return n, f.wrap("read", err)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Write writes len(p) bytes at the file position, like os.File.Write.
func (f *File) Write(p []byte) (int, error) { return f.WriteContext(nil, p) }

// WriteContext is Write with cancellation.
func (f *File) WriteContext(ctx context.Context, p []byte) (n int, err error) {
	if err := f.incref("write"); err != nil {
		return 0, err
	}
	defer f.decref()
	if err := f.wrLock.lock(ctx); err != nil {
		return 0, err
	}
	defer f.wrLock.unlock()
	if len(p) == 0 {
		// os makes the (empty) write, which reports a descriptor not
		// open for writing.
		if f.pf != nil {
			_, err := f.pf.Write(nil)
			return 0, f.wrap("write", err)
		}
		_, err := ignoringEINTR2(func() (int, error) { return unix.Write(f.fd, nil) })
		return 0, f.wrap("write", err)
	}
	for len(p) > 0 {
		m, e := f.rw(ctx, true, p, -1)
		n += m // a write cut short still wrote m bytes
		if e != nil {
			return n, f.wrap("write", e)
		}
		if m == 0 {
			return n, f.wrap("write", io.ErrShortWrite)
		}
		p = p[m:]
	}
	return n, nil
}

// Seek sets the offset for the next Read or Write, like os.File.Seek.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	if err := f.incref("seek"); err != nil {
		return 0, err
	}
	defer f.decref()
	if !f.stream {
		// A pipe has no offset to protect (lseek fails), and a Read
		// waiting on it must not hold up Seek.
		f.rdLock.lock(nil)
		defer f.rdLock.unlock()
	}
	if d := f.dirFile.Load(); d != nil {
		// The lister shares the offset and buffers entries: seek
		// through it, so the entries it holds are dropped, as
		// os.File.Seek does on a directory.
		ret, err := d.Seek(offset, whence)
		return ret, f.wrap("seek", err)
	}
	var ret int64
	err := f.withFd(func() (err error) {
		ret, err = unix.Seek(f.fd, offset, whence)
		return err
	})
	if err != nil {
		return 0, f.wrap("seek", err)
	}
	return ret, nil
}

// ctxLock is a mutex whose Lock a context can abandon.
type ctxLock chan struct{}

func (l ctxLock) lock(ctx context.Context) error {
	if ctx == nil {
		l <- struct{}{}
		return nil
	}
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l ctxLock) unlock() { <-l }

// vec performs one readv/writev request.
func (f *File) vec(ctx context.Context, write bool, bufs [][]byte, off int64) (int, error) {
	if !write && f.tryCache.Load() && !f.vecProbed.Load() && f.vecProbed.CompareAndSwap(false, true) {
		// A file read only through ReadV learns here, once, what rw
		// learns from its first preadv2: whether it can be read without
		// blocking (syncRead). The byte lands where the read below puts
		// it anyway.
		for _, b := range bufs {
			if len(b) > 0 {
				if _, errno := preadNowait(f.fd, b[:1], off); errno == syscall.EOPNOTSUPP {
					f.cannotNowait()
				}
				break
			}
		}
	}
	if f.sh == nil || (write && f.syncWrite) || (!write && f.syncRead.Load()) {
		// As rw does: these would only reach an io-wq worker.
		if ctx != nil {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		if !write && f.plainMayBlock.Load() {
			f.inPlain.Add(1)
			defer f.inPlain.Add(-1)
		}
		for {
			var n int
			var err error
			if write {
				n, err = unix.Pwritev(f.fd, bufs, off)
			} else {
				n, err = unix.Preadv(f.fd, bufs, off)
			}
			if err == syscall.EINTR {
				continue
			}
			return max(n, 0), err
		}
	}
	sh := f.sh
	tries := 0
	for {
		o, err := f.acquire(ctx, nil, nil)
		if err != nil {
			return 0, err
		}
		iovs := o.holdIovecs(bufs)
		if write {
			o.sqe.PrepWritev(int32(f.fd), iovs, uint64(off))
		} else {
			o.sqe.PrepReadv(int32(f.fd), iovs, uint64(off))
		}
		epoch := f.sh.fdCloseEpoch.Load()
		n, err := sh.run(ctx, o)
		// Cancelled by the Close of a File sharing the descriptor
		// (cancellation by fd matches the open file description), with
		// nothing moved: go on, as rw does.
		if f.cancelledByOther(ctx, err, epoch, &tries) {
			continue
		}
		return n, err
	}
}

// maxIovecs is IOV_MAX: the kernel refuses longer vectors.
const maxIovecs = 1024

// ReadV reads into bufs in order from offset off (preadv) with one
// request, returning the bytes read; a short count means end of file.
func (f *File) ReadV(bufs [][]byte, off int64) (int, error) {
	return f.vecAll(false, bufs, off)
}

// WriteV writes bufs in order at offset off (pwritev), all of them or an
// error. Like WriteAt, it fails on a file opened with O_APPEND.
func (f *File) WriteV(bufs [][]byte, off int64) (int, error) {
	return f.vecAll(true, bufs, off)
}

func (f *File) vecAll(write bool, bufs [][]byte, off int64) (n int, err error) {
	op := "readv"
	if write {
		op = "writev"
	}
	if err := f.incref(op); err != nil {
		return 0, err
	}
	defer f.decref()
	if write && f.appendMode {
		// Linux's pwritev ignores the offset of an O_APPEND file and
		// appends: refuse, as WriteAt (and os.File.WriteAt) do.
		return 0, errWriteVInAppendMode
	}
	if off < 0 {
		return 0, &fs.PathError{Op: op, Path: f.name, Err: errNegativeOffset}
	}
	if len(bufs) > maxIovecs {
		return 0, &fs.PathError{Op: op, Path: f.name, Err: syscall.EINVAL}
	}
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if total == 0 {
		// Nothing to move, as WriteAt and ReadAt of an empty slice: a
		// request would only find a write of 0 bytes short.
		return 0, nil
	}
	if f.stream {
		return 0, f.wrap(op, syscall.ESPIPE)
	}
	if total > maxRW {
		return 0, &fs.PathError{Op: op, Path: f.name, Err: errors.New("request larger than 1 GiB")}
	}
	// The partial-write bookkeeping below trims entries: do it on a copy,
	// as os never changes the caller's slices.
	bufs = append([][]byte(nil), bufs...)
	for len(bufs) > 0 {
		m, e := f.vec(nil, write, bufs, off)
		if e != nil {
			return n, f.wrap(op, e)
		}
		if m == 0 {
			if write {
				return n, f.wrap(op, io.ErrShortWrite)
			}
			return n, nil
		}
		n += m
		off += int64(m)
		if !write {
			// One request: a short count is the end of the file.
			return n, nil
		}
		// Partial vectored write: drop what was written and go on.
		total -= m
		for m > 0 && len(bufs) > 0 {
			if m >= len(bufs[0]) {
				m -= len(bufs[0])
				bufs = bufs[1:]
			} else {
				bufs[0] = bufs[0][m:]
				m = 0
			}
		}
		for len(bufs) > 0 && len(bufs[0]) == 0 {
			bufs = bufs[1:]
		}
	}
	return n, nil
}

// simple runs a request with no memory attached: through the ring (prep)
// when ctx is set, else as the system call sys; prep may be nil for
// callers that never pass a context.
func (f *File) simple(ctx context.Context, op string, prep func(*uring.SQE), sys func() error) error {
	if err := f.incref(op); err != nil {
		return err
	}
	defer f.decref()
	// fsync, fallocate and ftruncate never complete inline in io_uring:
	// it hands them to an io-wq worker thread, a hop that only adds
	// latency for a caller that waits anyway (Truncate: 42 µs through the
	// ring, 2.6 µs as a system call; Sync of 4 KiB: 356 against 304 µs).
	// So the ring carries them only when a context may cancel them.
	if f.sh == nil || ctx == nil {
		return f.wrap(op, f.withFd(func() error {
			for {
				if err := sys(); err != syscall.EINTR {
					return err
				}
			}
		}))
	}
	o, err := f.acquire(ctx, nil, nil)
	if err != nil {
		return f.wrap(op, err)
	}
	prep(&o.sqe)
	_, err = f.sh.run(ctx, o)
	return f.wrap(op, err)
}

// Sync commits the file's data and metadata to stable storage (fsync).
func (f *File) Sync() error { return f.SyncContext(nil) }

// SyncContext is Sync with cancellation: the fsync goes through the ring,
// where ctx can cancel it (IORING_OP_ASYNC_CANCEL) while it has not
// started; Sync alone is a plain fsync (see simple).
func (f *File) SyncContext(ctx context.Context) error {
	return f.simple(ctx, "sync", func(s *uring.SQE) { s.PrepFsync(int32(f.fd), 0) },
		func() error { return unix.Fsync(f.fd) })
}

// Datasync commits the file's data, and only the metadata needed to read
// it back, to stable storage (fdatasync).
func (f *File) Datasync() error {
	return f.simple(nil, "datasync", nil, func() error { return unix.Fdatasync(f.fd) })
}

// Truncate changes the size of the file (ftruncate), like os.File.Truncate.
func (f *File) Truncate(size int64) error {
	if f == nil {
		return os.ErrInvalid
	}
	// A negative size is the kernel's EINVAL, after the closed check, as
	// in os.
	return f.simple(nil, "truncate", nil, func() error { return unix.Ftruncate(f.fd, size) })
}

// Fallocate allocates (mode 0) or manipulates (unix.FALLOC_FL_*) the
// byte range [off, off+length) of the file.
func (f *File) Fallocate(mode uint32, off, length int64) error {
	if f == nil {
		return os.ErrInvalid
	}
	if off < 0 || length <= 0 {
		return &fs.PathError{Op: "fallocate", Path: f.name, Err: syscall.EINVAL}
	}
	return f.simple(nil, "fallocate", nil, func() error { return unix.Fallocate(f.fd, mode, off, length) })
}

// Stat returns the file's FileInfo (statx on the descriptor), like
// os.File.Stat.
func (f *File) Stat() (fs.FileInfo, error) {
	if err := f.incref("stat"); err != nil {
		return nil, err
	}
	defer f.decref()
	var st *unix.Statx_t
	err := f.withFd(func() (err error) {
		st, err = f.e.statx(f.fd, "", unix.AT_EMPTY_PATH)
		return err
	})
	if err != nil {
		return nil, f.wrap("stat", err)
	}
	return newFileInfo(baseName(f.name), st), nil
}

var (
	_ io.Reader   = (*File)(nil)
	_ io.Writer   = (*File)(nil)
	_ io.ReaderAt = (*File)(nil)
	_ io.WriterAt = (*File)(nil)
	_ io.Seeker   = (*File)(nil)
	_ io.Closer   = (*File)(nil)
)

// plainReadsFS reports whether fd, a file that cannot be read without
// blocking (so that io_uring hands every read of it to an io-wq worker),
// is better read with plain system calls, and whether such a read may
// wait for ever. Measured on the session-5 host, 4 KiB cached reads
// through the ring: tmpfs 0.03x os alone and 0.16x at 32 goroutines,
// overlayfs (a container's root) 0.02x and 0.16x.
//
//   - tmpfs, ramfs: reads wait for nothing but, at worst, swap.
//   - overlayfs: its layers are usually local disks, but may be FUSE or
//     NFS, whose reads may wait for ever; a plain read cannot be ended
//     by Close, so Close then leaves the descriptor to the read, as os
//     does (mayBlock; TestCloseEndsReadOnOverlayOverFUSE).
//
// Other such files (/proc, FUSE itself) stay on the ring, which lets
// Close end a read that waits for ever (/proc/kmsg).
func plainReadsFS(fd int) (plain, mayBlock bool) {
	var fs unix.Statfs_t
	if unix.Fstatfs(fd, &fs) != nil {
		return false, false
	}
	switch fs.Type {
	case unix.TMPFS_MAGIC, unix.RAMFS_MAGIC:
		return true, false
	case unix.OVERLAYFS_SUPER_MAGIC:
		return true, true
	}
	return false, false
}

// cannotNowait records that preadv2(RWF_NOWAIT) refused f (EOPNOTSUPP):
// no more cache probes, and plain reads where plainReadsFS says so; it
// reports whether f now reads that way (syncRead).
func (f *File) cannotNowait() bool {
	f.tryCache.Store(false)
	plain, mayBlock := plainReadsFS(f.fd)
	if plain {
		f.plainMayBlock.Store(mayBlock)
		f.syncRead.Store(true)
	}
	return plain
}

// plainRead is a syncRead read: pread (read at off -1), counted in
// inPlain where it may wait for ever (Close).
func (f *File) plainRead(p []byte, off int64) (int, error) {
	if f.plainMayBlock.Load() {
		f.inPlain.Add(1)
		defer f.inPlain.Add(-1)
	}
	return f.sysRW(false, p, off)
}

// preadNowait is preadv2(fd, p, off, RWF_NOWAIT) (off -1: the file
// position). RWF_NOWAIT (4.14) returns EAGAIN instead of waiting for data
// that is not in the page cache, so the call cannot block and needs none
// of the runtime's blocking-syscall bookkeeping. The iovec lives only for
// the duration of the call.
func preadNowait(fd int, p []byte, off int64) (int, syscall.Errno) {
	if len(p) == 0 {
		return 0, 0
	}
	iov := unix.Iovec{Base: &p[0]}
	iov.SetLen(len(p))
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_PREADV2, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1,
			uintptr(off), 0, unix.RWF_NOWAIT)
		if errno == syscall.EINTR {
			continue
		}
		return int(n), errno
	}
}

// Hot files. preadv2 is what lets a cached read skip the ring without
// risking a wait for the disk (RWF_NOWAIT), but it costs more in the
// kernel than pread64: it imports an iovec (~10% of a cached 4 KiB
// read's kernel time, perf, session 4). Where system calls are cheap that
// made ringo's cached reads 0.9-1.0x os; pread64 through RawSyscall
// measured 1.13x os alone and 1.36x at 32 goroutines (bare, same run).
// RawSyscall keeps the goroutine's P, so a pread64 that misses the cache
// would hold it for a disk read: only files whose recent reads hit use
// it, and a sampled slow one sends the file back to preadv2.
const (
	hotMaxRead = 256 << 10 // larger reads keep preadv2
	// hotPromoteVotes sampled preadv2 hits with no miss between (each
	// sample stands for ~hotVoteEvery reads) make a file hot.
	hotPromoteVotes = 16
	hotVoteEvery    = 64
	hotSampleEvery  = 8 // of hot reads, at random, go to preadv2 (readHot)
)

// voteHot counts a preadv2 hit towards making the file hot. One hit in
// hotVoteEvery, at random, votes, which keeps the shared counter off most
// reads; a miss (EAGAIN, rw) clears the votes, so a file whose reads miss
// now and then (a cached header, a cold body) rarely turns hot. Sampling
// by offset instead would let one often-read page vote for the whole
// file.
func (f *File) voteHot() {
	if rand.Uint32()%hotVoteEvery != 0 {
		return
	}
	if f.hotVotes.Add(1) >= hotPromoteVotes {
		f.hotVotes.Store(0)
		f.hot.Store(true)
	}
}

// readHot reads from the file's leased mapping where it has one
// (readMapped), else with pread64 through RawSyscall (see hotMaxRead). It
// reports false, having moved nothing, on an error (EINTR, say), which
// the caller's preadv2 path then handles, and for one read in
// hotSampleEvery, chosen at random (not by offset: a reader whose offsets
// never hit the sampled pages would never be checked): that read goes to
// preadv2(RWF_NOWAIT), whose EAGAIN sends the file back (rw). The check
// thus never blocks and does not depend on how fast the disk is.
func (f *File) readHot(p []byte, off int64) (int, bool) {
	if f.mapOK {
		if rand.Uint32()%mapSampleEvery == 0 || (f.mapCheck.Load() && f.mapCheck.Swap(false)) {
			return 0, false
		}
		if n, ok := f.readMapped(p, off); ok {
			return n, true
		}
	}
	if rand.Uint32()%hotSampleEvery == 0 {
		return 0, false
	}
	n, _, errno := unix.RawSyscall6(unix.SYS_PREAD64, uintptr(f.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), uintptr(off), 0, 0)
	if errno != 0 {
		return 0, false
	}
	return int(n), true
}

// soloCallers is how many overlapping requests on a loop ring may each
// block in a plain system call (see rw). Measured at O_DIRECT 4 KiB
// random reads: 1 gave qd 2 0.57x os (the second request paid the ring's
// wakeups alone); 2 gives qd 2 1.0x os, qd 4 0.9x, and no change at
// qd 8-32 within the noise. Each one may hold an OS thread, so it stays
// small (the thread bar: GOMAXPROCS+4 at qd 128). Re-measured on
// ReaperPoll rings (session 4): 0, 1 and 4 were each worse than 2 at some
// of qd 1-16 and better at none outside the noise.
const soloCallers = 2
