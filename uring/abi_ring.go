package uring

import "unsafe"

// Kernel ABI: the structures that describe the rings themselves.
// Constants and the remaining structures live in abi_consts.go and
// abi_register.go. Nothing here holds logic.

// SQE is struct io_uring_sqe (64 bytes; 128 with SetupSQE128, where the
// second half is the command area returned by (*SQE).Cmd).
// Fields that the kernel overlays in unions carry the name of their most
// common member; the Prep methods document which member they fill.
type SQE struct {
	Opcode   uint8  // IORING_OP_*
	Flags    uint8  // IOSQE_*
	IOPrio   uint16 // ioprio; also the per-opcode "ioprio flags" (accept, recv, send)
	Fd       int32  // file descriptor, or fixed-file index with SQEFixedFile
	Off      uint64 // off | addr2 | cmd_op
	Addr     uint64 // addr | splice_off_in | level+optname
	Len      uint32 // len
	OpFlags  uint32 // rw_flags | fsync_flags | poll32_events | msg_flags | ... (the per-opcode flags union)
	UserData uint64 // returned untouched in the CQE
	BufIndex uint16 // buf_index | buf_group
	// Personality is the credentials id from RegisterPersonality.
	Personality uint16
	SpliceFdIn  int32  // splice_fd_in | file_index | optlen | addr_len (low 16 bits)
	Addr3       uint64 // addr3 | optval | attr_ptr (first 8 bytes of the 16-byte tail)
	Pad2        uint64 // second 8 bytes of the tail (attr_type_mask, write_stream …)
}

// CQE is struct io_uring_cqe (16 bytes; 32 with SetupCQE32, where
// BigCQE returns the extra 16 bytes).
type CQE struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

// SQRingOffsets is struct io_sqring_offsets.
type SQRingOffsets struct {
	Head        uint32
	Tail        uint32
	RingMask    uint32
	RingEntries uint32
	Flags       uint32
	Dropped     uint32
	Array       uint32
	Resv1       uint32
	UserAddr    uint64 // with SetupNoMmap (6.5)
}

// CQRingOffsets is struct io_cqring_offsets.
type CQRingOffsets struct {
	Head        uint32
	Tail        uint32
	RingMask    uint32
	RingEntries uint32
	Overflow    uint32
	CQEs        uint32
	Flags       uint32 // 5.8
	Resv1       uint32
	UserAddr    uint64 // with SetupNoMmap (6.5)
}

// Params is struct io_uring_params, passed to io_uring_setup and filled
// in by the kernel.
type Params struct {
	SQEntries    uint32
	CQEntries    uint32
	Flags        uint32 // Setup*
	SQThreadCPU  uint32 // with SetupSQAff
	SQThreadIdle uint32 // milliseconds, with SetupSQPoll
	Features     uint32 // Feat*, filled by the kernel
	WQFd         uint32 // with SetupAttachWQ
	Resv         [3]uint32
	SQOff        SQRingOffsets
	CQOff        CQRingOffsets
}

// GeteventsArg is struct io_uring_getevents_arg (5.11), passed with
// EnterExtArg.
type GeteventsArg struct {
	Sigmask     uint64
	SigmaskSz   uint32
	MinWaitUsec uint32 // 6.12; was pad
	Ts          uint64
}

// Sizes of the kernel's sigset_t (_NSIG/8), the only GeteventsArg.SigmaskSz
// the kernel accepts: 64 signals on every architecture but MIPS, which
// has 128.
const (
	sigsetSize     = 8  // 5.11
	sigsetSizeMIPS = 16 // 5.11
)

// Timespec is struct __kernel_timespec.
type Timespec struct {
	Sec  int64
	Nsec int64
}

const (
	sqeSize   = unsafe.Sizeof(SQE{})
	cqeSize   = unsafe.Sizeof(CQE{})
	paramSize = unsafe.Sizeof(Params{})
)

// Mmap offsets of the rings (IORING_OFF_*).
const (
	offSQRing    = 0
	offCQRing    = 0x8000000
	offSQEs      = 0x10000000
	offPbufRing  = 0x80000000 // 6.4
	offPbufShift = 16         // 6.4
	offMmapMask  = 0xf8000000 // 6.4
)
