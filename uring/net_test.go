package uring

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Tests of networking and event opcodes driven entirely through the ring:
// sockets, zero-copy send, polling, cross-ring messages, futexes, waitid,
// epoll, multishot reads and cancellation.

// tcpSocket returns a new blocking TCP socket, closed at the end of the
// test.
func tcpSocket(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, int32(fd))
	return fd
}

// loopbackListener returns a blocking TCP socket listening on an
// ephemeral port of 127.0.0.1, and that address.
func loopbackListener(t *testing.T) (int32, *unix.SockaddrInet4) {
	t.Helper()
	fd := tcpSocket(t)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return int32(fd), sa.(*unix.SockaddrInet4)
}

// dialLoopback connects a new blocking TCP socket to addr with connect(2).
func dialLoopback(t *testing.T, addr *unix.SockaddrInet4) int32 {
	t.Helper()
	fd := tcpSocket(t)
	if err := unix.Connect(fd, addr); err != nil {
		t.Fatal(err)
	}
	return int32(fd)
}

// tcpPair returns the two ends of a connected loopback TCP connection,
// made with plain system calls (blocking sockets), closed at test end.
func tcpPair(t *testing.T) (int32, int32) {
	t.Helper()
	lfd, addr := loopbackListener(t)
	c := dialLoopback(t, addr)
	s, _, err := unix.Accept4(int(lfd), unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, int32(s))
	return int32(s), c
}

// rawInet4 returns a heap RawSockaddrAny holding addr, and its length.
func rawInet4(addr *unix.SockaddrInet4) (*unix.RawSockaddrAny, uint32) {
	raw := new(unix.RawSockaddrAny)
	sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
	sa.Family = unix.AF_INET
	sa.Addr = addr.Addr
	// Port in network byte order.
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(addr.Port>>8), byte(addr.Port)
	return raw, uint32(unsafe.Sizeof(unix.RawSockaddrInet4{}))
}

