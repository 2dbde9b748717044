package uring

import (
	"errors"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestPrepWriteAtOffset(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, nil)
	buf := heapBytes(5)
	copy(buf, "hello")

	mustSQE(t, r).PrepWrite(fdOf(t, f), buf, 3)
	wantRes(t, "write", runOne(t, r), 5)
	runtime.KeepAlive(buf)

	wantFileContent(t, f.Name(), "\x00\x00\x00hello")
}

func TestPrepReadAtOffset(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, []byte("0123456789"))
	buf := heapBytes(4)

	mustSQE(t, r).PrepRead(fdOf(t, f), buf, 2)
	wantRes(t, "read", runOne(t, r), 4)
	runtime.KeepAlive(buf)

	if string(buf) != "2345" {
		t.Fatalf("read %q, want %q", buf, "2345")
	}
}

func TestPrepReadvScatters(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, []byte("abcdefghij"))
	a, b := heapBytes(3), heapBytes(4)
	iov := iovecsFor(a, b)

	mustSQE(t, r).PrepReadv(fdOf(t, f), iov, 1)
	wantRes(t, "readv", runOne(t, r), 7)
	runtime.KeepAlive(iov)
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)

	if string(a) != "bcd" || string(b) != "efgh" {
		t.Fatalf("readv filled %q %q", a, b)
	}
}

func TestPrepWritevGathers(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, nil)
	a, b := heapBytes(3), heapBytes(2)
	copy(a, "foo")
	copy(b, "ba")
	iov := iovecsFor(a, b)

	mustSQE(t, r).PrepWritev(fdOf(t, f), iov, 0)
	wantRes(t, "writev", runOne(t, r), 5)
	runtime.KeepAlive(iov)
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)

	wantFileContent(t, f.Name(), "fooba")
}

func TestPrepWritev2Append(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, []byte("abc"))
	a := heapBytes(2)
	copy(a, "de")
	iov := iovecsFor(a)

	// RWF_APPEND writes at the end whatever the offset says.
	mustSQE(t, r).PrepWritev2(fdOf(t, f), iov, 0, unix.RWF_APPEND)
	wantRes(t, "writev2 RWF_APPEND", runOne(t, r), 2)
	runtime.KeepAlive(iov)
	runtime.KeepAlive(a)

	wantFileContent(t, f.Name(), "abcde")
}

func TestPrepReadFixed(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, []byte("fixed buffer read"))
	buf := heapBytes(4096)
	mustRegisterBuffers(t, r, buf)

	// Read into the middle of the registered buffer.
	wantReadFixed(t, r, "read_fixed", fdOf(t, f), buf[100:105], 0, "fixed")
	runtime.KeepAlive(buf)
}

func TestPrepWriteFixed(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, nil)
	buf := heapBytes(4096)
	mustRegisterBuffers(t, r, heapBytes(4096), buf)
	copy(buf, "registered")

	mustSQE(t, r).PrepWriteFixed(fdOf(t, f), buf[:10], 0, 1)
	wantRes(t, "write_fixed", runOne(t, r), 10)
	runtime.KeepAlive(buf)

	wantFileContent(t, f.Name(), "registered")
}

func TestPrepReadFixedOutsideBufferFails(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, []byte("data"))
	buf := heapBytes(4096)
	other := heapBytes(16)
	mustRegisterBuffers(t, r, buf)

	mustSQE(t, r).PrepReadFixed(fdOf(t, f), other, 0, 0)
	wantRes(t, "read_fixed outside the registered buffer", runOne(t, r), errnoRes(syscall.EFAULT))
	runtime.KeepAlive(buf)
	runtime.KeepAlive(other)
}

func TestPrepReadvFixed(t *testing.T) {
	r := mustRing(t, 4, 0)
	if !opSupported(t, r, OpReadvFixed) {
		t.Skip("IORING_OP_READV_FIXED not supported (6.15+)")
	}
	f := tempFile(t, []byte("vectored-fixed"))
	buf := heapBytes(4096)
	mustRegisterBuffers(t, r, buf)
	iov := iovecsFor(buf[0:8], buf[1000:1006])

	mustSQE(t, r).PrepReadvFixed(fdOf(t, f), iov, 0, 0, 0)
	wantRes(t, "readv_fixed", runOne(t, r), 14)
	runtime.KeepAlive(iov)
	runtime.KeepAlive(buf)

	if string(buf[0:8]) != "vectored" || string(buf[1000:1006]) != "-fixed" {
		t.Fatalf("readv_fixed filled %q %q", buf[0:8], buf[1000:1006])
	}
}

