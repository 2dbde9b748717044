package uring

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"regexp"
	"strings"
	"testing"
	"unsafe"
)

// The expected numbers below were produced by gcc (x86-64) from
// liburing's copy of include/uapi/linux/io_uring.h (the 65-opcode header,
// with IORING_OP_URING_CMD128), linux/io_uring/query.h, linux/openat2.h
// and linux/futex.h, printing sizeof/offsetof and the constants' values.
// struct io_uring_napi was taken in the kernel's 6.13+ layout (opcode,
// op_param), which liburing's copy lacks. Nothing here needs a compiler.

// abiFiles are the files whose declarations these tests check.
var abiFiles = []string{"abi_ring.go", "abi_consts.go", "abi_register.go"}

// abiLayout is the size of each ABI struct and the offset and size of
// each of its fields, as Go sees them and as C does.
var abiLayout = []struct {
	what string // "Type" for the type's size, "Type.Field" for a field
	// off and size are the Go offset and size (off 0 for a type), wantOff
	// and wantSize gcc's.
	off, size, wantOff, wantSize uintptr
}{
	{"SQE", 0, unsafe.Sizeof(SQE{}), 0, 64},
	{"SQE.Opcode", unsafe.Offsetof(SQE{}.Opcode), unsafe.Sizeof(SQE{}.Opcode), 0, 1},
	{"SQE.Flags", unsafe.Offsetof(SQE{}.Flags), unsafe.Sizeof(SQE{}.Flags), 1, 1},
	{"SQE.IOPrio", unsafe.Offsetof(SQE{}.IOPrio), unsafe.Sizeof(SQE{}.IOPrio), 2, 2},
	{"SQE.Fd", unsafe.Offsetof(SQE{}.Fd), unsafe.Sizeof(SQE{}.Fd), 4, 4},
	{"SQE.Off", unsafe.Offsetof(SQE{}.Off), unsafe.Sizeof(SQE{}.Off), 8, 8},
	{"SQE.Addr", unsafe.Offsetof(SQE{}.Addr), unsafe.Sizeof(SQE{}.Addr), 16, 8},
	{"SQE.Len", unsafe.Offsetof(SQE{}.Len), unsafe.Sizeof(SQE{}.Len), 24, 4},
	{"SQE.OpFlags", unsafe.Offsetof(SQE{}.OpFlags), unsafe.Sizeof(SQE{}.OpFlags), 28, 4},
	{"SQE.UserData", unsafe.Offsetof(SQE{}.UserData), unsafe.Sizeof(SQE{}.UserData), 32, 8},
	{"SQE.BufIndex", unsafe.Offsetof(SQE{}.BufIndex), unsafe.Sizeof(SQE{}.BufIndex), 40, 2},
	{"SQE.Personality", unsafe.Offsetof(SQE{}.Personality), unsafe.Sizeof(SQE{}.Personality), 42, 2},
	{"SQE.SpliceFdIn", unsafe.Offsetof(SQE{}.SpliceFdIn), unsafe.Sizeof(SQE{}.SpliceFdIn), 44, 4},
	{"SQE.Addr3", unsafe.Offsetof(SQE{}.Addr3), unsafe.Sizeof(SQE{}.Addr3), 48, 8},
	{"SQE.Pad2", unsafe.Offsetof(SQE{}.Pad2), unsafe.Sizeof(SQE{}.Pad2), 56, 8},
	{"CQE", 0, unsafe.Sizeof(CQE{}), 0, 16},
	{"CQE.UserData", unsafe.Offsetof(CQE{}.UserData), unsafe.Sizeof(CQE{}.UserData), 0, 8},
	{"CQE.Res", unsafe.Offsetof(CQE{}.Res), unsafe.Sizeof(CQE{}.Res), 8, 4},
	{"CQE.Flags", unsafe.Offsetof(CQE{}.Flags), unsafe.Sizeof(CQE{}.Flags), 12, 4},
	{"SQRingOffsets", 0, unsafe.Sizeof(SQRingOffsets{}), 0, 40},
	{"SQRingOffsets.Head", unsafe.Offsetof(SQRingOffsets{}.Head), unsafe.Sizeof(SQRingOffsets{}.Head), 0, 4},
	{"SQRingOffsets.Tail", unsafe.Offsetof(SQRingOffsets{}.Tail), unsafe.Sizeof(SQRingOffsets{}.Tail), 4, 4},
	{"SQRingOffsets.RingMask", unsafe.Offsetof(SQRingOffsets{}.RingMask), unsafe.Sizeof(SQRingOffsets{}.RingMask), 8, 4},
	{"SQRingOffsets.RingEntries", unsafe.Offsetof(SQRingOffsets{}.RingEntries), unsafe.Sizeof(SQRingOffsets{}.RingEntries), 12, 4},
	{"SQRingOffsets.Flags", unsafe.Offsetof(SQRingOffsets{}.Flags), unsafe.Sizeof(SQRingOffsets{}.Flags), 16, 4},
	{"SQRingOffsets.Dropped", unsafe.Offsetof(SQRingOffsets{}.Dropped), unsafe.Sizeof(SQRingOffsets{}.Dropped), 20, 4},
	{"SQRingOffsets.Array", unsafe.Offsetof(SQRingOffsets{}.Array), unsafe.Sizeof(SQRingOffsets{}.Array), 24, 4},
	{"SQRingOffsets.Resv1", unsafe.Offsetof(SQRingOffsets{}.Resv1), unsafe.Sizeof(SQRingOffsets{}.Resv1), 28, 4},
	{"SQRingOffsets.UserAddr", unsafe.Offsetof(SQRingOffsets{}.UserAddr), unsafe.Sizeof(SQRingOffsets{}.UserAddr), 32, 8},
	{"CQRingOffsets", 0, unsafe.Sizeof(CQRingOffsets{}), 0, 40},
	{"CQRingOffsets.Head", unsafe.Offsetof(CQRingOffsets{}.Head), unsafe.Sizeof(CQRingOffsets{}.Head), 0, 4},
	{"CQRingOffsets.Tail", unsafe.Offsetof(CQRingOffsets{}.Tail), unsafe.Sizeof(CQRingOffsets{}.Tail), 4, 4},
	{"CQRingOffsets.RingMask", unsafe.Offsetof(CQRingOffsets{}.RingMask), unsafe.Sizeof(CQRingOffsets{}.RingMask), 8, 4},
	{"CQRingOffsets.RingEntries", unsafe.Offsetof(CQRingOffsets{}.RingEntries), unsafe.Sizeof(CQRingOffsets{}.RingEntries), 12, 4},
	{"CQRingOffsets.Overflow", unsafe.Offsetof(CQRingOffsets{}.Overflow), unsafe.Sizeof(CQRingOffsets{}.Overflow), 16, 4},
	{"CQRingOffsets.CQEs", unsafe.Offsetof(CQRingOffsets{}.CQEs), unsafe.Sizeof(CQRingOffsets{}.CQEs), 20, 4},
	{"CQRingOffsets.Flags", unsafe.Offsetof(CQRingOffsets{}.Flags), unsafe.Sizeof(CQRingOffsets{}.Flags), 24, 4},
	{"CQRingOffsets.Resv1", unsafe.Offsetof(CQRingOffsets{}.Resv1), unsafe.Sizeof(CQRingOffsets{}.Resv1), 28, 4},
	{"CQRingOffsets.UserAddr", unsafe.Offsetof(CQRingOffsets{}.UserAddr), unsafe.Sizeof(CQRingOffsets{}.UserAddr), 32, 8},
	{"Params", 0, unsafe.Sizeof(Params{}), 0, 120},
	{"Params.SQEntries", unsafe.Offsetof(Params{}.SQEntries), unsafe.Sizeof(Params{}.SQEntries), 0, 4},
	{"Params.CQEntries", unsafe.Offsetof(Params{}.CQEntries), unsafe.Sizeof(Params{}.CQEntries), 4, 4},
	{"Params.Flags", unsafe.Offsetof(Params{}.Flags), unsafe.Sizeof(Params{}.Flags), 8, 4},
	{"Params.SQThreadCPU", unsafe.Offsetof(Params{}.SQThreadCPU), unsafe.Sizeof(Params{}.SQThreadCPU), 12, 4},
	{"Params.SQThreadIdle", unsafe.Offsetof(Params{}.SQThreadIdle), unsafe.Sizeof(Params{}.SQThreadIdle), 16, 4},
	{"Params.Features", unsafe.Offsetof(Params{}.Features), unsafe.Sizeof(Params{}.Features), 20, 4},
	{"Params.WQFd", unsafe.Offsetof(Params{}.WQFd), unsafe.Sizeof(Params{}.WQFd), 24, 4},
	{"Params.Resv", unsafe.Offsetof(Params{}.Resv), unsafe.Sizeof(Params{}.Resv), 28, 12},
	{"Params.SQOff", unsafe.Offsetof(Params{}.SQOff), unsafe.Sizeof(Params{}.SQOff), 40, 40},
	{"Params.CQOff", unsafe.Offsetof(Params{}.CQOff), unsafe.Sizeof(Params{}.CQOff), 80, 40},
	{"GeteventsArg", 0, unsafe.Sizeof(GeteventsArg{}), 0, 24},
	{"GeteventsArg.Sigmask", unsafe.Offsetof(GeteventsArg{}.Sigmask), unsafe.Sizeof(GeteventsArg{}.Sigmask), 0, 8},
	{"GeteventsArg.SigmaskSz", unsafe.Offsetof(GeteventsArg{}.SigmaskSz), unsafe.Sizeof(GeteventsArg{}.SigmaskSz), 8, 4},
	{"GeteventsArg.MinWaitUsec", unsafe.Offsetof(GeteventsArg{}.MinWaitUsec), unsafe.Sizeof(GeteventsArg{}.MinWaitUsec), 12, 4},
	{"GeteventsArg.Ts", unsafe.Offsetof(GeteventsArg{}.Ts), unsafe.Sizeof(GeteventsArg{}.Ts), 16, 8},
	{"Timespec", 0, unsafe.Sizeof(Timespec{}), 0, 16},
	{"Timespec.Sec", unsafe.Offsetof(Timespec{}.Sec), unsafe.Sizeof(Timespec{}.Sec), 0, 8},
	{"Timespec.Nsec", unsafe.Offsetof(Timespec{}.Nsec), unsafe.Sizeof(Timespec{}.Nsec), 8, 8},
	{"FilesUpdate", 0, unsafe.Sizeof(FilesUpdate{}), 0, 16},
	{"FilesUpdate.Offset", unsafe.Offsetof(FilesUpdate{}.Offset), unsafe.Sizeof(FilesUpdate{}.Offset), 0, 4},
	{"FilesUpdate.Resv", unsafe.Offsetof(FilesUpdate{}.Resv), unsafe.Sizeof(FilesUpdate{}.Resv), 4, 4},
	{"FilesUpdate.Fds", unsafe.Offsetof(FilesUpdate{}.Fds), unsafe.Sizeof(FilesUpdate{}.Fds), 8, 8},
	{"RsrcRegister", 0, unsafe.Sizeof(RsrcRegister{}), 0, 32},
	{"RsrcRegister.Nr", unsafe.Offsetof(RsrcRegister{}.Nr), unsafe.Sizeof(RsrcRegister{}.Nr), 0, 4},
	{"RsrcRegister.Flags", unsafe.Offsetof(RsrcRegister{}.Flags), unsafe.Sizeof(RsrcRegister{}.Flags), 4, 4},
	{"RsrcRegister.Resv2", unsafe.Offsetof(RsrcRegister{}.Resv2), unsafe.Sizeof(RsrcRegister{}.Resv2), 8, 8},
	{"RsrcRegister.Data", unsafe.Offsetof(RsrcRegister{}.Data), unsafe.Sizeof(RsrcRegister{}.Data), 16, 8},
	{"RsrcRegister.Tags", unsafe.Offsetof(RsrcRegister{}.Tags), unsafe.Sizeof(RsrcRegister{}.Tags), 24, 8},
	{"RsrcUpdate", 0, unsafe.Sizeof(RsrcUpdate{}), 0, 16},
	{"RsrcUpdate.Offset", unsafe.Offsetof(RsrcUpdate{}.Offset), unsafe.Sizeof(RsrcUpdate{}.Offset), 0, 4},
	{"RsrcUpdate.Resv", unsafe.Offsetof(RsrcUpdate{}.Resv), unsafe.Sizeof(RsrcUpdate{}.Resv), 4, 4},
	{"RsrcUpdate.Data", unsafe.Offsetof(RsrcUpdate{}.Data), unsafe.Sizeof(RsrcUpdate{}.Data), 8, 8},
	{"RsrcUpdate2", 0, unsafe.Sizeof(RsrcUpdate2{}), 0, 32},
	{"RsrcUpdate2.Offset", unsafe.Offsetof(RsrcUpdate2{}.Offset), unsafe.Sizeof(RsrcUpdate2{}.Offset), 0, 4},
	{"RsrcUpdate2.Resv", unsafe.Offsetof(RsrcUpdate2{}.Resv), unsafe.Sizeof(RsrcUpdate2{}.Resv), 4, 4},
	{"RsrcUpdate2.Data", unsafe.Offsetof(RsrcUpdate2{}.Data), unsafe.Sizeof(RsrcUpdate2{}.Data), 8, 8},
	{"RsrcUpdate2.Tags", unsafe.Offsetof(RsrcUpdate2{}.Tags), unsafe.Sizeof(RsrcUpdate2{}.Tags), 16, 8},
	{"RsrcUpdate2.Nr", unsafe.Offsetof(RsrcUpdate2{}.Nr), unsafe.Sizeof(RsrcUpdate2{}.Nr), 24, 4},
	{"RsrcUpdate2.Resv2", unsafe.Offsetof(RsrcUpdate2{}.Resv2), unsafe.Sizeof(RsrcUpdate2{}.Resv2), 28, 4},
	{"ProbeOp", 0, unsafe.Sizeof(ProbeOp{}), 0, 8},
	{"ProbeOp.Op", unsafe.Offsetof(ProbeOp{}.Op), unsafe.Sizeof(ProbeOp{}.Op), 0, 1},
	{"ProbeOp.Resv", unsafe.Offsetof(ProbeOp{}.Resv), unsafe.Sizeof(ProbeOp{}.Resv), 1, 1},
	{"ProbeOp.Flags", unsafe.Offsetof(ProbeOp{}.Flags), unsafe.Sizeof(ProbeOp{}.Flags), 2, 2},
	{"ProbeOp.Resv2", unsafe.Offsetof(ProbeOp{}.Resv2), unsafe.Sizeof(ProbeOp{}.Resv2), 4, 4},
	{"ProbeHeader", 0, unsafe.Sizeof(ProbeHeader{}), 0, 16},
	{"ProbeHeader.LastOp", unsafe.Offsetof(ProbeHeader{}.LastOp), unsafe.Sizeof(ProbeHeader{}.LastOp), 0, 1},
	{"ProbeHeader.OpsLen", unsafe.Offsetof(ProbeHeader{}.OpsLen), unsafe.Sizeof(ProbeHeader{}.OpsLen), 1, 1},
	{"ProbeHeader.Resv", unsafe.Offsetof(ProbeHeader{}.Resv), unsafe.Sizeof(ProbeHeader{}.Resv), 2, 2},
	{"ProbeHeader.Resv2", unsafe.Offsetof(ProbeHeader{}.Resv2), unsafe.Sizeof(ProbeHeader{}.Resv2), 4, 12},
	{"Restriction", 0, unsafe.Sizeof(Restriction{}), 0, 16},
	{"Restriction.Opcode", unsafe.Offsetof(Restriction{}.Opcode), unsafe.Sizeof(Restriction{}.Opcode), 0, 2},
	{"Restriction.Arg", unsafe.Offsetof(Restriction{}.Arg), unsafe.Sizeof(Restriction{}.Arg), 2, 1},
	{"Restriction.Resv", unsafe.Offsetof(Restriction{}.Resv), unsafe.Sizeof(Restriction{}.Resv), 3, 1},
	{"Restriction.Resv2", unsafe.Offsetof(Restriction{}.Resv2), unsafe.Sizeof(Restriction{}.Resv2), 4, 12},
	{"TaskRestriction", 0, unsafe.Sizeof(TaskRestriction{}), 0, 16},
	{"TaskRestriction.Flags", unsafe.Offsetof(TaskRestriction{}.Flags), unsafe.Sizeof(TaskRestriction{}.Flags), 0, 2},
	{"TaskRestriction.NrRes", unsafe.Offsetof(TaskRestriction{}.NrRes), unsafe.Sizeof(TaskRestriction{}.NrRes), 2, 2},
	{"TaskRestriction.Resv", unsafe.Offsetof(TaskRestriction{}.Resv), unsafe.Sizeof(TaskRestriction{}.Resv), 4, 12},
	{"ClockRegister", 0, unsafe.Sizeof(ClockRegister{}), 0, 16},
	{"ClockRegister.ClockID", unsafe.Offsetof(ClockRegister{}.ClockID), unsafe.Sizeof(ClockRegister{}.ClockID), 0, 4},
	{"ClockRegister.Resv", unsafe.Offsetof(ClockRegister{}.Resv), unsafe.Sizeof(ClockRegister{}.Resv), 4, 12},
	{"CloneBuffers", 0, unsafe.Sizeof(CloneBuffers{}), 0, 32},
	{"CloneBuffers.SrcFd", unsafe.Offsetof(CloneBuffers{}.SrcFd), unsafe.Sizeof(CloneBuffers{}.SrcFd), 0, 4},
	{"CloneBuffers.Flags", unsafe.Offsetof(CloneBuffers{}.Flags), unsafe.Sizeof(CloneBuffers{}.Flags), 4, 4},
	{"CloneBuffers.SrcOff", unsafe.Offsetof(CloneBuffers{}.SrcOff), unsafe.Sizeof(CloneBuffers{}.SrcOff), 8, 4},
	{"CloneBuffers.DstOff", unsafe.Offsetof(CloneBuffers{}.DstOff), unsafe.Sizeof(CloneBuffers{}.DstOff), 12, 4},
	{"CloneBuffers.Nr", unsafe.Offsetof(CloneBuffers{}.Nr), unsafe.Sizeof(CloneBuffers{}.Nr), 16, 4},
	{"CloneBuffers.Pad", unsafe.Offsetof(CloneBuffers{}.Pad), unsafe.Sizeof(CloneBuffers{}.Pad), 20, 12},
	{"BufEntry", 0, unsafe.Sizeof(BufEntry{}), 0, 16},
	{"BufEntry.Addr", unsafe.Offsetof(BufEntry{}.Addr), unsafe.Sizeof(BufEntry{}.Addr), 0, 8},
	{"BufEntry.Len", unsafe.Offsetof(BufEntry{}.Len), unsafe.Sizeof(BufEntry{}.Len), 8, 4},
	{"BufEntry.Bid", unsafe.Offsetof(BufEntry{}.Bid), unsafe.Sizeof(BufEntry{}.Bid), 12, 2},
	{"BufEntry.Resv", unsafe.Offsetof(BufEntry{}.Resv), unsafe.Sizeof(BufEntry{}.Resv), 14, 2},
	{"BufReg", 0, unsafe.Sizeof(BufReg{}), 0, 40},
	{"BufReg.RingAddr", unsafe.Offsetof(BufReg{}.RingAddr), unsafe.Sizeof(BufReg{}.RingAddr), 0, 8},
	{"BufReg.RingEntries", unsafe.Offsetof(BufReg{}.RingEntries), unsafe.Sizeof(BufReg{}.RingEntries), 8, 4},
	{"BufReg.Bgid", unsafe.Offsetof(BufReg{}.Bgid), unsafe.Sizeof(BufReg{}.Bgid), 12, 2},
	{"BufReg.Flags", unsafe.Offsetof(BufReg{}.Flags), unsafe.Sizeof(BufReg{}.Flags), 14, 2},
	{"BufReg.MinLeft", unsafe.Offsetof(BufReg{}.MinLeft), unsafe.Sizeof(BufReg{}.MinLeft), 16, 4},
	{"BufReg.Resv", unsafe.Offsetof(BufReg{}.Resv), unsafe.Sizeof(BufReg{}.Resv), 20, 20},
	{"BufStatus", 0, unsafe.Sizeof(BufStatus{}), 0, 40},
	{"BufStatus.BufGroup", unsafe.Offsetof(BufStatus{}.BufGroup), unsafe.Sizeof(BufStatus{}.BufGroup), 0, 4},
	{"BufStatus.Head", unsafe.Offsetof(BufStatus{}.Head), unsafe.Sizeof(BufStatus{}.Head), 4, 4},
	{"BufStatus.Resv", unsafe.Offsetof(BufStatus{}.Resv), unsafe.Sizeof(BufStatus{}.Resv), 8, 32},
	{"NapiReg", 0, unsafe.Sizeof(NapiReg{}), 0, 16},
	{"NapiReg.BusyPollTo", unsafe.Offsetof(NapiReg{}.BusyPollTo), unsafe.Sizeof(NapiReg{}.BusyPollTo), 0, 4},
	{"NapiReg.PreferBusyPoll", unsafe.Offsetof(NapiReg{}.PreferBusyPoll), unsafe.Sizeof(NapiReg{}.PreferBusyPoll), 4, 1},
	{"NapiReg.Opcode", unsafe.Offsetof(NapiReg{}.Opcode), unsafe.Sizeof(NapiReg{}.Opcode), 5, 1},
	{"NapiReg.Pad", unsafe.Offsetof(NapiReg{}.Pad), unsafe.Sizeof(NapiReg{}.Pad), 6, 2},
	{"NapiReg.OpParam", unsafe.Offsetof(NapiReg{}.OpParam), unsafe.Sizeof(NapiReg{}.OpParam), 8, 4},
	{"NapiReg.Resv", unsafe.Offsetof(NapiReg{}.Resv), unsafe.Sizeof(NapiReg{}.Resv), 12, 4},
	{"RegionDesc", 0, unsafe.Sizeof(RegionDesc{}), 0, 64},
	{"RegionDesc.UserAddr", unsafe.Offsetof(RegionDesc{}.UserAddr), unsafe.Sizeof(RegionDesc{}.UserAddr), 0, 8},
	{"RegionDesc.Size", unsafe.Offsetof(RegionDesc{}.Size), unsafe.Sizeof(RegionDesc{}.Size), 8, 8},
	{"RegionDesc.Flags", unsafe.Offsetof(RegionDesc{}.Flags), unsafe.Sizeof(RegionDesc{}.Flags), 16, 4},
	{"RegionDesc.ID", unsafe.Offsetof(RegionDesc{}.ID), unsafe.Sizeof(RegionDesc{}.ID), 20, 4},
	{"RegionDesc.MmapOffset", unsafe.Offsetof(RegionDesc{}.MmapOffset), unsafe.Sizeof(RegionDesc{}.MmapOffset), 24, 8},
	{"RegionDesc.Resv", unsafe.Offsetof(RegionDesc{}.Resv), unsafe.Sizeof(RegionDesc{}.Resv), 32, 32},
	{"MemRegionReg", 0, unsafe.Sizeof(MemRegionReg{}), 0, 32},
	{"MemRegionReg.RegionUptr", unsafe.Offsetof(MemRegionReg{}.RegionUptr), unsafe.Sizeof(MemRegionReg{}.RegionUptr), 0, 8},
	{"MemRegionReg.Flags", unsafe.Offsetof(MemRegionReg{}.Flags), unsafe.Sizeof(MemRegionReg{}.Flags), 8, 8},
	{"MemRegionReg.Resv", unsafe.Offsetof(MemRegionReg{}.Resv), unsafe.Sizeof(MemRegionReg{}.Resv), 16, 16},
	{"RegWait", 0, unsafe.Sizeof(RegWait{}), 0, 64},
	{"RegWait.Ts", unsafe.Offsetof(RegWait{}.Ts), unsafe.Sizeof(RegWait{}.Ts), 0, 16},
	{"RegWait.MinWaitUsec", unsafe.Offsetof(RegWait{}.MinWaitUsec), unsafe.Sizeof(RegWait{}.MinWaitUsec), 16, 4},
	{"RegWait.Flags", unsafe.Offsetof(RegWait{}.Flags), unsafe.Sizeof(RegWait{}.Flags), 20, 4},
	{"RegWait.Sigmask", unsafe.Offsetof(RegWait{}.Sigmask), unsafe.Sizeof(RegWait{}.Sigmask), 24, 8},
	{"RegWait.SigmaskSz", unsafe.Offsetof(RegWait{}.SigmaskSz), unsafe.Sizeof(RegWait{}.SigmaskSz), 32, 4},
	{"RegWait.Pad", unsafe.Offsetof(RegWait{}.Pad), unsafe.Sizeof(RegWait{}.Pad), 36, 12},
	{"RegWait.Pad2", unsafe.Offsetof(RegWait{}.Pad2), unsafe.Sizeof(RegWait{}.Pad2), 48, 16},
	{"SyncCancelReg", 0, unsafe.Sizeof(SyncCancelReg{}), 0, 64},
	{"SyncCancelReg.Addr", unsafe.Offsetof(SyncCancelReg{}.Addr), unsafe.Sizeof(SyncCancelReg{}.Addr), 0, 8},
	{"SyncCancelReg.Fd", unsafe.Offsetof(SyncCancelReg{}.Fd), unsafe.Sizeof(SyncCancelReg{}.Fd), 8, 4},
	{"SyncCancelReg.Flags", unsafe.Offsetof(SyncCancelReg{}.Flags), unsafe.Sizeof(SyncCancelReg{}.Flags), 12, 4},
	{"SyncCancelReg.Timeout", unsafe.Offsetof(SyncCancelReg{}.Timeout), unsafe.Sizeof(SyncCancelReg{}.Timeout), 16, 16},
	{"SyncCancelReg.Opcode", unsafe.Offsetof(SyncCancelReg{}.Opcode), unsafe.Sizeof(SyncCancelReg{}.Opcode), 32, 1},
	{"SyncCancelReg.Pad", unsafe.Offsetof(SyncCancelReg{}.Pad), unsafe.Sizeof(SyncCancelReg{}.Pad), 33, 7},
	{"SyncCancelReg.Pad2", unsafe.Offsetof(SyncCancelReg{}.Pad2), unsafe.Sizeof(SyncCancelReg{}.Pad2), 40, 24},
	{"FileIndexRange", 0, unsafe.Sizeof(FileIndexRange{}), 0, 16},
	{"FileIndexRange.Off", unsafe.Offsetof(FileIndexRange{}.Off), unsafe.Sizeof(FileIndexRange{}.Off), 0, 4},
	{"FileIndexRange.Len", unsafe.Offsetof(FileIndexRange{}.Len), unsafe.Sizeof(FileIndexRange{}.Len), 4, 4},
	{"FileIndexRange.Resv", unsafe.Offsetof(FileIndexRange{}.Resv), unsafe.Sizeof(FileIndexRange{}.Resv), 8, 8},
	{"RecvmsgOut", 0, unsafe.Sizeof(RecvmsgOut{}), 0, 16},
	{"RecvmsgOut.Namelen", unsafe.Offsetof(RecvmsgOut{}.Namelen), unsafe.Sizeof(RecvmsgOut{}.Namelen), 0, 4},
	{"RecvmsgOut.Controllen", unsafe.Offsetof(RecvmsgOut{}.Controllen), unsafe.Sizeof(RecvmsgOut{}.Controllen), 4, 4},
	{"RecvmsgOut.Payloadlen", unsafe.Offsetof(RecvmsgOut{}.Payloadlen), unsafe.Sizeof(RecvmsgOut{}.Payloadlen), 8, 4},
	{"RecvmsgOut.Flags", unsafe.Offsetof(RecvmsgOut{}.Flags), unsafe.Sizeof(RecvmsgOut{}.Flags), 12, 4},
	{"AttrPI", 0, unsafe.Sizeof(AttrPI{}), 0, 32},
	{"AttrPI.Flags", unsafe.Offsetof(AttrPI{}.Flags), unsafe.Sizeof(AttrPI{}.Flags), 0, 2},
	{"AttrPI.AppTag", unsafe.Offsetof(AttrPI{}.AppTag), unsafe.Sizeof(AttrPI{}.AppTag), 2, 2},
	{"AttrPI.Len", unsafe.Offsetof(AttrPI{}.Len), unsafe.Sizeof(AttrPI{}.Len), 4, 4},
	{"AttrPI.Addr", unsafe.Offsetof(AttrPI{}.Addr), unsafe.Sizeof(AttrPI{}.Addr), 8, 8},
	{"AttrPI.Seed", unsafe.Offsetof(AttrPI{}.Seed), unsafe.Sizeof(AttrPI{}.Seed), 16, 8},
	{"AttrPI.Rsvd", unsafe.Offsetof(AttrPI{}.Rsvd), unsafe.Sizeof(AttrPI{}.Rsvd), 24, 8},
	{"IOTimespec", 0, unsafe.Sizeof(IOTimespec{}), 0, 16},
	{"IOTimespec.Sec", unsafe.Offsetof(IOTimespec{}.Sec), unsafe.Sizeof(IOTimespec{}.Sec), 0, 8},
	{"IOTimespec.Nsec", unsafe.Offsetof(IOTimespec{}.Nsec), unsafe.Sizeof(IOTimespec{}.Nsec), 8, 8},
	{"ZcrxRqe", 0, unsafe.Sizeof(ZcrxRqe{}), 0, 16},
	{"ZcrxRqe.Off", unsafe.Offsetof(ZcrxRqe{}.Off), unsafe.Sizeof(ZcrxRqe{}.Off), 0, 8},
	{"ZcrxRqe.Len", unsafe.Offsetof(ZcrxRqe{}.Len), unsafe.Sizeof(ZcrxRqe{}.Len), 8, 4},
	{"ZcrxRqe.Pad", unsafe.Offsetof(ZcrxRqe{}.Pad), unsafe.Sizeof(ZcrxRqe{}.Pad), 12, 4},
	{"ZcrxCqe", 0, unsafe.Sizeof(ZcrxCqe{}), 0, 16},
	{"ZcrxCqe.Off", unsafe.Offsetof(ZcrxCqe{}.Off), unsafe.Sizeof(ZcrxCqe{}.Off), 0, 8},
	{"ZcrxCqe.Pad", unsafe.Offsetof(ZcrxCqe{}.Pad), unsafe.Sizeof(ZcrxCqe{}.Pad), 8, 8},
	{"ZcrxOffsets", 0, unsafe.Sizeof(ZcrxOffsets{}), 0, 32},
	{"ZcrxOffsets.Head", unsafe.Offsetof(ZcrxOffsets{}.Head), unsafe.Sizeof(ZcrxOffsets{}.Head), 0, 4},
	{"ZcrxOffsets.Tail", unsafe.Offsetof(ZcrxOffsets{}.Tail), unsafe.Sizeof(ZcrxOffsets{}.Tail), 4, 4},
	{"ZcrxOffsets.Rqes", unsafe.Offsetof(ZcrxOffsets{}.Rqes), unsafe.Sizeof(ZcrxOffsets{}.Rqes), 8, 4},
	{"ZcrxOffsets.Resv2", unsafe.Offsetof(ZcrxOffsets{}.Resv2), unsafe.Sizeof(ZcrxOffsets{}.Resv2), 12, 4},
	{"ZcrxOffsets.Resv", unsafe.Offsetof(ZcrxOffsets{}.Resv), unsafe.Sizeof(ZcrxOffsets{}.Resv), 16, 16},
	{"ZcrxAreaReg", 0, unsafe.Sizeof(ZcrxAreaReg{}), 0, 48},
	{"ZcrxAreaReg.Addr", unsafe.Offsetof(ZcrxAreaReg{}.Addr), unsafe.Sizeof(ZcrxAreaReg{}.Addr), 0, 8},
	{"ZcrxAreaReg.Len", unsafe.Offsetof(ZcrxAreaReg{}.Len), unsafe.Sizeof(ZcrxAreaReg{}.Len), 8, 8},
	{"ZcrxAreaReg.RqAreaToken", unsafe.Offsetof(ZcrxAreaReg{}.RqAreaToken), unsafe.Sizeof(ZcrxAreaReg{}.RqAreaToken), 16, 8},
	{"ZcrxAreaReg.Flags", unsafe.Offsetof(ZcrxAreaReg{}.Flags), unsafe.Sizeof(ZcrxAreaReg{}.Flags), 24, 4},
	{"ZcrxAreaReg.DmabufFd", unsafe.Offsetof(ZcrxAreaReg{}.DmabufFd), unsafe.Sizeof(ZcrxAreaReg{}.DmabufFd), 28, 4},
	{"ZcrxAreaReg.Resv2", unsafe.Offsetof(ZcrxAreaReg{}.Resv2), unsafe.Sizeof(ZcrxAreaReg{}.Resv2), 32, 16},
	{"ZcrxIfqReg", 0, unsafe.Sizeof(ZcrxIfqReg{}), 0, 96},
	{"ZcrxIfqReg.IfIdx", unsafe.Offsetof(ZcrxIfqReg{}.IfIdx), unsafe.Sizeof(ZcrxIfqReg{}.IfIdx), 0, 4},
	{"ZcrxIfqReg.IfRxq", unsafe.Offsetof(ZcrxIfqReg{}.IfRxq), unsafe.Sizeof(ZcrxIfqReg{}.IfRxq), 4, 4},
	{"ZcrxIfqReg.RqEntries", unsafe.Offsetof(ZcrxIfqReg{}.RqEntries), unsafe.Sizeof(ZcrxIfqReg{}.RqEntries), 8, 4},
	{"ZcrxIfqReg.Flags", unsafe.Offsetof(ZcrxIfqReg{}.Flags), unsafe.Sizeof(ZcrxIfqReg{}.Flags), 12, 4},
	{"ZcrxIfqReg.AreaPtr", unsafe.Offsetof(ZcrxIfqReg{}.AreaPtr), unsafe.Sizeof(ZcrxIfqReg{}.AreaPtr), 16, 8},
	{"ZcrxIfqReg.RegionPtr", unsafe.Offsetof(ZcrxIfqReg{}.RegionPtr), unsafe.Sizeof(ZcrxIfqReg{}.RegionPtr), 24, 8},
	{"ZcrxIfqReg.Offsets", unsafe.Offsetof(ZcrxIfqReg{}.Offsets), unsafe.Sizeof(ZcrxIfqReg{}.Offsets), 32, 32},
	{"ZcrxIfqReg.ZcrxID", unsafe.Offsetof(ZcrxIfqReg{}.ZcrxID), unsafe.Sizeof(ZcrxIfqReg{}.ZcrxID), 64, 4},
	{"ZcrxIfqReg.RxBufLen", unsafe.Offsetof(ZcrxIfqReg{}.RxBufLen), unsafe.Sizeof(ZcrxIfqReg{}.RxBufLen), 68, 4},
	{"ZcrxIfqReg.Resv", unsafe.Offsetof(ZcrxIfqReg{}.Resv), unsafe.Sizeof(ZcrxIfqReg{}.Resv), 72, 24},
	{"ZcrxFlushRQ", 0, unsafe.Sizeof(ZcrxFlushRQ{}), 0, 48},
	{"ZcrxFlushRQ.Resv", unsafe.Offsetof(ZcrxFlushRQ{}.Resv), unsafe.Sizeof(ZcrxFlushRQ{}.Resv), 0, 48},
	{"ZcrxExport", 0, unsafe.Sizeof(ZcrxExport{}), 0, 48},
	{"ZcrxExport.ZcrxFd", unsafe.Offsetof(ZcrxExport{}.ZcrxFd), unsafe.Sizeof(ZcrxExport{}.ZcrxFd), 0, 4},
	{"ZcrxExport.Resv1", unsafe.Offsetof(ZcrxExport{}.Resv1), unsafe.Sizeof(ZcrxExport{}.Resv1), 4, 44},
	{"ZcrxCtrl", 0, unsafe.Sizeof(ZcrxCtrl{}), 0, 72},
	{"ZcrxCtrl.ZcrxID", unsafe.Offsetof(ZcrxCtrl{}.ZcrxID), unsafe.Sizeof(ZcrxCtrl{}.ZcrxID), 0, 4},
	{"ZcrxCtrl.Op", unsafe.Offsetof(ZcrxCtrl{}.Op), unsafe.Sizeof(ZcrxCtrl{}.Op), 4, 4},
	{"ZcrxCtrl.Resv", unsafe.Offsetof(ZcrxCtrl{}.Resv), unsafe.Sizeof(ZcrxCtrl{}.Resv), 8, 16},
	{"ZcrxCtrl.Export", unsafe.Offsetof(ZcrxCtrl{}.Export), unsafe.Sizeof(ZcrxCtrl{}.Export), 24, 48},
	{"OpenHow", 0, unsafe.Sizeof(OpenHow{}), 0, 24},
	{"OpenHow.Flags", unsafe.Offsetof(OpenHow{}.Flags), unsafe.Sizeof(OpenHow{}.Flags), 0, 8},
	{"OpenHow.Mode", unsafe.Offsetof(OpenHow{}.Mode), unsafe.Sizeof(OpenHow{}.Mode), 8, 8},
	{"OpenHow.Resolve", unsafe.Offsetof(OpenHow{}.Resolve), unsafe.Sizeof(OpenHow{}.Resolve), 16, 8},
	{"FutexWaitv", 0, unsafe.Sizeof(FutexWaitv{}), 0, 24},
	{"FutexWaitv.Val", unsafe.Offsetof(FutexWaitv{}.Val), unsafe.Sizeof(FutexWaitv{}.Val), 0, 8},
	{"FutexWaitv.Uaddr", unsafe.Offsetof(FutexWaitv{}.Uaddr), unsafe.Sizeof(FutexWaitv{}.Uaddr), 8, 8},
	{"FutexWaitv.Flags", unsafe.Offsetof(FutexWaitv{}.Flags), unsafe.Sizeof(FutexWaitv{}.Flags), 16, 4},
	{"FutexWaitv.Resv", unsafe.Offsetof(FutexWaitv{}.Resv), unsafe.Sizeof(FutexWaitv{}.Resv), 20, 4},
	{"QueryHdr", 0, unsafe.Sizeof(QueryHdr{}), 0, 40},
	{"QueryHdr.NextEntry", unsafe.Offsetof(QueryHdr{}.NextEntry), unsafe.Sizeof(QueryHdr{}.NextEntry), 0, 8},
	{"QueryHdr.QueryData", unsafe.Offsetof(QueryHdr{}.QueryData), unsafe.Sizeof(QueryHdr{}.QueryData), 8, 8},
	{"QueryHdr.QueryOp", unsafe.Offsetof(QueryHdr{}.QueryOp), unsafe.Sizeof(QueryHdr{}.QueryOp), 16, 4},
	{"QueryHdr.Size", unsafe.Offsetof(QueryHdr{}.Size), unsafe.Sizeof(QueryHdr{}.Size), 20, 4},
	{"QueryHdr.Result", unsafe.Offsetof(QueryHdr{}.Result), unsafe.Sizeof(QueryHdr{}.Result), 24, 4},
	{"QueryHdr.Resv", unsafe.Offsetof(QueryHdr{}.Resv), unsafe.Sizeof(QueryHdr{}.Resv), 28, 12},
	{"QueryOpcode", 0, unsafe.Sizeof(QueryOpcode{}), 0, 48},
	{"QueryOpcode.NrRequestOpcodes", unsafe.Offsetof(QueryOpcode{}.NrRequestOpcodes), unsafe.Sizeof(QueryOpcode{}.NrRequestOpcodes), 0, 4},
	{"QueryOpcode.NrRegisterOpcodes", unsafe.Offsetof(QueryOpcode{}.NrRegisterOpcodes), unsafe.Sizeof(QueryOpcode{}.NrRegisterOpcodes), 4, 4},
	{"QueryOpcode.FeatureFlags", unsafe.Offsetof(QueryOpcode{}.FeatureFlags), unsafe.Sizeof(QueryOpcode{}.FeatureFlags), 8, 8},
	{"QueryOpcode.RingSetupFlags", unsafe.Offsetof(QueryOpcode{}.RingSetupFlags), unsafe.Sizeof(QueryOpcode{}.RingSetupFlags), 16, 8},
	{"QueryOpcode.EnterFlags", unsafe.Offsetof(QueryOpcode{}.EnterFlags), unsafe.Sizeof(QueryOpcode{}.EnterFlags), 24, 8},
	{"QueryOpcode.SQEFlags", unsafe.Offsetof(QueryOpcode{}.SQEFlags), unsafe.Sizeof(QueryOpcode{}.SQEFlags), 32, 8},
	{"QueryOpcode.NrQueryOpcodes", unsafe.Offsetof(QueryOpcode{}.NrQueryOpcodes), unsafe.Sizeof(QueryOpcode{}.NrQueryOpcodes), 40, 4},
	{"QueryOpcode.Pad", unsafe.Offsetof(QueryOpcode{}.Pad), unsafe.Sizeof(QueryOpcode{}.Pad), 44, 4},
	{"QueryZcrx", 0, unsafe.Sizeof(QueryZcrx{}), 0, 40},
	{"QueryZcrx.RegisterFlags", unsafe.Offsetof(QueryZcrx{}.RegisterFlags), unsafe.Sizeof(QueryZcrx{}.RegisterFlags), 0, 8},
	{"QueryZcrx.AreaFlags", unsafe.Offsetof(QueryZcrx{}.AreaFlags), unsafe.Sizeof(QueryZcrx{}.AreaFlags), 8, 8},
	{"QueryZcrx.NrCtrlOpcodes", unsafe.Offsetof(QueryZcrx{}.NrCtrlOpcodes), unsafe.Sizeof(QueryZcrx{}.NrCtrlOpcodes), 16, 4},
	{"QueryZcrx.Features", unsafe.Offsetof(QueryZcrx{}.Features), unsafe.Sizeof(QueryZcrx{}.Features), 20, 4},
	{"QueryZcrx.RqHdrSize", unsafe.Offsetof(QueryZcrx{}.RqHdrSize), unsafe.Sizeof(QueryZcrx{}.RqHdrSize), 24, 4},
	{"QueryZcrx.RqHdrAlignment", unsafe.Offsetof(QueryZcrx{}.RqHdrAlignment), unsafe.Sizeof(QueryZcrx{}.RqHdrAlignment), 28, 4},
	{"QueryZcrx.Resv2", unsafe.Offsetof(QueryZcrx{}.Resv2), unsafe.Sizeof(QueryZcrx{}.Resv2), 32, 8},
	{"QueryScq", 0, unsafe.Sizeof(QueryScq{}), 0, 16},
	{"QueryScq.HdrSize", unsafe.Offsetof(QueryScq{}.HdrSize), unsafe.Sizeof(QueryScq{}.HdrSize), 0, 8},
	{"QueryScq.HdrAlignment", unsafe.Offsetof(QueryScq{}.HdrAlignment), unsafe.Sizeof(QueryScq{}.HdrAlignment), 8, 8},
	{"BufRingTailOffset", BufRingTailOffset, 2, 14, 2},
}

