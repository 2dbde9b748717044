package uring

import (
	"bytes"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Tests of kernel-mapped (PbufRingMmap) and incremental (PbufRingInc)
// provided-buffer rings.

// mustBufRingFlags is mustBufRing with registration flags. It skips the
// test when the kernel lacks them (what names the feature).
func mustBufRingFlags(t *testing.T, r *Ring, group uint16, entries uint32, size int, flags uint16, what string) *BufRing {
	t.Helper()
	b, err := r.NewBufRingFlags(group, entries, size, flags)
	if err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skipf("%s not supported by this kernel: %v", what, err)
		}
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_PBUF_RING (5.19)")
		t.Fatalf("NewBufRingFlags(%#x): %v", flags, err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("BufRing.Close: %v", err)
		}
	})
	return b
}

// consumeNext reaps the next completion, checks its user data, and
// returns it with what Consume makes of it.
func consumeNext(t *testing.T, r *Ring, br *BufRing, ud uint64, what string) (c CQE, bid uint16, data string, done bool) {
	t.Helper()
	c = reap(t, r, 1)[0]
	if c.UserData != ud {
		t.Fatalf("%s: %+v, want user data %d", what, c, ud)
	}
	bid, b, done := br.Consume(&c)
	return c, bid, string(b), done
}

func TestBufRingKernelMappedRecvAndRead(t *testing.T) {
	r := mustRing(t, 8, 0)
	br := mustBufRingFlags(t, r, 21, 2, 64, PbufRingMmap, "IOU_PBUF_RING_MMAP (6.4)")

	// Multishot recv: three messages through two buffers, so the third
	// needs a recycled one.
	a, b := tcpPair(t)
	armRecvMultishot(t, r, a, br.Group(), 9)
	for i, msg := range []string{"first", "second", "third"} {
		mustWrite(t, b, []byte(msg))
		reapBufRingMsg(t, r, br, 9, msg, fmt.Sprintf("recv %d", i))
	}

	// A single read from a pipe selecting from the same group.
	rfd, wfd := mustPipe(t)
	mustWrite(t, wfd, []byte("read through the kernel's ring"))
	sqe := mustSQE(t, r)
	sqe.PrepRead(rfd, nil, 0)
	sqe.SetFlags(SQEBufferSelect)
	sqe.SetBufGroup(br.Group())
	sqe.SetUserData(10)
	mustSubmit(t, r, 1)
	c, bid, data, done := consumeNext(t, r, br, 10, "read")
	if c.Res < 0 || c.Flags&CQEFBuffer == 0 {
		t.Fatalf("read: %+v (%v)", c, resErr(c.Res))
	}
	if data != "read through the kernel's ring" || !done {
		t.Fatalf("read: Consume = buffer %d %q done %v", bid, data, done)
	}
	br.Recycle(bid)
}

// Closing the Ring first, then the kernel-mapped BufRing, must work: the
// mapping outlives the ring fd.
func TestBufRingKernelMappedCloseAfterRingClose(t *testing.T) {
	r := mustRing(t, 4, 0)
	b, err := r.NewBufRingFlags(5, 8, 64, PbufRingMmap)
	if err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skipf("IOU_PBUF_RING_MMAP (6.4) not supported: %v", err)
		}
		skipIfRegisterUnsupported(t, err, "IORING_REGISTER_PBUF_RING (5.19)")
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("BufRing.Close after Ring.Close: %v", err)
	}
	b.Add(0, make([]byte, 64))
	b.Advance(1)
	b.Recycle(0)
	if b.Buf(0) != nil {
		t.Fatal("Buf after Close is not nil")
	}
	c := CQE{Res: 1, Flags: CQEFBuffer}
	if _, data, done := b.Consume(&c); data != nil || done {
		t.Fatalf("Consume after Close = %q, %v", data, done)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// A group the mmap offset cannot name is refused before anything is
// registered, so the group stays free.
func TestBufRingKernelMappedGroupOutOfRange(t *testing.T) {
	r := mustRing(t, 4, 0)
	group := MaxMmapBufGroup + 1
	if b, err := r.NewBufRingFlags(group, 4, 64, PbufRingMmap); err == nil {
		b.Close()
		t.Fatalf("group %d accepted for a kernel-mapped ring", group)
	} else if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("group %d: %v, want EINVAL", group, err)
	}
	mustBufRing(t, r, group, 4, 64)
	mustBufRingFlags(t, r, MaxMmapBufGroup, 4, 64, PbufRingMmap, "IOU_PBUF_RING_MMAP (6.4)")
}

func TestNewBufRingFlagsRejectsUnknownFlags(t *testing.T) {
	r := mustRing(t, 4, 0)
	if b, err := r.NewBufRingFlags(1, 4, 64, 1<<8); err == nil {
		b.Close()
		t.Fatal("NewBufRingFlags with flag 0x100 succeeded")
	} else if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("NewBufRingFlags with flag 0x100: %v, want EINVAL", err)
	}
}

// On an ordinary ring Consume gives Buf(bid)[:Res] and done at once.
func TestBufRingConsumeOrdinary(t *testing.T) {
	r := mustRing(t, 8, 0)
	a, b := tcpPair(t)
	br := mustBufRing(t, r, 12, 2, 64)
	armRecvMultishot(t, r, a, br.Group(), 3)
	for i, msg := range []string{"one", "two", "three"} {
		mustWrite(t, b, []byte(msg))
		_, bid, data, done := consumeNext(t, r, br, 3, fmt.Sprintf("recv %d", i))
		if data != msg || !done {
			t.Fatalf("recv %d: Consume = buffer %d %q done %v, want %q done", i, bid, data, done, msg)
		}
		br.Recycle(bid)
	}
	if _, data, done := br.Consume(&CQE{Res: 5}); data != nil || done {
		t.Fatalf("Consume of a CQE without a buffer = %q, %v", data, done)
	}
}

