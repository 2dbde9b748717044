package uring

import (
	"strconv"
	"strings"
)

// Kernel ABI constants of include/uapi/linux/io_uring.h (plus the few
// from linux/io_uring/query.h and linux/futex.h that io_uring requests
// need). The trailing comment on every constant is the kernel release
// that added it; a constant whose value changed says so. Constants that
// the kernel header has but liburing's copy lacks are marked "kernel
// header only" in their group comment.

// Op is an SQE opcode (enum io_uring_op, IORING_OP_*). Op.Since reports
// the kernel release that added an opcode; the kernel rejects unknown
// opcodes with EINVAL, and Probe reports which ones it supports.
type Op uint8

// SQE opcodes (IORING_OP_*).
const (
	OpNop            Op = 0  // 5.1
	OpReadv          Op = 1  // 5.1
	OpWritev         Op = 2  // 5.1
	OpFsync          Op = 3  // 5.1
	OpReadFixed      Op = 4  // 5.1
	OpWriteFixed     Op = 5  // 5.1
	OpPollAdd        Op = 6  // 5.1
	OpPollRemove     Op = 7  // 5.1
	OpSyncFileRange  Op = 8  // 5.2
	OpSendmsg        Op = 9  // 5.3
	OpRecvmsg        Op = 10 // 5.3
	OpTimeout        Op = 11 // 5.4
	OpTimeoutRemove  Op = 12 // 5.5
	OpAccept         Op = 13 // 5.5
	OpAsyncCancel    Op = 14 // 5.5
	OpLinkTimeout    Op = 15 // 5.5
	OpConnect        Op = 16 // 5.5
	OpFallocate      Op = 17 // 5.6
	OpOpenat         Op = 18 // 5.6
	OpClose          Op = 19 // 5.6
	OpFilesUpdate    Op = 20 // 5.6
	OpStatx          Op = 21 // 5.6
	OpRead           Op = 22 // 5.6
	OpWrite          Op = 23 // 5.6
	OpFadvise        Op = 24 // 5.6
	OpMadvise        Op = 25 // 5.6
	OpSend           Op = 26 // 5.6
	OpRecv           Op = 27 // 5.6
	OpOpenat2        Op = 28 // 5.6
	OpEpollCtl       Op = 29 // 5.6
	OpSplice         Op = 30 // 5.7
	OpProvideBuffers Op = 31 // 5.7
	OpRemoveBuffers  Op = 32 // 5.7
	OpTee            Op = 33 // 5.8
	OpShutdown       Op = 34 // 5.11
	OpRenameat       Op = 35 // 5.11
	OpUnlinkat       Op = 36 // 5.11
	OpMkdirat        Op = 37 // 5.15
	OpSymlinkat      Op = 38 // 5.15
	OpLinkat         Op = 39 // 5.15
	OpMsgRing        Op = 40 // 5.18
	OpFsetxattr      Op = 41 // 5.19
	OpSetxattr       Op = 42 // 5.19
	OpFgetxattr      Op = 43 // 5.19
	OpGetxattr       Op = 44 // 5.19
	OpSocket         Op = 45 // 5.19
	OpUringCmd       Op = 46 // 5.19
	OpSendZC         Op = 47 // 6.0
	OpSendmsgZC      Op = 48 // 6.1
	OpReadMultishot  Op = 49 // 6.7
	OpWaitid         Op = 50 // 6.7
	OpFutexWait      Op = 51 // 6.7
	OpFutexWake      Op = 52 // 6.7
	OpFutexWaitv     Op = 53 // 6.7
	OpFixedFdInstall Op = 54 // 6.8
	OpFtruncate      Op = 55 // 6.9
	OpBind           Op = 56 // 6.11
	OpListen         Op = 57 // 6.11
	OpRecvZC         Op = 58 // 6.15
	OpEpollWait      Op = 59 // 6.15
	OpReadvFixed     Op = 60 // 6.15
	OpWritevFixed    Op = 61 // 6.15
	OpPipe           Op = 62 // 6.16
	OpNop128         Op = 63 // 6.19 (128-byte SQE in a SetupSQEMixed ring)
	OpUringCmd128    Op = 64 // 6.19 (128-byte SQE in a SetupSQEMixed ring)

	// OpLast is the number of opcodes this package knows (IORING_OP_LAST
	// of the header it was written against); the kernel's own value is
	// ProbeHeader.LastOp+1.
	OpLast Op = 65 // 5.5 (value grows with each release)
)

