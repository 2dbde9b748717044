package uring

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Tests of the register calls in register.go, one behaviour each, on the
// running kernel.

// skipIfRegisterUnsupported skips the test when err says the kernel does
// not know the register opcode (EINVAL from kernels predating it).
func skipIfRegisterUnsupported(t *testing.T, err error, what string) {
	t.Helper()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) {
		t.Skipf("%s not supported by this kernel: %v", what, err)
	}
}

func TestRegisterBuffersThenReadFixed(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, []byte("registered buffer"))
	buf := heapBytes(4096)
	mustRegisterBuffers(t, r, buf)

	wantReadFixed(t, r, "read_fixed", fdOf(t, f), buf[:17], 0, "registered buffer")
	if err := r.UnregisterBuffers(); err != nil {
		t.Fatalf("UnregisterBuffers: %v", err)
	}
	runtime.KeepAlive(buf)
}

func TestUnregisterBuffersWithoutTableFailsENXIO(t *testing.T) {
	r := mustRing(t, 4, 0)
	if err := r.UnregisterBuffers(); !errors.Is(err, syscall.ENXIO) {
		t.Fatalf("UnregisterBuffers on a ring without buffers: %v, want ENXIO", err)
	}
}

func TestRegisterBuffersUpdateFillsSparseSlot(t *testing.T) {
	r := mustRing(t, 4, 0)
	if err := r.RegisterBuffersSparse(4); err != nil {
		skipIfRegisterUnsupported(t, err, "sparse registered buffers (5.19)")
		t.Fatalf("RegisterBuffersSparse: %v", err)
	}
	f := tempFile(t, []byte("slot three"))
	buf := heapBytes(64)

	n, err := r.RegisterBuffersUpdateTag(3, [][]byte{buf}, nil)
	if err != nil || n != 1 {
		t.Fatalf("RegisterBuffersUpdateTag = %d, %v; want 1", n, err)
	}
	wantReadFixed(t, r, "read_fixed into updated slot 3", fdOf(t, f), buf[:10], 3, "slot three")
	runtime.KeepAlive(buf)
}

func TestRegisterBuffersTagPostsCQEWhenUnregistered(t *testing.T) {
	r := mustRing(t, 4, 0)
	if r.Features()&FeatRsrcTags == 0 {
		t.Skip("resource tags not supported (IORING_FEAT_RSRC_TAGS, 5.13)")
	}
	buf := heapBytes(64)
	if err := r.RegisterBuffersTags([][]byte{buf}, []uint64{0x7a9}); err != nil {
		t.Fatalf("RegisterBuffersTags: %v", err)
	}
	if err := r.UnregisterBuffers(); err != nil {
		t.Fatalf("UnregisterBuffers: %v", err)
	}
	c := reap(t, r, 1)[0]
	if c.UserData != 0x7a9 || c.Res != 0 {
		t.Fatalf("tag completion %+v, want user data 0x7a9, res 0", c)
	}
	runtime.KeepAlive(buf)
}

func TestCloneBuffersToSecondRing(t *testing.T) {
	src := mustRing(t, 4, 0)
	dst := mustRing(t, 4, 0)
	f := tempFile(t, []byte("cloned"))
	buf := heapBytes(64)
	mustRegisterBuffers(t, src, heapBytes(64), buf)
	if err := dst.CloneBuffers(src); err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_CLONE_BUFFERS (6.12)")
		t.Fatalf("CloneBuffers: %v", err)
	}

	wantReadFixed(t, dst, "read_fixed on the clone", fdOf(t, f), buf[:6], 1, "cloned")
	runtime.KeepAlive(buf)
}

func TestRegisterFilesThenFixedRead(t *testing.T) {
	r := mustRing(t, 4, 0)
	f := tempFile(t, []byte("fixed file"))
	mustRegisterFiles(t, r, -1, fdOf(t, f))
	buf := heapBytes(10)

	wantRes(t, "read through fixed file 1", fixedRead(t, r, 1, buf), 10)
	if string(buf) != "fixed file" {
		t.Fatalf("read %q", buf)
	}
	if err := r.UnregisterFiles(); err != nil {
		t.Fatalf("UnregisterFiles: %v", err)
	}
}

func TestRegisterFilesUpdateReplacesSlot(t *testing.T) {
	r := mustRing(t, 4, 0)
	mustRegisterFiles(t, r, -1, -1, -1)
	f := tempFile(t, []byte("updated"))
	n, err := r.RegisterFilesUpdate(2, []int32{fdOf(t, f)})
	if err != nil || n != 1 {
		t.Fatalf("RegisterFilesUpdate = %d, %v; want 1", n, err)
	}
	buf := heapBytes(7)

	wantRes(t, "read through updated slot 2", fixedRead(t, r, 2, buf), 7)
	if string(buf) != "updated" {
		t.Fatalf("read %q", buf)
	}
}