func TestABIStructLayout(t *testing.T) {
	seen := make(map[string]bool)
	for _, c := range abiLayout {
		seen[c.what] = true
		if c.off != c.wantOff || c.size != c.wantSize {
			t.Errorf("%s: offset %d size %d, want offset %d size %d", c.what, c.off, c.size, c.wantOff, c.wantSize)
		}
	}
	// Every struct of the ABI files, and every field of it, is checked.
	for _, f := range parseABIFiles(t) {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				ts := s.(*ast.TypeSpec)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				if !seen[ts.Name.Name] {
					t.Errorf("struct %s: size not checked", ts.Name.Name)
				}
				for _, fld := range st.Fields.List {
					for _, n := range fld.Names {
						if n.Name != "_" && !seen[ts.Name.Name+"."+n.Name] {
							t.Errorf("%s.%s: offset not checked", ts.Name.Name, n.Name)
						}
					}
				}
			}
		}
	}
}

// abiU64 converts any integer constant to uint64 the way C's
// (unsigned long long) cast does (sign-extending negative values).
func abiU64[T ~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr](v T) uint64 {
	return uint64(v)
}

// abiConsts pairs each constant with its value in the C headers.
// Constants of the kernel header that liburing's copy lacks
// (UringCmdMultishot, the new UringCmdMask, NopFile … NopTW, the Napi*
// values) and the futex2 flags are not in it.
var abiConsts = []struct {
	name      string
	got, want uint64
}{
	{"SQEFixedFile", abiU64(SQEFixedFile), 0x1},
	{"SQEIODrain", abiU64(SQEIODrain), 0x2},
	{"SQEIOLink", abiU64(SQEIOLink), 0x4},
	{"SQEIOHardlink", abiU64(SQEIOHardlink), 0x8},
	{"SQEAsync", abiU64(SQEAsync), 0x10},
	{"SQEBufferSelect", abiU64(SQEBufferSelect), 0x20},
	{"SQECQESkipSuccess", abiU64(SQECQESkipSuccess), 0x40},
	{"FileIndexAlloc", abiU64(FileIndexAlloc), 0xffffffff},
	{"SetupIOPoll", abiU64(SetupIOPoll), 0x1},
	{"SetupSQPoll", abiU64(SetupSQPoll), 0x2},
	{"SetupSQAff", abiU64(SetupSQAff), 0x4},
	{"SetupCQSize", abiU64(SetupCQSize), 0x8},
	{"SetupClamp", abiU64(SetupClamp), 0x10},
	{"SetupAttachWQ", abiU64(SetupAttachWQ), 0x20},
	{"SetupRDisabled", abiU64(SetupRDisabled), 0x40},
	{"SetupSubmitAll", abiU64(SetupSubmitAll), 0x80},
	{"SetupCoopTaskrun", abiU64(SetupCoopTaskrun), 0x100},
	{"SetupTaskrunFlag", abiU64(SetupTaskrunFlag), 0x200},
	{"SetupSQE128", abiU64(SetupSQE128), 0x400},
	{"SetupCQE32", abiU64(SetupCQE32), 0x800},
	{"SetupSingleIssuer", abiU64(SetupSingleIssuer), 0x1000},
	{"SetupDeferTaskrun", abiU64(SetupDeferTaskrun), 0x2000},
	{"SetupNoMmap", abiU64(SetupNoMmap), 0x4000},
	{"SetupRegisteredFdOnly", abiU64(SetupRegisteredFdOnly), 0x8000},
	{"SetupNoSQArray", abiU64(SetupNoSQArray), 0x10000},
	{"SetupHybridIOPoll", abiU64(SetupHybridIOPoll), 0x20000},
	{"SetupCQEMixed", abiU64(SetupCQEMixed), 0x40000},
	{"SetupSQEMixed", abiU64(SetupSQEMixed), 0x80000},
	{"SetupSQRewind", abiU64(SetupSQRewind), 0x100000},
	{"UringCmdFixed", abiU64(UringCmdFixed), 0x1},
	{"FsyncDatasync", abiU64(FsyncDatasync), 0x1},
	{"TimeoutAbs", abiU64(TimeoutAbs), 0x1},
	{"TimeoutUpdate", abiU64(TimeoutUpdate), 0x2},
	{"TimeoutBoottime", abiU64(TimeoutBoottime), 0x4},
	{"TimeoutRealtime", abiU64(TimeoutRealtime), 0x8},
	{"LinkTimeoutUpdate", abiU64(LinkTimeoutUpdate), 0x10},
	{"TimeoutETimeSuccess", abiU64(TimeoutETimeSuccess), 0x20},
	{"TimeoutMultishot", abiU64(TimeoutMultishot), 0x40},
	{"TimeoutImmediateArg", abiU64(TimeoutImmediateArg), 0x80},
	{"TimeoutClockMask", abiU64(TimeoutClockMask), 0xc},
	{"TimeoutUpdateMask", abiU64(TimeoutUpdateMask), 0x12},
	{"SpliceFFdInFixed", abiU64(SpliceFFdInFixed), 0x80000000},
	{"PollAddMulti", abiU64(PollAddMulti), 0x1},
	{"PollUpdateEvents", abiU64(PollUpdateEvents), 0x2},
	{"PollUpdateUserData", abiU64(PollUpdateUserData), 0x4},
	{"PollAddLevel", abiU64(PollAddLevel), 0x8},
	{"AsyncCancelAll", abiU64(AsyncCancelAll), 0x1},
	{"AsyncCancelFd", abiU64(AsyncCancelFd), 0x2},
	{"AsyncCancelAny", abiU64(AsyncCancelAny), 0x4},
	{"AsyncCancelFdFixed", abiU64(AsyncCancelFdFixed), 0x8},
	{"AsyncCancelUserdata", abiU64(AsyncCancelUserdata), 0x10},
	{"AsyncCancelOp", abiU64(AsyncCancelOp), 0x20},
	{"RecvsendPollFirst", abiU64(RecvsendPollFirst), 0x1},
	{"RecvMultishot", abiU64(RecvMultishot), 0x2},
	{"RecvsendFixedBuf", abiU64(RecvsendFixedBuf), 0x4},
	{"SendZCReportUsage", abiU64(SendZCReportUsage), 0x8},
	{"RecvsendBundle", abiU64(RecvsendBundle), 0x10},
	{"SendVectorized", abiU64(SendVectorized), 0x20},
	{"NotifUsageZCCopied", abiU64(NotifUsageZCCopied), 0x80000000},
	{"AcceptMultishot", abiU64(AcceptMultishot), 0x1},
	{"AcceptDontwait", abiU64(AcceptDontwait), 0x2},
	{"AcceptPollFirst", abiU64(AcceptPollFirst), 0x4},
	{"MsgData", abiU64(MsgData), 0},
	{"MsgSendFd", abiU64(MsgSendFd), 0x1},
	{"MsgRingCQESkip", abiU64(MsgRingCQESkip), 0x1},
	{"MsgRingFlagsPass", abiU64(MsgRingFlagsPass), 0x2},
	{"FixedFdNoCloexec", abiU64(FixedFdNoCloexec), 0x1},
	{"NopInjectResult", abiU64(NopInjectResult), 0x1},
	{"NopCQE32", abiU64(NopCQE32), 0x20},
	{"CQEFBuffer", abiU64(CQEFBuffer), 0x1},
	{"CQEFMore", abiU64(CQEFMore), 0x2},
	{"CQEFSockNonempty", abiU64(CQEFSockNonempty), 0x4},
	{"CQEFNotif", abiU64(CQEFNotif), 0x8},
	{"CQEFBufMore", abiU64(CQEFBufMore), 0x10},
	{"CQEFSkip", abiU64(CQEFSkip), 0x20},
	{"CQEF32", abiU64(CQEF32), 0x8000},
	{"CQEBufferShift", abiU64(CQEBufferShift), 0x10},
	{"offSQRing", abiU64(offSQRing), 0},
	{"offCQRing", abiU64(offCQRing), 0x8000000},
	{"offSQEs", abiU64(offSQEs), 0x10000000},
	{"offPbufRing", abiU64(offPbufRing), 0x80000000},
	{"offPbufShift", abiU64(offPbufShift), 0x10},
	{"offMmapMask", abiU64(offMmapMask), 0xf8000000},
	{"SQNeedWakeup", abiU64(SQNeedWakeup), 0x1},
	{"SQCQOverflow", abiU64(SQCQOverflow), 0x2},
	{"SQTaskrun", abiU64(SQTaskrun), 0x4},
	{"CQEventfdDisabled", abiU64(CQEventfdDisabled), 0x1},
	{"EnterGetEvents", abiU64(EnterGetEvents), 0x1},
	{"EnterSQWakeup", abiU64(EnterSQWakeup), 0x2},
	{"EnterSQWait", abiU64(EnterSQWait), 0x4},
	{"EnterExtArg", abiU64(EnterExtArg), 0x8},
	{"EnterRegisteredRing", abiU64(EnterRegisteredRing), 0x10},
	{"EnterAbsTimer", abiU64(EnterAbsTimer), 0x20},
	{"EnterExtArgReg", abiU64(EnterExtArgReg), 0x40},
	{"EnterNoIOWait", abiU64(EnterNoIOWait), 0x80},
	{"FeatSingleMmap", abiU64(FeatSingleMmap), 0x1},
	{"FeatNoDrop", abiU64(FeatNoDrop), 0x2},
	{"FeatSubmitStable", abiU64(FeatSubmitStable), 0x4},
	{"FeatRWCurPos", abiU64(FeatRWCurPos), 0x8},
	{"FeatCurPersonality", abiU64(FeatCurPersonality), 0x10},
	{"FeatFastPoll", abiU64(FeatFastPoll), 0x20},
	{"FeatPoll32Bits", abiU64(FeatPoll32Bits), 0x40},
	{"FeatSQPollNonfixed", abiU64(FeatSQPollNonfixed), 0x80},
	{"FeatExtArg", abiU64(FeatExtArg), 0x100},
	{"FeatNativeWorkers", abiU64(FeatNativeWorkers), 0x200},
	{"FeatRsrcTags", abiU64(FeatRsrcTags), 0x400},
	{"FeatCQESkip", abiU64(FeatCQESkip), 0x800},
	{"FeatLinkedFile", abiU64(FeatLinkedFile), 0x1000},
	{"FeatRegRegRing", abiU64(FeatRegRegRing), 0x2000},
	{"FeatRecvsendBundle", abiU64(FeatRecvsendBundle), 0x4000},
	{"FeatMinTimeout", abiU64(FeatMinTimeout), 0x8000},
	{"FeatRWAttr", abiU64(FeatRWAttr), 0x10000},
	{"FeatNoIOWait", abiU64(FeatNoIOWait), 0x20000},
	{"RegisterOpBuffers", abiU64(RegisterOpBuffers), 0},
	{"RegisterOpUnregisterBuffers", abiU64(RegisterOpUnregisterBuffers), 0x1},
	{"RegisterOpFiles", abiU64(RegisterOpFiles), 0x2},
	{"RegisterOpUnregisterFiles", abiU64(RegisterOpUnregisterFiles), 0x3},
	{"RegisterOpEventfd", abiU64(RegisterOpEventfd), 0x4},
	{"RegisterOpUnregisterEventfd", abiU64(RegisterOpUnregisterEventfd), 0x5},
	{"RegisterOpFilesUpdate", abiU64(RegisterOpFilesUpdate), 0x6},
	{"RegisterOpEventfdAsync", abiU64(RegisterOpEventfdAsync), 0x7},
	{"RegisterOpProbe", abiU64(RegisterOpProbe), 0x8},
	{"RegisterOpPersonality", abiU64(RegisterOpPersonality), 0x9},
	{"RegisterOpUnregisterPersonality", abiU64(RegisterOpUnregisterPersonality), 0xa},
	{"RegisterOpRestrictions", abiU64(RegisterOpRestrictions), 0xb},
	{"RegisterOpEnableRings", abiU64(RegisterOpEnableRings), 0xc},
	{"RegisterOpFiles2", abiU64(RegisterOpFiles2), 0xd},
	{"RegisterOpFilesUpdate2", abiU64(RegisterOpFilesUpdate2), 0xe},
	{"RegisterOpBuffers2", abiU64(RegisterOpBuffers2), 0xf},
	{"RegisterOpBuffersUpdate", abiU64(RegisterOpBuffersUpdate), 0x10},
	{"RegisterOpIOWQAff", abiU64(RegisterOpIOWQAff), 0x11},
	{"RegisterOpUnregisterIOWQAff", abiU64(RegisterOpUnregisterIOWQAff), 0x12},
	{"RegisterOpIOWQMaxWorkers", abiU64(RegisterOpIOWQMaxWorkers), 0x13},
	{"RegisterOpRingFds", abiU64(RegisterOpRingFds), 0x14},
	{"RegisterOpUnregisterRingFds", abiU64(RegisterOpUnregisterRingFds), 0x15},
	{"RegisterOpPbufRing", abiU64(RegisterOpPbufRing), 0x16},
	{"RegisterOpUnregisterPbufRing", abiU64(RegisterOpUnregisterPbufRing), 0x17},
	{"RegisterOpSyncCancel", abiU64(RegisterOpSyncCancel), 0x18},
	{"RegisterOpFileAllocRange", abiU64(RegisterOpFileAllocRange), 0x19},
	{"RegisterOpPbufStatus", abiU64(RegisterOpPbufStatus), 0x1a},
	{"RegisterOpNapi", abiU64(RegisterOpNapi), 0x1b},
	{"RegisterOpUnregisterNapi", abiU64(RegisterOpUnregisterNapi), 0x1c},
	{"RegisterOpClock", abiU64(RegisterOpClock), 0x1d},
	{"RegisterOpCloneBuffers", abiU64(RegisterOpCloneBuffers), 0x1e},
	{"RegisterOpSendMsgRing", abiU64(RegisterOpSendMsgRing), 0x1f},
	{"RegisterOpZcrxIfq", abiU64(RegisterOpZcrxIfq), 0x20},
	{"RegisterOpResizeRings", abiU64(RegisterOpResizeRings), 0x21},
	{"RegisterOpMemRegion", abiU64(RegisterOpMemRegion), 0x22},
	{"RegisterOpQuery", abiU64(RegisterOpQuery), 0x23},
	{"RegisterOpZcrxCtrl", abiU64(RegisterOpZcrxCtrl), 0x24},
	{"RegisterOpBPFFilter", abiU64(RegisterOpBPFFilter), 0x25},
	{"RegisterOpLast", abiU64(RegisterOpLast), 0x26},
	{"RegisterOpUseRegisteredRing", abiU64(RegisterOpUseRegisteredRing), 0x80000000},
	{"IOWQBound", abiU64(IOWQBound), 0},
	{"IOWQUnbound", abiU64(IOWQUnbound), 0x1},
	{"MemRegionTypeUser", abiU64(MemRegionTypeUser), 0x1},
	{"MemRegionRegWaitArg", abiU64(MemRegionRegWaitArg), 0x1},
	{"RsrcRegisterSparse", abiU64(RsrcRegisterSparse), 0x1},
	{"RegisterFilesSkip", abiU64(RegisterFilesSkip), 0xfffffffffffffffe},
	{"ProbeOpSupported", abiU64(ProbeOpSupported), 0x1},
	{"RestrictionRegisterOp", abiU64(RestrictionRegisterOp), 0},
	{"RestrictionSQEOp", abiU64(RestrictionSQEOp), 0x1},
	{"RestrictionSQEFlagsAllowed", abiU64(RestrictionSQEFlagsAllowed), 0x2},
	{"RestrictionSQEFlagsRequired", abiU64(RestrictionSQEFlagsRequired), 0x3},
	{"RestrictionLast", abiU64(RestrictionLast), 0x4},
	{"CloneSrcRegistered", abiU64(CloneSrcRegistered), 0x1},
	{"CloneDstReplace", abiU64(CloneDstReplace), 0x2},
	{"PbufRingMmap", abiU64(PbufRingMmap), 0x1},
	{"PbufRingInc", abiU64(PbufRingInc), 0x2},
	{"RegWaitTS", abiU64(RegWaitTS), 0x1},
	{"SocketOpSiocinq", abiU64(SocketOpSiocinq), 0},
	{"SocketOpSiocoutq", abiU64(SocketOpSiocoutq), 0x1},
	{"SocketOpGetsockopt", abiU64(SocketOpGetsockopt), 0x2},
	{"SocketOpSetsockopt", abiU64(SocketOpSetsockopt), 0x3},
	{"SocketOpTxTimestamp", abiU64(SocketOpTxTimestamp), 0x4},
	{"SocketOpGetsockname", abiU64(SocketOpGetsockname), 0x5},
	{"TimestampHWShift", abiU64(TimestampHWShift), 0x10},
	{"TimestampTypeShift", abiU64(TimestampTypeShift), 0x11},
	{"CQEFTstampHW", abiU64(CQEFTstampHW), 0x10000},
	{"ZcrxAreaShift", abiU64(ZcrxAreaShift), 0x30},
	{"ZcrxAreaMask", abiU64(ZcrxAreaMask), 0xffff000000000000},
	{"ZcrxAreaDmabuf", abiU64(ZcrxAreaDmabuf), 0x1},
	{"ZcrxRegImport", abiU64(ZcrxRegImport), 0x1},
	{"ZcrxRegNodev", abiU64(ZcrxRegNodev), 0x2},
	{"ZcrxFeatureRxPageSize", abiU64(ZcrxFeatureRxPageSize), 0x1},
	{"ZcrxCtrlFlushRQ", abiU64(ZcrxCtrlFlushRQ), 0},
	{"ZcrxCtrlExport", abiU64(ZcrxCtrlExport), 0x1},
	{"ZcrxCtrlLast", abiU64(ZcrxCtrlLast), 0x2},
	{"RWAttrFlagPI", abiU64(RWAttrFlagPI), 0x1},
	{"QueryOpOpcodes", abiU64(QueryOpOpcodes), 0},
	{"QueryOpZcrx", abiU64(QueryOpZcrx), 0x1},
	{"QueryOpScq", abiU64(QueryOpScq), 0x2},
	{"QueryOpMax", abiU64(QueryOpMax), 0x3},
	{"FutexBitsetMatchAny", abiU64(FutexBitsetMatchAny), 0xffffffff},
	{"FutexWaitvMax", abiU64(FutexWaitvMax), 0x80},
	{"Futex2Private", abiU64(Futex2Private), 0x80},
	{"OpLast", abiU64(OpLast), 0x41},
	{"OpNop", abiU64(OpNop), 0},
	{"OpReadv", abiU64(OpReadv), 0x1},
	{"OpWritev", abiU64(OpWritev), 0x2},
	{"OpFsync", abiU64(OpFsync), 0x3},
	{"OpReadFixed", abiU64(OpReadFixed), 0x4},
	{"OpWriteFixed", abiU64(OpWriteFixed), 0x5},
	{"OpPollAdd", abiU64(OpPollAdd), 0x6},
	{"OpPollRemove", abiU64(OpPollRemove), 0x7},
	{"OpSyncFileRange", abiU64(OpSyncFileRange), 0x8},
	{"OpSendmsg", abiU64(OpSendmsg), 0x9},
	{"OpRecvmsg", abiU64(OpRecvmsg), 0xa},
	{"OpTimeout", abiU64(OpTimeout), 0xb},
	{"OpTimeoutRemove", abiU64(OpTimeoutRemove), 0xc},
	{"OpAccept", abiU64(OpAccept), 0xd},
	{"OpAsyncCancel", abiU64(OpAsyncCancel), 0xe},
	{"OpLinkTimeout", abiU64(OpLinkTimeout), 0xf},
	{"OpConnect", abiU64(OpConnect), 0x10},
	{"OpFallocate", abiU64(OpFallocate), 0x11},
	{"OpOpenat", abiU64(OpOpenat), 0x12},
	{"OpClose", abiU64(OpClose), 0x13},
	{"OpFilesUpdate", abiU64(OpFilesUpdate), 0x14},
	{"OpStatx", abiU64(OpStatx), 0x15},
	{"OpRead", abiU64(OpRead), 0x16},
	{"OpWrite", abiU64(OpWrite), 0x17},
	{"OpFadvise", abiU64(OpFadvise), 0x18},
	{"OpMadvise", abiU64(OpMadvise), 0x19},
	{"OpSend", abiU64(OpSend), 0x1a},
	{"OpRecv", abiU64(OpRecv), 0x1b},
	{"OpOpenat2", abiU64(OpOpenat2), 0x1c},
	{"OpEpollCtl", abiU64(OpEpollCtl), 0x1d},
	{"OpSplice", abiU64(OpSplice), 0x1e},
	{"OpProvideBuffers", abiU64(OpProvideBuffers), 0x1f},
	{"OpRemoveBuffers", abiU64(OpRemoveBuffers), 0x20},
	{"OpTee", abiU64(OpTee), 0x21},
	{"OpShutdown", abiU64(OpShutdown), 0x22},
	{"OpRenameat", abiU64(OpRenameat), 0x23},
	{"OpUnlinkat", abiU64(OpUnlinkat), 0x24},
	{"OpMkdirat", abiU64(OpMkdirat), 0x25},
	{"OpSymlinkat", abiU64(OpSymlinkat), 0x26},
	{"OpLinkat", abiU64(OpLinkat), 0x27},
	{"OpMsgRing", abiU64(OpMsgRing), 0x28},
	{"OpFsetxattr", abiU64(OpFsetxattr), 0x29},
	{"OpSetxattr", abiU64(OpSetxattr), 0x2a},
	{"OpFgetxattr", abiU64(OpFgetxattr), 0x2b},
	{"OpGetxattr", abiU64(OpGetxattr), 0x2c},
	{"OpSocket", abiU64(OpSocket), 0x2d},
	{"OpUringCmd", abiU64(OpUringCmd), 0x2e},
	{"OpSendZC", abiU64(OpSendZC), 0x2f},
	{"OpSendmsgZC", abiU64(OpSendmsgZC), 0x30},
	{"OpReadMultishot", abiU64(OpReadMultishot), 0x31},
	{"OpWaitid", abiU64(OpWaitid), 0x32},
	{"OpFutexWait", abiU64(OpFutexWait), 0x33},
	{"OpFutexWake", abiU64(OpFutexWake), 0x34},
	{"OpFutexWaitv", abiU64(OpFutexWaitv), 0x35},
	{"OpFixedFdInstall", abiU64(OpFixedFdInstall), 0x36},
	{"OpFtruncate", abiU64(OpFtruncate), 0x37},
	{"OpBind", abiU64(OpBind), 0x38},
	{"OpListen", abiU64(OpListen), 0x39},
	{"OpRecvZC", abiU64(OpRecvZC), 0x3a},
	{"OpEpollWait", abiU64(OpEpollWait), 0x3b},
	{"OpReadvFixed", abiU64(OpReadvFixed), 0x3c},
	{"OpWritevFixed", abiU64(OpWritevFixed), 0x3d},
	{"OpPipe", abiU64(OpPipe), 0x3e},
	{"OpNop128", abiU64(OpNop128), 0x3f},
	{"OpUringCmd128", abiU64(OpUringCmd128), 0x40},
}

