package uring

import "golang.org/x/sys/unix"

// Prep methods for no-ops, cross-ring messages, provided buffers,
// futexes, waitid and passthrough commands.

// PrepNop does nothing and completes with cqe.Res 0 (OpNop, 5.1;
// io_uring_prep_nop).
func (s *SQE) PrepNop() {
	s.PrepRW(OpNop, -1, 0, 0, 0)
}

// PrepNop128 is a no-op that occupies a 128-byte SQE on a ring set up
// with SetupSQEMixed (OpNop128, 6.19; io_uring_prep_nop128).
func (s *SQE) PrepNop128() {
	s.PrepRW(OpNop128, -1, 0, 0, 0)
}

// PrepMsgRing posts a CQE on the ring whose fd is fd (a fixed-file index
// with SQEFixedFile), with cqe.Res = length and cqe.UserData = data
// (OpMsgRing with MsgData, 5.18; io_uring_prep_msg_ring). This request's
// own cqe.Res is 0 on success. flags: MsgRingCQESkip is not valid for
// data messages.
func (s *SQE) PrepMsgRing(fd int32, length uint32, data uint64, flags uint32) {
	s.PrepRW(OpMsgRing, fd, 0, length, data)
	s.OpFlags = flags
}

// PrepMsgRingCQEFlags is PrepMsgRing also setting the target CQE's flags
// to cqeFlags (OpMsgRing with MsgRingFlagsPass, 6.3;
// io_uring_prep_msg_ring_cqe_flags).
func (s *SQE) PrepMsgRingCQEFlags(fd int32, length uint32, data uint64, flags uint32, cqeFlags uint32) {
	s.PrepRW(OpMsgRing, fd, 0, length, data)
	s.OpFlags = MsgRingFlagsPass | flags
	s.SpliceFdIn = int32(cqeFlags) // file_index carries the CQE flags
}

// PrepMsgRingFd installs this ring's registered file sourceFd into
// registered file slot targetIndex of the ring whose fd is fd (or a
// kernel-chosen slot with FileIndexAlloc) and posts a CQE there with
// cqe.UserData = data, unless flags has MsgRingCQESkip (OpMsgRing with
// MsgSendFd, 6.0; io_uring_prep_msg_ring_fd).
func (s *SQE) PrepMsgRingFd(fd int32, sourceFd int32, targetIndex uint32, data uint64, flags uint32) {
	s.PrepRW(OpMsgRing, fd, uintptr(MsgSendFd), 0, data)
	s.Addr3 = uint64(int64(sourceFd))
	s.SetFileIndex(targetIndex)
	s.OpFlags = flags
}

// PrepMsgRingFdAlloc is PrepMsgRingFd into a kernel-chosen slot of the
// target ring (OpMsgRing with MsgSendFd, 6.0;
// io_uring_prep_msg_ring_fd_alloc).
func (s *SQE) PrepMsgRingFdAlloc(fd int32, sourceFd int32, data uint64, flags uint32) {
	s.PrepMsgRingFd(fd, sourceFd, FileIndexAlloc, data, flags)
}

// PrepProvideBuffers gives the kernel nr buffers of bufLen bytes each,
// laid out back to back in mem, as buffers bid, bid+1, … of group bgid,
// for requests with SQEBufferSelect (OpProvideBuffers, 5.7;
// io_uring_prep_provide_buffers). mem must hold nr*bufLen bytes and stay
// valid until the buffers are consumed or removed. Provided buffer rings
// ((*Ring).NewBufRing) are the faster replacement.
func (s *SQE) PrepProvideBuffers(mem []byte, bufLen uint32, nr uint32, bgid uint16, bid uint16) {
	s.PrepRW(OpProvideBuffers, int32(nr), bufAddr(mem), bufLen, uint64(bid))
	s.BufIndex = bgid
}

// PrepRemoveBuffers takes up to nr unused buffers of group bgid back from
// the kernel; cqe.Res is how many were removed (OpRemoveBuffers, 5.7;
// io_uring_prep_remove_buffers).
func (s *SQE) PrepRemoveBuffers(nr uint32, bgid uint16) {
	s.PrepRW(OpRemoveBuffers, int32(nr), 0, 0, 0)
	s.BufIndex = bgid
}

// PrepFutexWait is futex2 wait: it sleeps while *futex == val (compared
// under mask) until woken (OpFutexWait, 6.7; io_uring_prep_futex_wait).
// futexFlags are the futex2 FUTEX2_* size and private flags
// (FUTEX2_SIZE_U32 | FUTEX2_PRIVATE is the usual); flags must be 0.
// mask is the wake bitset, FutexBitsetMatchAny for any.
func (s *SQE) PrepFutexWait(futex *uint32, val uint64, mask uint64, futexFlags uint32, flags uint32) {
	s.PrepRW(OpFutexWait, int32(futexFlags), ptrAddr(futex), 0, val)
	s.OpFlags = flags
	s.Addr3 = mask
}

// PrepFutexWake wakes up to val waiters on futex whose wait bitset
// intersects mask; cqe.Res is the number woken (OpFutexWake, 6.7;
// io_uring_prep_futex_wake).
func (s *SQE) PrepFutexWake(futex *uint32, val uint64, mask uint64, futexFlags uint32, flags uint32) {
	s.PrepRW(OpFutexWake, int32(futexFlags), ptrAddr(futex), 0, val)
	s.OpFlags = flags
	s.Addr3 = mask
}

// PrepFutexWaitv waits on several futexes at once (futex_waitv(2));
// cqe.Res is the index of the one that woke (OpFutexWaitv, 6.7;
// io_uring_prep_futex_waitv). flags must be 0.
func (s *SQE) PrepFutexWaitv(futexv []FutexWaitv, flags uint32) {
	s.PrepRW(OpFutexWaitv, 0, sliceAddr(futexv), uint32(len(futexv)), 0)
	s.OpFlags = flags
}

// PrepWaitid is waitid(2): idtype unix.P_PID, P_PIDFD, P_PGID or P_ALL,
// options unix.WEXITED etc.; infop may be nil (OpWaitid, 6.7;
// io_uring_prep_waitid). flags must be 0.
func (s *SQE) PrepWaitid(idtype int, id int32, infop *unix.Siginfo, options int, flags uint32) {
	s.PrepRW(OpWaitid, id, 0, uint32(idtype), 0)
	s.OpFlags = flags
	s.SpliceFdIn = int32(options)  // file_index carries the options
	s.Off = uint64(ptrAddr(infop)) // addr2
}

// PrepUringCmd is a passthrough command cmdOp for the driver or
// subsystem behind fd (NVMe, ublk, sockets …); put its payload with the
// fields or, on SetupSQE128 rings, in Cmd() (OpUringCmd, 5.19;
// io_uring_prep_uring_cmd).
func (s *SQE) PrepUringCmd(cmdOp uint32, fd int32) {
	s.PrepRW(OpUringCmd, fd, 0, 0, uint64(cmdOp))
}

// PrepUringCmd128 is PrepUringCmd in a 128-byte SQE on a ring set up
// with SetupSQEMixed, with an 80-byte Cmd() area (OpUringCmd128, 6.19;
// io_uring_prep_uring_cmd128).
func (s *SQE) PrepUringCmd128(cmdOp uint32, fd int32) {
	s.PrepRW(OpUringCmd128, fd, 0, 0, uint64(cmdOp))
}
