package ringo_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
	"unsafe"

	"github.com/ringo-io/ringo"
)

// The examples print only what does not depend on the machine: the data
// read and written, never the backend (io_uring or the system call
// fallback serve the same API and give the same results).

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "ringo-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "greeting.txt")
	if err := os.WriteFile(name, []byte("hello, io_uring"), 0o644); err != nil {
		log.Fatal(err)
	}

	// Open goes through the process-wide default engine.
	f, err := ringo.Open(name)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	buf := make([]byte, 8)
	n, err := f.ReadAt(buf, 7)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes: %q\n", n, buf[:n])
	// Output: 8 bytes: "io_uring"
}

func ExampleEngine() {
	// An engine of its own, with two rings of 128 SQ entries. Any number
	// of goroutines may share it; their requests are batched.
	e, err := ringo.NewEngine(ringo.WithRings(2), ringo.WithEntries(128))
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	dir, err := os.MkdirTemp("", "ringo-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	f, err := e.Create(filepath.Join(dir, "data"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("world"), 7); err != nil {
		log.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("hello,"), 0); err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 12)
	if _, err := f.ReadAt(buf, 0); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	// The byte at offset 6 was never written: a hole reads as zero.
	fmt.Printf("%q\n", buf)
	// Output: "hello,\x00world"
}

func ExampleFile_ReadAtContext() {
	dir, err := os.MkdirTemp("", "ringo-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "data")
	if err := os.WriteFile(name, []byte("0123456789"), 0o644); err != nil {
		log.Fatal(err)
	}
	f, err := ringo.Open(name)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	// If the context ended first the request would be cancelled in the
	// kernel and ctx.Err() returned; a page-cache read finishes long
	// before this deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	buf := make([]byte, 4)
	n, err := f.ReadAtContext(ctx, buf, 3)
	fmt.Println(n, err, string(buf[:n]))
	// Output: 4 <nil> 3456
}

func ExampleReadFile() {
	dir, err := os.MkdirTemp("", "ringo-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "config")
	if err := os.WriteFile(name, []byte("answer = 42\n"), 0o644); err != nil {
		log.Fatal(err)
	}

	// One linked chain (open -> read -> read to the end -> close) that
	// the kernel runs in a single io_uring_enter.
	data, err := ringo.ReadFile(name)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))
	// Output: answer = 42
}

func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "ringo-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "out.txt")

	if err := ringo.WriteFile(name, []byte("written by ringo\n"), 0o600); err != nil {
		log.Fatal(err)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		log.Fatal(err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(fi.Mode(), " ", string(data))
	// Output: -rw------- written by ringo
}

func ExampleEngine_NewBufferPool() {
	e, err := ringo.NewEngine()
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	// O_DIRECT needs a file system on a device; /tmp is often tmpfs,
	// which refuses it.
	dir, err := os.MkdirTemp("/var/tmp", "ringo-example-")
	if err != nil {
		dir, err = os.MkdirTemp("", "ringo-example-")
		if err != nil {
			log.Fatal(err)
		}
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "block")
	content := make([]byte, ringo.Alignment)
	copy(content, "one aligned block")
	if err := os.WriteFile(name, content, 0o644); err != nil {
		log.Fatal(err)
	}

	// Eight buffers of one block each, registered with the kernel as
	// fixed buffers where RLIMIT_MEMLOCK allows (pool.Registered says).
	pool, err := e.NewBufferPool(8, ringo.Alignment)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	f, err := e.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
	if err != nil {
		// No O_DIRECT on this file system: the same read goes through
		// the page cache.
		f, err = e.Open(name)
		if err != nil {
			log.Fatal(err)
		}
	}
	defer f.Close()

	// Pool buffers are aligned, as O_DIRECT requires, and a read into
	// one becomes a READ_FIXED request when the pool is registered.
	buf := pool.Get()
	defer pool.Put(buf)
	n, err := f.ReadAt(buf, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes: %q\n", n, buf[:17])
	// Output: 4096 bytes: "one aligned block"
}

func ExampleAlignedBuffer() {
	// 100 bytes rounded up to one Alignment-sized block of mmap memory,
	// outside the Go heap: never moved, so usable for O_DIRECT.
	buf, err := ringo.AlignedBuffer(100)
	if err != nil {
		log.Fatal(err)
	}
	defer ringo.FreeAligned(buf)

	addr := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	fmt.Println("len:", len(buf))
	fmt.Println("cap:", cap(buf))
	fmt.Println("aligned:", addr%ringo.Alignment == 0)
	// Output:
	// len: 100
	// cap: 4096
	// aligned: true
}

func ExampleFile_SetReadDeadline() {
	// A pipe with no writer: the read would wait forever.
	r, w, err := os.Pipe()
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	// Hand the read end to ringo (NewFile takes ownership of the fd).
	fd, err := syscall.Dup(int(r.Fd()))
	if err != nil {
		log.Fatal(err)
	}
	r.Close()
	f := ringo.Default().NewFile(uintptr(fd), "pipe")
	defer f.Close()

	f.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	_, err = f.Read(make([]byte, 1))
	fmt.Println(errors.Is(err, os.ErrDeadlineExceeded))
	// Output: true
}

func ExampleFile_ReadDir() {
	dir, err := os.MkdirTemp("", "ringo-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for _, name := range []string{"b.txt", "a.txt"} {
		os.WriteFile(filepath.Join(dir, name), nil, 0o644)
	}

	d, err := ringo.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		log.Fatal(err)
	}
	slices.Sort(names)
	fmt.Println(names)
	// Output: [a.txt b.txt]
}

// A read-mostly file (an index, a table of a database) read at random by
// many goroutines: with WithMappedReads its reads, once they keep hitting
// the page cache, copy from a leased mapping of the file. Writers are
// still seen at once: here os truncates and rewrites the file, and the
// next ReadAt returns the new contents and size, as pread would.
func ExampleWithMappedReads() {
	e, err := ringo.NewEngine(ringo.WithMappedReads())
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	dir, err := os.MkdirTemp("", "ringo-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "table")
	if err := os.WriteFile(name, slices.Repeat([]byte("row."), 1024), 0o644); err != nil {
		log.Fatal(err)
	}

	f, err := e.Open(name) // read-only: only such files are mapped
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 8)
	for off := int64(0); off < 1<<20; off += 8 {
		if _, err := f.ReadAt(buf, off%4096); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("%q\n", buf)

	// Another writer: its open waits until ringo lets go of the lease.
	if err := os.WriteFile(name, []byte("new contents"), 0o644); err != nil {
		log.Fatal(err)
	}
	n, err := f.ReadAt(buf, 4)
	fmt.Printf("%q %v\n", buf[:n], err)
	// Output:
	// "row.row."
	// "contents" <nil>
}

// A program whose work is mostly I/O through ringo, on a virtual machine
// where measurement shows it helps, switches itself to SCHED_BATCH at
// start (no Output: running it would change the test binary's
// scheduling).
func ExampleSetBatchScheduling() {
	if err := ringo.SetBatchScheduling(); err != nil {
		log.Printf("keeping the default scheduling: %v", err)
	}
	f, err := ringo.OpenFile("/var/lib/app/data", os.O_RDONLY|syscall.O_DIRECT, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
}
