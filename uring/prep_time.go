package uring

// Prep methods for timeouts. The *Timespec is read by the kernel when the
// request is issued (for PrepTimeoutUpdate, when the update runs); keep it
// alive and unmoved until the completion all the same, as liburing
// requires.

// PrepTimeout completes after ts has passed, or once count other
// completions have been posted if count is not 0, whichever comes first
// (OpTimeout, 5.4; io_uring_prep_timeout). cqe.Res is -ETIME when the
// time ran out and 0 when the count was reached. flags: TimeoutAbs,
// TimeoutBoottime, TimeoutRealtime, TimeoutETimeSuccess, TimeoutMultishot.
func (s *SQE) PrepTimeout(ts *Timespec, count uint32, flags uint32) {
	s.PrepRW(OpTimeout, -1, ptrAddr(ts), 1, uint64(count))
	s.OpFlags = flags
}

// PrepTimeoutRemove cancels the timeout submitted with user data
// userData, which then completes with -ECANCELED (OpTimeoutRemove, 5.5;
// io_uring_prep_timeout_remove). cqe.Res is 0, or -ENOENT when no such
// timeout is armed, or -EALREADY when it is already firing.
func (s *SQE) PrepTimeoutRemove(userData uint64, flags uint32) {
	s.PrepRW(OpTimeoutRemove, -1, 0, 0, 0)
	s.Addr = userData
	s.OpFlags = flags
}

// PrepTimeoutUpdate re-arms the timeout with user data userData to ts
// (OpTimeoutRemove with TimeoutUpdate, 5.11; io_uring_prep_timeout_update).
// Add LinkTimeoutUpdate to flags to update a linked timeout (5.15).
func (s *SQE) PrepTimeoutUpdate(ts *Timespec, userData uint64, flags uint32) {
	s.PrepRW(OpTimeoutRemove, -1, 0, 0, uint64(ptrAddr(ts)))
	s.Addr = userData
	s.OpFlags = flags | TimeoutUpdate
}

// PrepLinkTimeout bounds the request linked before it (with SQEIOLink)
// by ts: if the timer fires first, that request is cancelled and
// completes with -ECANCELED while this one completes with -ETIME; if the
// request completes first, this one completes with -ECANCELED
// (OpLinkTimeout, 5.5; io_uring_prep_link_timeout).
func (s *SQE) PrepLinkTimeout(ts *Timespec, flags uint32) {
	s.PrepRW(OpLinkTimeout, -1, ptrAddr(ts), 1, 0)
	s.OpFlags = flags
}
