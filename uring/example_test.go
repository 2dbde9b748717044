package uring_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo/uring"
)

// These examples need a kernel with io_uring (5.6 or later for the file
// opcodes; 5.19 for buffer rings).

func ExampleNew() {
	// A ring with 8 SQ entries (and 16 CQ entries); nil Params means no
	// setup flags.
	r, err := uring.New(8, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	// A NOP does nothing but complete: the smallest round trip.
	sqe := r.GetSQE()
	sqe.PrepNop()
	sqe.SetUserData(42)
	if _, err := r.SubmitAndWait(1); err != nil {
		log.Fatal(err)
	}
	cqe, err := r.PeekCQE()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("res:", cqe.Res, "user_data:", cqe.UserData)
	r.CQESeen() // hand the CQE slot back to the kernel
	// Output: res: 0 user_data: 42
}

func ExampleRing_GetSQE() {
	dir, err := os.MkdirTemp("", "uring-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "data")
	if err := os.WriteFile(name, []byte("read through the ring"), 0o644); err != nil {
		log.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	r, err := uring.New(8, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	// The kernel writes into buf after Submit returns, possibly while
	// this goroutine runs on: pinning keeps buf on the heap and in place
	// until the completion has been seen.
	buf := make([]byte, 32)
	var pin runtime.Pinner
	pin.Pin(&buf[0])
	defer pin.Unpin()

	sqe := r.GetSQE() // nil only when the SQ is full
	sqe.PrepRead(int32(f.Fd()), buf, 5)
	sqe.SetUserData(1)
	if _, err := r.SubmitAndWait(1); err != nil {
		log.Fatal(err)
	}
	cqe, err := r.PeekCQE()
	if err != nil {
		log.Fatal(err)
	}
	// Res is the read(2) return value, or -errno.
	if cqe.Res < 0 {
		log.Fatal(unix.Errno(-cqe.Res))
	}
	n := int(cqe.Res)
	r.CQESeen()
	fmt.Printf("%d bytes: %q\n", n, buf[:n])
	// Output: 16 bytes: "through the ring"
}

func ExampleProbe() {
	// Probe asks a throwaway ring which opcodes this kernel supports
	// (IORING_REGISTER_PROBE, 5.6).
	p, err := uring.Probe()
	if err != nil {
		log.Fatal(err)
	}
	op := uring.OpRead
	fmt.Printf("%v (added in %s) supported: %v\n", op, op.Since(), p.Supported(op))
	// Output: READ (added in 5.6) supported: true
}

// A linked chain: the fsync starts only once the write has succeeded; had
// the write failed, the fsync would complete with -ECANCELED.
func Example_linkedChain() {
	dir, err := os.MkdirTemp("", "uring-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(filepath.Join(dir, "journal"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	fd := int32(f.Fd())

	r, err := uring.New(8, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	data := []byte("commit 1\n")
	var pin runtime.Pinner
	pin.Pin(&data[0])
	defer pin.Unpin()

	write := r.GetSQE()
	write.PrepWrite(fd, data, 0)
	write.SetFlags(uring.SQEIOLink) // link to the next SQE
	write.SetUserData(1)

	sync := r.GetSQE()
	sync.PrepFsync(fd, uring.FsyncDatasync)
	sync.SetUserData(2)

	// One system call submits both and waits for both completions.
	if _, err := r.SubmitAndWait(2); err != nil {
		log.Fatal(err)
	}
	for range 2 {
		cqe, err := r.WaitCQE()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("user_data", cqe.UserData, "res", cqe.Res)
		r.CQESeen()
	}
	// Output:
	// user_data 1 res 9
	// user_data 2 res 0
}

func ExampleRing_NewBufRing() {
	r, err := uring.New(8, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	// Buffer group 7: four 64-byte buffers in mmap memory, registered
	// with the kernel (5.19). A request with SQEBufferSelect does not
	// name a buffer; the kernel picks one when data is there.
	br, err := r.NewBufRing(7, 4, 64)
	if err != nil {
		log.Fatal(err)
	}
	defer br.Close()

	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		log.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])

	sqe := r.GetSQE()
	sqe.PrepRead(int32(p[0]), nil, 0) // no buffer: up to one from the group
	sqe.SetFlags(uring.SQEBufferSelect)
	sqe.SetBufGroup(br.Group())
	if _, err := r.Submit(); err != nil {
		log.Fatal(err)
	}

	// The read is armed and waits on the empty pipe; now data arrives.
	if _, err := unix.Write(p[1], []byte("picked by the kernel")); err != nil {
		log.Fatal(err)
	}
	cqe, err := r.WaitCQE()
	if err != nil {
		log.Fatal(err)
	}
	if cqe.Res < 0 {
		log.Fatal(unix.Errno(-cqe.Res))
	}
	bid, ok := uring.BufID(cqe)
	n := int(cqe.Res)
	r.CQESeen()
	fmt.Printf("buffer selected: %v, %q\n", ok, br.Buf(bid)[:n])
	br.Recycle(bid) // give the buffer back to the kernel
	// Output: buffer selected: true, "picked by the kernel"
}

// An incremental buffer ring (6.12): one 4 KiB buffer takes several
// small reads one after the other, and Consume says where each one
// landed and when the buffer may go back to the kernel. There is no
// Output line, so the example is compiled but not run: it would fail on
// kernels before 6.12.
func ExampleBufRing_Consume() {
	r, err := uring.New(8, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	br, err := r.NewBufRingFlags(3, 1, 4096, uring.PbufRingInc)
	if err != nil {
		log.Fatal(err) // errors.Is(err, errors.ErrUnsupported) before 6.12
	}
	defer br.Close()

	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		log.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	r.GetSQE().PrepReadMultishot(int32(p[0]), 0, 0, br.Group())
	if _, err := r.Submit(); err != nil {
		log.Fatal(err)
	}

	for _, msg := range []string{"one ", "two ", "three"} {
		unix.Write(p[1], []byte(msg))
		cqe, err := r.WaitCQE()
		if err != nil {
			log.Fatal(err)
		}
		bid, data, done := br.Consume(cqe)
		r.CQESeen()
		fmt.Printf("buffer %d: %q, done %v\n", bid, data, done)
		if done {
			br.Recycle(bid) // only once the kernel has let go of it
		}
	}
	fmt.Printf("%q\n", br.Buf(0)[:len("one two three")])
}

// A wait for up to 8 completions that settles for fewer after 100 µs,
// gives up at an absolute deadline on the ring's clock, and keeps Go's
// preemption signal (SIGURG) off the thread while it sleeps.
func ExampleRing_WaitCQEs() {
	r, err := uring.New(8, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	r.GetSQE().PrepNop()
	var mask unix.Sigset_t
	mask.Val[0] = 1 << (unix.SIGURG - 1)
	cqe, err := r.WaitCQEs(8, &uring.WaitOptions{
		Deadline: r.DeadlineAfter(time.Second),
		MinWait:  100 * time.Microsecond,
		Sigmask:  &mask,
	})
	if err != nil {
		log.Fatal(err) // ETIME at the deadline; EOPNOTSUPP before 6.12
	}
	fmt.Println("first completion:", cqe.Res)
	r.CQESeen()
}
