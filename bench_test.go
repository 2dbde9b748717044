package ringo_test

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/ringo-io/ringo"
)

// Micro benchmarks of File against *os.File on the same file, side by
// side in one run:
//
//	go test -run XXX -bench 'At4K' .
//
// The file is 64 MiB in the page cache (just written), so the numbers are
// the per-request overhead of each path, not device speed.

const (
	benchBlock    = 4096
	benchFileSize = 64 << 20
	benchBlocks   = benchFileSize / benchBlock
)

// benchFile writes a benchFileSize file in a temporary directory that is
// removed when b (the parent benchmark) ends, and returns its name.
func benchFile(b *testing.B) string {
	b.Helper()
	name := filepath.Join(b.TempDir(), "bench.dat")
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	for range benchFileSize / len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return name
}

// benchEngine starts an engine with default options, closed when b ends.
func benchEngine(b *testing.B) *ringo.Engine {
	b.Helper()
	e, err := ringo.NewEngine()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

// blockOffsets yields pseudo-random block-aligned offsets in the bench
// file (xorshift: cheap, and without shared state between goroutines).
type blockOffsets uint64

func (s *blockOffsets) next() int64 {
	x := uint64(*s)
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*s = blockOffsets(x)
	return int64(x%benchBlocks) * benchBlock
}

// at4K is the method under test: ReadAt or WriteAt of *os.File or
// *ringo.File.
type at4K func(p []byte, off int64) (int, error)

// runAt4K times one 4 KiB call of fn per op on a single goroutine.
func runAt4K(b *testing.B, fn at4K) {
	buf := make([]byte, benchBlock)
	offs := blockOffsets(0x9e3779b97f4a7c15)
	b.SetBytes(benchBlock)
	b.ReportAllocs()
	for b.Loop() {
		if n, err := fn(buf, offs.next()); n != benchBlock || err != nil {
			b.Fatalf("= %d, %v", n, err)
		}
	}
}

// runAt4KParallel is runAt4K from 16×GOMAXPROCS goroutines sharing the
// file (and, for ringo, the engine that batches their requests).
func runAt4KParallel(b *testing.B, fn at4K) {
	b.SetBytes(benchBlock)
	b.ReportAllocs()
	b.SetParallelism(16)
	var seed atomic.Uint64 // a different, nonzero xorshift seed per goroutine
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, benchBlock)
		offs := blockOffsets(seed.Add(0x9e3779b97f4a7c15))
		for pb.Next() {
			if n, err := fn(buf, offs.next()); n != benchBlock || err != nil {
				b.Errorf("= %d, %v", n, err)
				return
			}
		}
	})
}

// benchOpen opens name read-write through e and through os, closing both
// when b ends.
func benchOpen(b *testing.B, e *ringo.Engine, name string) (*ringo.File, *os.File) {
	b.Helper()
	rf, err := e.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rf.Close() })
	of, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { of.Close() })
	return rf, of
}

func BenchmarkReadAt4K(b *testing.B) {
	rf, of := benchOpen(b, benchEngine(b), benchFile(b))
	b.Run("ringo", func(b *testing.B) { runAt4K(b, rf.ReadAt) })
	b.Run("os", func(b *testing.B) { runAt4K(b, of.ReadAt) })
}

func BenchmarkReadAt4KParallel(b *testing.B) {
	rf, of := benchOpen(b, benchEngine(b), benchFile(b))
	b.Run("ringo", func(b *testing.B) { runAt4KParallel(b, rf.ReadAt) })
	b.Run("os", func(b *testing.B) { runAt4KParallel(b, of.ReadAt) })
}

func BenchmarkWriteAt4K(b *testing.B) {
	rf, of := benchOpen(b, benchEngine(b), benchFile(b))
	b.Run("ringo", func(b *testing.B) { runAt4K(b, rf.WriteAt) })
	b.Run("os", func(b *testing.B) { runAt4K(b, of.WriteAt) })
}

// benchOpenMapped opens name read-only on a WithMappedReads engine, and
// with os, and reads it through ringo until its reads copy from the
// mapping.
func benchOpenMapped(b *testing.B, name string) (*ringo.File, *os.File) {
	b.Helper()
	e, err := ringo.NewEngine(ringo.WithMappedReads())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	rf, err := e.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rf.Close() })
	of, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { of.Close() })
	buf := make([]byte, 4096)
	off := blockOffsets(1)
	for range 1 << 16 { // hot after ~1000 hits; the next hot read maps it
		if _, err := rf.ReadAt(buf, off.next()); err != nil {
			b.Fatal(err)
		}
	}
	return rf, of
}

func BenchmarkReadAt4KMapped(b *testing.B) {
	rf, of := benchOpenMapped(b, benchFile(b))
	b.Run("ringo", func(b *testing.B) { runAt4K(b, rf.ReadAt) })
	b.Run("os", func(b *testing.B) { runAt4K(b, of.ReadAt) })
}

func BenchmarkReadAt4KMappedParallel(b *testing.B) {
	rf, of := benchOpenMapped(b, benchFile(b))
	b.Run("ringo", func(b *testing.B) { runAt4KParallel(b, rf.ReadAt) })
	b.Run("os", func(b *testing.B) { runAt4KParallel(b, of.ReadAt) })
}
