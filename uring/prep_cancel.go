package uring

// Prep methods for cancelling requests in flight. cqe.Res of the cancel
// request is 0 (one request found and cancelled), the number of requests
// cancelled with AsyncCancelAll or AsyncCancelAny, -ENOENT when nothing
// matched, or -EALREADY when the match was already running and could
// not be stopped. Cancelled requests complete with -ECANCELED (or -EINTR
// for some requests already running in a worker).

// PrepCancel64 cancels the request(s) submitted with user data userData
// (OpAsyncCancel, 5.5; io_uring_prep_cancel64). flags: AsyncCancelAll
// (every match, 5.19), AsyncCancelAny (any request, userData ignored,
// 5.19), AsyncCancelFd (match the fd set in s.Fd instead, 5.19; see
// PrepCancelFd), AsyncCancelFdFixed, AsyncCancelUserdata and
// AsyncCancelOp (6.6; see PrepCancelOp) to combine keys.
func (s *SQE) PrepCancel64(userData uint64, flags uint32) {
	s.PrepRW(OpAsyncCancel, -1, 0, 0, 0)
	s.Addr = userData
	s.OpFlags = flags
}

// PrepCancelFd cancels the request(s) operating on fd (a fixed-file
// index with AsyncCancelFdFixed); AsyncCancelFd is always added
// (OpAsyncCancel, 5.19; io_uring_prep_cancel_fd). Add AsyncCancelAll to
// cancel every request on fd rather than the first found.
func (s *SQE) PrepCancelFd(fd int32, flags uint32) {
	s.PrepRW(OpAsyncCancel, fd, 0, 0, 0)
	s.OpFlags = flags | AsyncCancelFd
}

// PrepCancelOp cancels the request(s) with opcode op; AsyncCancelOp is
// always added and may be combined with AsyncCancelFd (set s.Fd) or
// AsyncCancelUserdata (set s.Addr) to narrow the match (OpAsyncCancel
// with AsyncCancelOp, 6.6; liburing has no helper, it is
// io_uring_prep_cancel64 with sqe->len set to the opcode).
func (s *SQE) PrepCancelOp(op Op, flags uint32) {
	s.PrepRW(OpAsyncCancel, -1, 0, uint32(op), 0)
	s.OpFlags = flags | AsyncCancelOp
}