func TestPrepWritevFixed(t *testing.T) {
	r := mustRing(t, 4, 0)
	if !opSupported(t, r, OpWritevFixed) {
		t.Skip("IORING_OP_WRITEV_FIXED not supported (6.15+)")
	}
	f := tempFile(t, nil)
	buf := heapBytes(4096)
	mustRegisterBuffers(t, r, buf)
	copy(buf[10:], "abc")
	copy(buf[2000:], "def")
	iov := iovecsFor(buf[10:13], buf[2000:2003])

	mustSQE(t, r).PrepWritevFixed(fdOf(t, f), iov, 0, 0, 0)
	wantRes(t, "writev_fixed", runOne(t, r), 6)
	runtime.KeepAlive(iov)
	runtime.KeepAlive(buf)

	wantFileContent(t, f.Name(), "abcdef")
}

func TestPrepReadMultishotPipe(t *testing.T) {
	r := mustRing(t, 8, 0)
	if !opSupported(t, r, OpReadMultishot) {
		t.Skip("IORING_OP_READ_MULTISHOT not supported (6.7+)")
	}
	rfd, wfd := mustPipe(t)
	const (
		group  = 7
		bufLen = 64
		nbufs  = 4
	)
	mem := heapBytes(bufLen * nbufs)

	sqe := mustSQE(t, r)
	sqe.PrepProvideBuffers(mem, bufLen, nbufs, group, 0)
	sqe.SetUserData(1)
	if c := runOne(t, r); c.Res < 0 {
		t.Fatalf("provide_buffers: %v", resErr(c.Res))
	}

	sqe = mustSQE(t, r)
	sqe.PrepReadMultishot(rfd, 0, 0, group)
	sqe.SetUserData(2)
	mustSubmit(t, r, 1)

	for i, msg := range []string{"ping", "pong!"} {
		mustWrite(t, wfd, []byte(msg))
		c := reap(t, r, 1)[0]
		if c.UserData != 2 || c.Res != int32(len(msg)) {
			t.Fatalf("read %d: %+v (%v), want %d bytes", i, c, resErr(c.Res), len(msg))
		}
		if c.Flags&CQEFBuffer == 0 || c.Flags&CQEFMore == 0 {
			t.Fatalf("read %d: flags %#x, want CQEFBuffer|CQEFMore", i, c.Flags)
		}
		bid := c.Flags >> CQEBufferShift
		if bid >= nbufs {
			t.Fatalf("read %d: buffer id %d", i, bid)
		}
		if got := string(mem[bid*bufLen:][:c.Res]); got != msg {
			t.Fatalf("read %d: buffer %d holds %q, want %q", i, bid, got, msg)
		}
	}

	// EOF ends the multishot read: a final CQE without CQEFMore.
	unix.Close(int(wfd))
	c := reap(t, r, 1)[0]
	if c.UserData != 2 || c.Res != 0 || c.Flags&CQEFMore != 0 {
		t.Fatalf("at EOF: %+v (%v), want res 0 without CQEFMore", c, resErr(c.Res))
	}
	runtime.KeepAlive(mem)
}

func TestPrepProvideAndRemoveBuffers(t *testing.T) {
	r := mustRing(t, 4, 0)
	mem := heapBytes(8 * 32)

	mustSQE(t, r).PrepProvideBuffers(mem, 32, 8, 3, 100)
	if c := runOne(t, r); c.Res < 0 {
		t.Fatalf("provide_buffers: %v", resErr(c.Res))
	}
	mustSQE(t, r).PrepRemoveBuffers(5, 3)
	wantRes(t, "remove_buffers", runOne(t, r), 5)
	mustSQE(t, r).PrepRemoveBuffers(8, 3)
	wantRes(t, "remove_buffers of the rest", runOne(t, r), 3)
	runtime.KeepAlive(mem)
}

func TestPrepFsync(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, []byte("durable"))

	mustSQE(t, r).PrepFsync(fdOf(t, f), 0)
	wantRes(t, "fsync", runOne(t, r), 0)
}

func TestPrepFsyncDatasync(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, []byte("durable data"))

	mustSQE(t, r).PrepFsync(fdOf(t, f), FsyncDatasync)
	wantRes(t, "fdatasync", runOne(t, r), 0)
}

