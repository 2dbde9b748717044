package uring

import (
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Register calls
//
// Each method below wraps one io_uring_register(2) opcode, as liburing's
// io_uring_register_* functions do, and names the kernel release that
// introduced it. Errors are *os.SyscallError values wrapping the errno
// ("io_uring_register"), so errors.Is(err, syscall.EINVAL) and friends
// work; an opcode the running kernel does not know fails with EINVAL.
//
// Argument memory. The kernel reads (and for some opcodes writes back)
// the argument during the call. Every argument block built here is a heap
// object pinned with runtime.Pinner for the duration of the call, never a
// stack variable: goroutine stacks move, and a stale address would make
// the kernel read or write whatever lives there afterwards. Callers pass
// ordinary Go values; the methods copy them into such blocks and copy the
// kernel's answers back.

// doRegister issues one register call on r. When the ring fd has been
// registered (RegisterRingFd) and the kernel has FeatRegRegRing, the call
// goes through the registered index with RegisterOpUseRegisteredRing, as
// liburing's do_register does; otherwise through the ring fd. Errors
// are wrapped as *os.SyscallError("io_uring_register").
func (r *Ring) doRegister(op RegisterOp, arg unsafe.Pointer, n uint32) (int, error) {
	if r.fd < 0 {
		return 0, ErrClosed
	}
	fd := r.fd
	// Kernels before 6.3 (no FeatRegRegRing) accept a registered ring
	// index for io_uring_enter only, not here; liburing checks the same.
	if r.registerUseRing != 0 && r.features&FeatRegRegRing != 0 {
		fd = r.enterFd
		op |= RegisterOpUseRegisteredRing
	}
	ret, err := register(fd, op, arg, n)
	if err != nil {
		return ret, os.NewSyscallError("io_uring_register", err)
	}
	return ret, nil
}

// registerArg issues a register call whose argument is the single heap
// block *arg: arg is pinned (which also forces it to the heap) until the
// call returns.
// Register makes a raw io_uring_register(2) call on the ring with opcode
// op (RegisterOp*; the registered-ring flag is added when the ring fd is
// registered) and returns the kernel's result: the way to reach register
// opcodes with no wrapper here (QUERY, ZCRX_IFQ, …), like liburing's
// io_uring_register. arg must point to memory that is not on a goroutine
// stack and stays put during the call (heap memory pinned with
// runtime.Pinner, or mmap'ed memory).
func (r *Ring) Register(op RegisterOp, arg unsafe.Pointer, nrArgs uint32) (int, error) {
	return r.doRegister(op, arg, nrArgs)
}

func registerArg[T any](r *Ring, op RegisterOp, arg *T, n uint32) (int, error) {
	var pin runtime.Pinner
	pin.Pin(arg)
	defer pin.Unpin()
	return r.doRegister(op, unsafe.Pointer(arg), n)
}

// regHeapSlice copies s into a new pinned heap array and returns it with the
// address of its first element (nil for an empty s). Unpin pin after the
// call that uses the address.
func regHeapSlice[T any](pin *runtime.Pinner, s []T) ([]T, unsafe.Pointer) {
	if len(s) == 0 {
		return nil, nil
	}
	c := make([]T, len(s))
	copy(c, s)
	pin.Pin(&c[0])
	return c, unsafe.Pointer(&c[0])
}

// regIovecs builds a pinned heap array of iovecs describing bufs. An empty
// buffer becomes {nil, 0}, which the kernel accepts as an empty slot.
func regIovecs(pin *runtime.Pinner, bufs [][]byte) ([]unix.Iovec, unsafe.Pointer) {
	if len(bufs) == 0 {
		return nil, nil
	}
	iov := make([]unix.Iovec, len(bufs))
	for i, b := range bufs {
		if len(b) > 0 {
			iov[i].Base = unsafe.SliceData(b)
			iov[i].SetLen(len(b))
		}
	}
	pin.Pin(&iov[0])
	return iov, unsafe.Pointer(&iov[0])
}

// ---- Registered buffers ----

// RegisterBuffers registers bufs as fixed buffers 0..len(bufs)-1 for
// PrepReadFixed, PrepWriteFixed and the other *Fixed opcodes
// (IORING_REGISTER_BUFFERS, 5.1).
//
// The kernel pins the buffers' pages until UnregisterBuffers (or ring
// close), but it does not keep the Go slices alive: the caller must keep
// every buffer reachable, and must not reuse its memory for anything else,
// until the buffers are unregistered. Buffers should come from the heap
// or from mmap; each may be at most 1 GiB.
//
// Kernels before 5.12 (without per-cgroup pinned memory accounting)
// charge registered buffers against RLIMIT_MEMLOCK and fail with ENOMEM
// when it is exceeded. The error wraps syscall.ENOMEM, so callers can
// test errors.Is(err, syscall.ENOMEM) and fall back to unregistered I/O.
func (r *Ring) RegisterBuffers(bufs [][]byte) error {
	var pin runtime.Pinner
	defer pin.Unpin()
	iov, p := regIovecs(&pin, bufs)
	_, err := r.doRegister(RegisterOpBuffers, p, uint32(len(iov)))
	runtime.KeepAlive(iov)
	return err
}

// RegisterBuffersTags is RegisterBuffers with a tag per buffer
// (IORING_REGISTER_BUFFERS2, 5.13). When a buffer with a non-zero tag is
// later replaced or unregistered, the kernel posts a CQE with UserData
// set to the tag once no request uses it any more: only then may its
// memory be reused. tags must be empty or as long as bufs. The
// ownership and ENOMEM notes of RegisterBuffers apply.
func (r *Ring) RegisterBuffersTags(bufs [][]byte, tags []uint64) error {
	if len(tags) != 0 && len(tags) != len(bufs) {
		return os.NewSyscallError("io_uring_register", syscall.EINVAL)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	iov, p := regIovecs(&pin, bufs)
	tc, tp := regHeapSlice(&pin, tags)
	reg := &RsrcRegister{Nr: uint32(len(bufs)), Data: uint64(uintptr(p)), Tags: uint64(uintptr(tp))}
	_, err := registerArg(r, RegisterOpBuffers2, reg, uint32(unsafe.Sizeof(*reg)))
	runtime.KeepAlive(iov)
	runtime.KeepAlive(tc)
	return err
}

// RegisterBuffersSparse registers a table of n empty fixed-buffer slots
// (IORING_REGISTER_BUFFERS2 with IORING_RSRC_REGISTER_SPARSE, 5.19), to
// be filled later with RegisterBuffersUpdateTag or CloneBuffers.
func (r *Ring) RegisterBuffersSparse(n uint32) error {
	reg := &RsrcRegister{Nr: n, Flags: RsrcRegisterSparse}
	_, err := registerArg(r, RegisterOpBuffers2, reg, uint32(unsafe.Sizeof(*reg)))
	return err
}

// RegisterBuffersUpdateTag replaces the fixed buffers at slots
// off..off+len(bufs)-1 (IORING_REGISTER_BUFFERS_UPDATE, 5.13). An empty
// buffer clears its slot. tags is empty or as long as bufs; see
// RegisterBuffersTags. It returns the number of slots updated. The
// ownership notes of RegisterBuffers apply to the new buffers, and a
// replaced buffer stays in use by requests already issued with it.
func (r *Ring) RegisterBuffersUpdateTag(off uint32, bufs [][]byte, tags []uint64) (int, error) {
	if len(tags) != 0 && len(tags) != len(bufs) {
		return 0, os.NewSyscallError("io_uring_register", syscall.EINVAL)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	iov, p := regIovecs(&pin, bufs)
	tc, tp := regHeapSlice(&pin, tags)
	up := &RsrcUpdate2{Offset: off, Data: uint64(uintptr(p)), Tags: uint64(uintptr(tp)), Nr: uint32(len(bufs))}
	n, err := registerArg(r, RegisterOpBuffersUpdate, up, uint32(unsafe.Sizeof(*up)))
	runtime.KeepAlive(iov)
	runtime.KeepAlive(tc)
	return n, err
}

// UnregisterBuffers drops the whole fixed-buffer table
// (IORING_UNREGISTER_BUFFERS, 5.1). Requests in flight keep their buffer
// until they complete; after that the memory is the caller's again.
func (r *Ring) UnregisterBuffers() error {
	_, err := r.doRegister(RegisterOpUnregisterBuffers, nil, 0)
	return err
}

// CloneBuffers copies src's whole fixed-buffer table into r, which must
// have none (IORING_REGISTER_CLONE_BUFFERS, 6.12). Both rings then share
// the same pinned pages; the caller keeps the memory alive until both
// have unregistered them.
func (r *Ring) CloneBuffers(src *Ring) error {
	return r.CloneBuffersOffset(src, 0, 0, 0, 0)
}

// CloneBuffersOffset copies nr fixed buffers starting at src slot srcOff
// into r starting at slot dstOff (IORING_REGISTER_CLONE_BUFFERS with
// offsets, 6.13). nr 0 means all of them. flags may hold
// CloneDstReplace to replace an existing table in r. The source ring is
// always named by its real fd (never its per-thread registered index),
// so CloneSrcRegistered is ignored.
func (r *Ring) CloneBuffersOffset(src *Ring, dstOff, srcOff, nr, flags uint32) error {
	if src == nil || src.fd < 0 {
		return ErrClosed
	}
	cb := &CloneBuffers{
		SrcFd:  uint32(src.fd),
		Flags:  flags &^ CloneSrcRegistered,
		SrcOff: srcOff,
		DstOff: dstOff,
		Nr:     nr,
	}
	_, err := registerArg(r, RegisterOpCloneBuffers, cb, 1)
	return err
}

// ---- Registered files ----

// fileTableMargin is how many descriptors SizeFileTable leaves below the
// RLIMIT_NOFILE soft limit.
const fileTableMargin = 64

// maxFixedFiles is the kernel's cap on the registered-file table
// (IORING_MAX_FIXED_FILES, 1<<20 since 5.15; 1<<15 before).
const maxFixedFiles = 1 << 20

// SizeFileTable returns how many registered-file slots to ask for when
// want are desired: want capped at the soft RLIMIT_NOFILE minus a small
// margin, and at the kernel's table maximum. The kernel refuses a table
// larger than RLIMIT_NOFILE with EMFILE, so asking for a fixed 65,535
// slots fails under a 20,000 limit; size the table with this instead.
// When the limit cannot be read, want is returned capped at 1,024.
func SizeFileTable(want uint32) uint32 {
	want = min(want, maxFixedFiles)
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return min(want, 1024)
	}
	if rl.Cur == unix.RLIM_INFINITY || rl.Cur >= maxFixedFiles+fileTableMargin {
		return want
	}
	limit := uint32(rl.Cur)
	if limit > 2*fileTableMargin {
		limit -= fileTableMargin
	} else {
		limit /= 2
	}
	return min(want, max(limit, 1))
}

// RegisterFiles registers fds as fixed files 0..len(fds)-1, for use with
// SQEFixedFile (IORING_REGISTER_FILES, 5.1). An entry of -1 leaves its
// slot empty. The table holds its own references: the caller may close
// the original descriptors. The kernel refuses more slots than
// RLIMIT_NOFILE (EMFILE); see SizeFileTable.
func (r *Ring) RegisterFiles(fds []int32) error {
	var pin runtime.Pinner
	defer pin.Unpin()
	c, p := regHeapSlice(&pin, fds)
	_, err := r.doRegister(RegisterOpFiles, p, uint32(len(c)))
	runtime.KeepAlive(c)
	return err
}

// RegisterFilesTags is RegisterFiles with a tag per slot
// (IORING_REGISTER_FILES2, 5.13): when a file with a non-zero tag leaves
// the table, a CQE with UserData set to the tag is posted. tags must be
// empty or as long as fds.
func (r *Ring) RegisterFilesTags(fds []int32, tags []uint64) error {
	if len(tags) != 0 && len(tags) != len(fds) {
		return os.NewSyscallError("io_uring_register", syscall.EINVAL)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	c, p := regHeapSlice(&pin, fds)
	tc, tp := regHeapSlice(&pin, tags)
	reg := &RsrcRegister{Nr: uint32(len(fds)), Data: uint64(uintptr(p)), Tags: uint64(uintptr(tp))}
	_, err := registerArg(r, RegisterOpFiles2, reg, uint32(unsafe.Sizeof(*reg)))
	runtime.KeepAlive(c)
	runtime.KeepAlive(tc)
	return err
}

// RegisterFilesSparse registers a table of n empty fixed-file slots
// (IORING_REGISTER_FILES2 with IORING_RSRC_REGISTER_SPARSE, 5.19), for
// direct descriptors created by accept, socket, openat and friends
// (SetFileIndex) or filled by RegisterFilesUpdate. Size it with
// SizeFileTable: n above RLIMIT_NOFILE fails with EMFILE.
func (r *Ring) RegisterFilesSparse(n uint32) error {
	reg := &RsrcRegister{Nr: n, Flags: RsrcRegisterSparse}
	_, err := registerArg(r, RegisterOpFiles2, reg, uint32(unsafe.Sizeof(*reg)))
	return err
}

// RegisterFilesUpdate replaces the fixed files at slots
// off..off+len(fds)-1 (IORING_REGISTER_FILES_UPDATE, 5.5). -1 clears a
// slot and FilesSkip (-2) leaves it unchanged. It returns the number of
// slots updated.
func (r *Ring) RegisterFilesUpdate(off uint32, fds []int32) (int, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	c, p := regHeapSlice(&pin, fds)
	up := &RsrcUpdate{Offset: off, Data: uint64(uintptr(p))}
	n, err := registerArg(r, RegisterOpFilesUpdate, up, uint32(len(c)))
	runtime.KeepAlive(c)
	return n, err
}

// RegisterFilesUpdateTag is RegisterFilesUpdate with a tag per slot
// (IORING_REGISTER_FILES_UPDATE2, 5.13); see RegisterFilesTags.
func (r *Ring) RegisterFilesUpdateTag(off uint32, fds []int32, tags []uint64) (int, error) {
	if len(tags) != 0 && len(tags) != len(fds) {
		return 0, os.NewSyscallError("io_uring_register", syscall.EINVAL)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	c, p := regHeapSlice(&pin, fds)
	tc, tp := regHeapSlice(&pin, tags)
	up := &RsrcUpdate2{Offset: off, Data: uint64(uintptr(p)), Tags: uint64(uintptr(tp)), Nr: uint32(len(fds))}
	n, err := registerArg(r, RegisterOpFilesUpdate2, up, uint32(unsafe.Sizeof(*up)))
	runtime.KeepAlive(c)
	runtime.KeepAlive(tc)
	return n, err
}

// RegisterFileAllocRange restricts the slots the kernel picks for
// FileIndexAlloc to off..off+n-1 (IORING_REGISTER_FILE_ALLOC_RANGE,
// 6.0). The range must lie inside the registered table.
func (r *Ring) RegisterFileAllocRange(off, n uint32) error {
	rg := &FileIndexRange{Off: off, Len: n}
	_, err := registerArg(r, RegisterOpFileAllocRange, rg, 0)
	return err
}

// UnregisterFiles drops the whole fixed-file table
// (IORING_UNREGISTER_FILES, 5.1).
func (r *Ring) UnregisterFiles() error {
	_, err := r.doRegister(RegisterOpUnregisterFiles, nil, 0)
	return err
}

// ---- Eventfd ----

// RegisterEventfd makes the kernel signal the eventfd fd whenever it
// posts a CQE (IORING_REGISTER_EVENTFD, 5.1). Only one eventfd may be
// registered per ring (EBUSY otherwise). The ring holds its own reference
// to the eventfd.
func (r *Ring) RegisterEventfd(fd int) error {
	v := new(int32)
	*v = int32(fd)
	_, err := registerArg(r, RegisterOpEventfd, v, 1)
	return err
}

// RegisterEventfdAsync is RegisterEventfd, but the eventfd is only
// signalled for completions that did not finish inline at submission
// (IORING_REGISTER_EVENTFD_ASYNC, 5.6).
func (r *Ring) RegisterEventfdAsync(fd int) error {
	v := new(int32)
	*v = int32(fd)
	_, err := registerArg(r, RegisterOpEventfdAsync, v, 1)
	return err
}

// UnregisterEventfd removes the registered eventfd
// (IORING_UNREGISTER_EVENTFD, 5.1).
func (r *Ring) UnregisterEventfd() error {
	_, err := r.doRegister(RegisterOpUnregisterEventfd, nil, 0)
	return err
}

// ---- Personalities ----

// RegisterPersonality registers the calling thread's current credentials
// and returns their id, for SQE.SetPersonality
// (IORING_REGISTER_PERSONALITY, 5.6). Go threads share credentials unless
// the program changes them per thread.
func (r *Ring) RegisterPersonality() (uint16, error) {
	id, err := r.doRegister(RegisterOpPersonality, nil, 0)
	if err != nil {
		return 0, err
	}
	return uint16(id), nil
}

// UnregisterPersonality drops the credentials registered under id
// (IORING_UNREGISTER_PERSONALITY, 5.6).
func (r *Ring) UnregisterPersonality(id uint16) error {
	_, err := r.doRegister(RegisterOpUnregisterPersonality, nil, uint32(id))
	return err
}

// ---- Restrictions ----

// RegisterRestrictions installs an allow-list of register opcodes, SQE
// opcodes and SQE flags (IORING_REGISTER_RESTRICTIONS, 5.10). It is only
// accepted once, on a ring created with SetupRDisabled and not yet
// enabled; EnableRings then starts it. A request outside the list
// completes with -EACCES, a register call outside it fails with EACCES.
func (r *Ring) RegisterRestrictions(res []Restriction) error {
	var pin runtime.Pinner
	defer pin.Unpin()
	c, p := regHeapSlice(&pin, res)
	_, err := r.doRegister(RegisterOpRestrictions, p, uint32(len(c)))
	runtime.KeepAlive(c)
	return err
}

// EnableRings starts a ring created with SetupRDisabled
// (IORING_REGISTER_ENABLE_RINGS, 5.10).
func (r *Ring) EnableRings() error {
	_, err := r.doRegister(RegisterOpEnableRings, nil, 0)
	return err
}

// ---- io-wq ----

// RegisterIOWQAff sets the CPU affinity of the io-wq worker threads
// (IORING_REGISTER_IOWQ_AFF, 5.14). io-wq belongs to the submitting
// thread, not to the ring: the call acts on the io-wq of the OS thread
// that makes it (EINVAL if that thread has none yet), so make it under
// runtime.LockOSThread on the thread that submits. With SetupSQPoll it
// applies to the workers of the SQPOLL thread.
func (r *Ring) RegisterIOWQAff(cpus *unix.CPUSet) error {
	if cpus == nil {
		return os.NewSyscallError("io_uring_register", syscall.EINVAL)
	}
	set := new(unix.CPUSet)
	*set = *cpus
	_, err := registerArg(r, RegisterOpIOWQAff, set, uint32(unsafe.Sizeof(*set)))
	return err
}

// UnregisterIOWQAff restores the default io-wq affinity
// (IORING_UNREGISTER_IOWQ_AFF, 5.14).
func (r *Ring) UnregisterIOWQAff() error {
	_, err := r.doRegister(RegisterOpUnregisterIOWQAff, nil, 0)
	return err
}

// RegisterIOWQMaxWorkers sets the maximum number of io-wq workers of the
// calling OS thread's io-wq (see RegisterIOWQAff: lock the goroutine to the
// thread that submits),
// vals[0] for bounded work (regular files, block devices) and vals[1] for
// unbounded work (sockets, pipes); 0 leaves a value unchanged
// (IORING_REGISTER_IOWQ_MAX_WORKERS, 5.15). On return vals holds the
// previous limits, so passing {0, 0} reads the current ones.
func (r *Ring) RegisterIOWQMaxWorkers(vals *[2]uint32) error {
	if vals == nil {
		return os.NewSyscallError("io_uring_register", syscall.EINVAL)
	}
	v := new([2]uint32)
	*v = *vals
	_, err := registerArg(r, RegisterOpIOWQMaxWorkers, v, 2)
	if err == nil {
		*vals = *v
	}
	return err
}

// ---- Cancellation ----

// RegisterSyncCancel cancels matching requests and waits for them to
// finish (IORING_REGISTER_SYNC_CANCEL, 6.0): the synchronous form of
// PrepCancel. reg selects by UserData (Addr), Fd or Opcode with the
// AsyncCancel* flags in Flags; Timeout bounds the wait (-1/-1 for none).
// It fails with ENOENT when nothing matched, ETIME on timeout and
// EALREADY when a match was already running and could not be stopped.
func (r *Ring) RegisterSyncCancel(reg *SyncCancelReg) error {
	if reg == nil {
		return os.NewSyscallError("io_uring_register", syscall.EINVAL)
	}
	c := new(SyncCancelReg)
	*c = *reg
	// The kernel waits interruptibly and a signal (the Go runtime sends
	// them to preempt) ends the wait with EINTR; a plain retry would start
	// the relative timeout again, so each retry gets the time left.
	forever := reg.Timeout.Sec < 0 || reg.Timeout.Nsec < 0
	deadline := time.Now().Add(time.Duration(reg.Timeout.Sec)*time.Second + time.Duration(reg.Timeout.Nsec))
	var pin runtime.Pinner
	pin.Pin(c)
	defer pin.Unpin()
	for {
		if r.fd < 0 {
			return ErrClosed
		}
		fd, op := r.fd, RegisterOpSyncCancel
		if r.registerUseRing != 0 && r.features&FeatRegRegRing != 0 {
			fd, op = r.enterFd, op|RegisterOpUseRegisteredRing
		}
		_, _, errno := unix.Syscall6(sysRegister, uintptr(fd), uintptr(op), uintptr(unsafe.Pointer(c)), 1, 0, 0)
		if errno != syscall.EINTR {
			if errno != 0 {
				return os.NewSyscallError("io_uring_register", errno)
			}
			return nil
		}
		if !forever {
			left := time.Until(deadline)
			if left <= 0 {
				return os.NewSyscallError("io_uring_register", syscall.ETIME)
			}
			c.Timeout = Timespec{Sec: int64(left / time.Second), Nsec: int64(left % time.Second)}
		}
	}
}

// ---- NAPI busy polling ----

// RegisterNapi enables NAPI busy polling for the ring's network requests
// (IORING_REGISTER_NAPI, 6.9). On return napi holds the previous
// settings. Kernels built without CONFIG_NET_RX_BUSY_POLL fail with
// EINVAL.
func (r *Ring) RegisterNapi(napi *NapiReg) error {
	if napi == nil {
		return os.NewSyscallError("io_uring_register", syscall.EINVAL)
	}
	c := new(NapiReg)
	*c = *napi
	_, err := registerArg(r, RegisterOpNapi, c, 1)
	if err == nil {
		*napi = *c
	}
	return err
}

// UnregisterNapi disables NAPI busy polling
// (IORING_UNREGISTER_NAPI, 6.9). When napi is not nil it receives the
// settings that were in effect.
func (r *Ring) UnregisterNapi(napi *NapiReg) error {
	c := new(NapiReg)
	_, err := registerArg(r, RegisterOpUnregisterNapi, c, 1)
	if err == nil && napi != nil {
		*napi = *c
	}
	return err
}

// ---- Clock ----

// RegisterClock selects the clock for the ring's waits and timeouts,
// unix.CLOCK_MONOTONIC (the default) or unix.CLOCK_BOOTTIME
// (IORING_REGISTER_CLOCK, 6.12). WaitOptions.Deadline and DeadlineAfter
// use it from then on.
func (r *Ring) RegisterClock(clockID int32) error {
	c := &ClockRegister{ClockID: uint32(clockID)}
	_, err := registerArg(r, RegisterOpClock, c, 0)
	if err == nil {
		r.clock, r.clockSet = clockID, true
	}
	return err
}

// ---- Provided buffer rings ----

// RegisterPbufRing registers a provided-buffer ring described by reg
// (IORING_REGISTER_PBUF_RING, 5.19). The ring memory (RingEntries*16
// bytes, page aligned, RingEntries a power of two up to 32768) belongs to
// the caller and must stay mapped until UnregisterPbufRing; with
// PbufRingMmap the kernel allocates it instead. NewBufRing does all of
// this.
func (r *Ring) RegisterPbufRing(reg *BufReg) error {
	if reg == nil {
		return os.NewSyscallError("io_uring_register", syscall.EINVAL)
	}
	c := new(BufReg)
	*c = *reg
	_, err := registerArg(r, RegisterOpPbufRing, c, 1)
	return err
}

// UnregisterPbufRing unregisters the provided-buffer ring of group
// (IORING_UNREGISTER_PBUF_RING, 5.19).
func (r *Ring) UnregisterPbufRing(group uint16) error {
	c := &BufReg{Bgid: group}
	_, err := registerArg(r, RegisterOpUnregisterPbufRing, c, 1)
	return err
}

// BufStatus returns the kernel's head of the provided-buffer ring of
// group: the buffers between it and the tail are still available
// (IORING_REGISTER_PBUF_STATUS, 6.8).
func (r *Ring) BufStatus(group uint16) (uint16, error) {
	c := &BufStatus{BufGroup: uint32(group)}
	if _, err := registerArg(r, RegisterOpPbufStatus, c, 1); err != nil {
		return 0, err
	}
	return uint16(c.Head), nil
}

// ---- Memory regions ----

// RegisterMemRegion registers a memory region with the ring
// (IORING_REGISTER_MEM_REGION, 6.13). desc describes it: with
// MemRegionTypeUser, UserAddr and Size name caller memory (page aligned)
// that must stay mapped for the ring's lifetime; otherwise the kernel
// allocates it and fills in MmapOffset for mmap on the ring fd. flags
// may be MemRegionRegWaitArg (the region then holds registered wait
// arguments; only accepted while the ring is SetupRDisabled). On success
// desc holds the kernel's answer. Only one region per ring is allowed.
func (r *Ring) RegisterMemRegion(desc *RegionDesc, flags uint64) error {
	if desc == nil {
		return os.NewSyscallError("io_uring_register", syscall.EINVAL)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	d := new(RegionDesc)
	*d = *desc
	pin.Pin(d)
	reg := &MemRegionReg{RegionUptr: uint64(uintptr(unsafe.Pointer(d))), Flags: flags}
	_, err := registerArg(r, RegisterOpMemRegion, reg, 1)
	runtime.KeepAlive(d)
	if err == nil {
		*desc = *d
	}
	return err
}

// ---- Resizing ----

// ResizeRings resizes the SQ and CQ rings in place
// (IORING_REGISTER_RESIZE_RINGS, 6.13). p.SQEntries and p.CQEntries give
// the new sizes; p.Flags may hold SetupCQSize (use p.CQEntries, else twice
// the SQ size) and SetupClamp; all other fields must be zero. The kernel
// only resizes rings created with SetupDeferTaskrun (EINVAL otherwise),
// so the call must come from the ring's issuing thread, and it refuses
// while the CQ has overflowed entries. Requests and completions pending
// at the time are carried over.
//
// SQEs obtained with GetSQE and not yet submitted are published to the
// kernel first, so that the kernel copies them into the new ring; the
// next Submit hands them over. After the kernel switches rings the new
// ones are mapped and the old mappings released, as liburing's
// io_uring_resize_rings does; *SQE and *CQE pointers obtained before the
// call are invalid afterwards. Rings set up with SetupNoMmap are refused
// with EINVAL, as in liburing. On success p receives the kernel's answer.
//
// The kernel keeps using an SQ index array (unless SetupNoSQArray) but,
// up to at least 6.18, does not report its new offset (sq_off.array comes
// back 0; liburing then writes its index map over the ring header unless
// the ring has SetupNoSQArray, which liburing sets by default). The
// offset is recomputed here the way the kernel lays the ring out (after
// the CQEs, aligned to the cache line), after checking that this layout
// rule reproduces the current ring's offset; when it does not, the resize
// is refused with EOPNOTSUPP before the kernel is asked. If mapping the
// new rings fails after the kernel has switched, the ring cannot be used
// any more and must be closed.
func (r *Ring) ResizeRings(p *Params) error {
	if p == nil || r.flags&SetupNoMmap != 0 {
		return os.NewSyscallError("io_uring_register", syscall.EINVAL)
	}
	if r.fd < 0 {
		return ErrClosed
	}
	if r.flags&SetupNoSQArray == 0 && len(r.sqArrayAligns()) == 0 {
		return os.NewSyscallError("io_uring_register", syscall.EOPNOTSUPP)
	}
	np := new(Params)
	*np = *p
	np.SQOff = SQRingOffsets{}
	np.CQOff = CQRingOffsets{}
	// Publish prepared SQEs: the kernel copies the SQEs between head and
	// the published tail into the new ring, and nothing else.
	r.flushSQ()
	if _, err := registerArg(r, RegisterOpResizeRings, np, 1); err != nil {
		return err
	}
	// The kernel answers with the new sizes and offsets; flags and
	// features stay those of the ring.
	np.Flags = r.flags
	np.Features = r.features
	np.SQThreadCPU = r.params.SQThreadCPU
	np.SQThreadIdle = r.params.SQThreadIdle
	np.WQFd = r.params.WQFd
	if r.flags&SetupNoSQArray == 0 && np.SQOff.Array == 0 {
		off, ok := r.resizedSQArrayOffset(np.CQOff.CQEs, np.CQEntries)
		if !ok {
			return os.NewSyscallError("io_uring_register", syscall.EOPNOTSUPP)
		}
		np.SQOff.Array = off
	}
	oldRing, oldCQ, oldSQEs := r.ringMem, r.cqMem, r.sqeMem
	r.ringMem, r.cqMem, r.sqeMem = nil, nil, nil
	if err := r.mapRings(np); err != nil {
		// The kernel already uses the new rings; keep the old mappings
		// so that Close releases them.
		r.ringMem, r.cqMem, r.sqeMem = oldRing, oldCQ, oldSQEs
		return err
	}
	for _, m := range [][]byte{oldSQEs, oldCQ, oldRing} {
		if m != nil {
			unix.Munmap(m)
		}
	}
	*p = *np
	return nil
}

// cqRingEnd returns where the CQEs of a ring whose CQE array starts at
// cqesOff and holds cqEntries entries end, as the kernel's rings_size
// computes it (with SetupCQE32 the kernel doubles the whole size).
func (r *Ring) cqRingEnd(cqesOff, cqEntries uint32) uint64 {
	end := uint64(cqesOff) + uint64(cqEntries)*uint64(cqeSize)
	if r.flags&SetupCQE32 != 0 {
		end *= 2
	}
	return end
}

func ringAlignUp(v, a uint64) uint64 { return (v + a - 1) &^ (a - 1) }

// sqArrayAligns returns the cache-line sizes (powers of two) consistent
// with the current ring's layout: the CQE array is aligned to the cache
// line, and the SQ index array sits at the end of the CQEs rounded up to
// a cache line.
func (r *Ring) sqArrayAligns() []uint64 {
	var aligns []uint64
	p := &r.params
	for a := uint64(8); a <= 4096; a <<= 1 {
		if uint64(p.CQOff.CQEs)%a == 0 && ringAlignUp(r.cqRingEnd(p.CQOff.CQEs, p.CQEntries), a) == uint64(p.SQOff.Array) {
			aligns = append(aligns, a)
		}
	}
	return aligns
}

// resizedSQArrayOffset returns the offset of the SQ index array in a ring
// resized to cqEntries CQ entries, and false when the layout rule does
// not determine it.
func (r *Ring) resizedSQArrayOffset(cqesOff, cqEntries uint32) (uint32, bool) {
	var off uint64
	found := false
	for _, a := range r.sqArrayAligns() {
		o := ringAlignUp(r.cqRingEnd(cqesOff, cqEntries), a)
		if found && o != off {
			return 0, false
		}
		off, found = o, true
	}
	if !found || off > 1<<31 {
		return 0, false
	}
	return uint32(off), true
}
