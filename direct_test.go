package ringo_test

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ringo-io/ringo"
)

// TestDirectFilesRegistered: O_DIRECT files go to a loop ring and into its
// registered-file table; reads through the table return the right data,
// and closing frees the slot for the next file.
func TestDirectFilesRegistered(t *testing.T) {
	e := newEngine(t)
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
