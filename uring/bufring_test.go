package uring

import (
	"syscall"
	"testing"
)

// Tests of the provided-buffer ring helper (bufring.go).

// mustBufRing creates a buffer ring on r, closed at the end of the test
// (before the ring itself, since cleanups run last-in first-out).
func mustBufRing(t *testing.T, r *Ring, group uint16, entries uint32, size int) *BufRing {
	t.Helper()
	b, err := r.NewBufRing(group, entries, size)
	if err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_PBUF_RING (5.19)")
		t.Fatalf("NewBufRing: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("BufRing.Close: %v", err)
		}
	})
	return b
}

// armRecvMultishot submits a multishot recv on fd selecting buffers from
// group, with user data ud.
func armRecvMultishot(t *testing.T, r *Ring, fd int32, group uint16, ud uint64) {
	t.Helper()
	sqe := mustSQE(t, r)
	sqe.PrepRecvMultishot(fd, nil, 0)
	sqe.SetFlags(SQEBufferSelect)
	sqe.SetBufGroup(group)
	sqe.SetUserData(ud)
	mustSubmit(t, r, 1)
}

func TestBufRingMultishotRecvRecyclesBuffers(t *testing.T) {
	r := mustRing(t, 8, 0)
	a, b := tcpPair(t)
	// Two buffers for three messages: the third only fits once a buffer
	// has been recycled.
	br := mustBufRing(t, r, 3, 2, 64)
	armRecvMultishot(t, r, a, 3, 9)

	for i, msg := range []string{"first", "second", "third"} {
		mustWrite(t, b, []byte(msg))
		c := reap(t, r, 1)[0]
		if c.UserData != 9 || c.Res != int32(len(msg)) {
			t.Fatalf("message %d: %+v (%v), want %d bytes", i, c, resErr(c.Res), len(msg))
		}
		if c.Flags&CQEFMore == 0 {
			t.Fatalf("message %d: flags %#x lack CQEFMore", i, c.Flags)
		}
		bid, ok := BufID(&c)
		if !ok {
			t.Fatalf("message %d: flags %#x lack CQEFBuffer", i, c.Flags)
		}
		if got := string(br.Buf(bid)[:c.Res]); got != msg {
			t.Fatalf("message %d: buffer %d holds %q, want %q", i, bid, got, msg)
		}
		br.Recycle(bid)
	}
}

func TestBufRingExhaustionEndsMultishotWithENOBUFS(t *testing.T) {
	r := mustRing(t, 8, 0)
	a, b := tcpPair(t)
	mustBufRing(t, r, 4, 2, 64)
	armRecvMultishot(t, r, a, 4, 5)

	// Consume both buffers without recycling them.
	for i, msg := range []string{"one", "two"} {
		mustWrite(t, b, []byte(msg))
		c := reap(t, r, 1)[0]
		if c.Res != int32(len(msg)) || c.Flags&CQEFMore == 0 || c.Flags&CQEFBuffer == 0 {
			t.Fatalf("message %d: %+v (%v)", i, c, resErr(c.Res))
		}
	}
	mustWrite(t, b, []byte("three"))
	c := reap(t, r, 1)[0]
	wantRes(t, "recv with the buffer ring empty", c, errnoRes(syscall.ENOBUFS))
	if c.Flags&CQEFMore != 0 {
		t.Fatalf("flags %#x: the multishot recv should have ended (no CQEFMore)", c.Flags)
	}
}

func TestBufRingStatusHeadAdvancesWithConsumption(t *testing.T) {
	r := mustRing(t, 8, 0)
	a, b := tcpPair(t)
	br := mustBufRing(t, r, 6, 4, 64)
	if _, err := r.BufStatus(br.Group()); err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_PBUF_STATUS (6.8)")
		t.Fatalf("BufStatus: %v", err)
	}
	armRecvMultishot(t, r, a, 6, 1)

	mustWrite(t, b, []byte("x"))
	if c := reap(t, r, 1)[0]; c.Res != 1 {
		t.Fatalf("recv: %+v (%v)", c, resErr(c.Res))
	}
	head, err := r.BufStatus(br.Group())
	if err != nil {
		t.Fatalf("BufStatus: %v", err)
	}
	if head != 1 {
		t.Fatalf("head after one recv = %d, want 1", head)
	}
}

func TestNewBufRingRejectsNonPowerOfTwo(t *testing.T) {
	r := mustRing(t, 4, 0)
	if b, err := r.NewBufRing(1, 3, 64); err == nil {
		b.Close()
		t.Fatal("NewBufRing with 3 entries succeeded")
	}
}

func TestBufRingCloseUnregistersGroup(t *testing.T) {
	r := mustRing(t, 4, 0)
	b, err := r.NewBufRing(8, 4, 64)
	if err != nil {
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_PBUF_RING (5.19)")
		t.Fatalf("NewBufRing: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The group id is free again.
	mustBufRing(t, r, 8, 4, 64)
}
