package uring

import (
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hangGuard fails the test if fn has not returned after limit: these
// tests check that a call returns at all, not how fast.
func hangGuard(t *testing.T, limit time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("%s has not returned after %v", what, limit)
	}
}

// A submission that stops short (an SQE the kernel refuses before issue)
// must not leave SubmitAndWait waiting for SQEs that were never
// submitted: the kernel's own submit-and-wait returns at once then.
func TestSubmitAndWaitShortSubmission(t *testing.T) {
	r := mustRing(t, 8, 0)
	s := r.GetSQE()
	s.PrepNop()
	s.Opcode = 250 // no such opcode: refused at init, submission stops here
	s.UserData = 1
	s = r.GetSQE()
	s.PrepNop()
	s.UserData = 2
	var n int
	var err error
	hangGuard(t, 5*time.Second, "SubmitAndWait(2) after a refused SQE", func() { n, err = r.SubmitAndWait(2) })
	if err != nil || n != 1 {
		t.Fatalf("SubmitAndWait = %d, %v; want 1 submitted", n, err)
	}
	cqe, err := r.PeekCQE()
	if err != nil || cqe.UserData != 1 || cqe.Res != -int32(syscall.EINVAL) {
		t.Fatalf("CQE = %+v, %v; want user_data 1 with -EINVAL", cqe, err)
	}
}

// WaitCQETimeout with a request that never completes: the kernel reports
// the submission, not -ETIME, and signals interrupt the wait; either way
// the call must end with ETIME once the timeout has passed.
func TestWaitCQETimeoutEndsUnderSignals(t *testing.T) {
	r := mustRing(t, 8, 0)
	if r.Features()&FeatExtArg == 0 {
		t.Skip("kernel lacks IORING_FEAT_EXT_ARG (5.11)")
	}
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	r.GetSQE().PrepPollAdd(int32(p[0]), unix.POLLIN) // never ready

	tid := peltWithSignals(t, 20*time.Millisecond)
	var err error
	hangGuard(t, 10*time.Second, "WaitCQETimeout(200ms) under signals", func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid <- unix.Gettid()
		_, err = r.WaitCQETimeout(200 * time.Millisecond)
	})
	if !errors.Is(err, syscall.ETIME) {
		t.Fatalf("WaitCQETimeout = %v, want ETIME", err)
	}
}

// WaitCQENr(0) never waits: with nothing to reap it returns EAGAIN, as
// liburing does, instead of spinning.
func TestWaitCQENrZeroDoesNotSpin(t *testing.T) {
	r := mustRing(t, 8, 0)
	var err error
	hangGuard(t, 5*time.Second, "WaitCQENr(0) on an idle ring", func() { _, err = r.WaitCQENr(0) })
	if !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("WaitCQENr(0) = %v, want EAGAIN", err)
	}
	r.GetSQE().PrepNop()
	cqe, err := r.WaitCQENr(0)
	if err != nil || cqe == nil {
		t.Fatalf("WaitCQENr(0) with a NOP queued = %v, %v", cqe, err)
	}
}

// Layouts New cannot serve are refused with a clear error, not half set
// up (REGISTERED_FD_ONLY used to hand a registered-ring index to close).
func TestNewRefusesUnsupportedLayouts(t *testing.T) {
	for _, fl := range []uint32{SetupNoMmap, SetupRegisteredFdOnly | SetupNoMmap, SetupCQEMixed, SetupSQEMixed} {
		r, err := New(4, &Params{Flags: fl})
		if err == nil {
			r.Close()
			t.Fatalf("New(%s) succeeded", SetupFlagsString(fl))
		}
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("New(%s) = %v, want errors.ErrUnsupported", SetupFlagsString(fl), err)
		}
	}
}

