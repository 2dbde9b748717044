package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Prep methods for path-based file system operations. Paths and xattr
// names are *byte pointing at the first byte of a NUL-terminated byte
// slice that the caller keeps alive until the completion; nothing is
// copied or allocated here. dirfd may be unix.AT_FDCWD.

// PrepOpenat is openat(2); cqe.Res is the new fd (OpOpenat, 5.6;
// io_uring_prep_openat).
func (s *SQE) PrepOpenat(dirfd int32, path *byte, flags int, mode uint32) {
	s.PrepRW(OpOpenat, dirfd, ptrAddr(path), mode, 0)
	s.OpFlags = uint32(flags)
}

// PrepOpenatDirect is PrepOpenat installing the file into registered file
// slot fileIndex, or a kernel-chosen slot with FileIndexAlloc (5.19),
// returned in cqe.Res (OpOpenat, 5.15; io_uring_prep_openat_direct).
// O_CLOEXEC is not allowed in flags.
func (s *SQE) PrepOpenatDirect(dirfd int32, path *byte, flags int, mode uint32, fileIndex uint32) {
	s.PrepOpenat(dirfd, path, flags, mode)
	s.SetFileIndex(fileIndex)
}

// PrepOpenat2 is openat2(2) (OpOpenat2, 5.6; io_uring_prep_openat2).
// how must stay valid until the completion.
func (s *SQE) PrepOpenat2(dirfd int32, path *byte, how *OpenHow) {
	s.PrepRW(OpOpenat2, dirfd, ptrAddr(path), uint32(unsafe.Sizeof(OpenHow{})), uint64(ptrAddr(how)))
}

// PrepOpenat2Direct is PrepOpenat2 into registered file slot fileIndex,
// or a kernel-chosen slot with FileIndexAlloc (OpOpenat2, 5.15;
// io_uring_prep_openat2_direct).
func (s *SQE) PrepOpenat2Direct(dirfd int32, path *byte, how *OpenHow, fileIndex uint32) {
	s.PrepOpenat2(dirfd, path, how)
	s.SetFileIndex(fileIndex)
}

// PrepStatx is statx(2) into stat (OpStatx, 5.6; io_uring_prep_statx).
// flags are unix.AT_*, mask unix.STATX_*.
func (s *SQE) PrepStatx(dirfd int32, path *byte, flags int, mask uint32, stat *unix.Statx_t) {
	s.PrepRW(OpStatx, dirfd, ptrAddr(path), mask, uint64(ptrAddr(stat)))
	s.OpFlags = uint32(flags)
}

// PrepRenameat is renameat2(2); flags are unix.RENAME_* (OpRenameat,
// 5.11; io_uring_prep_renameat).
func (s *SQE) PrepRenameat(oldDirfd int32, oldPath *byte, newDirfd int32, newPath *byte, flags uint32) {
	s.PrepRW(OpRenameat, oldDirfd, ptrAddr(oldPath), uint32(newDirfd), uint64(ptrAddr(newPath)))
	s.OpFlags = flags
}

// PrepUnlinkat is unlinkat(2); flags unix.AT_REMOVEDIR removes a
// directory (OpUnlinkat, 5.11; io_uring_prep_unlinkat).
func (s *SQE) PrepUnlinkat(dirfd int32, path *byte, flags int) {
	s.PrepRW(OpUnlinkat, dirfd, ptrAddr(path), 0, 0)
	s.OpFlags = uint32(flags)
}

// PrepMkdirat is mkdirat(2) (OpMkdirat, 5.15; io_uring_prep_mkdirat).
func (s *SQE) PrepMkdirat(dirfd int32, path *byte, mode uint32) {
	s.PrepRW(OpMkdirat, dirfd, ptrAddr(path), mode, 0)
}

// PrepSymlinkat is symlinkat(2): linkPath, relative to newDirfd, becomes
// a symbolic link to target (OpSymlinkat, 5.15; io_uring_prep_symlinkat).
func (s *SQE) PrepSymlinkat(target *byte, newDirfd int32, linkPath *byte) {
	s.PrepRW(OpSymlinkat, newDirfd, ptrAddr(target), 0, uint64(ptrAddr(linkPath)))
}

// PrepLinkat is linkat(2); flags may be unix.AT_SYMLINK_FOLLOW
// (OpLinkat, 5.15; io_uring_prep_linkat).
func (s *SQE) PrepLinkat(oldDirfd int32, oldPath *byte, newDirfd int32, newPath *byte, flags int) {
	s.PrepRW(OpLinkat, oldDirfd, ptrAddr(oldPath), uint32(newDirfd), uint64(ptrAddr(newPath)))
	s.OpFlags = uint32(flags)
}

// PrepGetxattr is getxattr(2) of attribute name on path into value;
// cqe.Res is the attribute's size (OpGetxattr, 5.19;
// io_uring_prep_getxattr).
func (s *SQE) PrepGetxattr(name *byte, value []byte, path *byte) {
	s.PrepRW(OpGetxattr, 0, ptrAddr(name), uint32(len(value)), uint64(bufAddr(value)))
	s.Addr3 = uint64(ptrAddr(path))
}

// PrepSetxattr is setxattr(2) of attribute name on path to value; flags
// are unix.XATTR_CREATE or unix.XATTR_REPLACE (OpSetxattr, 5.19;
// io_uring_prep_setxattr).
func (s *SQE) PrepSetxattr(name *byte, value []byte, path *byte, flags int) {
	s.PrepRW(OpSetxattr, 0, ptrAddr(name), uint32(len(value)), uint64(bufAddr(value)))
	s.Addr3 = uint64(ptrAddr(path))
	s.OpFlags = uint32(flags)
}

// PrepFgetxattr is fgetxattr(2) (OpFgetxattr, 5.19;
// io_uring_prep_fgetxattr).
func (s *SQE) PrepFgetxattr(fd int32, name *byte, value []byte) {
	s.PrepRW(OpFgetxattr, fd, ptrAddr(name), uint32(len(value)), uint64(bufAddr(value)))
}

// PrepFsetxattr is fsetxattr(2) (OpFsetxattr, 5.19;
// io_uring_prep_fsetxattr).
func (s *SQE) PrepFsetxattr(fd int32, name *byte, value []byte, flags int) {
	s.PrepRW(OpFsetxattr, fd, ptrAddr(name), uint32(len(value)), uint64(bufAddr(value)))
	s.OpFlags = uint32(flags)
}
