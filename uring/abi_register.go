package uring

// Kernel ABI: the structures of include/uapi/linux/io_uring.h other than
// the rings' own (abi_ring.go), plus struct open_how (linux/openat2.h),
// struct futex_waitv (linux/futex.h) and the query structures
// (linux/io_uring/query.h). Each has the kernel's exact layout, checked
// by abi_test.go; reserved fields must be zero. Nothing here holds logic.

// FilesUpdate is struct io_uring_files_update (5.5), the argument of
// RegisterOpFilesUpdate: Fds points at int32 file descriptors to install
// from slot Offset on. Deprecated by the kernel in favour of RsrcUpdate,
// which has the same layout.
type FilesUpdate struct {
	Offset uint32
	Resv   uint32
	Fds    uint64 // *int32
}

// RsrcRegister is struct io_uring_rsrc_register (5.13), the argument of
// RegisterOpFiles2 and RegisterOpBuffers2: Nr entries at Data (int32 fds
// or iovecs) with optional tags at Tags (uint64 each), or an empty table
// of Nr slots with RsrcRegisterSparse (5.19).
type RsrcRegister struct {
	Nr    uint32
	Flags uint32 // RsrcRegisterSparse
	Resv2 uint64
	Data  uint64
	Tags  uint64
}

// RsrcUpdate is struct io_uring_rsrc_update (5.12), the argument of
// RegisterOpFilesUpdate and of RegisterOpRingFds and
// RegisterOpUnregisterRingFds (5.18), where Data is the ring fd and
// Offset the registered index (^uint32(0) to let the kernel pick).
type RsrcUpdate struct {
	Offset uint32
	Resv   uint32
	Data   uint64
}

// RsrcUpdate2 is struct io_uring_rsrc_update2 (5.13), the argument of
// RegisterOpFilesUpdate2 and RegisterOpBuffersUpdate: Nr entries at Data
// with tags at Tags, installed from slot Offset on.
type RsrcUpdate2 struct {
	Offset uint32
	Resv   uint32
	Data   uint64
	Tags   uint64
	Nr     uint32
	Resv2  uint32
}

// ProbeOp is struct io_uring_probe_op (5.6), one opcode of a probe.
type ProbeOp struct {
	Op    uint8
	Resv  uint8
	Flags uint16 // ProbeOpSupported
	Resv2 uint32
}

// ProbeHeader is the fixed 16-byte head of struct io_uring_probe (5.6),
// the argument of RegisterOpProbe; OpsLen ProbeOp entries follow it.
type ProbeHeader struct {
	LastOp uint8 // last opcode the kernel knows
	OpsLen uint8 // number of ProbeOp entries filled in
	Resv   uint16
	Resv2  [3]uint32
}

// Restriction is struct io_uring_restriction (5.10), one entry of the
// RegisterOpRestrictions array.
type Restriction struct {
	Opcode uint16 // RestrictionRegisterOp, RestrictionSQEOp, …
	// Arg is the union register_op | sqe_op | sqe_flags: the register
	// opcode, SQE opcode or SQE flags that Opcode allows or requires.
	Arg   uint8
	Resv  uint8
	Resv2 [3]uint32
}

// TaskRestriction is the fixed 16-byte head of struct
// io_uring_task_restriction (7.0), followed by NrRes Restriction
// entries: the argument of RegisterOpRestrictions called with fd -1,
// which restricts the calling task (rings it creates and its children
// inherit the restrictions, as they do RegisterOpBPFFilter filters
// registered with fd -1).
type TaskRestriction struct {
	Flags uint16
	NrRes uint16
	Resv  [3]uint32
}

// ClockRegister is struct io_uring_clock_register (6.12), the argument
// of RegisterOpClock: the clock (CLOCK_MONOTONIC or CLOCK_BOOTTIME) for
// wait timeouts.
type ClockRegister struct {
	ClockID uint32
	Resv    [3]uint32
}

// CloneBuffers is struct io_uring_clone_buffers (6.12), the argument of
// RegisterOpCloneBuffers. SrcOff, DstOff and Nr (6.13) select a range;
// all zero clones the whole table.
type CloneBuffers struct {
	SrcFd  uint32 // ring fd, or registered index with CloneSrcRegistered
	Flags  uint32 // CloneSrcRegistered, CloneDstReplace
	SrcOff uint32
	DstOff uint32
	Nr     uint32
	Pad    [3]uint32
}

// BufEntry is struct io_uring_buf (5.19), one entry of a provided-buffer
// ring. The ring (struct io_uring_buf_ring) is an array of BufEntry whose
// first entry's Resv field, at byte BufRingTailOffset of the ring, is the
// ring tail the application advances.
type BufEntry struct {
	Addr uint64
	Len  uint32
	Bid  uint16
	Resv uint16 // the ring tail, in entry 0
}

