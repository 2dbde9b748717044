package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Prep methods for sockets. Socket addresses are passed as
// *unix.RawSockaddrAny; convert a concrete one with
// (*unix.RawSockaddrAny)(unsafe.Pointer(&sa4)) and give its real size as
// the length. See prep.go for the rules on the memory they reference.

// PrepSocket is socket(2); cqe.Res is the new fd (OpSocket, 5.19;
// io_uring_prep_socket). flags must be 0 (reserved).
func (s *SQE) PrepSocket(domain, typ, protocol int, flags uint32) {
	s.PrepRW(OpSocket, int32(domain), 0, uint32(protocol), uint64(typ))
	s.OpFlags = flags
}

// PrepSocketDirect is PrepSocket installing the socket into registered
// file slot fileIndex, or a kernel-chosen slot with FileIndexAlloc
// (OpSocket, 5.19; io_uring_prep_socket_direct).
func (s *SQE) PrepSocketDirect(domain, typ, protocol int, fileIndex uint32, flags uint32) {
	s.PrepSocket(domain, typ, protocol, flags)
	s.SetFileIndex(fileIndex)
}

// PrepSocketDirectAlloc is PrepSocketDirect with a kernel-chosen slot,
// returned in cqe.Res (OpSocket, 5.19;
// io_uring_prep_socket_direct_alloc).
func (s *SQE) PrepSocketDirectAlloc(domain, typ, protocol int, flags uint32) {
	s.PrepSocketDirect(domain, typ, protocol, FileIndexAlloc, flags)
}

// PrepConnect is connect(2) to addr of addrLen bytes (OpConnect, 5.5;
// io_uring_prep_connect).
func (s *SQE) PrepConnect(fd int32, addr *unix.RawSockaddrAny, addrLen uint32) {
	s.PrepRW(OpConnect, fd, ptrAddr(addr), 0, uint64(addrLen))
}

// PrepBind is bind(2) (OpBind, 6.11; io_uring_prep_bind).
func (s *SQE) PrepBind(fd int32, addr *unix.RawSockaddrAny, addrLen uint32) {
	s.PrepRW(OpBind, fd, ptrAddr(addr), 0, uint64(addrLen))
}

// PrepListen is listen(2) (OpListen, 6.11; io_uring_prep_listen).
func (s *SQE) PrepListen(fd int32, backlog int) {
	s.PrepRW(OpListen, fd, 0, uint32(backlog), 0)
}

// PrepAccept is accept4(2); addr and addrLen may be nil, and *addrLen
// must hold the size of addr on entry. flags are unix.SOCK_NONBLOCK and
// unix.SOCK_CLOEXEC (OpAccept, 5.5; io_uring_prep_accept).
func (s *SQE) PrepAccept(fd int32, addr *unix.RawSockaddrAny, addrLen *uint32, flags int) {
	s.PrepRW(OpAccept, fd, ptrAddr(addr), 0, uint64(ptrAddr(addrLen)))
	s.OpFlags = uint32(flags)
}

// PrepAcceptDirect is PrepAccept installing the connection into
// registered file slot fileIndex, or a kernel-chosen slot with
// FileIndexAlloc (OpAccept, 5.15; io_uring_prep_accept_direct).
func (s *SQE) PrepAcceptDirect(fd int32, addr *unix.RawSockaddrAny, addrLen *uint32, flags int, fileIndex uint32) {
	s.PrepAccept(fd, addr, addrLen, flags)
	s.SetFileIndex(fileIndex)
}

// PrepMultishotAccept accepts connections until cancelled, one CQE with
// CQEFMore per connection (OpAccept with AcceptMultishot, 5.19;
// io_uring_prep_multishot_accept). addr, if not nil, is overwritten by
// each accept.
func (s *SQE) PrepMultishotAccept(fd int32, addr *unix.RawSockaddrAny, addrLen *uint32, flags int) {
	s.PrepAccept(fd, addr, addrLen, flags)
	s.IOPrio |= AcceptMultishot
}

// PrepMultishotAcceptDirect is PrepMultishotAccept installing each
// connection into a kernel-chosen registered file slot, returned in
// cqe.Res (OpAccept, 5.19; io_uring_prep_multishot_accept_direct).
func (s *SQE) PrepMultishotAcceptDirect(fd int32, addr *unix.RawSockaddrAny, addrLen *uint32, flags int) {
	s.PrepMultishotAccept(fd, addr, addrLen, flags)
	s.SetFileIndex(FileIndexAlloc)
}