// opInfo holds each opcode's kernel name (without IORING_OP_) and the
// kernel release that added it.
var opInfo = [OpLast]struct{ name, since string }{
	OpNop:            {"NOP", "5.1"},
	OpReadv:          {"READV", "5.1"},
	OpWritev:         {"WRITEV", "5.1"},
	OpFsync:          {"FSYNC", "5.1"},
	OpReadFixed:      {"READ_FIXED", "5.1"},
	OpWriteFixed:     {"WRITE_FIXED", "5.1"},
	OpPollAdd:        {"POLL_ADD", "5.1"},
	OpPollRemove:     {"POLL_REMOVE", "5.1"},
	OpSyncFileRange:  {"SYNC_FILE_RANGE", "5.2"},
	OpSendmsg:        {"SENDMSG", "5.3"},
	OpRecvmsg:        {"RECVMSG", "5.3"},
	OpTimeout:        {"TIMEOUT", "5.4"},
	OpTimeoutRemove:  {"TIMEOUT_REMOVE", "5.5"},
	OpAccept:         {"ACCEPT", "5.5"},
	OpAsyncCancel:    {"ASYNC_CANCEL", "5.5"},
	OpLinkTimeout:    {"LINK_TIMEOUT", "5.5"},
	OpConnect:        {"CONNECT", "5.5"},
	OpFallocate:      {"FALLOCATE", "5.6"},
	OpOpenat:         {"OPENAT", "5.6"},
	OpClose:          {"CLOSE", "5.6"},
	OpFilesUpdate:    {"FILES_UPDATE", "5.6"},
	OpStatx:          {"STATX", "5.6"},
	OpRead:           {"READ", "5.6"},
	OpWrite:          {"WRITE", "5.6"},
	OpFadvise:        {"FADVISE", "5.6"},
	OpMadvise:        {"MADVISE", "5.6"},
	OpSend:           {"SEND", "5.6"},
	OpRecv:           {"RECV", "5.6"},
	OpOpenat2:        {"OPENAT2", "5.6"},
	OpEpollCtl:       {"EPOLL_CTL", "5.6"},
	OpSplice:         {"SPLICE", "5.7"},
	OpProvideBuffers: {"PROVIDE_BUFFERS", "5.7"},
	OpRemoveBuffers:  {"REMOVE_BUFFERS", "5.7"},
	OpTee:            {"TEE", "5.8"},
	OpShutdown:       {"SHUTDOWN", "5.11"},
	OpRenameat:       {"RENAMEAT", "5.11"},
	OpUnlinkat:       {"UNLINKAT", "5.11"},
	OpMkdirat:        {"MKDIRAT", "5.15"},
	OpSymlinkat:      {"SYMLINKAT", "5.15"},
	OpLinkat:         {"LINKAT", "5.15"},
	OpMsgRing:        {"MSG_RING", "5.18"},
	OpFsetxattr:      {"FSETXATTR", "5.19"},
	OpSetxattr:       {"SETXATTR", "5.19"},
	OpFgetxattr:      {"FGETXATTR", "5.19"},
	OpGetxattr:       {"GETXATTR", "5.19"},
	OpSocket:         {"SOCKET", "5.19"},
	OpUringCmd:       {"URING_CMD", "5.19"},
	OpSendZC:         {"SEND_ZC", "6.0"},
	OpSendmsgZC:      {"SENDMSG_ZC", "6.1"},
	OpReadMultishot:  {"READ_MULTISHOT", "6.7"},
	OpWaitid:         {"WAITID", "6.7"},
	OpFutexWait:      {"FUTEX_WAIT", "6.7"},
	OpFutexWake:      {"FUTEX_WAKE", "6.7"},
	OpFutexWaitv:     {"FUTEX_WAITV", "6.7"},
	OpFixedFdInstall: {"FIXED_FD_INSTALL", "6.8"},
	OpFtruncate:      {"FTRUNCATE", "6.9"},
	OpBind:           {"BIND", "6.11"},
	OpListen:         {"LISTEN", "6.11"},
	OpRecvZC:         {"RECV_ZC", "6.15"},
	OpEpollWait:      {"EPOLL_WAIT", "6.15"},
	OpReadvFixed:     {"READV_FIXED", "6.15"},
	OpWritevFixed:    {"WRITEV_FIXED", "6.15"},
	OpPipe:           {"PIPE", "6.16"},
	OpNop128:         {"NOP128", "6.19"},
	OpUringCmd128:    {"URING_CMD128", "6.19"},
}