// BufRingTailOffset is the byte offset of the tail in a provided-buffer
// ring (struct io_uring_buf_ring: overlaid on bufs[0].resv).
const BufRingTailOffset = 14 // 5.19

// BufReg is struct io_uring_buf_reg (5.19), the argument of
// RegisterOpPbufRing and RegisterOpUnregisterPbufRing.
type BufReg struct {
	RingAddr    uint64 // the ring memory; 0 with PbufRingMmap
	RingEntries uint32 // power of two
	Bgid        uint16 // buffer group ID
	Flags       uint16 // PbufRingMmap, PbufRingInc
	MinLeft     uint32 // 7.1: with PbufRingInc, minimum bytes left for a buffer to stay in use; reserved before
	Resv        [5]uint32
}

// BufStatus is struct io_uring_buf_status (6.8), the argument of
// RegisterOpPbufStatus.
type BufStatus struct {
	BufGroup uint32 // in: buffer group ID
	Head     uint32 // out: the kernel's head
	Resv     [8]uint32
}

// NapiReg is struct io_uring_napi (6.9), the argument of RegisterOpNapi
// and RegisterOpUnregisterNapi. Opcode and OpParam (6.13; padding before)
// select static NAPI ID tracking: with NapiRegisterOp, OpParam is a
// NapiTracking* strategy; with NapiStaticAddID/NapiStaticDelID, a NAPI ID.
type NapiReg struct {
	BusyPollTo     uint32 // microseconds
	PreferBusyPoll uint8
	Opcode         uint8 // NapiRegisterOp, NapiStaticAddID, NapiStaticDelID
	Pad            [2]uint8
	OpParam        uint32
	Resv           uint32
}

// RegionDesc is struct io_uring_region_desc (6.13), describing memory for
// RegisterOpMemRegion (via MemRegionReg.RegionUptr) or for zero-copy
// receive (via ZcrxIfqReg.RegionPtr).
type RegionDesc struct {
	UserAddr   uint64 // with MemRegionTypeUser
	Size       uint64
	Flags      uint32 // MemRegionTypeUser
	ID         uint32
	MmapOffset uint64 // out: offset to mmap a kernel-allocated region at
	Resv       [4]uint64
}

// MemRegionReg is struct io_uring_mem_region_reg (6.13), the argument of
// RegisterOpMemRegion.
type MemRegionReg struct {
	RegionUptr uint64 // *RegionDesc
	Flags      uint64 // MemRegionRegWaitArg
	Resv       [2]uint64
}

// RegWait is struct io_uring_reg_wait (6.13): a wait argument living in a
// region registered with MemRegionRegWaitArg, selected by index with
// EnterExtArgReg.
type RegWait struct {
	Ts          Timespec
	MinWaitUsec uint32
	Flags       uint32 // RegWaitTS
	Sigmask     uint64
	SigmaskSz   uint32
	Pad         [3]uint32
	Pad2        [2]uint64
}

// SyncCancelReg is struct io_uring_sync_cancel_reg (6.0), the argument
// of RegisterOpSyncCancel. Timeout {-1, -1} waits forever; Opcode (6.6)
// is matched with AsyncCancelOp.
type SyncCancelReg struct {
	Addr    uint64 // user_data to match
	Fd      int32
	Flags   uint32 // AsyncCancel*
	Timeout Timespec
	Opcode  uint8
	Pad     [7]uint8
	Pad2    [3]uint64
}

// FileIndexRange is struct io_uring_file_index_range (6.0), the argument
// of RegisterOpFileAllocRange: [Off, Off+Len) is where FileIndexAlloc
// picks slots.
type FileIndexRange struct {
	Off  uint32
	Len  uint32
	Resv uint64
}

// RecvmsgOut is struct io_uring_recvmsg_out (6.0), the header a multishot
// recvmsg writes at the start of each provided buffer, followed by the
// name, control and payload.
type RecvmsgOut struct {
	Namelen    uint32
	Controllen uint32
	Payloadlen uint32
	Flags      uint32
}

// AttrPI is struct io_uring_attr_pi (6.14), the protection-information
// attribute of a read or write with RWAttrFlagPI.
type AttrPI struct {
	Flags  uint16
	AppTag uint16
	Len    uint32
	Addr   uint64
	Seed   uint64
	Rsvd   uint64
}

// IOTimespec is struct io_timespec (6.17), the timestamp that
// SocketOpTxTimestamp completions carry in the second half of a 32-byte
// CQE.
type IOTimespec struct {
	Sec  uint64
	Nsec uint64
}

// ZcrxRqe is struct io_uring_zcrx_rqe (6.15), a zero-copy receive
// refill queue entry returning a buffer to the kernel.
type ZcrxRqe struct {
	Off uint64 // area ID << ZcrxAreaShift | offset
	Len uint32
	Pad uint32
}

// ZcrxCqe is struct io_uring_zcrx_cqe (6.15), the second half of the
// 32-byte CQE of OpRecvZC, locating the received data.
type ZcrxCqe struct {
	Off uint64 // area ID << ZcrxAreaShift | offset
	Pad uint64
}