func TestSizeFileTableStaysBelowRlimit(t *testing.T) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	got := SizeFileTable(1 << 30)
	if got == 0 || (rl.Cur != unix.RLIM_INFINITY && uint64(got) >= rl.Cur) {
		t.Fatalf("SizeFileTable(1<<30) = %d with RLIMIT_NOFILE %d; want 0 < n < limit", got, rl.Cur)
	}
	if small := SizeFileTable(16); small != 16 {
		t.Fatalf("SizeFileTable(16) = %d, want 16", small)
	}
}

func TestRegisterFilesSparseSizedForRlimitSucceeds(t *testing.T) {
	r := mustRing(t, 4, 0)
	n := SizeFileTable(65535)
	if err := r.RegisterFilesSparse(n); err != nil {
		t.Fatalf("RegisterFilesSparse(SizeFileTable(65535) = %d): %v", n, err)
	}
}

func TestRegisterFileAllocRangeBoundsDirectAlloc(t *testing.T) {
	r := mustRing(t, 8, 0)
	if !opSupported(t, r, OpSocket) {
		t.Skip("IORING_OP_SOCKET not supported (5.19)")
	}
	mustRegisterFilesSparse(t, r, 8)
	if err := r.RegisterFileAllocRange(5, 2); err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_FILE_ALLOC_RANGE (6.0)")
		t.Fatalf("RegisterFileAllocRange: %v", err)
	}

	// Two allocations land in slots 5 and 6; the range is then full.
	for i, want := range []int32{5, 6, errnoRes(syscall.ENFILE)} {
		sqe := mustSQE(t, r)
		sqe.PrepSocketDirectAlloc(unix.AF_INET, unix.SOCK_STREAM, 0, 0)
		sqe.SetUserData(uint64(i))
		wantRes(t, "socket_direct_alloc", runOne(t, r), want)
	}
}

func TestRegisterEventfdSignalledByCompletion(t *testing.T) {
	r := mustRing(t, 4, 0)
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(efd)
	if err := r.RegisterEventfd(efd); err != nil {
		t.Fatalf("RegisterEventfd: %v", err)
	}

	mustSQE(t, r).PrepNop()
	wantRes(t, "nop", runOne(t, r), 0)

	var count [8]byte
	if n, err := unix.Read(efd, count[:]); err != nil || n != 8 {
		t.Fatalf("eventfd read = %d, %v; want a signal after the completion", n, err)
	}
	if v := *(*uint64)(unsafe.Pointer(&count)); v == 0 {
		t.Fatal("eventfd counter 0 after a completion")
	}
	if err := r.UnregisterEventfd(); err != nil {
		t.Fatalf("UnregisterEventfd: %v", err)
	}
}

func TestRegisterPersonalityLifecycle(t *testing.T) {
	r := mustRing(t, 4, 0)
	id, err := r.RegisterPersonality()
	if err != nil {
		t.Fatalf("RegisterPersonality: %v", err)
	}
	if id == 0 {
		t.Fatal("RegisterPersonality returned id 0")
	}

	sqe := mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetPersonality(id)
	wantRes(t, "nop with the registered personality", runOne(t, r), 0)

	if err := r.UnregisterPersonality(id); err != nil {
		t.Fatalf("UnregisterPersonality: %v", err)
	}
	sqe = mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetPersonality(id)
	wantRes(t, "nop with the unregistered personality", runOne(t, r), errnoRes(syscall.EINVAL))
}

func TestRegisterRestrictionsRejectOtherOps(t *testing.T) {
	r := mustRing(t, 4, SetupRDisabled)
	err := r.RegisterRestrictions([]Restriction{
		{Opcode: RestrictionSQEOp, Arg: uint8(OpNop)},
	})
	if err != nil {
		t.Fatalf("RegisterRestrictions: %v", err)
	}
	if err := r.EnableRings(); err != nil {
		t.Fatalf("EnableRings: %v", err)
	}
	rfd, _ := mustPipe(t)
	buf := heapBytes(8)

	sqe := mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetUserData(1)
	sqe = mustSQE(t, r)
	sqe.PrepRead(rfd, buf, 0)
	sqe.SetUserData(2)
	got := byUserData(t, submitAndReap(t, r, 2))
	wantRes(t, "allowed nop", got[1], 0)
	wantRes(t, "restricted read", got[2], errnoRes(syscall.EACCES))
	runtime.KeepAlive(buf)
}