func TestPrepSyncFileRange(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, make([]byte, 8192))

	mustSQE(t, r).PrepSyncFileRange(fdOf(t, f), 4096, 0, unix.SYNC_FILE_RANGE_WRITE)
	wantRes(t, "sync_file_range", runOne(t, r), 0)
}

func TestPrepFallocate(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, nil)

	mustSQE(t, r).PrepFallocate(fdOf(t, f), 0, 0, 12345)
	wantRes(t, "fallocate", runOne(t, r), 0)

	if fi, err := f.Stat(); err != nil || fi.Size() != 12345 {
		t.Fatalf("size after fallocate = %v, %v; want 12345", fi.Size(), err)
	}
}

func TestPrepFtruncate(t *testing.T) {
	r := mustRing(t, 4, 0)
	if !opSupported(t, r, OpFtruncate) {
		t.Skip("IORING_OP_FTRUNCATE not supported (6.9+)")
	}
	f := tempFile(t, []byte("truncate me"))

	mustSQE(t, r).PrepFtruncate(fdOf(t, f), 5)
	wantRes(t, "ftruncate", runOne(t, r), 0)

	wantFileContent(t, f.Name(), "trunc")
}

func TestPrepFadvise(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, make([]byte, 16384))

	mustSQE(t, r).PrepFadvise(fdOf(t, f), 0, 16384, unix.FADV_DONTNEED)
	wantRes(t, "fadvise", runOne(t, r), 0)
}

func TestPrepFadvise64(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, make([]byte, 4096))

	mustSQE(t, r).PrepFadvise64(fdOf(t, f), 0, 1<<33, unix.FADV_WILLNEED)
	wantRes(t, "fadvise64 with a length above 4 GiB", runOne(t, r), 0)
}

func TestPrepMadvise(t *testing.T) {
	r := mustRing(t, 4, 0)
	mem := mustMmapAnon(t, 2*unix.Getpagesize())
	mem[0] = 42

	mustSQE(t, r).PrepMadvise(mem, unix.MADV_DONTNEED)
	wantRes(t, "madvise", runOne(t, r), 0)

	// MADV_DONTNEED on private anonymous memory drops the page.
	if mem[0] != 0 {
		t.Fatalf("page kept its content after MADV_DONTNEED")
	}
}

func TestPrepSpliceFileToPipe(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, []byte("0123456789"))
	rfd, wfd := mustPipe(t)

	mustSQE(t, r).PrepSplice(fdOf(t, f), 4, wfd, -1, 3, 0)
	wantRes(t, "splice file->pipe", runOne(t, r), 3)

	got := make([]byte, 16)
	n, err := unix.Read(int(rfd), got)
	if err != nil || string(got[:n]) != "456" {
		t.Fatalf("pipe holds %q, %v; want %q", got[:n], err, "456")
	}
}

func TestPrepSplicePipeToFile(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, nil)
	rfd, wfd := mustPipe(t)
	mustWrite(t, wfd, []byte("spliced"))

	mustSQE(t, r).PrepSplice(rfd, -1, fdOf(t, f), 2, 7, 0)
	wantRes(t, "splice pipe->file", runOne(t, r), 7)

	wantFileContent(t, f.Name(), "\x00\x00spliced")
}

func TestPrepTee(t *testing.T) {
	r := mustRing(t, 4, 0)
	r1, w1 := mustPipe(t)
	r2, w2 := mustPipe(t)
	mustWrite(t, w1, []byte("teed"))

	mustSQE(t, r).PrepTee(r1, w2, 4, 0)
	wantRes(t, "tee", runOne(t, r), 4)

	// tee copies without consuming: both pipes hold the data.
	for _, fd := range []int32{r1, r2} {
		got := make([]byte, 8)
		n, err := unix.Read(int(fd), got)
		if err != nil || string(got[:n]) != "teed" {
			t.Fatalf("pipe %d holds %q, %v", fd, got[:n], err)
		}
	}
}

