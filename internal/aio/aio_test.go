//go:build linux

package aio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"github.com/ringo-io/ringo/internal/testutil"
	"golang.org/x/sys/unix"
)

func TestLayout(t *testing.T) {
	if s := unsafe.Sizeof(IOCB{}); s != 64 {
		t.Fatalf("sizeof(IOCB) = %d, want 64", s)
	}
	if s := unsafe.Sizeof(Event{}); s != 32 {
		t.Fatalf("sizeof(Event) = %d, want 32", s)
	}
	var cb IOCB
	offs := []struct {
		name      string
		got, want uintptr
	}{
		{"aio_data", unsafe.Offsetof(cb.Data), 0},
		{"aio_key", unsafe.Offsetof(cb.Key), 8},
		{"aio_rw_flags", unsafe.Offsetof(cb.RWFlags), 12},
		{"aio_lio_opcode", unsafe.Offsetof(cb.Opcode), 16},
		{"aio_reqprio", unsafe.Offsetof(cb.ReqPrio), 18},
		{"aio_fildes", unsafe.Offsetof(cb.Fd), 20},
		{"aio_buf", unsafe.Offsetof(cb.Buf), 24},
		{"aio_nbytes", unsafe.Offsetof(cb.Nbytes), 32},
		{"aio_offset", unsafe.Offsetof(cb.Offset), 40},
		{"aio_reserved2", unsafe.Offsetof(cb.Reserved2), 48},
		{"aio_flags", unsafe.Offsetof(cb.Flags), 56},
		{"aio_resfd", unsafe.Offsetof(cb.ResFD), 60},
	}
	var ev Event
	offs = append(offs, []struct {
		name      string
		got, want uintptr
	}{
		{"data", unsafe.Offsetof(ev.Data), 0},
		{"obj", unsafe.Offsetof(ev.Obj), 8},
		{"res", unsafe.Offsetof(ev.Res), 16},
		{"res2", unsafe.Offsetof(ev.Res2), 24},
	}...)
	for _, o := range offs {
		if o.got != o.want {
			t.Errorf("offset of %s = %d, want %d", o.name, o.got, o.want)
		}
	}
}

// pattern returns n bytes that differ at every 4-byte position.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>12)
	}
	return b
}