// mustReadAll reads exactly len(want) bytes from fd with read(2) and
// compares them with want.
func mustReadAll(t *testing.T, fd int32, want string) {
	t.Helper()
	got := make([]byte, 0, len(want))
	buf := make([]byte, len(want))
	for len(got) < len(want) {
		n, err := unix.Read(int(fd), buf[:len(want)-len(got)])
		if err != nil || n == 0 {
			t.Fatalf("read(%d) = %d, %v after %q", fd, n, err, got)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != want {
		t.Fatalf("read %q, want %q", got, want)
	}
}

func skipUnlessOp(t *testing.T, r *Ring, op Op, what string) {
	t.Helper()
	if !opSupported(t, r, op) {
		t.Skipf("%s not supported by this kernel", what)
	}
}

func TestNetSocketBindListenAcceptConnectThroughRing(t *testing.T) {
	r := mustRing(t, 8, 0)
	skipUnlessOp(t, r, OpSocket, "IORING_OP_SOCKET (5.19)")
	skipUnlessOp(t, r, OpBind, "IORING_OP_BIND (6.11)")
	skipUnlessOp(t, r, OpListen, "IORING_OP_LISTEN (6.11)")

	newSocket := func(ud uint64) int32 {
		sqe := mustSQE(t, r)
		sqe.PrepSocket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0, 0)
		sqe.SetUserData(ud)
		c := runOne(t, r)
		if c.Res < 0 {
			t.Fatalf("socket: %v", resErr(c.Res))
		}
		closeOnCleanup(t, c.Res)
		return c.Res
	}
	lfd := newSocket(1)
	cfd := newSocket(2)

	bindAddr, bindLen := rawInet4(&unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	mustSQE(t, r).PrepBind(lfd, bindAddr, bindLen)
	wantRes(t, "bind", runOne(t, r), 0)
	mustSQE(t, r).PrepListen(lfd, 8)
	wantRes(t, "listen", runOne(t, r), 0)
	runtime.KeepAlive(bindAddr)

	sa, err := unix.Getsockname(int(lfd))
	if err != nil {
		t.Fatal(err)
	}
	connAddr, connLen := rawInet4(sa.(*unix.SockaddrInet4))

	// Accept first (it waits), then connect; both complete.
	sqe := mustSQE(t, r)
	sqe.PrepAccept(lfd, nil, nil, unix.SOCK_CLOEXEC)
	sqe.SetUserData(10)
	sqe = mustSQE(t, r)
	sqe.PrepConnect(cfd, connAddr, connLen)
	sqe.SetUserData(11)
	got := byUserData(t, submitAndReap(t, r, 2))
	runtime.KeepAlive(connAddr)
	wantRes(t, "connect", got[11], 0)
	if got[10].Res < 0 {
		t.Fatalf("accept: %v", resErr(got[10].Res))
	}
	afd := got[10].Res
	closeOnCleanup(t, afd)

	// The accepted socket is the peer of the connected one.
	mustWrite(t, cfd, []byte("hello"))
	mustReadAll(t, afd, "hello")
}

func TestNetSendRecv(t *testing.T) {
	r := mustRing(t, 8, 0)
	a, b := tcpPair(t)
	out := heapBytes(5)
	copy(out, "hello")
	in := heapBytes(16)

	sqe := mustSQE(t, r)
	sqe.PrepRecv(b, in, 0)
	sqe.SetUserData(1)
	sqe = mustSQE(t, r)
	sqe.PrepSend(a, out, 0)
	sqe.SetUserData(2)
	got := byUserData(t, submitAndReap(t, r, 2))
	wantRes(t, "send", got[2], 5)
	wantRes(t, "recv", got[1], 5)
	if string(in[:5]) != "hello" {
		t.Fatalf("received %q", in[:5])
	}
	runtime.KeepAlive(out)
	runtime.KeepAlive(in)
}

// msgFor returns a heap msghdr whose single iovec covers buf.
func msgFor(buf []byte) *unix.Msghdr {
	iov := iovecsFor(buf)
	msg := new(unix.Msghdr)
	msg.Iov = &iov[0]
	msg.SetIovlen(1)
	return msg
}

func TestNetSendmsgRecvmsg(t *testing.T) {
	r := mustRing(t, 8, 0)
	a, b := tcpPair(t)
	out := heapBytes(7)
	copy(out, "msghdr!")
	in := heapBytes(16)
	outMsg, inMsg := msgFor(out), msgFor(in)

	sqe := mustSQE(t, r)
	sqe.PrepRecvmsg(b, inMsg, 0)
	sqe.SetUserData(1)
	sqe = mustSQE(t, r)
	sqe.PrepSendmsg(a, outMsg, 0)
	sqe.SetUserData(2)
	got := byUserData(t, submitAndReap(t, r, 2))
	wantRes(t, "sendmsg", got[2], 7)
	wantRes(t, "recvmsg", got[1], 7)
	if string(in[:7]) != "msghdr!" {
		t.Fatalf("received %q", in[:7])
	}
	runtime.KeepAlive(outMsg)
	runtime.KeepAlive(inMsg)
	runtime.KeepAlive(out)
	runtime.KeepAlive(in)
}

func TestNetShutdownWriteGivesPeerEOF(t *testing.T) {
	r := mustRing(t, 8, 0)
	skipUnlessOp(t, r, OpShutdown, "IORING_OP_SHUTDOWN (5.11)")
	a, b := tcpPair(t)
	in := heapBytes(8)

	mustSQE(t, r).PrepShutdown(a, unix.SHUT_WR)
	wantRes(t, "shutdown", runOne(t, r), 0)
	mustSQE(t, r).PrepRecv(b, in, 0)
	wantRes(t, "recv after peer shutdown", runOne(t, r), 0)
	runtime.KeepAlive(in)
}

func TestNetMultishotAcceptThreeConnections(t *testing.T) {
	r := mustRing(t, 8, 0)
	lfd, addr := loopbackListener(t)

	sqe := mustSQE(t, r)
	sqe.PrepMultishotAccept(lfd, nil, nil, unix.SOCK_CLOEXEC)
	sqe.SetUserData(7)
	mustSubmit(t, r, 1)

	for i := range 3 {
		dialLoopback(t, addr)
		c := reap(t, r, 1)[0]
		if c.UserData != 7 || c.Res < 0 {
			t.Fatalf("accept %d: %+v (%v)", i, c, resErr(c.Res))
		}
		closeOnCleanup(t, c.Res)
		if c.Flags&CQEFMore == 0 {
			t.Fatalf("accept %d: flags %#x lack CQEFMore", i, c.Flags)
		}
	}
}

func TestNetSendZCPostsNotification(t *testing.T) {
	r := mustRing(t, 8, 0)
	skipUnlessOp(t, r, OpSendZC, "IORING_OP_SEND_ZC (6.0)")
	a, b := tcpPair(t)
	out := heapBytes(4096)
	for i := range out {
		out[i] = byte('a' + i%26)
	}

	sqe := mustSQE(t, r)
	sqe.PrepSendZC(a, out, 0, 0)
	sqe.SetUserData(3)
	cqes := submitAndReap(t, r, 2)
	first, notif := cqes[0], cqes[1]
	if first.UserData != 3 || first.Res != int32(len(out)) || first.Flags&CQEFMore == 0 || first.Flags&CQEFNotif != 0 {
		t.Fatalf("send_zc result %+v (%v), want %d bytes with CQEFMore", first, resErr(first.Res), len(out))
	}
	if notif.UserData != 3 || notif.Flags&CQEFNotif == 0 || notif.Flags&CQEFMore != 0 {
		t.Fatalf("send_zc notification %+v, want CQEFNotif without CQEFMore", notif)
	}
	mustReadAll(t, b, string(out))
	runtime.KeepAlive(out)
}

func TestNetPollAddPipe(t *testing.T) {
	r := mustRing(t, 4, 0)
	rfd, wfd := mustPipe(t)

	sqe := mustSQE(t, r)
	sqe.PrepPollAdd(rfd, unix.POLLIN)
	sqe.SetUserData(1)
	mustSubmit(t, r, 1)
	noCQE(t, r)

	mustWrite(t, wfd, []byte("x"))
	c := reap(t, r, 1)[0]
	if c.UserData != 1 || c.Res < 0 || c.Res&unix.POLLIN == 0 {
		t.Fatalf("poll completion %+v, want POLLIN", c)
	}
	if c.Flags&CQEFMore != 0 {
		t.Fatalf("single-shot poll flags %#x carry CQEFMore", c.Flags)
	}
}

func TestNetPollMultishotPipe(t *testing.T) {
	r := mustRing(t, 4, 0)
	rfd, wfd := mustPipe(t)

	sqe := mustSQE(t, r)
	sqe.PrepPollMultishot(rfd, unix.POLLIN)
	sqe.SetUserData(1)
	mustSubmit(t, r, 1)

	drain := make([]byte, 16)
	for i := range 2 {
		mustWrite(t, wfd, []byte("x"))
		c := reap(t, r, 1)[0]
		if c.UserData != 1 || c.Res&unix.POLLIN == 0 || c.Flags&CQEFMore == 0 {
			t.Fatalf("event %d: %+v, want POLLIN with CQEFMore", i, c)
		}
		if _, err := unix.Read(int(rfd), drain); err != nil {
			t.Fatal(err)
		}
	}

	sqe = mustSQE(t, r)
	sqe.PrepPollRemove(1)
	sqe.SetUserData(2)
	got := byUserData(t, submitAndReap(t, r, 2))
	wantRes(t, "poll_remove", got[2], 0)
	wantRes(t, "removed multishot poll", got[1], errnoRes(syscall.ECANCELED))
	if got[1].Flags&CQEFMore != 0 {
		t.Fatalf("final poll CQE flags %#x carry CQEFMore", got[1].Flags)
	}
}

func TestNetMsgRingBetweenRings(t *testing.T) {
	src := mustRing(t, 4, 0)
	dst := mustRing(t, 4, 0)
	skipUnlessOp(t, src, OpMsgRing, "IORING_OP_MSG_RING (5.18)")

	sqe := mustSQE(t, src)
	sqe.PrepMsgRing(int32(dst.Fd()), 1234, 0xbeef, 0)
	sqe.SetUserData(1)
	wantRes(t, "msg_ring on the sender", runOne(t, src), 0)

	c := reap(t, dst, 1)[0]
	if c.UserData != 0xbeef || c.Res != 1234 {
		t.Fatalf("message on the target ring %+v, want user data 0xbeef, res 1234", c)
	}
}

func TestNetFutexWaitWake(t *testing.T) {
	r := mustRing(t, 4, 0)
	skipUnlessOp(t, r, OpFutexWait, "IORING_OP_FUTEX_WAIT (6.7)")
	futex := new(uint32)
	escape(futex)
	const flags = Futex2SizeU32 | Futex2Private

	sqe := mustSQE(t, r)
	sqe.PrepFutexWait(futex, 0, FutexBitsetMatchAny, flags, 0)
	sqe.SetUserData(1)
	mustSubmit(t, r, 1)
	noCQE(t, r)

	sqe = mustSQE(t, r)
	sqe.PrepFutexWake(futex, 1, FutexBitsetMatchAny, flags, 0)
	sqe.SetUserData(2)
	got := byUserData(t, submitAndReap(t, r, 2))
	wantRes(t, "futex_wake", got[2], 1)
	wantRes(t, "futex_wait", got[1], 0)
	runtime.KeepAlive(futex)
}

func TestNetWaitidOnChild(t *testing.T) {
	r := mustRing(t, 4, 0)
	skipUnlessOp(t, r, OpWaitid, "IORING_OP_WAITID (6.7)")
	// ForkExec does not reap the child (os/exec would), so the ring's
	// waitid is the only waiter.
	pid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{})
	if err != nil {
		t.Skipf("cannot start /bin/true: %v", err)
	}
	info := new(unix.Siginfo)
	escape(info)

	sqe := mustSQE(t, r)
	sqe.PrepWaitid(unix.P_PID, int32(pid), info, unix.WEXITED, 0)
	wantRes(t, "waitid", runOne(t, r), 0)
	// siginfo for SIGCHLD: si_pid at offset 16, si_status at 24.
	p := unsafe.Pointer(info)
	gotPid := *(*int32)(unsafe.Add(p, 16))
	status := *(*int32)(unsafe.Add(p, 24))
	if info.Signo != int32(unix.SIGCHLD) || gotPid != int32(pid) || info.Code != 1 /* CLD_EXITED */ || status != 0 {
		t.Fatalf("siginfo signo %d code %d pid %d status %d; want SIGCHLD, CLD_EXITED, pid %d, status 0",
			info.Signo, info.Code, gotPid, status, pid)
	}
	runtime.KeepAlive(info)
}

func TestNetEpollCtlThenEpollWait(t *testing.T) {
	r := mustRing(t, 4, 0)
	skipUnlessOp(t, r, OpEpollCtl, "IORING_OP_EPOLL_CTL (5.6)")
	skipUnlessOp(t, r, OpEpollWait, "IORING_OP_EPOLL_WAIT (6.15)")
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, int32(epfd))
	rfd, wfd := mustPipe(t)
	ev := &unix.EpollEvent{Events: unix.EPOLLIN, Fd: rfd}
	events := make([]unix.EpollEvent, 4)
	escape(ev)
	escape(events)

	mustSQE(t, r).PrepEpollCtl(int32(epfd), rfd, unix.EPOLL_CTL_ADD, ev)
	wantRes(t, "epoll_ctl add", runOne(t, r), 0)

	mustWrite(t, wfd, []byte("x"))
	mustSQE(t, r).PrepEpollWait(int32(epfd), events, 0)
	wantRes(t, "epoll_wait", runOne(t, r), 1)
	if events[0].Fd != rfd || events[0].Events&unix.EPOLLIN == 0 {
		t.Fatalf("epoll event %+v, want EPOLLIN on fd %d", events[0], rfd)
	}
	runtime.KeepAlive(ev)
}