func TestPrepPipe(t *testing.T) {
	r := mustRing(t, 4, 0)
	if !opSupported(t, r, OpPipe) {
		t.Skip("IORING_OP_PIPE not supported (6.16+)")
	}
	fds := new([2]int32)

	mustSQE(t, r).PrepPipe(fds, unix.O_CLOEXEC)
	wantRes(t, "pipe", runOne(t, r), 0)
	runtime.KeepAlive(fds)
	defer unix.Close(int(fds[0]))
	defer unix.Close(int(fds[1]))

	mustWrite(t, fds[1], []byte("through"))
	got := make([]byte, 16)
	n, err := unix.Read(int(fds[0]), got)
	if err != nil || string(got[:n]) != "through" {
		t.Fatalf("read %q, %v from the new pipe", got[:n], err)
	}
}

func TestPrepClose(t *testing.T) {
	r := mustRing(t, 4, 0)
	rfd, _ := mustPipe(t)
	// Close a duplicate so the cleanup's close of rfd stays valid.
	dup, err := unix.Dup(int(rfd))
	if err != nil {
		t.Fatal(err)
	}

	mustSQE(t, r).PrepClose(int32(dup))
	wantRes(t, "close", runOne(t, r), 0)

	if _, err := unix.FcntlInt(uintptr(dup), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Fatalf("fcntl on the closed fd: %v, want EBADF", err)
	}
}

func TestPrepFilesUpdateThenFixedRead(t *testing.T) {
	r := mustRing(t, 4, 0)
	mustRegisterFilesSparse(t, r, 4)
	f := tempFile(t, []byte("slot two"))
	fds := []int32{fdOf(t, f)}
	escape(fds)
	buf := heapBytes(8)

	mustSQE(t, r).PrepFilesUpdate(fds, 2)
	wantRes(t, "files_update", runOne(t, r), 1)
	runtime.KeepAlive(fds)

	wantRes(t, "read through fixed slot 2", fixedRead(t, r, 2, buf), 8)
	if string(buf) != "slot two" {
		t.Fatalf("read %q", buf)
	}
}

func TestPrepCloseDirect(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, []byte("x"))
	mustRegisterFiles(t, r, fdOf(t, f))
	buf := heapBytes(1)

	mustSQE(t, r).PrepCloseDirect(0)
	wantRes(t, "close_direct", runOne(t, r), 0)

	wantRes(t, "read through the emptied slot", fixedRead(t, r, 0, buf), errnoRes(syscall.EBADF))
}

func TestPrepFixedFdInstall(t *testing.T) {
	r := mustRing(t, 4, 0)
	if !opSupported(t, r, OpFixedFdInstall) {
		t.Skip("IORING_OP_FIXED_FD_INSTALL not supported (6.8+)")
	}
	f := tempFile(t, []byte("installed"))
	mustRegisterFiles(t, r, -1, fdOf(t, f))

	mustSQE(t, r).PrepFixedFdInstall(1, 0)
	c := runOne(t, r)
	if c.Res < 0 {
		t.Fatalf("fixed_fd_install: %v", resErr(c.Res))
	}
	fd := int(c.Res)
	defer unix.Close(fd)

	if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Fatalf("installed fd flags %#x, %v; want FD_CLOEXEC", flags, err)
	}
	got := make([]byte, 16)
	n, err := unix.Pread(fd, got, 0)
	if err != nil || string(got[:n]) != "installed" {
		t.Fatalf("pread on installed fd: %q, %v", got[:n], err)
	}
}

func TestReadZeroLength(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, []byte("not empty"))

	mustSQE(t, r).PrepRead(fdOf(t, f), nil, 0)
	wantRes(t, "zero-length read", runOne(t, r), 0)
}

func TestReadClosedFdFailsEBADF(t *testing.T) {
	r := mustRing(t, 4, 0)
	buf := heapBytes(8)
	// A descriptor number far above anything the test binary opens, made
	// valid and closed again, so nothing else can be using it.
	const fd = 1000
	rfd, _ := mustPipe(t)
	if err := unix.Dup3(int(rfd), fd, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)

	mustSQE(t, r).PrepRead(fd, buf, 0)
	wantRes(t, "read of a closed fd", runOne(t, r), errnoRes(syscall.EBADF))
	runtime.KeepAlive(buf)
}

func TestUnknownOpcodeFailsEINVAL(t *testing.T) {
	r := mustRing(t, 4, 0)

	sqe := mustSQE(t, r)
	sqe.PrepRW(OpLast, -1, 0, 0, 0)
	sqe.SetUserData(99)
	c := runOne(t, r)
	if c.UserData != 99 {
		t.Fatalf("completion %+v, want user data 99", c)
	}
	wantRes(t, "OpLast", c, errnoRes(syscall.EINVAL))
}