// ZcrxOffsets is struct io_uring_zcrx_offsets (6.15), the layout of the
// zero-copy receive refill queue within its region.
type ZcrxOffsets struct {
	Head  uint32
	Tail  uint32
	Rqes  uint32
	Resv2 uint32
	Resv  [2]uint64
}

// ZcrxAreaReg is struct io_uring_zcrx_area_reg (6.15), the memory that
// zero-copy receive fills.
type ZcrxAreaReg struct {
	Addr        uint64
	Len         uint64
	RqAreaToken uint64 // out
	Flags       uint32 // ZcrxAreaDmabuf
	DmabufFd    uint32 // 6.16
	Resv2       [2]uint64
}

// ZcrxIfqReg is struct io_uring_zcrx_ifq_reg (6.15), the argument of
// RegisterOpZcrxIfq binding a NIC receive queue to the ring.
type ZcrxIfqReg struct {
	IfIdx     uint32
	IfRxq     uint32
	RqEntries uint32
	Flags     uint32      // ZcrxRegImport, ZcrxRegNodev
	AreaPtr   uint64      // *ZcrxAreaReg
	RegionPtr uint64      // *RegionDesc
	Offsets   ZcrxOffsets // out
	ZcrxID    uint32      // out
	RxBufLen  uint32      // 7.0, with ZcrxFeatureRxPageSize; reserved before
	Resv      [3]uint64
}

// ZcrxFlushRQ is struct zcrx_ctrl_flush_rq (6.19), the (reserved)
// payload of ZcrxCtrl with ZcrxCtrlFlushRQ.
type ZcrxFlushRQ struct {
	Resv [6]uint64
}

// ZcrxExport is struct zcrx_ctrl_export (6.19), the payload of ZcrxCtrl
// with ZcrxCtrlExport.
type ZcrxExport struct {
	ZcrxFd uint32 // out
	Resv1  [11]uint32
}

// ZcrxCtrl is struct zcrx_ctrl (6.19), the argument of
// RegisterOpZcrxCtrl. Export is the payload union; for ZcrxCtrlFlushRQ it
// stays zero.
type ZcrxCtrl struct {
	ZcrxID uint32
	Op     uint32 // ZcrxCtrlFlushRQ, ZcrxCtrlExport
	Resv   [2]uint64
	Export ZcrxExport // union zc_export | zc_flush
}

// OpenHow is struct open_how (5.6, linux/openat2.h), the argument of
// OpOpenat2.
type OpenHow struct {
	Flags   uint64 // O_* flags
	Mode    uint64
	Resolve uint64 // RESOLVE_* flags
}

// FutexWaitv is struct futex_waitv (5.16, linux/futex.h), one futex of
// OpFutexWaitv.
type FutexWaitv struct {
	Val   uint64 // expected value
	Uaddr uint64 // address of the futex
	Flags uint32 // Futex2Size* | Futex2Private
	Resv  uint32
}

// QueryHdr is struct io_uring_query_hdr (6.18, linux/io_uring/query.h),
// the argument of RegisterOpQuery (which needs no ring: fd -1). Queries
// chain through NextEntry; the kernel sets Result and Size.
type QueryHdr struct {
	NextEntry uint64 // *QueryHdr, or 0
	QueryData uint64 // *QueryOpcode, *QueryZcrx or *QueryScq
	QueryOp   uint32 // QueryOpOpcodes, QueryOpZcrx, QueryOpScq
	Size      uint32 // size of the QueryData buffer; out: bytes filled
	Result    int32  // out: 0 or -errno
	Resv      [3]uint32
}

// QueryOpcode is struct io_uring_query_opcode (6.18), the answer to
// QueryOpOpcodes.
type QueryOpcode struct {
	NrRequestOpcodes  uint32 // supported Op count
	NrRegisterOpcodes uint32 // supported RegisterOp count
	FeatureFlags      uint64 // Feat*
	RingSetupFlags    uint64 // Setup*
	EnterFlags        uint64 // Enter*
	SQEFlags          uint64 // SQE*
	NrQueryOpcodes    uint32
	Pad               uint32
}

// QueryZcrx is struct io_uring_query_zcrx (6.19), the answer to
// QueryOpZcrx.
type QueryZcrx struct {
	RegisterFlags  uint64 // ZcrxReg*
	AreaFlags      uint64 // ZcrxArea*
	NrCtrlOpcodes  uint32
	Features       uint32 // ZcrxFeature* (7.0; reserved before)
	RqHdrSize      uint32
	RqHdrAlignment uint32
	Resv2          uint64
}

// QueryScq is struct io_uring_query_scq (6.19), the answer to QueryOpScq:
// the size and alignment of the SQ/CQ rings' header.
type QueryScq struct {
	HdrSize      uint64
	HdrAlignment uint64
}
