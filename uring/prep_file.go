package uring

import "golang.org/x/sys/unix"

// Prep methods for file I/O, synchronisation, pipes and the file table.
// See prep.go for the rules on the memory they reference.

// PrepRead reads len(buf) bytes from fd at offset into buf (OpRead, 5.6;
// io_uring_prep_read). offset ^uint64(0) (-1) reads at, and advances, the
// file position. An empty buf reads zero bytes.
func (s *SQE) PrepRead(fd int32, buf []byte, offset uint64) {
	s.PrepRW(OpRead, fd, bufAddr(buf), uint32(len(buf)), offset)
}

// PrepWrite writes buf to fd at offset (OpWrite, 5.6;
// io_uring_prep_write). offset ^uint64(0) (-1) writes at, and advances,
// the file position.
func (s *SQE) PrepWrite(fd int32, buf []byte, offset uint64) {
	s.PrepRW(OpWrite, fd, bufAddr(buf), uint32(len(buf)), offset)
}

// PrepReadv reads into iovecs from fd at offset (OpReadv, 5.1;
// io_uring_prep_readv). The iovec array and the buffers it points to
// must stay valid until the completion.
func (s *SQE) PrepReadv(fd int32, iovecs []unix.Iovec, offset uint64) {
	s.PrepRW(OpReadv, fd, sliceAddr(iovecs), uint32(len(iovecs)), offset)
}

// PrepReadv2 is PrepReadv with preadv2(2) flags (unix.RWF_*) (OpReadv,
// 5.1; io_uring_prep_readv2).
func (s *SQE) PrepReadv2(fd int32, iovecs []unix.Iovec, offset uint64, flags int) {
	s.PrepReadv(fd, iovecs, offset)
	s.OpFlags = uint32(flags)
}

// PrepWritev writes iovecs to fd at offset (OpWritev, 5.1;
// io_uring_prep_writev).
func (s *SQE) PrepWritev(fd int32, iovecs []unix.Iovec, offset uint64) {
	s.PrepRW(OpWritev, fd, sliceAddr(iovecs), uint32(len(iovecs)), offset)
}

// PrepWritev2 is PrepWritev with pwritev2(2) flags (unix.RWF_*) (OpWritev,
// 5.1; io_uring_prep_writev2).
func (s *SQE) PrepWritev2(fd int32, iovecs []unix.Iovec, offset uint64, flags int) {
	s.PrepWritev(fd, iovecs, offset)
	s.OpFlags = uint32(flags)
}

// PrepReadFixed reads into buf, which must lie inside registered buffer
// bufIndex, from fd at offset (OpReadFixed, 5.1; io_uring_prep_read_fixed).
func (s *SQE) PrepReadFixed(fd int32, buf []byte, offset uint64, bufIndex uint16) {
	s.PrepRW(OpReadFixed, fd, bufAddr(buf), uint32(len(buf)), offset)
	s.BufIndex = bufIndex
}

// PrepWriteFixed writes buf, which must lie inside registered buffer
// bufIndex, to fd at offset (OpWriteFixed, 5.1;
// io_uring_prep_write_fixed).
func (s *SQE) PrepWriteFixed(fd int32, buf []byte, offset uint64, bufIndex uint16) {
	s.PrepRW(OpWriteFixed, fd, bufAddr(buf), uint32(len(buf)), offset)
	s.BufIndex = bufIndex
}

// PrepReadvFixed is a vectored read whose iovecs all point into
// registered buffer bufIndex (OpReadvFixed, 6.15;
// io_uring_prep_readv_fixed). flags are preadv2(2) flags.
func (s *SQE) PrepReadvFixed(fd int32, iovecs []unix.Iovec, offset uint64, flags int, bufIndex uint16) {
	s.PrepRW(OpReadvFixed, fd, sliceAddr(iovecs), uint32(len(iovecs)), offset)
	s.OpFlags = uint32(flags)
	s.BufIndex = bufIndex
}