// PrepSend is send(2) of buf; flags are unix.MSG_* (OpSend, 5.6;
// io_uring_prep_send).
func (s *SQE) PrepSend(fd int32, buf []byte, flags int) {
	s.PrepRW(OpSend, fd, bufAddr(buf), uint32(len(buf)), 0)
	s.OpFlags = uint32(flags)
}

// PrepSendBundle sends up to length bytes from as many buffers of
// provided-buffer group bufGroup as needed; set SQEBufferSelect and the
// group with SetBufGroup (OpSend with RecvsendBundle, 6.10;
// io_uring_prep_send_bundle). length 0 means "all of them".
func (s *SQE) PrepSendBundle(fd int32, length uint32, flags int) {
	s.PrepRW(OpSend, fd, 0, length, 0)
	s.OpFlags = uint32(flags)
	s.IOPrio |= RecvsendBundle
}

// PrepSendSetAddr adds a destination address to a prepared send or
// send_zc, turning it into sendto(2) (6.0; io_uring_prep_send_set_addr).
func (s *SQE) PrepSendSetAddr(addr *unix.RawSockaddrAny, addrLen uint16) {
	s.Off = uint64(ptrAddr(addr))
	// addr_len is the first __u16 of the splice_fd_in union (then a
	// __u16 of padding): write it as one, whatever the byte order.
	al := (*[2]uint16)(unsafe.Pointer(&s.SpliceFdIn))
	al[0], al[1] = addrLen, 0
}

// PrepSendto is sendto(2) of buf to addr (OpSend, 6.0;
// io_uring_prep_sendto).
func (s *SQE) PrepSendto(fd int32, buf []byte, flags int, addr *unix.RawSockaddrAny, addrLen uint32) {
	s.PrepSend(fd, buf, flags)
	s.PrepSendSetAddr(addr, uint16(addrLen))
}

// PrepSendZC is a zero-copy send of buf (OpSendZC, 6.0;
// io_uring_prep_send_zc). It posts two CQEs: the result, with CQEFMore,
// then a notification with CQEFNotif once the kernel no longer
// references buf; buf must stay unchanged until the notification.
// zcFlags are RecvsendPollFirst, SendZCReportUsage, RecvsendFixedBuf.
func (s *SQE) PrepSendZC(fd int32, buf []byte, flags int, zcFlags uint16) {
	s.PrepRW(OpSendZC, fd, bufAddr(buf), uint32(len(buf)), 0)
	s.OpFlags = uint32(flags)
	s.IOPrio = zcFlags
}

// PrepSendZCFixed is PrepSendZC from registered buffer bufIndex, which
// buf must lie in (OpSendZC, 6.0; io_uring_prep_send_zc_fixed).
func (s *SQE) PrepSendZCFixed(fd int32, buf []byte, flags int, zcFlags uint16, bufIndex uint16) {
	s.PrepSendZC(fd, buf, flags, zcFlags)
	s.IOPrio |= RecvsendFixedBuf
	s.BufIndex = bufIndex
}

// PrepSendmsg is sendmsg(2) (OpSendmsg, 5.3; io_uring_prep_sendmsg). msg
// and everything it points to must stay valid until the completion.
func (s *SQE) PrepSendmsg(fd int32, msg *unix.Msghdr, flags int) {
	s.PrepRW(OpSendmsg, fd, ptrAddr(msg), 1, 0)
	s.OpFlags = uint32(flags)
}

// PrepSendmsgZC is the zero-copy PrepSendmsg, with a notification CQE as
// for PrepSendZC (OpSendmsgZC, 6.1; io_uring_prep_sendmsg_zc).
func (s *SQE) PrepSendmsgZC(fd int32, msg *unix.Msghdr, flags int) {
	s.PrepSendmsg(fd, msg, flags)
	s.Opcode = uint8(OpSendmsgZC)
}

// PrepSendmsgZCFixed is PrepSendmsgZC whose iovecs lie in registered
// buffer bufIndex (OpSendmsgZC, 6.1 with fixed buffers since 6.15;
// io_uring_prep_sendmsg_zc_fixed).
func (s *SQE) PrepSendmsgZCFixed(fd int32, msg *unix.Msghdr, flags int, bufIndex uint16) {
	s.PrepSendmsgZC(fd, msg, flags)
	s.IOPrio |= RecvsendFixedBuf
	s.BufIndex = bufIndex
}

// PrepRecv is recv(2) into buf (OpRecv, 5.6; io_uring_prep_recv). With
// SQEBufferSelect pass a nil buf and a buffer group instead.
func (s *SQE) PrepRecv(fd int32, buf []byte, flags int) {
	s.PrepRW(OpRecv, fd, bufAddr(buf), uint32(len(buf)), 0)
	s.OpFlags = uint32(flags)
}