func TestGetSQEFullReturnsNil(t *testing.T) {
	r := mustRing(t, 4, 0)
	n := int(r.SQEntries())
	for i := range n {
		sqe := r.GetSQE()
		if sqe == nil {
			t.Fatalf("GetSQE %d of %d returned nil", i+1, n)
		}
		sqe.PrepNop()
	}
	if sqe := r.GetSQE(); sqe != nil {
		t.Fatalf("GetSQE on a full SQ returned an entry")
	}

	// Submitting frees the slots again.
	submitAndReap(t, r, n)
	if r.GetSQE() == nil {
		t.Fatal("GetSQE after submit returned nil")
	}
}

func TestSubmitReapLoopZeroAllocs(t *testing.T) {
	r := mustRing(t, 8, 0)
	f := tempFile(t, []byte("zero allocations"))
	fd := fdOf(t, f)
	buf := heapBytes(16)
	cqes := make([]*CQE, 8)

	var bad int32
	var failed error
	allocs := testing.AllocsPerRun(200, func() {
		sqe := r.GetSQE()
		sqe.PrepRead(fd, buf, 0)
		sqe.SetUserData(5)
		if _, err := r.SubmitAndWait(1); err != nil {
			failed = err
			return
		}
		n := r.PeekBatchCQE(cqes)
		for _, c := range cqes[:n] {
			if c.Res != 16 {
				bad = c.Res
			}
		}
		r.CQAdvance(uint32(n))
	})
	runtime.KeepAlive(buf)
	if failed != nil {
		t.Fatalf("SubmitAndWait: %v", failed)
	}
	if bad != 0 {
		t.Fatalf("read returned %d", bad)
	}
	if allocs != 0 {
		t.Fatalf("GetSQE+PrepRead+SubmitAndWait+PeekBatchCQE+CQAdvance allocates %v times per run", allocs)
	}
}

func TestPrepMethodsDoNotAllocate(t *testing.T) {
	r := mustRing(t, 4, 0)
	sqe := mustSQE(t, r)
	buf := heapBytes(64)
	iov := iovecsFor(buf)
	path := cstr("p")
	ts := heapTimespec(time.Second)
	how := new(OpenHow)
	st := new(unix.Statx_t)
	sa := new(unix.RawSockaddrAny)
	salen := new(uint32)
	msg := new(unix.Msghdr)
	fds := new([2]int32)
	fut := new(uint32)
	evs := make([]unix.EpollEvent, 2)
	escape(evs)

	allocs := testing.AllocsPerRun(100, func() {
		*sqe = SQE{}
		sqe.PrepRead(3, buf, 0)
		sqe.PrepWritev2(3, iov, 0, 0)
		sqe.PrepReadFixed(3, buf, 0, 0)
		sqe.PrepReadMultishot(3, 0, 0, 1)
		sqe.PrepSplice(3, -1, 4, 0, 10, 0)
		sqe.PrepPipeDirect(fds, 0, FileIndexAlloc)
		sqe.PrepOpenat2Direct(-100, path, how, 1)
		sqe.PrepStatx(-100, path, 0, 0, st)
		sqe.PrepSetxattr(path, buf, path, 0)
		sqe.PrepMultishotAcceptDirect(3, sa, salen, 0)
		sqe.PrepSendto(3, buf, 0, sa, 16)
		sqe.PrepSendZCFixed(3, buf, 0, 0, 0)
		sqe.PrepRecvmsgMultishot(3, msg, 0)
		sqe.PrepGetsockopt(3, 1, 2, buf)
		sqe.PrepPollUpdate(1, 2, 1, 0)
		sqe.PrepEpollWait(3, evs, 0)
		sqe.PrepTimeoutUpdate(ts, 1, 0)
		sqe.PrepCancelFd(3, 0)
		sqe.PrepMsgRingFdAlloc(3, 0, 1, 0)
		sqe.PrepProvideBuffers(buf, 16, 4, 1, 0)
		sqe.PrepFutexWait(fut, 0, 0, 0, 0)
		sqe.PrepUringCmd(0, 3)
		sqe.SetFileIndex(2)
		*sqe = SQE{}
		sqe.PrepNop()
	})
	if allocs != 0 {
		t.Fatalf("Prep methods allocate %v times per run", allocs)
	}
	runtime.KeepAlive(buf)
	wantRes(t, "nop", runOne(t, r), 0)
}