func newCtx(t *testing.T, n int) *Context {
	t.Helper()
	c, err := New(n)
	if err != nil {
		t.Fatalf("New(%d): %v", n, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(testutil.DiskDir(t), "f")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// reap collects exactly n events.
func reap(t *testing.T, c *Context, n int) []Event {
	t.Helper()
	evs := make([]Event, n)
	got := 0
	for got < n {
		k, err := c.GetEvents(1, evs[got:], nil)
		if err != nil {
			t.Fatalf("GetEvents: %v", err)
		}
		got += k
	}
	return evs
}

// readBack reads nreq blocks of bs bytes, all in flight at once, into buf
// (nreq*bs bytes) and checks them against want.
func readBack(t *testing.T, fd int, buf []byte, bs, nreq int, want []byte) {
	t.Helper()
	c := newCtx(t, nreq)
	cbs := make([]IOCB, nreq)
	ptrs := make([]*IOCB, nreq)
	offs := make([]int64, nreq)
	nblocks := len(want) / bs
	for i := range cbs {
		offs[i] = int64(((i*5 + 3) % nblocks) * bs) // out of order
		PrepPread(&cbs[i], fd, buf[i*bs:(i+1)*bs], offs[i], uint64(i))
		ptrs[i] = &cbs[i]
	}
	n, err := c.Submit(ptrs)
	if err != nil || n != nreq {
		t.Fatalf("Submit = %d, %v; want %d", n, err, nreq)
	}
	seen := make([]bool, nreq)
	for _, ev := range reap(t, c, nreq) {
		i := int(ev.Data)
		if i >= nreq || seen[i] {
			t.Fatalf("bad or repeated Data %d", ev.Data)
		}
		seen[i] = true
		if ev.Obj != uint64(uintptr(unsafe.Pointer(&cbs[i]))) {
			t.Errorf("req %d: Obj = %#x, want the IOCB address", i, ev.Obj)
		}
		if ev.Res != int64(bs) {
			t.Fatalf("req %d: Res = %d (%v), want %d", i, ev.Res, ev.Errno(), bs)
		}
		if got, w := buf[i*bs:(i+1)*bs], want[offs[i]:offs[i]+int64(bs)]; !bytes.Equal(got, w) {
			t.Fatalf("req %d at offset %d: data differs", i, offs[i])
		}
	}
}

func TestReadBuffered(t *testing.T) {
	const bs, nreq = 4096, 32
	want := pattern(256 * bs)
	p := writeTemp(t, want)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, nreq*bs)
	readBack(t, int(f.Fd()), buf, bs, nreq, want)
}

func openDirect(t *testing.T, p string, mode int) int {
	t.Helper()
	fd, err := unix.Open(p, mode|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.EINVAL) {
		t.Skip("O_DIRECT not supported on the temp directory's file system")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func mmapBuf(t *testing.T, n int) []byte {
	t.Helper()
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(b) })
	return b
}

func TestReadDirect(t *testing.T) {
	const bs, nreq = 4096, 64
	want := pattern(512 * bs)
	fd := openDirect(t, writeTemp(t, want), unix.O_RDONLY)
	buf := mmapBuf(t, nreq*bs)
	if uintptr(unsafe.Pointer(&buf[0]))%4096 != 0 {
		t.Fatal("mmap buffer not page aligned")
	}
	readBack(t, fd, buf, bs, nreq, want)
}

func TestWriteThenReadFile(t *testing.T) {
	const bs, nreq = 4096, 16
	p := writeTemp(t, make([]byte, nreq*bs))
	for _, direct := range []bool{false, true} {
		name := "buffered"
		if direct {
			name = "direct"
		}
		t.Run(name, func(t *testing.T) {
			var fd int
			var buf []byte
			if direct {
				fd = openDirect(t, p, unix.O_RDWR)
				buf = mmapBuf(t, nreq*bs)
			} else {
				f, err := os.OpenFile(p, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				fd = int(f.Fd())
				buf = make([]byte, nreq*bs)
			}
			want := pattern(nreq * bs)
			if direct {
				for i := range want {
					want[i] ^= 0x5a
				}
			}
			copy(buf, want)
			c := newCtx(t, nreq)
			cbs := make([]IOCB, nreq)
			ptrs := make([]*IOCB, nreq)
			for i := range cbs {
				PrepPwrite(&cbs[i], fd, buf[i*bs:(i+1)*bs], int64(i*bs), uint64(i))
				ptrs[i] = &cbs[i]
			}
			if n, err := c.Submit(ptrs); err != nil || n != nreq {
				t.Fatalf("Submit = %d, %v", n, err)
			}
			for _, ev := range reap(t, c, nreq) {
				if ev.Res != bs {
					t.Fatalf("req %d: Res = %d (%v)", ev.Data, ev.Res, ev.Errno())
				}
			}
			// Flush with an fdatasync request as well.
			PrepFdsync(&cbs[0], fd, 99)
			if n, err := c.Submit(ptrs[:1]); err != nil || n != 1 {
				t.Fatalf("Submit fdsync = %d, %v", n, err)
			}
			ev := reap(t, c, 1)[0]
			if ev.Data != 99 {
				t.Fatalf("fdsync Data = %d", ev.Data)
			}
			if ev.Res < 0 && ev.Errno() != syscall.EINVAL { // some file systems lack aio fsync
				t.Fatalf("fdsync Res = %d (%v)", ev.Res, ev.Errno())
			}
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatal("file content differs from what aio wrote")
			}
		})
	}
}

// A descriptor that is not open is refused by io_submit itself (the kernel
// looks the file up at submit time), so EBADF comes back from Submit, not
// in Event.Res; a bad request later in a batch stops the batch there.
func TestBadFD(t *testing.T) {
	c := newCtx(t, 4)
	buf := make([]byte, 512)
	var bad IOCB
	PrepPread(&bad, 1<<20, buf, 0, 1)
	n, err := c.Submit([]*IOCB{&bad})
	if n != 0 || !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Submit(bad fd) = %d, %v; want 0, EBADF", n, err)
	}

	f, err := os.Open(writeTemp(t, pattern(4096)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var good IOCB
	PrepPread(&good, int(f.Fd()), buf, 0, 2)
	n, err = c.Submit([]*IOCB{&good, &bad})
	if n != 1 || !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Submit(good, bad) = %d, %v; want 1, EBADF", n, err)
	}
	if ev := reap(t, c, 1)[0]; ev.Data != 2 || ev.Res != 512 {
		t.Fatalf("good request: %+v", ev)
	}
}

// Errors found while the I/O runs arrive as a negative Event.Res: here an
// O_DIRECT read into a buffer that is not sector aligned.
func TestErrorInRes(t *testing.T) {
	fd := openDirect(t, writeTemp(t, pattern(8192)), unix.O_RDONLY)
	buf := mmapBuf(t, 8192)
	c := newCtx(t, 1)
	var cb IOCB
	PrepPread(&cb, fd, buf[1:4097], 0, 7)
	n, err := c.Submit([]*IOCB{&cb})
	if err != nil {
		t.Logf("refused at submit: %v", err)
		// Some kernels refuse it at submit time; either way it fails.
		if n != 0 || !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("Submit = %d, %v", n, err)
		}
		return
	}
	ev := reap(t, c, 1)[0]
	if ev.Data != 7 || ev.Errno() != syscall.EINVAL {
		t.Fatalf("event %+v (%v), want Res = -EINVAL", ev, ev.Errno())
	}
}

func TestPollTimeout(t *testing.T) {
	c := newCtx(t, 1)
	evs := make([]Event, 1)
	n, err := c.GetEvents(0, evs, &unix.Timespec{})
	if n != 0 || err != nil {
		t.Fatalf("GetEvents(poll) = %d, %v", n, err)
	}
	n, err = c.GetEvents(1, evs, &unix.Timespec{Nsec: 5e6})
	if n != 0 || err != nil {
		t.Fatalf("GetEvents(5ms) = %d, %v", n, err)
	}
}

func TestCancelPoll(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	c := newCtx(t, 2)
	cb := new(IOCB)
	PrepPoll(cb, p[0], unix.POLLIN, 3)
	if n, err := c.Submit([]*IOCB{cb}); err != nil || n != 1 {
		t.Fatalf("Submit poll = %d, %v", n, err)
	}
	if n, _ := c.GetEvents(0, make([]Event, 1), &unix.Timespec{}); n != 0 {
		t.Fatal("poll completed on an empty pipe")
	}
	if err := c.Cancel(cb); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if ev := reap(t, c, 1)[0]; ev.Data != 3 {
		t.Fatalf("event after cancel: %+v", ev)
	}
	// A request that is no longer in flight cannot be cancelled.
	if err := c.Cancel(cb); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("second Cancel = %v, want EINVAL", err)
	}
}

func TestCloseTwice(t *testing.T) {
	c, err := New(8)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := c.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
	var cb IOCB
	if _, err := c.Submit([]*IOCB{&cb}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit after Close = %v", err)
	}
	if _, err := c.GetEvents(1, make([]Event, 1), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("GetEvents after Close = %v", err)
	}
}

func TestNewInvalid(t *testing.T) {
	if _, err := New(0); err == nil {
		t.Fatal("New(0) succeeded")
	}
}
