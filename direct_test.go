package ringo_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/ringo-io/ringo"
)

// TestDirectFilesRegistered: on loop rings (WithReaper(ReaperLoop); default
// engines put O_DIRECT files on ReaperPoll rings, which keep no table)
// O_DIRECT files go into the registered-file table; reads through the
// table return the right data, and closing frees the slot for the next
// file.
func TestDirectFilesRegistered(t *testing.T) {
	e := newEngine(t, ringo.WithReaper(ringo.ReaperLoop))
	dir := diskDir(t)
	want := bytes.Repeat([]byte("0123456789abcdef"), 512) // 8 KiB
	var slots []int32
	for i := range 3 {
		name := filepath.Join(dir, "d")
		if err := os.WriteFile(name, want, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := e.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
		if err != nil {
			t.Skipf("O_DIRECT refused here: %v", err)
		}
		slot := f.SlotForTest()
		if slot < 0 {
			f.Close()
			t.Skip("no registered-file table on this kernel (loop ring unavailable)")
		}
		slots = append(slots, slot)
		buf, _ := ringo.AlignedBuffer(8192)
		if n, err := f.ReadAt(buf, 0); n != len(want) || err != nil || !bytes.Equal(buf, want) {
			t.Fatalf("round %d: ReadAt via slot %d = %d, %v", i, slot, n, err)
		}
		ringo.FreeAligned(buf)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if slots[0] != slots[1] || slots[1] != slots[2] {
		t.Fatalf("slots %v: a closed file's slot was not reused", slots)
	}
}

// TestEngineCloseUnderDirectLoad closes an engine while 64 goroutines
// hammer an O_DIRECT file through its loop ring: every call returns (data
// or an error matching fs.ErrClosed), and the engine's goroutines end.
func TestEngineCloseUnderDirectLoad(t *testing.T) {
	baseG := runtime.NumGoroutine()
	name := filepath.Join(diskDir(t), "load")
	if err := os.WriteFile(name, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := ringo.NewEngine(reaperOpts...)
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
	if err != nil {
		e.Close()
		t.Skipf("O_DIRECT refused here: %v", err)
	}
	var wg sync.WaitGroup
	var reads atomic.Int64
	errs := make(chan error, 64)
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf, _ := ringo.AlignedBuffer(4096)
			defer ringo.FreeAligned(buf)
			for i := 0; ; i++ {
				_, err := f.ReadAt(buf, int64((g*31+i)%256)*4096)
				if err != nil {
					errs <- err
					return
				}
				reads.Add(1)
			}
		}()
	}
	for reads.Load() < 1000 {
		runtime.Gosched()
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, fs.ErrClosed) {
			t.Fatalf("a read ended with %v; want fs.ErrClosed", err)
		}
	}
	f.Close()
	waitFor(t, func() bool { return runtime.NumGoroutine() <= baseG }, "goroutines back to baseline")
}
