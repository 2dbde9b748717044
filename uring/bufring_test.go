package uring

import (
	"fmt"
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

// reapBufRingMsg reaps the next completion and checks that it is a
// multishot one (CQEFMore) with user data ud that delivered msg in a
// buffer of br, which it then recycles. what names the completion in
// failures.
func reapBufRingMsg(t *testing.T, r *Ring, br *BufRing, ud uint64, msg, what string) {
	t.Helper()
	c := reap(t, r, 1)[0]
	if c.UserData != ud || c.Res != int32(len(msg)) {
		t.Fatalf("%s: %+v (%v), want user data %d, %d bytes", what, c, resErr(c.Res), ud, len(msg))
	}
	if c.Flags&CQEFMore == 0 {
		t.Fatalf("%s: flags %#x lack CQEFMore", what, c.Flags)
	}
	bid, ok := BufID(&c)
	if !ok {
		t.Fatalf("%s: flags %#x lack CQEFBuffer", what, c.Flags)
	}
	if got := string(br.Buf(bid)[:c.Res]); got != msg {
		t.Fatalf("%s: buffer %d holds %q, want %q", what, bid, got, msg)
	}
	br.Recycle(bid)
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
		reapBufRingMsg(t, r, br, 9, msg, fmt.Sprintf("message %d", i))
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
