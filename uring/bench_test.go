package uring

import (
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// Micro benchmarks of the raw ring. Each one runs on a locked OS thread,
// as a Ring's owner would, so the numbers are not blurred by the
// goroutine migrating between threads around io_uring_enter.
//
//	go test -run XXX -bench . ./uring

// BenchmarkNop measures the round trip of NOPs: GetSQE+PrepNop for a
// batch, one SubmitAndWait for the whole batch, then PeekBatchCQE and
// CQAdvance. One op is one NOP, so batch=32 shows the system call cost
// amortised over the batch.
func BenchmarkNop(b *testing.B) {
	for _, batch := range []int{1, 32} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			r := mustRing(b, 64, 0)
			cqes := make([]*CQE, batch)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; {
				k := min(batch, b.N-done)
				for range k {
					r.GetSQE().PrepNop()
				}
				if _, err := r.SubmitAndWait(uint32(k)); err != nil {
					b.Fatal(err)
				}
				for got := 0; got < k; {
					n := r.PeekBatchCQE(cqes)
					if n == 0 {
						b.Fatalf("no completion after SubmitAndWait(%d) (got %d)", k, got)
					}
					r.CQAdvance(uint32(n))
					got += n
				}
				done += k
			}
		})
	}
}

// BenchmarkGetSQEPrep measures the user-space cost of preparing one
// request: GetSQE (zeroing the slot) and PrepRead. Nothing is submitted:
// when the SQ is full the SQEs handed out are discarded (they were never
// published to the kernel), so no system call is timed.
func BenchmarkGetSQEPrep(b *testing.B) {
	r := mustRing(b, 256, 0)
	buf := heapBytes(4096)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sqe := r.GetSQE()
		if sqe == nil {
			discardSQEs(r)
			sqe = r.GetSQE()
		}
		sqe.PrepRead(0, buf, uint64(i)*4096)
		sqe.SetUserData(uint64(i))
	}
	discardSQEs(r)
}

// discardSQEs takes back the SQEs GetSQE handed out since the last
// submit. It relies on their not being published yet: the kernel only
// sees SQEs up to the tail that flushSQ stores.
func discardSQEs(r *Ring) { r.sq.sqeTail = r.sq.sqeHead }

// BenchmarkReadPageCache compares one 4 KiB read of a file in the page
// cache through the ring (prepare, submit and wait in one io_uring_enter,
// reap) with the pread(2) it replaces.
func BenchmarkReadPageCache(b *testing.B) {
	const (
		block  = 4096
		blocks = 16
	)
	content := make([]byte, block*blocks)
	for i := range content {
		content[i] = byte(i)
	}
	b.Run("uring", func(b *testing.B) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		f := tempFile(b, content)
		fd := fdOf(b, f)
		r := mustRing(b, 8, 0)
		buf := heapBytes(block)
		b.SetBytes(block)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.GetSQE().PrepRead(fd, buf, uint64(i%blocks)*block)
			if _, err := r.SubmitAndWait(1); err != nil {
				b.Fatal(err)
			}
			cqe, err := r.PeekCQE()
			if err != nil || cqe == nil {
				b.Fatalf("PeekCQE = %v, %v", cqe, err)
			}
			if cqe.Res != block {
				b.Fatalf("read res = %d (%v), want %d", cqe.Res, resErr(cqe.Res), block)
			}
			r.CQESeen()
		}
	})
	b.Run("pread", func(b *testing.B) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		f := tempFile(b, content)
		fd := int(fdOf(b, f))
		buf := heapBytes(block)
		b.SetBytes(block)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			n, err := unix.Pread(fd, buf, int64(i%blocks)*block)
			if n != block || err != nil {
				b.Fatalf("pread = %d, %v", n, err)
			}
		}
	})
}