// An incremental ring with one 64-byte buffer: successive completions
// land one after the other in that buffer, with CQEFBufMore, until one
// fills it; recycled, it starts over at offset 0.
func TestBufRingIncremental(t *testing.T) {
	for _, tc := range []struct {
		name string
		arm  func(t *testing.T, r *Ring, group uint16) (wfd int32)
	}{
		{"read_multishot_pipe", func(t *testing.T, r *Ring, group uint16) int32 {
			skipUnlessOp(t, r, OpReadMultishot, "IORING_OP_READ_MULTISHOT (6.7)")
			rfd, wfd := mustPipe(t)
			sqe := mustSQE(t, r)
			sqe.PrepReadMultishot(rfd, 0, 0, group)
			sqe.SetUserData(7)
			mustSubmit(t, r, 1)
			return wfd
		}},
		{"recv_multishot_tcp", func(t *testing.T, r *Ring, group uint16) int32 {
			a, b := tcpPair(t)
			armRecvMultishot(t, r, a, group, 7)
			return b
		}},
	} {
		for _, fl := range []struct {
			name  string
			flags uint16
		}{{"", PbufRingInc}, {"_kernel_mapped", PbufRingInc | PbufRingMmap}} {
			t.Run(tc.name+fl.name, func(t *testing.T) {
				testBufRingIncremental(t, fl.flags, tc.arm)
			})
		}
	}
}

// testBufRingIncremental is one case of TestBufRingIncremental: a ring
// registered with flags, fed by the multishot request that arm submits
// (user data 7), which returns the fd to write to.
func testBufRingIncremental(t *testing.T, flags uint16, arm func(t *testing.T, r *Ring, group uint16) int32) {
	r := mustRing(t, 8, 0)
	br := mustBufRingFlags(t, r, 13, 1, 64, flags, "IOU_PBUF_RING_INC (6.12)")
	wfd := arm(t, r, br.Group())

	tail := string(bytes.Repeat([]byte("z"), 64-len("hello")-len("world!!")))
	var all []byte
	for i, msg := range []string{"hello", "world!!", tail} {
		mustWrite(t, wfd, []byte(msg))
		all = append(all, msg...)
		c, bid, data, done := consumeNext(t, r, br, 7, fmt.Sprintf("message %d", i))
		last := i == 2
		if c.Res != int32(len(msg)) || bid != 0 || data != msg {
			t.Fatalf("message %d: %+v (%v): Consume = buffer %d %q, want buffer 0 %q", i, c, resErr(c.Res), bid, data, msg)
		}
		if more := c.Flags&CQEFBufMore != 0; more == last || done != last {
			t.Fatalf("message %d: CQEFBufMore %v, done %v; want the buffer in use until it is full", i, more, done)
		}
		if c.Flags&CQEFMore == 0 {
			t.Fatalf("message %d: flags %#x lack CQEFMore", i, c.Flags)
		}
	}
	if got := br.Buf(0); !bytes.Equal(got, all) {
		t.Fatalf("buffer 0 holds %q, want %q", got, all)
	}

	// Recycled, the buffer is filled from its start again.
	br.Recycle(0)
	mustWrite(t, wfd, []byte("again"))
	c, bid, data, done := consumeNext(t, r, br, 7, "after recycle")
	if bid != 0 || data != "again" || done || c.Flags&CQEFBufMore == 0 {
		t.Fatalf("after recycle: %+v: Consume = buffer %d %q done %v", c, bid, data, done)
	}
	if got := string(br.Buf(0)[:5]); got != "again" {
		t.Fatalf("buffer 0 starts with %q after recycle, want \"again\"", got)
	}
}

// End of file on an incremental ring: the zero-length completion does
// not consume the buffer, so Consume never calls it done (some kernels
// omit CQEFBufMore there).
func TestBufRingIncrementalEOFNotDone(t *testing.T) {
	r := mustRing(t, 8, 0)
	br := mustBufRingFlags(t, r, 14, 1, 64, PbufRingInc, "IOU_PBUF_RING_INC (6.12)")
	rfd, wfd := mustPipe(t)

	read := func(ud uint64) {
		sqe := mustSQE(t, r)
		sqe.PrepRead(rfd, nil, 0)
		sqe.SetFlags(SQEBufferSelect)
		sqe.SetBufGroup(br.Group())
		sqe.SetUserData(ud)
		mustSubmit(t, r, 1)
	}
	mustWrite(t, wfd, []byte("data"))
	read(1)
	c, bid, data, done := consumeNext(t, r, br, 1, "read")
	if data != "data" || done || c.Flags&CQEFBufMore == 0 {
		t.Fatalf("read: %+v: Consume = buffer %d %q done %v", c, bid, data, done)
	}
	if err := unix.Close(int(wfd)); err != nil {
		t.Fatal(err)
	}
	read(2)
	c, _, data, done = consumeNext(t, r, br, 2, "read at EOF")
	if c.Res != 0 || data != "" || done {
		t.Fatalf("read at EOF: %+v: Consume = %q done %v, want 0 bytes, not done", c, data, done)
	}
	t.Logf("EOF completion flags %#x (CQEFBufMore %v)", c.Flags, c.Flags&CQEFBufMore != 0)
}