// PrepWritevFixed is a vectored write whose iovecs all point into
// registered buffer bufIndex (OpWritevFixed, 6.15;
// io_uring_prep_writev_fixed). flags are pwritev2(2) flags.
func (s *SQE) PrepWritevFixed(fd int32, iovecs []unix.Iovec, offset uint64, flags int, bufIndex uint16) {
	s.PrepRW(OpWritevFixed, fd, sliceAddr(iovecs), uint32(len(iovecs)), offset)
	s.OpFlags = uint32(flags)
	s.BufIndex = bufIndex
}

// PrepReadMultishot reads from fd repeatedly, each time into a buffer
// picked from provided-buffer group bufGroup, posting a CQE with
// CQEFMore per read until an error, EOF or buffer exhaustion ends it
// (OpReadMultishot, 6.7; io_uring_prep_read_multishot). nbytes 0 means
// "the whole provided buffer". fd must be pollable (pipe, socket,
// eventfd …). It adds SQEBufferSelect to the SQE flags (so call SetFlags,
// which replaces them, before it, or add flags with s.Flags |= …).
func (s *SQE) PrepReadMultishot(fd int32, nbytes uint32, offset uint64, bufGroup uint16) {
	s.PrepRW(OpReadMultishot, fd, 0, nbytes, offset)
	s.BufIndex = bufGroup
	s.Flags |= SQEBufferSelect
}

// PrepFsync flushes fd to storage; flags FsyncDatasync gives fdatasync
// semantics (OpFsync, 5.1; io_uring_prep_fsync).
func (s *SQE) PrepFsync(fd int32, flags uint32) {
	s.PrepRW(OpFsync, fd, 0, 0, 0)
	s.OpFlags = flags
}

// PrepSyncFileRange is sync_file_range(2) on length bytes at offset
// (OpSyncFileRange, 5.2; io_uring_prep_sync_file_range). flags are
// unix.SYNC_FILE_RANGE_*.
func (s *SQE) PrepSyncFileRange(fd int32, length uint32, offset uint64, flags int) {
	s.PrepRW(OpSyncFileRange, fd, 0, length, offset)
	s.OpFlags = uint32(flags)
}

// PrepFallocate is fallocate(2) (OpFallocate, 5.6;
// io_uring_prep_fallocate). mode is unix.FALLOC_FL_* or 0.
func (s *SQE) PrepFallocate(fd int32, mode int, offset, length uint64) {
	s.PrepRW(OpFallocate, fd, 0, uint32(mode), offset)
	s.Addr = length
}

// PrepFadvise is posix_fadvise(2) with a 32-bit length (OpFadvise, 5.6;
// io_uring_prep_fadvise). advice is unix.FADV_*.
func (s *SQE) PrepFadvise(fd int32, offset uint64, length uint32, advice int) {
	s.PrepRW(OpFadvise, fd, 0, length, offset)
	s.OpFlags = uint32(advice)
}

// PrepFadvise64 is PrepFadvise with a 64-bit length (OpFadvise; the
// 64-bit length needs 6.11, older kernels see length 0, "to the end of
// the file"; io_uring_prep_fadvise64).
func (s *SQE) PrepFadvise64(fd int32, offset uint64, length uint64, advice int) {
	s.PrepRW(OpFadvise, fd, 0, 0, offset)
	s.Addr = length
	s.OpFlags = uint32(advice)
}

// PrepMadvise is madvise(2) on mem, at most 4 GiB of it (OpMadvise, 5.6;
// io_uring_prep_madvise). advice is unix.MADV_*.
func (s *SQE) PrepMadvise(mem []byte, advice int) {
	s.PrepRW(OpMadvise, -1, bufAddr(mem), uint32(len(mem)), 0)
	s.OpFlags = uint32(advice)
}

// PrepMadvise64 is PrepMadvise with a 64-bit length (OpMadvise; the
// 64-bit length needs 6.11; io_uring_prep_madvise64).
func (s *SQE) PrepMadvise64(mem []byte, advice int) {
	s.PrepRW(OpMadvise, -1, bufAddr(mem), 0, uint64(len(mem)))
	s.OpFlags = uint32(advice)
}