func TestNetReadMultishotPipeWithBufRing(t *testing.T) {
	r := mustRing(t, 8, 0)
	skipUnlessOp(t, r, OpReadMultishot, "IORING_OP_READ_MULTISHOT (6.7)")
	rfd, wfd := mustPipe(t)
	br := mustBufRing(t, r, 11, 2, 32)

	sqe := mustSQE(t, r)
	sqe.PrepReadMultishot(rfd, 0, 0, br.Group())
	sqe.SetUserData(4)
	mustSubmit(t, r, 1)

	for i, msg := range []string{"alpha", "beta", "gamma"} {
		mustWrite(t, wfd, []byte(msg))
		reapBufRingMsg(t, r, br, 4, msg, fmt.Sprintf("read %d", i))
	}
}

func TestNetAsyncCancelByFdPendingRecv(t *testing.T) {
	r := mustRing(t, 8, 0)
	a, _ := tcpPair(t)
	in := heapBytes(8)

	sqe := mustSQE(t, r)
	sqe.PrepRecv(a, in, 0)
	sqe.SetUserData(1)
	mustSubmit(t, r, 1)
	noCQE(t, r)

	sqe = mustSQE(t, r)
	sqe.PrepCancelFd(a, 0)
	sqe.SetUserData(2)
	got := byUserData(t, submitAndReap(t, r, 2))
	wantRes(t, "cancel by fd", got[2], 0)
	wantRes(t, "cancelled recv", got[1], errnoRes(syscall.ECANCELED))
	runtime.KeepAlive(in)
}