func TestABIConstValues(t *testing.T) {
	for _, c := range abiConsts {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

var abiSetupFlagNames = map[string]uint32{
	"IOPOLL":             0x1,
	"SQPOLL":             0x2,
	"SQ_AFF":             0x4,
	"CQSIZE":             0x8,
	"CLAMP":              0x10,
	"ATTACH_WQ":          0x20,
	"R_DISABLED":         0x40,
	"SUBMIT_ALL":         0x80,
	"COOP_TASKRUN":       0x100,
	"TASKRUN_FLAG":       0x200,
	"SQE128":             0x400,
	"CQE32":              0x800,
	"SINGLE_ISSUER":      0x1000,
	"DEFER_TASKRUN":      0x2000,
	"NO_MMAP":            0x4000,
	"REGISTERED_FD_ONLY": 0x8000,
	"NO_SQARRAY":         0x10000,
	"HYBRID_IOPOLL":      0x20000,
	"CQE_MIXED":          0x40000,
	"SQE_MIXED":          0x80000,
	"SQ_REWIND":          0x100000,
}

var abiFeatureNames = map[string]uint32{
	"SINGLE_MMAP":     0x1,
	"NODROP":          0x2,
	"SUBMIT_STABLE":   0x4,
	"RW_CUR_POS":      0x8,
	"CUR_PERSONALITY": 0x10,
	"FAST_POLL":       0x20,
	"POLL_32BITS":     0x40,
	"SQPOLL_NONFIXED": 0x80,
	"EXT_ARG":         0x100,
	"NATIVE_WORKERS":  0x200,
	"RSRC_TAGS":       0x400,
	"CQE_SKIP":        0x800,
	"LINKED_FILE":     0x1000,
	"REG_REG_RING":    0x2000,
	"RECVSEND_BUNDLE": 0x4000,
	"MIN_TIMEOUT":     0x8000,
	"RW_ATTR":         0x10000,
	"NO_IOWAIT":       0x20000,
}

func TestABIFlagNames(t *testing.T) {
	if len(SetupFlagNames) != len(abiSetupFlagNames) {
		t.Errorf("SetupFlagNames has %d entries, the header %d", len(SetupFlagNames), len(abiSetupFlagNames))
	}
	for i, f := range SetupFlagNames {
		if want, ok := abiSetupFlagNames[f.Name]; !ok || f.Flag != want || f.Flag != 1<<i {
			t.Errorf("SetupFlagNames[%d] = {%#x, %q}, header IORING_SETUP_%s = %#x", i, f.Flag, f.Name, f.Name, want)
		}
	}
	if len(FeatureNames) != len(abiFeatureNames) {
		t.Errorf("FeatureNames has %d entries, the header %d", len(FeatureNames), len(abiFeatureNames))
	}
	for i, f := range FeatureNames {
		if want, ok := abiFeatureNames[f.Name]; !ok || f.Bit != want || f.Bit != 1<<i {
			t.Errorf("FeatureNames[%d] = {%#x, %q}, header IORING_FEAT_%s = %#x", i, f.Bit, f.Name, f.Name, want)
		}
	}
}

func TestABISetupFlagsString(t *testing.T) {
	for _, c := range []struct {
		flags uint32
		want  string
	}{
		{0, "0"},
		{SetupSQPoll, "SQPOLL"},
		{SetupSQPoll | SetupSingleIssuer, "SQPOLL|SINGLE_ISSUER"},
		{SetupIOPoll | SetupSQRewind | 1<<30, "IOPOLL|SQ_REWIND|0x40000000"},
	} {
		if got := SetupFlagsString(c.flags); got != c.want {
			t.Errorf("SetupFlagsString(%#x) = %q, want %q", c.flags, got, c.want)
		}
	}
}

func TestOpCount(t *testing.T) {
	if OpLast != 65 || len(opInfo) != 65 {
		t.Fatalf("OpLast = %d, len(opInfo) = %d, want 65 opcodes (NOP..URING_CMD128)", OpLast, len(opInfo))
	}
	if OpUringCmd128 != OpLast-1 {
		t.Errorf("OpUringCmd128 = %d, want OpLast-1", OpUringCmd128)
	}
}

var abiVersion = regexp.MustCompile(`^[2-9]\.[0-9]+(\.[0-9]+)?$`)

func TestOpStringSince(t *testing.T) {
	names := make(map[string]Op)
	for o := Op(0); o < OpLast; o++ {
		name, since := o.String(), o.Since()
		if name == "" || strings.HasPrefix(name, "Op(") || !abiVersion.MatchString(since) {
			t.Errorf("Op %d: String %q, Since %q", o, name, since)
		}
		if prev, dup := names[name]; dup {
			t.Errorf("Op %d and %d are both %q", prev, o, name)
		}
		names[name] = o
	}
	if got := Op(200).String(); got != "Op(200)" {
		t.Errorf("Op(200).String() = %q", got)
	}
	if got := OpLast.Since(); got != "" {
		t.Errorf("OpLast.Since() = %q, want \"\"", got)
	}
	if OpReadFixed.String() != "READ_FIXED" || OpReadFixed.Since() != "5.1" {
		t.Errorf("OpReadFixed = %q since %q", OpReadFixed.String(), OpReadFixed.Since())
	}
}

// TestABIConstComments checks that every constant of the ABI files
// carries its kernel version as trailing comment, and that those comments
// agree with Op.Since, SetupFlagNames and FeatureNames.
func TestABIConstComments(t *testing.T) {
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range abiFiles {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	// Type-check only for the constants' values; the imports are stubbed
	// and the errors that causes are ignored.
	info := &types.Info{Defs: make(map[*ast.Ident]types.Object)}
	conf := types.Config{Importer: abiStubImporter{}, Error: func(error) {}}
	conf.Check("uring", fset, files, info)

	since := make(map[string]string) // constant name → version
	value := make(map[string]uint64)
	for _, f := range files[1:] { // abi_ring.go's mmap offsets are private
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				var v string
				if vs.Comment != nil {
					v, _, _ = strings.Cut(strings.TrimSpace(vs.Comment.Text()), " ")
				}
				for _, n := range vs.Names {
					if !abiVersion.MatchString(v) {
						t.Errorf("%s: trailing comment %q does not start with a kernel version", n.Name, v)
					}
					if n.IsExported() && g.Doc == nil && vs.Doc == nil {
						t.Errorf("%s: no doc comment on it or its group", n.Name)
					}
					since[n.Name] = v
					if c, ok := info.Defs[n].(*types.Const); ok {
						if u, exact := constantUint64(c); exact {
							value[n.Name] = u
						}
					}
				}
			}
		}
	}
	byValue := func(prefix string, v uint64) string {
		for name, x := range value {
			if strings.HasPrefix(name, prefix) && x == v {
				return name
			}
		}
		return ""
	}
	for name, v := range value {
		if strings.HasPrefix(name, "Op") && v < uint64(OpLast) && since[name] != Op(v).Since() {
			t.Errorf("%s: comment says %s, Op.Since %s", name, since[name], Op(v).Since())
		}
	}
	for _, f := range SetupFlagNames {
		if name := byValue("Setup", uint64(f.Flag)); name == "" || since[name] != f.Since {
			t.Errorf("SetupFlagNames %s: Since %s, constant %s says %s", f.Name, f.Since, name, since[name])
		}
	}
	for _, f := range FeatureNames {
		if name := byValue("Feat", uint64(f.Bit)); name == "" || since[name] != f.Since {
			t.Errorf("FeatureNames %s: Since %s, constant %s says %s", f.Name, f.Since, name, since[name])
		}
	}
	if len(value) < 250 {
		t.Errorf("only %d constants evaluated; type-checking failed?", len(value))
	}
}

// constantUint64 returns an integer constant's value as a C cast to
// unsigned long long would.
func constantUint64(c *types.Const) (uint64, bool) {
	v := constant.ToInt(c.Val())
	if u, ok := constant.Uint64Val(v); ok {
		return u, true
	}
	if i, ok := constant.Int64Val(v); ok {
		return uint64(i), true
	}
	return 0, false
}

type abiStubImporter struct{}

func (abiStubImporter) Import(path string) (*types.Package, error) {
	return types.NewPackage(path, path[strings.LastIndex(path, "/")+1:]), nil
}

func parseABIFiles(t *testing.T) []*ast.File {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range abiFiles {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}