// PrepFtruncate truncates fd to length bytes (OpFtruncate, 6.9;
// io_uring_prep_ftruncate).
func (s *SQE) PrepFtruncate(fd int32, length int64) {
	s.PrepRW(OpFtruncate, fd, 0, 0, uint64(length))
}

// PrepSplice moves nbytes from fdIn to fdOut, one of which must be a
// pipe (OpSplice, 5.7; io_uring_prep_splice). An offset of -1 means "use
// and advance the file position" and is required for the pipe side.
// spliceFlags are unix.SPLICE_F_* plus SpliceFFdInFixed when fdIn is a
// fixed-file index (SQEFixedFile applies to fdOut only).
func (s *SQE) PrepSplice(fdIn int32, offIn int64, fdOut int32, offOut int64, nbytes uint32, spliceFlags uint32) {
	s.PrepRW(OpSplice, fdOut, 0, nbytes, uint64(offOut))
	s.Addr = uint64(offIn)
	s.SpliceFdIn = fdIn
	s.OpFlags = spliceFlags
}

// PrepTee duplicates nbytes from pipe fdIn into pipe fdOut without
// consuming them (OpTee, 5.8; io_uring_prep_tee). spliceFlags as for
// PrepSplice.
func (s *SQE) PrepTee(fdIn, fdOut int32, nbytes uint32, spliceFlags uint32) {
	s.PrepRW(OpTee, fdOut, 0, nbytes, 0)
	s.SpliceFdIn = fdIn
	s.OpFlags = spliceFlags
}

// PrepPipe creates a pipe and stores its read and write ends in fds
// (OpPipe, 6.16; io_uring_prep_pipe). pipeFlags are pipe2(2) flags
// (unix.O_CLOEXEC, unix.O_NONBLOCK, unix.O_DIRECT).
func (s *SQE) PrepPipe(fds *[2]int32, pipeFlags int) {
	s.PrepRW(OpPipe, 0, ptrAddr(fds), 0, 0)
	s.OpFlags = uint32(pipeFlags)
}

// PrepPipeDirect is PrepPipe installing both ends into the registered
// file table starting at slot fileIndex, or at kernel-chosen slots with
// FileIndexAlloc; fds receives the slot numbers (OpPipe, 6.16;
// io_uring_prep_pipe_direct).
func (s *SQE) PrepPipeDirect(fds *[2]int32, pipeFlags int, fileIndex uint32) {
	s.PrepPipe(fds, pipeFlags)
	s.SetFileIndex(fileIndex)
}

// PrepFilesUpdate replaces registered-file slots offset… with fds
// (unix file descriptors, -1 to clear a slot, -2 to skip one)
// asynchronously (OpFilesUpdate, 5.6; io_uring_prep_files_update). With
// offset FileIndexAlloc the kernel picks free slots and writes them back
// into fds. cqe.Res is the number of slots updated.
func (s *SQE) PrepFilesUpdate(fds []int32, offset uint32) {
	s.PrepRW(OpFilesUpdate, -1, sliceAddr(fds), uint32(len(fds)), uint64(offset))
}

// PrepFixedFdInstall installs registered file slot index into the
// process file table and returns the new fd in cqe.Res (OpFixedFdInstall,
// 6.8; io_uring_prep_fixed_fd_install). The new fd is O_CLOEXEC unless
// flags has FixedFdNoCloexec. It adds SQEFixedFile to the SQE flags (so
// call SetFlags, which replaces them, before it).
func (s *SQE) PrepFixedFdInstall(index int32, flags uint32) {
	s.PrepRW(OpFixedFdInstall, index, 0, 0, 0)
	s.Flags |= SQEFixedFile
	s.OpFlags = flags
}

// PrepClose closes fd (OpClose, 5.6; io_uring_prep_close).
func (s *SQE) PrepClose(fd int32) {
	s.PrepRW(OpClose, fd, 0, 0, 0)
}

// PrepCloseDirect empties slot fileIndex of the registered file table
// (OpClose, 5.15; io_uring_prep_close_direct).
func (s *SQE) PrepCloseDirect(fileIndex uint32) {
	s.PrepClose(0)
	s.SetFileIndex(fileIndex)
}