func TestRegisterIOWQMaxWorkersReadBack(t *testing.T) {
	// The kernel answers from the calling thread's io-wq, which its first
	// submission creates: stay on one thread and submit once first.
	lockThread(t)
	r := mustRing(t, 4, 0)
	mustSQE(t, r).PrepNop()
	wantRes(t, "nop", runOne(t, r), 0)

	set := [2]uint32{3, 5}
	if err := r.RegisterIOWQMaxWorkers(&set); err != nil {
		t.Fatalf("RegisterIOWQMaxWorkers(3, 5): %v", err)
	}
	get := [2]uint32{0, 0}
	if err := r.RegisterIOWQMaxWorkers(&get); err != nil {
		t.Fatalf("RegisterIOWQMaxWorkers(0, 0): %v", err)
	}
	if get != [2]uint32{3, 5} {
		t.Fatalf("read back %v, want [3 5]", get)
	}
}

func TestRegisterIOWQAffAndUnregister(t *testing.T) {
	r := mustRing(t, 4, 0)
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterIOWQAff(&set); err != nil {
		t.Fatalf("RegisterIOWQAff: %v", err)
	}
	if err := r.UnregisterIOWQAff(); err != nil {
		t.Fatalf("UnregisterIOWQAff: %v", err)
	}
}

func TestRegisterSyncCancelPendingPipeRead(t *testing.T) {
	r := mustRing(t, 4, 0)
	rfd, _ := mustPipe(t)
	buf := heapBytes(8)

	sqe := mustSQE(t, r)
	sqe.PrepRead(rfd, buf, 0)
	sqe.SetUserData(42)
	mustSubmit(t, r, 1)
	noCQE(t, r)

	err := r.RegisterSyncCancel(&SyncCancelReg{
		Addr:    42,
		Fd:      -1,
		Timeout: Timespec{Sec: -1, Nsec: -1},
	})
	if err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_SYNC_CANCEL (6.0)")
		t.Fatalf("RegisterSyncCancel: %v", err)
	}
	c := reap(t, r, 1)[0]
	if c.UserData != 42 {
		t.Fatalf("completion %+v, want user data 42", c)
	}
	wantRes(t, "cancelled read", c, errnoRes(syscall.ECANCELED))
	runtime.KeepAlive(buf)
}

func TestRegisterNapiRoundTrip(t *testing.T) {
	r := mustRing(t, 4, 0)
	napi := NapiReg{BusyPollTo: 50, PreferBusyPoll: 1}
	if err := r.RegisterNapi(&napi); err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_NAPI (6.9, CONFIG_NET_RX_BUSY_POLL)")
		t.Fatalf("RegisterNapi: %v", err)
	}
	var prev NapiReg
	if err := r.UnregisterNapi(&prev); err != nil {
		t.Fatalf("UnregisterNapi: %v", err)
	}
	if prev.BusyPollTo != 50 || prev.PreferBusyPoll != 1 {
		t.Fatalf("UnregisterNapi reported %+v, want the registered timeout 50 and prefer 1", prev)
	}
}

func TestRegisterClockBoottime(t *testing.T) {
	r := mustRing(t, 4, 0)
	if err := r.RegisterClock(unix.CLOCK_BOOTTIME); err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_CLOCK (6.12)")
		t.Fatalf("RegisterClock(CLOCK_BOOTTIME): %v", err)
	}
	// Waits still work with the new clock.
	mustSQE(t, r).PrepNop()
	wantRes(t, "nop", runOne(t, r), 0)
}

func TestRegisterClockRejectsRealtime(t *testing.T) {
	r := mustRing(t, 4, 0)
	if err := r.RegisterClock(unix.CLOCK_MONOTONIC); err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_CLOCK (6.12)")
		t.Fatalf("RegisterClock(CLOCK_MONOTONIC): %v", err)
	}
	if err := r.RegisterClock(unix.CLOCK_REALTIME); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("RegisterClock(CLOCK_REALTIME): %v, want EINVAL", err)
	}
}