// String returns the kernel name of o without the IORING_OP_ prefix
// ("READ_FIXED"), or "Op(N)" for an opcode this package does not know.
func (o Op) String() string {
	if o < OpLast {
		return opInfo[o].name
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Since returns the kernel release that added o ("5.1"), or "" for an
// opcode this package does not know.
func (o Op) Since() string {
	if o < OpLast {
		return opInfo[o].since
	}
	return ""
}

// SQE flags (SQE.Flags, IOSQE_*).
const (
	SQEFixedFile      uint8 = 1 << 0 // 5.1
	SQEIODrain        uint8 = 1 << 1 // 5.2
	SQEIOLink         uint8 = 1 << 2 // 5.3
	SQEIOHardlink     uint8 = 1 << 3 // 5.5
	SQEAsync          uint8 = 1 << 4 // 5.6
	SQEBufferSelect   uint8 = 1 << 5 // 5.7
	SQECQESkipSuccess uint8 = 1 << 6 // 5.17
)

// FileIndexAlloc (IORING_FILE_INDEX_ALLOC), put in SQE.SpliceFdIn (the
// file_index) of a request that installs a direct descriptor (openat,
// accept, socket, pipe …), asks the kernel to pick a free slot and return
// it in CQE.Res.
const FileIndexAlloc = ^uint32(0) // 5.19

// Setup flags (Params.Flags, IORING_SETUP_*).
const (
	SetupIOPoll           uint32 = 1 << 0  // 5.1
	SetupSQPoll           uint32 = 1 << 1  // 5.1
	SetupSQAff            uint32 = 1 << 2  // 5.1
	SetupCQSize           uint32 = 1 << 3  // 5.5
	SetupClamp            uint32 = 1 << 4  // 5.6
	SetupAttachWQ         uint32 = 1 << 5  // 5.6
	SetupRDisabled        uint32 = 1 << 6  // 5.10
	SetupSubmitAll        uint32 = 1 << 7  // 5.18
	SetupCoopTaskrun      uint32 = 1 << 8  // 5.19
	SetupTaskrunFlag      uint32 = 1 << 9  // 5.19
	SetupSQE128           uint32 = 1 << 10 // 5.19
	SetupCQE32            uint32 = 1 << 11 // 5.19
	SetupSingleIssuer     uint32 = 1 << 12 // 6.0
	SetupDeferTaskrun     uint32 = 1 << 13 // 6.1
	SetupNoMmap           uint32 = 1 << 14 // 6.5
	SetupRegisteredFdOnly uint32 = 1 << 15 // 6.5
	SetupNoSQArray        uint32 = 1 << 16 // 6.6
	SetupHybridIOPoll     uint32 = 1 << 17 // 6.13
	SetupCQEMixed         uint32 = 1 << 18 // 6.18
	SetupSQEMixed         uint32 = 1 << 19 // 6.19
	SetupSQRewind         uint32 = 1 << 20 // 7.0
)

// SetupFlagNames lists the setup flags in bit order with their kernel
// names (without IORING_SETUP_) and the release that added them, for
// printing; see SetupFlagsString.
var SetupFlagNames = []struct {
	Flag  uint32
	Name  string
	Since string
}{
	{SetupIOPoll, "IOPOLL", "5.1"},
	{SetupSQPoll, "SQPOLL", "5.1"},
	{SetupSQAff, "SQ_AFF", "5.1"},
	{SetupCQSize, "CQSIZE", "5.5"},
	{SetupClamp, "CLAMP", "5.6"},
	{SetupAttachWQ, "ATTACH_WQ", "5.6"},
	{SetupRDisabled, "R_DISABLED", "5.10"},
	{SetupSubmitAll, "SUBMIT_ALL", "5.18"},
	{SetupCoopTaskrun, "COOP_TASKRUN", "5.19"},
	{SetupTaskrunFlag, "TASKRUN_FLAG", "5.19"},
	{SetupSQE128, "SQE128", "5.19"},
	{SetupCQE32, "CQE32", "5.19"},
	{SetupSingleIssuer, "SINGLE_ISSUER", "6.0"},
	{SetupDeferTaskrun, "DEFER_TASKRUN", "6.1"},
	{SetupNoMmap, "NO_MMAP", "6.5"},
	{SetupRegisteredFdOnly, "REGISTERED_FD_ONLY", "6.5"},
	{SetupNoSQArray, "NO_SQARRAY", "6.6"},
	{SetupHybridIOPoll, "HYBRID_IOPOLL", "6.13"},
	{SetupCQEMixed, "CQE_MIXED", "6.18"},
	{SetupSQEMixed, "SQE_MIXED", "6.19"},
	{SetupSQRewind, "SQ_REWIND", "7.0"},
}

// SetupFlagsString formats setup flags as their kernel names joined by
// "|" ("SQPOLL|SINGLE_ISSUER"); bits without a name are appended in hex,
// and 0 is "0".
func SetupFlagsString(flags uint32) string {
	if flags == 0 {
		return "0"
	}
	var names []string
	for _, f := range SetupFlagNames {
		if flags&f.Flag != 0 {
			names = append(names, f.Name)
			flags &^= f.Flag
		}
	}
	if flags != 0 {
		names = append(names, "0x"+strconv.FormatUint(uint64(flags), 16))
	}
	return strings.Join(names, "|")
}

// Features reported by the kernel in Params.Features (IORING_FEAT_*).
const (
	FeatSingleMmap     uint32 = 1 << 0  // 5.4
	FeatNoDrop         uint32 = 1 << 1  // 5.5
	FeatSubmitStable   uint32 = 1 << 2  // 5.5
	FeatRWCurPos       uint32 = 1 << 3  // 5.6
	FeatCurPersonality uint32 = 1 << 4  // 5.6
	FeatFastPoll       uint32 = 1 << 5  // 5.7
	FeatPoll32Bits     uint32 = 1 << 6  // 5.9
	FeatSQPollNonfixed uint32 = 1 << 7  // 5.11
	FeatExtArg         uint32 = 1 << 8  // 5.11
	FeatNativeWorkers  uint32 = 1 << 9  // 5.12
	FeatRsrcTags       uint32 = 1 << 10 // 5.13
	FeatCQESkip        uint32 = 1 << 11 // 5.17
	FeatLinkedFile     uint32 = 1 << 12 // 5.18 (backported to 5.17 stable)
	FeatRegRegRing     uint32 = 1 << 13 // 6.3
	FeatRecvsendBundle uint32 = 1 << 14 // 6.10
	FeatMinTimeout     uint32 = 1 << 15 // 6.12
	FeatRWAttr         uint32 = 1 << 16 // 6.14
	FeatNoIOWait       uint32 = 1 << 17 // 6.15
)

// FeatureNames lists the feature bits in bit order with their kernel
// names (without IORING_FEAT_) and the release that added them, for
// printing (ringo probe).
var FeatureNames = []struct {
	Bit   uint32
	Name  string
	Since string
}{
	{FeatSingleMmap, "SINGLE_MMAP", "5.4"},
	{FeatNoDrop, "NODROP", "5.5"},
	{FeatSubmitStable, "SUBMIT_STABLE", "5.5"},
	{FeatRWCurPos, "RW_CUR_POS", "5.6"},
	{FeatCurPersonality, "CUR_PERSONALITY", "5.6"},
	{FeatFastPoll, "FAST_POLL", "5.7"},
	{FeatPoll32Bits, "POLL_32BITS", "5.9"},
	{FeatSQPollNonfixed, "SQPOLL_NONFIXED", "5.11"},
	{FeatExtArg, "EXT_ARG", "5.11"},
	{FeatNativeWorkers, "NATIVE_WORKERS", "5.12"},
	{FeatRsrcTags, "RSRC_TAGS", "5.13"},
	{FeatCQESkip, "CQE_SKIP", "5.17"},
	{FeatLinkedFile, "LINKED_FILE", "5.18"},
	{FeatRegRegRing, "REG_REG_RING", "6.3"},
	{FeatRecvsendBundle, "RECVSEND_BUNDLE", "6.10"},
	{FeatMinTimeout, "MIN_TIMEOUT", "6.12"},
	{FeatRWAttr, "RW_ATTR", "6.14"},
	{FeatNoIOWait, "NO_IOWAIT", "6.15"},
}

// io_uring_enter(2) flags (IORING_ENTER_*).
const (
	EnterGetEvents      uint32 = 1 << 0 // 5.1
	EnterSQWakeup       uint32 = 1 << 1 // 5.1
	EnterSQWait         uint32 = 1 << 2 // 5.10
	EnterExtArg         uint32 = 1 << 3 // 5.11
	EnterRegisteredRing uint32 = 1 << 4 // 5.18
	EnterAbsTimer       uint32 = 1 << 5 // 6.12
	EnterExtArgReg      uint32 = 1 << 6 // 6.13
	EnterNoIOWait       uint32 = 1 << 7 // 6.15
)

// SQ ring flags, read from the flags word of the mapped SQ ring
// (IORING_SQ_*).
const (
	SQNeedWakeup uint32 = 1 << 0 // 5.1
	SQCQOverflow uint32 = 1 << 1 // 5.8
	SQTaskrun    uint32 = 1 << 2 // 5.19
)

// CQ ring flags, in the flags word of the mapped CQ ring (IORING_CQ_*).
const (
	CQEventfdDisabled uint32 = 1 << 0 // 5.8
)

// CQE flags (CQE.Flags, IORING_CQE_F_*). With CQEFBuffer the upper 16
// bits are the buffer ID: CQE.Flags >> CQEBufferShift.
const (
	CQEFBuffer       uint32 = 1 << 0  // 5.7
	CQEFMore         uint32 = 1 << 1  // 5.13
	CQEFSockNonempty uint32 = 1 << 2  // 5.19
	CQEFNotif        uint32 = 1 << 3  // 6.0
	CQEFBufMore      uint32 = 1 << 4  // 6.12
	CQEFSkip         uint32 = 1 << 5  // 6.18
	CQEF32           uint32 = 1 << 15 // 6.18
	CQEBufferShift          = 16      // 5.7
)

// SOCKET_URING_OP_TX_TIMESTAMP completions: CQEFTstampHW marks a
// hardware timestamp, and the timestamp type is stored in CQE.Flags from
// bit TimestampTypeShift.
const (
	TimestampHWShift          = 16                    // 6.17
	TimestampTypeShift        = TimestampHWShift + 1  // 6.17
	CQEFTstampHW       uint32 = 1 << TimestampHWShift // 6.17
)

// IORING_OP_URING_CMD flags (SQE.OpFlags, uring_cmd_flags); the top 8
// bits are reserved for the kernel. Multishot is in the kernel header
// only.
const (
	UringCmdFixed     uint32 = 1 << 0                            // 6.1
	UringCmdMultishot uint32 = 1 << 1                            // 6.18
	UringCmdMask             = UringCmdFixed | UringCmdMultishot // 6.7 (Multishot added 6.18)
)

// IORING_OP_FSYNC flags (SQE.OpFlags, fsync_flags).
const (
	FsyncDatasync uint32 = 1 << 0 // 5.1
)

// IORING_OP_TIMEOUT, IORING_OP_TIMEOUT_REMOVE and IORING_OP_LINK_TIMEOUT
// flags (SQE.OpFlags, timeout_flags). With TimeoutImmediateArg, SQE.Addr
// (SQE.Off for an update) is the relative timeout in nanoseconds instead
// of a pointer to a Timespec.
const (
	TimeoutAbs          uint32 = 1 << 0                            // 5.4
	TimeoutUpdate       uint32 = 1 << 1                            // 5.11
	TimeoutBoottime     uint32 = 1 << 2                            // 5.15
	TimeoutRealtime     uint32 = 1 << 3                            // 5.15
	LinkTimeoutUpdate   uint32 = 1 << 4                            // 5.15
	TimeoutETimeSuccess uint32 = 1 << 5                            // 5.16
	TimeoutMultishot    uint32 = 1 << 6                            // 6.4
	TimeoutImmediateArg uint32 = 1 << 7                            // 7.1
	TimeoutClockMask           = TimeoutBoottime | TimeoutRealtime // 5.15
	TimeoutUpdateMask          = TimeoutUpdate | LinkTimeoutUpdate // 5.15
)

// IORING_OP_SPLICE and IORING_OP_TEE flags (SQE.OpFlags, splice_flags),
// extending splice(2)'s: SpliceFFdInFixed marks SQE.SpliceFdIn as a
// fixed-file index.
const (
	SpliceFFdInFixed uint32 = 1 << 31 // 5.7
)

// IORING_OP_POLL_ADD and IORING_OP_POLL_REMOVE flags. The events take
// SQE.OpFlags, so these command flags go in SQE.Len.
const (
	PollAddMulti       uint32 = 1 << 0 // 5.13
	PollUpdateEvents   uint32 = 1 << 1 // 5.13
	PollUpdateUserData uint32 = 1 << 2 // 5.13
	PollAddLevel       uint32 = 1 << 3 // 6.0
)

// IORING_OP_ASYNC_CANCEL and RegisterOpSyncCancel flags (SQE.OpFlags,
// cancel_flags; SyncCancelReg.Flags).
const (
	AsyncCancelAll      uint32 = 1 << 0 // 5.19
	AsyncCancelFd       uint32 = 1 << 1 // 5.19
	AsyncCancelAny      uint32 = 1 << 2 // 5.19
	AsyncCancelFdFixed  uint32 = 1 << 3 // 6.0
	AsyncCancelUserdata uint32 = 1 << 4 // 6.6
	AsyncCancelOp       uint32 = 1 << 5 // 6.6
)

// send, sendmsg, recv and recvmsg flags, stored in SQE.IOPrio.
const (
	RecvsendPollFirst uint16 = 1 << 0 // 5.19
	RecvMultishot     uint16 = 1 << 1 // 6.0
	RecvsendFixedBuf  uint16 = 1 << 2 // 6.0
	SendZCReportUsage uint16 = 1 << 3 // 6.2
	RecvsendBundle    uint16 = 1 << 4 // 6.10
	SendVectorized    uint16 = 1 << 5 // 6.17
)

// NotifUsageZCCopied is set in CQE.Res of the CQEFNotif completion of a
// send with SendZCReportUsage when the data was (at least partly) copied
// rather than sent zero-copy; test uint32(cqe.Res)&NotifUsageZCCopied.
const NotifUsageZCCopied uint32 = 1 << 31 // 6.2

// IORING_OP_ACCEPT flags, stored in SQE.IOPrio.
const (
	AcceptMultishot uint16 = 1 << 0 // 5.19
	AcceptDontwait  uint16 = 1 << 1 // 6.10
	AcceptPollFirst uint16 = 1 << 2 // 6.10
)

// IORING_OP_MSG_RING command types, stored in SQE.Addr
// (enum io_uring_msg_ring_flags).
const (
	MsgData   uint64 = 0 // 5.18 (named IORING_MSG_DATA in the header since 6.0)
	MsgSendFd uint64 = 1 // 6.0
)

// IORING_OP_MSG_RING flags (SQE.OpFlags, msg_ring_flags).
const (
	MsgRingCQESkip   uint32 = 1 << 0 // 6.0
	MsgRingFlagsPass uint32 = 1 << 1 // 6.3
)

// IORING_OP_FIXED_FD_INSTALL flags (SQE.OpFlags, install_fd_flags).
const (
	FixedFdNoCloexec uint32 = 1 << 0 // 6.8
)

// IORING_OP_NOP flags (SQE.OpFlags, nop_flags). NopFile, NopFixedFile,
// NopFixedBuffer and NopTW are in the kernel header only.
const (
	NopInjectResult uint32 = 1 << 0 // 6.10
	NopFile         uint32 = 1 << 1 // 6.13
	NopFixedFile    uint32 = 1 << 2 // 6.13
	NopFixedBuffer  uint32 = 1 << 3 // 6.13
	NopTW           uint32 = 1 << 4 // 6.17
	NopCQE32        uint32 = 1 << 5 // 6.18
)

// Read/write attribute types, a mask in the second tail word of the SQE
// (attr_type_mask, SQE.Pad2) with SQE.Addr3 pointing at the attribute
// (AttrPI).
const (
	RWAttrFlagPI uint64 = 1 << 0 // 6.14
)

// RegisterOp is an io_uring_register(2) opcode (enum
// io_uring_register_op, IORING_REGISTER_* and IORING_UNREGISTER_*).
type RegisterOp uint32

// io_uring_register(2) opcodes.
const (
	RegisterOpBuffers               RegisterOp = 0  // 5.1
	RegisterOpUnregisterBuffers     RegisterOp = 1  // 5.1
	RegisterOpFiles                 RegisterOp = 2  // 5.1
	RegisterOpUnregisterFiles       RegisterOp = 3  // 5.1
	RegisterOpEventfd               RegisterOp = 4  // 5.2
	RegisterOpUnregisterEventfd     RegisterOp = 5  // 5.2
	RegisterOpFilesUpdate           RegisterOp = 6  // 5.5
	RegisterOpEventfdAsync          RegisterOp = 7  // 5.6
	RegisterOpProbe                 RegisterOp = 8  // 5.6
	RegisterOpPersonality           RegisterOp = 9  // 5.6
	RegisterOpUnregisterPersonality RegisterOp = 10 // 5.6
	RegisterOpRestrictions          RegisterOp = 11 // 5.10
	RegisterOpEnableRings           RegisterOp = 12 // 5.10
	RegisterOpFiles2                RegisterOp = 13 // 5.13
	RegisterOpFilesUpdate2          RegisterOp = 14 // 5.13
	RegisterOpBuffers2              RegisterOp = 15 // 5.13
	RegisterOpBuffersUpdate         RegisterOp = 16 // 5.13
	RegisterOpIOWQAff               RegisterOp = 17 // 5.14
	RegisterOpUnregisterIOWQAff     RegisterOp = 18 // 5.14
	RegisterOpIOWQMaxWorkers        RegisterOp = 19 // 5.15
	RegisterOpRingFds               RegisterOp = 20 // 5.18
	RegisterOpUnregisterRingFds     RegisterOp = 21 // 5.18
	RegisterOpPbufRing              RegisterOp = 22 // 5.19
	RegisterOpUnregisterPbufRing    RegisterOp = 23 // 5.19
	RegisterOpSyncCancel            RegisterOp = 24 // 6.0
	RegisterOpFileAllocRange        RegisterOp = 25 // 6.0
	RegisterOpPbufStatus            RegisterOp = 26 // 6.8
	RegisterOpNapi                  RegisterOp = 27 // 6.9
	RegisterOpUnregisterNapi        RegisterOp = 28 // 6.9
	RegisterOpClock                 RegisterOp = 29 // 6.12
	RegisterOpCloneBuffers          RegisterOp = 30 // 6.12
	RegisterOpSendMsgRing           RegisterOp = 31 // 6.13
	RegisterOpZcrxIfq               RegisterOp = 32 // 6.15
	RegisterOpResizeRings           RegisterOp = 33 // 6.13
	RegisterOpMemRegion             RegisterOp = 34 // 6.13
	RegisterOpQuery                 RegisterOp = 35 // 6.18
	RegisterOpZcrxCtrl              RegisterOp = 36 // 6.19
	RegisterOpBPFFilter             RegisterOp = 37 // 7.0

	// RegisterOpLast is the number of register opcodes this package
	// knows (IORING_REGISTER_LAST).
	RegisterOpLast RegisterOp = 38 // 5.10 (value grows with each release)

	// RegisterOpUseRegisteredRing, or'ed into the opcode, makes the fd
	// argument of io_uring_register(2) a registered ring index.
	RegisterOpUseRegisteredRing RegisterOp = 1 << 31 // 6.3
)

// io-wq worker categories, the indexes of the two-value array of
// RegisterOpIOWQMaxWorkers (enum io_wq_type).
const (
	IOWQBound   uint32 = 0 // 5.15
	IOWQUnbound uint32 = 1 // 5.15
)

// RegionDesc.Flags values.
const (
	MemRegionTypeUser uint32 = 1 // 6.13
)

// MemRegionReg.Flags values: MemRegionRegWaitArg exposes the region as
// RegWait arguments for EnterExtArgReg.
const (
	MemRegionRegWaitArg uint64 = 1 // 6.13
)

// RsrcRegister.Flags values: RsrcRegisterSparse registers an empty table
// of RsrcRegister.Nr slots.
const (
	RsrcRegisterSparse uint32 = 1 << 0 // 5.19
)

// RegisterFilesSkip, as an fd in a files update, leaves that slot alone.
const RegisterFilesSkip int32 = -2 // 5.12

// ProbeOp.Flags values.
const (
	ProbeOpSupported uint16 = 1 << 0 // 5.6
)

// Restriction.Opcode values (enum io_uring_register_restriction_op).
const (
	RestrictionRegisterOp       uint16 = 0 // 5.10
	RestrictionSQEOp            uint16 = 1 // 5.10
	RestrictionSQEFlagsAllowed  uint16 = 2 // 5.10
	RestrictionSQEFlagsRequired uint16 = 3 // 5.10
	RestrictionLast             uint16 = 4 // 5.10
)

// CloneBuffers.Flags values: CloneSrcRegistered says SrcFd is a
// registered ring index; CloneDstReplace replaces an existing table.
const (
	CloneSrcRegistered uint32 = 1 << 0 // 6.12
	CloneDstReplace    uint32 = 1 << 1 // 6.13
)

// BufReg.Flags values (enum io_uring_register_pbuf_ring_flags):
// PbufRingMmap has the kernel allocate the ring, mapped at offPbufRing |
// group<<offPbufShift; PbufRingInc consumes buffers incrementally.
const (
	PbufRingMmap uint16 = 1 // 6.4
	PbufRingInc  uint16 = 2 // 6.12
)

// NapiReg.Opcode values (enum io_uring_napi_op, kernel header only).
const (
	NapiRegisterOp  uint8 = 0 // 6.13
	NapiStaticAddID uint8 = 1 // 6.13
	NapiStaticDelID uint8 = 2 // 6.13
)

// NapiReg.OpParam values with NapiRegisterOp (enum
// io_uring_napi_tracking_strategy, kernel header only).
const (
	NapiTrackingDynamic  uint32 = 0   // 6.13
	NapiTrackingStatic   uint32 = 1   // 6.13
	NapiTrackingInactive uint32 = 255 // 6.13
)

// RegWait.Flags values: RegWaitTS says RegWait.Ts is valid.
const (
	RegWaitTS uint32 = 1 << 0 // 6.13
)

// Socket commands of IORING_OP_URING_CMD on a socket, stored in the
// cmd_op half of SQE.Off (enum io_uring_socket_op).
const (
	SocketOpSiocinq     uint32 = 0 // 6.6
	SocketOpSiocoutq    uint32 = 1 // 6.6
	SocketOpGetsockopt  uint32 = 2 // 6.7
	SocketOpSetsockopt  uint32 = 3 // 6.7
	SocketOpTxTimestamp uint32 = 4 // 6.17
	SocketOpGetsockname uint32 = 5 // 6.19
)

// Zero-copy receive: a ZcrxRqe/ZcrxCqe offset carries the area ID in
// its bits from ZcrxAreaShift up. Since 7.1 the kernel keeps the zcrx
// definitions in linux/io_uring/zcrx.h, which io_uring.h includes.
const (
	ZcrxAreaShift        = 48                              // 6.15
	ZcrxAreaMask  uint64 = ^(uint64(1)<<ZcrxAreaShift - 1) // 6.15
)

// ZcrxAreaReg.Flags values (enum io_uring_zcrx_area_flags).
const (
	ZcrxAreaDmabuf uint32 = 1 // 6.16
)

// ZcrxIfqReg.Flags values (enum zcrx_reg_flags).
const (
	ZcrxRegImport uint32 = 1 // 6.19
	ZcrxRegNodev  uint32 = 2 // 7.1
)

// Zero-copy receive features, QueryZcrx.Features (enum zcrx_features).
const (
	ZcrxFeatureRxPageSize uint32 = 1 << 0 // 7.0
)

// ZcrxCtrl.Op values for RegisterOpZcrxCtrl (enum zcrx_ctrl_op).
const (
	ZcrxCtrlFlushRQ uint32 = 0 // 6.19
	ZcrxCtrlExport  uint32 = 1 // 6.19
	ZcrxCtrlLast    uint32 = 2 // 6.19
)

// QueryHdr.QueryOp values for RegisterOpQuery (linux/io_uring/query.h).
const (
	QueryOpOpcodes uint32 = 0 // 6.18
	QueryOpZcrx    uint32 = 1 // 6.19
	QueryOpScq     uint32 = 2 // 6.19
	QueryOpMax     uint32 = 3 // 6.18 (value grows with each release)
)

// futex2 flags (linux/futex.h) for OpFutexWait, OpFutexWake and the
// FutexWaitv entries of OpFutexWaitv: a size, optionally or'ed with
// Futex2Private and Futex2Numa.
const (
	Futex2SizeU8   uint32 = 0x00 // 6.7
	Futex2SizeU16  uint32 = 0x01 // 6.7
	Futex2SizeU32  uint32 = 0x02 // 6.7
	Futex2SizeU64  uint32 = 0x03 // 6.7
	Futex2Numa     uint32 = 0x04 // 6.7 (implemented 6.16)
	Futex2Private  uint32 = 128  // 6.7 (FUTEX_PRIVATE_FLAG)
	Futex2SizeMask uint32 = 0x03 // 6.7
)

// FutexBitsetMatchAny (FUTEX_BITSET_MATCH_ANY) is the OpFutexWait and
// OpFutexWake mask that matches any waiter.
const FutexBitsetMatchAny uint64 = 0xffffffff // 2.6.25

// FutexWaitvMax (FUTEX_WAITV_MAX) is the most FutexWaitv entries one
// OpFutexWaitv takes.
const FutexWaitvMax = 128 // 5.16
