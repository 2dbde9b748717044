package uring

import (
	"golang.org/x/sys/cpu"
	"golang.org/x/sys/unix"
)

// Prep methods for readiness polling and epoll.

// pollMaskFor encodes poll events for sqe->poll32_events, which big-endian
// kernels read with its 16-bit halves swapped (liburing's
// __io_uring_prep_poll_mask).
func pollMaskFor(events uint32) uint32 {
	if cpu.IsBigEndian {
		return events<<16 | events>>16
	}
	return events
}

// PrepPollAdd waits once for any of the poll events in pollMask
// (unix.POLLIN, POLLOUT, …) on fd; cqe.Res is the ready mask (OpPollAdd,
// 5.1; io_uring_prep_poll_add).
func (s *SQE) PrepPollAdd(fd int32, pollMask uint32) {
	s.PrepRW(OpPollAdd, fd, 0, 0, 0)
	s.OpFlags = pollMaskFor(pollMask)
}

// PrepPollMultishot is PrepPollAdd that stays armed, posting one CQE with
// CQEFMore per readiness change until removed or failed (OpPollAdd with
// PollAddMulti, 5.13; io_uring_prep_poll_multishot).
func (s *SQE) PrepPollMultishot(fd int32, pollMask uint32) {
	s.PrepPollAdd(fd, pollMask)
	s.Len = PollAddMulti
}

// PrepPollRemove removes the poll request submitted with user data
// userData; that request completes with -ECANCELED (OpPollRemove, 5.1;
// io_uring_prep_poll_remove).
func (s *SQE) PrepPollRemove(userData uint64) {
	s.PrepRW(OpPollRemove, -1, 0, 0, 0)
	s.Addr = userData
}

// PrepPollUpdate changes the poll request with user data oldUserData:
// its events to pollMask with flags PollUpdateEvents, its user data to
// newUserData with PollUpdateUserData, and it may add PollAddMulti
// (OpPollRemove, 5.13; io_uring_prep_poll_update).
func (s *SQE) PrepPollUpdate(oldUserData, newUserData uint64, pollMask uint32, flags uint32) {
	s.PrepRW(OpPollRemove, -1, 0, flags, newUserData)
	s.Addr = oldUserData
	s.OpFlags = pollMaskFor(pollMask)
}

// PrepEpollCtl is epoll_ctl(2) on epoll instance epfd (OpEpollCtl, 5.6;
// io_uring_prep_epoll_ctl). op is unix.EPOLL_CTL_*; ev may be nil for
// EPOLL_CTL_DEL.
func (s *SQE) PrepEpollCtl(epfd int32, fd int32, op int, ev *unix.EpollEvent) {
	s.PrepRW(OpEpollCtl, epfd, ptrAddr(ev), uint32(op), uint64(uint32(fd)))
}

// PrepEpollWait is epoll_wait(2) on epoll instance fd into events;
// cqe.Res is the number of events filled in. flags must be 0 (OpEpollWait,
// 6.15; io_uring_prep_epoll_wait).
func (s *SQE) PrepEpollWait(fd int32, events []unix.EpollEvent, flags uint32) {
	s.PrepRW(OpEpollWait, fd, sliceAddr(events), uint32(len(events)), 0)
	s.OpFlags = flags
}