func TestRegisterRingFdThenUnregister(t *testing.T) {
	// Registered ring fds live in the calling thread's io_uring context.
	lockThread(t)
	r := mustRing(t, 4, 0)
	mustRegisterRingFd(t, r)

	// Enter goes through the registered index now, and so do register
	// calls exactly when the kernel has FeatRegRegRing.
	mustSQE(t, r).PrepNop()
	wantRes(t, "nop through the registered ring fd", runOne(t, r), 0)
	hasRegReg := r.Features()&FeatRegRegRing != 0
	if useRing := r.registerUseRing != 0; useRing != hasRegReg {
		t.Fatalf("register calls through the registered index = %v with FeatRegRegRing = %v; want them equal", useRing, hasRegReg)
	}
	if hasRegReg {
		if _, err := r.Probe(); err != nil {
			t.Fatalf("register call through the registered ring fd: %v", err)
		}
	}

	if err := r.UnregisterRingFd(); err != nil {
		t.Fatalf("UnregisterRingFd: %v", err)
	}
	if r.registerUseRing != 0 {
		t.Fatalf("register calls still use the registered index (%#x) after UnregisterRingFd", r.registerUseRing)
	}
	mustSQE(t, r).PrepNop()
	wantRes(t, "nop after unregistering the ring fd", runOne(t, r), 0)
}

func TestResizeRingsKeepsPendingCompletion(t *testing.T) {
	r := mustDeferTaskrunRing(t, 4, 0)

	// A completion posted before the resize must survive it.
	sqe := mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetUserData(1)
	mustSubmit(t, r, 1)

	np := Params{SQEntries: 16, CQEntries: 64, Flags: SetupCQSize}
	if err := r.ResizeRings(&np); err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_RESIZE_RINGS (6.13)")
		t.Fatalf("ResizeRings: %v", err)
	}
	if r.SQEntries() != 16 || r.CQEntries() != 64 {
		t.Fatalf("after resize: %d SQ / %d CQ entries, want 16 / 64", r.SQEntries(), r.CQEntries())
	}
	c := reap(t, r, 1)[0]
	if c.UserData != 1 || c.Res != 0 {
		t.Fatalf("completion carried over: %+v, want user data 1, res 0", c)
	}
}

func TestResizeRingsCarriesUnsubmittedSQE(t *testing.T) {
	r := mustDeferTaskrunRing(t, 4, 0)

	// Prepared before the resize, submitted after it.
	sqe := mustSQE(t, r)
	sqe.PrepNop()
	sqe.SetUserData(77)
	np := Params{SQEntries: 8}
	if err := r.ResizeRings(&np); err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_RESIZE_RINGS (6.13)")
		t.Fatalf("ResizeRings: %v", err)
	}
	c := submitAndReap(t, r, 1)[0]
	if c.UserData != 77 || c.Res != 0 {
		t.Fatalf("completion %+v, want user data 77, res 0", c)
	}
}

func TestResizeRingsThenFillNewSQ(t *testing.T) {
	// The SQ index array moves with the ring unless there is none, and
	// 32-byte CQEs change where it lands: cover each layout.
	for _, layout := range []struct {
		name  string
		flags uint32
	}{
		{"sq-array", 0},
		{"no-sq-array", SetupNoSQArray},
		{"cqe32", SetupCQE32},
	} {
		t.Run(layout.name, func(t *testing.T) {
			r := mustDeferTaskrunRing(t, 4, layout.flags)
			// Move the indexes off zero first, so the new ring starts
			// mid-way.
			for range 3 {
				mustSQE(t, r).PrepNop()
				reap(t, r, 1)
			}
			np := Params{SQEntries: 32}
			if err := r.ResizeRings(&np); err != nil {
				skipIfRegisterUnsupported(t, err, "IORING_REGISTER_RESIZE_RINGS (6.13)")
				t.Fatalf("ResizeRings: %v", err)
			}
			for i := range 32 {
				sqe := mustSQE(t, r)
				sqe.PrepNop()
				sqe.SetUserData(uint64(100 + i))
			}
			got := byUserData(t, submitAndReap(t, r, 32))
			for i := range 32 {
				wantRes(t, "nop in the resized ring", got[uint64(100+i)], 0)
			}
		})
	}
}

func TestRegisterMemRegionUserMemory(t *testing.T) {
	r := mustRing(t, 4, 0)
	page := os.Getpagesize()
	mem := mustMmapAnon(t, page)
	desc := RegionDesc{
		UserAddr: uint64(uintptr(unsafe.Pointer(&mem[0]))),
		Size:     uint64(page),
		Flags:    MemRegionTypeUser,
	}
	if err := r.RegisterMemRegion(&desc, 0); err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_MEM_REGION (6.13)")
		t.Fatalf("RegisterMemRegion: %v", err)
	}
	// A ring has at most one such region.
	if err := r.RegisterMemRegion(&desc, 0); !errors.Is(err, syscall.EBUSY) {
		t.Fatalf("second RegisterMemRegion: %v, want EBUSY", err)
	}
}