// PrepRecvMultishot receives repeatedly, one CQE with CQEFMore per
// message, until an error or cancellation (OpRecv with RecvMultishot,
// 6.0; io_uring_prep_recv_multishot). It needs SQEBufferSelect and a
// buffer group: buf is normally nil.
func (s *SQE) PrepRecvMultishot(fd int32, buf []byte, flags int) {
	s.PrepRecv(fd, buf, flags)
	s.IOPrio |= RecvMultishot
}

// PrepRecvmsg is recvmsg(2) (OpRecvmsg, 5.3; io_uring_prep_recvmsg).
func (s *SQE) PrepRecvmsg(fd int32, msg *unix.Msghdr, flags int) {
	s.PrepRW(OpRecvmsg, fd, ptrAddr(msg), 1, 0)
	s.OpFlags = uint32(flags)
}

// PrepRecvmsgMultishot is multishot PrepRecvmsg with provided buffers:
// each buffer starts with a RecvmsgOut header followed by the name,
// control and payload (OpRecvmsg with RecvMultishot, 6.0;
// io_uring_prep_recvmsg_multishot).
func (s *SQE) PrepRecvmsgMultishot(fd int32, msg *unix.Msghdr, flags int) {
	s.PrepRecvmsg(fd, msg, flags)
	s.IOPrio |= RecvMultishot
}

// PrepRecvZC is a multishot zero-copy receive of up to length bytes (0:
// unlimited) through the zcrx interface queue ifqIdx registered with
// IORING_REGISTER_ZCRX_IFQ; the ring must use SetupCQE32 or
// SetupCQEMixed (OpRecvZC, 6.15; liburing has no helper, this mirrors
// its zcrx test).
func (s *SQE) PrepRecvZC(fd int32, ifqIdx uint32, length uint32) {
	s.PrepRW(OpRecvZC, fd, 0, length, 0)
	s.SpliceFdIn = int32(ifqIdx) // zcrx_ifq_idx
	s.IOPrio |= RecvMultishot
}

// PrepShutdown is shutdown(2); how is unix.SHUT_RD, SHUT_WR or SHUT_RDWR
// (OpShutdown, 5.11; io_uring_prep_shutdown).
func (s *SQE) PrepShutdown(fd int32, how int) {
	s.PrepRW(OpShutdown, fd, 0, uint32(how), 0)
}

// PrepCmdSock issues socket command cmdOp (SocketOpSiocinq,
// SocketOpSiocoutq, SocketOpGetsockopt, SocketOpSetsockopt …) on fd
// (OpUringCmd, 6.7; io_uring_prep_cmd_sock). level, optname and optval
// are used by the sockopt commands only; optval's length is optlen.
func (s *SQE) PrepCmdSock(cmdOp uint32, fd int32, level, optname int, optval []byte) {
	s.PrepUringCmd(cmdOp, fd)
	// struct { __u32 level; __u32 optname; } over addr: two __u32 in
	// memory order, whatever the byte order.
	lo := (*[2]uint32)(unsafe.Pointer(&s.Addr))
	lo[0], lo[1] = uint32(level), uint32(optname)
	s.Addr3 = uint64(bufAddr(optval)) // optval
	s.SpliceFdIn = int32(len(optval)) // optlen
}

// PrepGetsockopt is getsockopt(2) at SOL_SOCKET level into optval;
// cqe.Res is the option's length (OpUringCmd with SocketOpGetsockopt,
// 6.7; io_uring_prep_cmd_sock).
func (s *SQE) PrepGetsockopt(fd int32, level, optname int, optval []byte) {
	s.PrepCmdSock(SocketOpGetsockopt, fd, level, optname, optval)
}

// PrepSetsockopt is setsockopt(2) from optval (OpUringCmd with
// SocketOpSetsockopt, 6.7; io_uring_prep_cmd_sock).
func (s *SQE) PrepSetsockopt(fd int32, level, optname int, optval []byte) {
	s.PrepCmdSock(SocketOpSetsockopt, fd, level, optname, optval)
}

// PrepCmdGetsockname is getsockname(2), or getpeername(2) when peer is
// true, into addr; *addrLen holds addr's size on entry and the address
// length on completion (OpUringCmd with SocketOpGetsockname, 6.19;
// io_uring_prep_cmd_getsockname).
func (s *SQE) PrepCmdGetsockname(fd int32, addr *unix.RawSockaddrAny, addrLen *uint32, peer bool) {
	s.PrepUringCmd(SocketOpGetsockname, fd)
	s.Addr = uint64(ptrAddr(addr))
	s.Addr3 = uint64(ptrAddr(addrLen))
	if peer {
		s.SpliceFdIn = 1
	}
}