// Probing REGISTERED_FD_ONLY gets a registered-ring index back, not a
// descriptor; the probe must not close the descriptor with that number.
func TestProbeRegisteredFdOnlyKeepsDescriptors(t *testing.T) {
	var st0 unix.Stat_t
	if err := unix.Fstat(0, &st0); err != nil {
		// Make sure descriptor 0 exists: it is the index the kernel
		// hands out first.
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := unix.Dup2(int(f.Fd()), 0); err != nil {
			t.Fatal(err)
		}
		unix.Fstat(0, &st0)
	}
	ok, _ := trySetupFlag(SetupRegisteredFdOnly)
	if !ok {
		t.Skip("kernel lacks IORING_SETUP_REGISTERED_FD_ONLY (6.5)")
	}
	var st1 unix.Stat_t
	if err := unix.Fstat(0, &st1); err != nil || st1.Ino != st0.Ino || st1.Dev != st0.Dev {
		t.Fatalf("descriptor 0 changed by the probe: %v (inode %d, was %d)", err, st1.Ino, st0.Ino)
	}
}

// addr_len and the sockopt level/optname pair sit in the SQE as the
// kernel's structs lay them out, in memory order.
func TestSQEUnionLayouts(t *testing.T) {
	var s SQE
	var sa unix.RawSockaddrAny
	s.PrepSend(3, make([]byte, 1), 0)
	s.PrepSendSetAddr(&sa, 0x1234)
	b := (*[64]byte)(unsafe.Pointer(&s))
	if got := binary.NativeEndian.Uint16(b[44:]); got != 0x1234 {
		t.Fatalf("addr_len at offset 44 = %#x, want 0x1234", got)
	}
	if got := binary.NativeEndian.Uint16(b[46:]); got != 0 {
		t.Fatalf("pad after addr_len = %#x, want 0", got)
	}
	s = SQE{}
	s.PrepCmdSock(SocketOpSetsockopt, 3, 0x11, 0x22, make([]byte, 4))
	if l, o := binary.NativeEndian.Uint32(b[16:]), binary.NativeEndian.Uint32(b[20:]); l != 0x11 || o != 0x22 {
		t.Fatalf("level, optname at offsets 16, 20 = %#x, %#x; want 0x11, 0x22", l, o)
	}
}

// TASKRUN_FLAG is only accepted with COOP_TASKRUN or DEFER_TASKRUN; the
// probe must ask for it that way (6.18 has it).
func TestProbeTaskrunFlag(t *testing.T) {
	ok, _ := trySetupFlag(SetupTaskrunFlag)
	r, err := New(4, &Params{Flags: SetupCoopTaskrun | SetupTaskrunFlag})
	if err == nil {
		r.Close()
	}
	if ok != (err == nil) {
		t.Fatalf("probe says TASKRUN_FLAG supported=%v; New with COOP_TASKRUN|TASKRUN_FLAG: %v", ok, err)
	}
}

// A closed BufRing ignores Add, Advance and Recycle, and Buf is nil.
func TestBufRingAfterClose(t *testing.T) {
	r := mustRing(t, 8, 0)
	b, err := r.NewBufRing(3, 8, 64)
	if err != nil {
		t.Skipf("NewBufRing: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b.Add(0, make([]byte, 64))
	b.Advance(1)
	b.Recycle(0)
	if got := b.Buf(0); got != nil {
		t.Fatalf("Buf after Close = %d bytes", len(got))
	}
}

// Register reaches opcodes that have no wrapper: a probe through it
// agrees with RegisterProbe.
func TestRawRegister(t *testing.T) {
	r := mustRing(t, 4, 0)
	p := new(probeBuf)
	var pin runtime.Pinner
	pin.Pin(p)
	defer pin.Unpin()
	if _, err := r.Register(RegisterOpProbe, unsafe.Pointer(p), uint32(len(p.ops))); err != nil {
		t.Fatalf("Register(PROBE): %v", err)
	}
	if p.hdr.LastOp == 0 {
		t.Fatal("raw probe returned no opcodes")
	}
}

// peltWithSignals interrupts the thread whose id is sent on the returned
// channel with SIGURG every period (as Go's preemption signals do) until
// the test ends.
func peltWithSignals(t *testing.T, every time.Duration) chan<- int {
	tid := make(chan int, 1)
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		id := <-tid
		for {
			select {
			case <-stop:
				return
			case <-time.After(every):
				unix.Tgkill(unix.Getpid(), id, unix.SIGURG)
			}
		}
	}()
	return tid
}
