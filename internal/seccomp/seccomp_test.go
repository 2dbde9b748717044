//go:build linux && (amd64 || arm64)

package seccomp

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// childEnv marks the re-executed child process of the tests below.
const childEnv = "RINGO_SECCOMP_TEST_CHILD"

// ioUringParamsSize is sizeof(struct io_uring_params).
const ioUringParamsSize = 120

// isChild reports whether this test process is a RunChild child.
func isChild() bool { return os.Getenv(childEnv) == "1" }

// ioUringSetup calls io_uring_setup(8, params) directly.
func ioUringSetup() (uintptr, syscall.Errno) {
	params := new([ioUringParamsSize]byte) // heap-allocated, zeroed
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, 8, uintptr(unsafe.Pointer(params)), 0)
	runtime.KeepAlive(params)
	return fd, errno
}

// preFilterThread is an OS thread that exists before the child installs
// the filter, to check that TSYNC covers already-running threads. Requests
// sent on it run io_uring_setup on that thread.
var preFilterThread chan chan syscall.Errno

func init() {
	if !isChild() {
		return
	}
	preFilterThread = make(chan chan syscall.Errno)
	ready := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		close(ready)
		for reply := range preFilterThread {
			fd, errno := ioUringSetup()
			if errno == 0 {
				unix.Close(int(fd))
			}
			reply <- errno
		}
	}()
	<-ready
}

func TestIOUringSetupUnfiltered(t *testing.T) {
	if isChild() {
		t.Fatal("must not run in the filtered child")
	}
	fd, errno := ioUringSetup()
	if errno != 0 {
		t.Fatalf("io_uring_setup in unfiltered process: %v (is io_uring disabled on this machine?)", errno)
	}
	if err := unix.Close(int(fd)); err != nil {
		t.Fatalf("close io_uring fd: %v", err)
	}
}

func TestDenyIOUring(t *testing.T) {
	if RunChild(t, childEnv) {
		// Parent: the filter must not have leaked into this process.
		fd, errno := ioUringSetup()
		if errno != 0 {
			t.Fatalf("io_uring_setup in parent after RunChild: %v", errno)
		}
		unix.Close(int(fd))
		return
	}

	// Child, under the filter.
	if fd, errno := ioUringSetup(); errno != syscall.EPERM {
		if errno == 0 {
			unix.Close(int(fd))
		}
		t.Fatalf("io_uring_setup: got errno %v, want EPERM", errno)
	}
	// Without the filter these fail with EBADF.
	for _, nr := range []uintptr{unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER} {
		if _, _, errno := unix.Syscall6(nr, ^uintptr(0), 0, 0, 0, 0, 0); errno != syscall.EPERM {
			t.Errorf("syscall %d: got errno %v, want EPERM", nr, errno)
		}
	}

	// A thread that existed before the filter was installed (TSYNC).
	reply := make(chan syscall.Errno)
	preFilterThread <- reply
	if errno := <-reply; errno != syscall.EPERM {
		t.Errorf("io_uring_setup on pre-existing thread: got errno %v, want EPERM", errno)
	}

	// Other goroutines, on whatever threads they get (including new ones).
	errs := make(chan syscall.Errno, 8)
	for range cap(errs) {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			fd, errno := ioUringSetup()
			if errno == 0 {
				unix.Close(int(fd))
			}
			errs <- errno
		}()
	}
	for range cap(errs) {
		if errno := <-errs; errno != syscall.EPERM {
			t.Errorf("io_uring_setup on another goroutine: got errno %v, want EPERM", errno)
		}
	}

	// Everything else still works.
	path := filepath.Join(t.TempDir(), "f")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("hello, seccomp")
	if _, err := f.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
}

// TestRunChildSubtest checks that RunChild selects a subtest (whose name
// contains '/', spaces and regexp metacharacters) exactly.
func TestRunChildSubtest(t *testing.T) {
	t.Run("sub test+(x)", func(t *testing.T) {
		if RunChild(t, childEnv) {
			return
		}
		if _, errno := ioUringSetup(); errno != syscall.EPERM {
			t.Fatalf("io_uring_setup: got errno %v, want EPERM", errno)
		}
	})
}

func TestRunPattern(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"TestA", `^TestA$`},
		{"TestA/sub_test+(x)", `^TestA$/^sub_test\+\(x\)$`},
		{"TestA/b/c|d", `^TestA$/^b$/^c\|d$`},
	} {
		if got := runPattern(tc.name); got != tc.want {
			t.Errorf("runPattern(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDenyIOUringBadErrno(t *testing.T) {
	// Rejected before touching the process, so safe in the parent.
	for _, errno := range []syscall.Errno{0, maxErrno + 1} {
		if err := DenyIOUring(errno); err == nil {
			t.Fatalf("DenyIOUring(%d) succeeded", uintptr(errno))
		}
	}
}

func TestBuildFilter(t *testing.T) {
	p := buildFilter(uint32(syscall.EPERM))
	if len(p) > 255 {
		t.Fatalf("program too long: %d", len(p))
	}
	// Interpret the program against a few seccomp_data inputs.
	run := func(arch, nr uint32) uint32 {
		var acc uint32
		for pc := 0; pc < len(p); pc++ {
			ins := p[pc]
			switch ins.Code {
			case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
				switch ins.K {
				case offsetNr:
					acc = nr
				case offsetArch:
					acc = arch
				default:
					t.Fatalf("load from unexpected offset %d", ins.K)
				}
			case unix.BPF_ALU | unix.BPF_AND | unix.BPF_K:
				acc &= ins.K
			case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
				if acc == ins.K {
					pc += int(ins.Jt)
				} else {
					pc += int(ins.Jf)
				}
			case unix.BPF_RET | unix.BPF_K:
				return ins.K
			default:
				t.Fatalf("unexpected opcode %#x", ins.Code)
			}
		}
		t.Fatal("program fell off the end")
		return 0
	}
	deny := uint32(unix.SECCOMP_RET_ERRNO | uint32(syscall.EPERM))
	const allow = unix.SECCOMP_RET_ALLOW
	for _, tc := range []struct {
		arch, nr, want uint32
	}{
		{auditArch, unix.SYS_IO_URING_SETUP, deny},
		{auditArch, unix.SYS_IO_URING_ENTER, deny},
		{auditArch, unix.SYS_IO_URING_REGISTER, deny},
		{auditArch, unix.SYS_IO_URING_SETUP | x32SyscallBit, deny},
		{auditArch, unix.SYS_READ, allow},
		{auditArch, 424, allow},
		{auditArch, 428, allow},
		{0x40000003, unix.SYS_IO_URING_SETUP, allow}, // AUDIT_ARCH_I386
		{0, unix.SYS_IO_URING_ENTER, allow},
	} {
		if got := run(tc.arch, tc.nr); got != tc.want {
			t.Errorf("arch %#x nr %d: got %#x, want %#x", tc.arch, tc.nr, got, tc.want)
		}
	}
}
