package uring

import "unsafe"

// Prep methods
//
// Every opcode has a Prep method on *SQE that fills an entry returned by
// (*Ring).GetSQE, mirroring liburing's io_uring_prep_* helpers field for
// field. They all build on PrepRW and only write the fields their opcode
// uses: GetSQE hands out a zeroed entry, so an SQE must not be reused for
// a second Prep without clearing it first. Set the common fields
// (flags, user data, buffer group, personality) with the Set* helpers or
// directly, before or after the Prep call.
//
// Memory lifetime. A Prep method stores only the address of the memory it
// is given (buffers, iovec arrays, paths, sockaddrs, timespecs, msghdrs,
// statx and epoll buffers, futexes, …), never a Go pointer the garbage
// collector can see, and it never allocates. The kernel reads or writes
// that memory at some point between Submit and the request's final
// completion (the last CQE, the one without CQEFMore; for zero-copy sends
// the notification CQE). Until then the memory must stay alive and must
// not move: keep a reference (runtime.KeepAlive after the final CQE) and
// use memory the runtime never moves, that is heap memory (escaped
// allocations, which Go does not move), pinned with runtime.Pinner, or
// mmap'ed. Goroutine stacks do move, so never hand the kernel the address
// of a local variable that stays on the stack. Paths are NUL-terminated
// byte slices passed as a pointer to their first byte
// (&append([]byte(name), 0)[0], or unix.BytePtrFromString). Empty slices
// are passed to the kernel as address 0.

// PrepRW fills the fields every opcode shares: the opcode, the file
// descriptor (or fixed-file index with SQEFixedFile), the address, the
// length and the offset. All other Prep methods are built on it; use it
// directly for opcodes or field combinations they do not cover (the
// SQE layout dates from 5.1). It mirrors liburing's io_uring_prep_rw.
func (s *SQE) PrepRW(op Op, fd int32, addr uintptr, length uint32, offset uint64) {
	s.Opcode = uint8(op)
	s.Fd = fd
	s.Off = offset
	s.Addr = uint64(addr)
	s.Len = length
}

// SetFlags sets the SQE flags (SQEFixedFile, SQEIODrain, SQEIOLink,
// SQEIOHardlink, SQEAsync, SQEBufferSelect, SQECQESkipSuccess),
// replacing any already set. It mirrors io_uring_sqe_set_flags.
func (s *SQE) SetFlags(flags uint8) { s.Flags = flags }

// SetUserData sets the value returned untouched in the request's CQEs.
// It mirrors io_uring_sqe_set_data64.
func (s *SQE) SetUserData(data uint64) { s.UserData = data }

// SetBufGroup sets the provided-buffer group to select from (with
// SQEBufferSelect). It mirrors io_uring_sqe_set_buf_group.
func (s *SQE) SetBufGroup(bgid uint16) { s.BufIndex = bgid }

// SetFileIndex makes an opcode that creates a file (openat, openat2,
// accept, socket, pipe, msg_ring fd passing) install it into slot index
// of the registered file table instead of the process's file table.
// FileIndexAlloc lets the kernel pick a free slot and return it in
// cqe.Res. The kernel field holds index+1 (0 means "not direct"); this
// method does the encoding, as liburing's __io_uring_set_target_fixed_file.
func (s *SQE) SetFileIndex(index uint32) {
	if index != FileIndexAlloc {
		index++
	}
	s.SpliceFdIn = int32(index)
}

// SetPersonality makes the request run with the credentials registered
// under id by (*Ring).RegisterPersonality (5.6).
func (s *SQE) SetPersonality(id uint16) { s.Personality = id }

// SetIOPrio sets the I/O priority (ioprio_set(2) encoding) of a read or
// write. For accept, send, recv and their variants the same field holds
// per-opcode flags, which their Prep methods set: use SetIOPrio only for
// file I/O.
func (s *SQE) SetIOPrio(prio uint16) { s.IOPrio = prio }

// cmdOffset is the offset of the command area (sqe->cmd) in an SQE.
const cmdOffset = unsafe.Offsetof(SQE{}.Addr3)

// cmdSize is the size of the command area of a 128-byte SQE.
const cmdSize = 2*unsafe.Sizeof(SQE{}) - cmdOffset

// Cmd returns the 80-byte command area of a 128-byte SQE (rings set up
// with SetupSQE128, or OpUringCmd128/OpNop128 entries), which starts at
// the Addr3 field and runs into the second half of the entry. It is only
// meaningful for an SQE obtained from such a ring: on a ring of 64-byte
// SQEs the last 64 bytes belong to the next entry. The slice aliases the
// shared ring memory and is valid until the SQE is submitted.
func (s *SQE) Cmd() []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(s), cmdOffset)), cmdSize)
}

// bufAddr returns the address of b's first byte, or 0 for an empty slice.
func bufAddr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(unsafe.SliceData(b)))
}

// ptrAddr returns the address p points to, or 0 for nil.
func ptrAddr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// sliceAddr returns the address of the first element of s, or 0 when s is
// empty.
func sliceAddr[T any](s []T) uintptr {
	if len(s) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(unsafe.SliceData(s)))
}
