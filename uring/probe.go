package uring

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ProbeResult is what the running kernel supports: its opcodes (from
// IORING_REGISTER_PROBE, 5.6) and the ring features it reports at setup.
type ProbeResult struct {
	// LastOp is the highest opcode the kernel knows (IORING_OP_LAST-1 of
	// the kernel's own headers).
	LastOp Op
	// Features holds the Feat* bits the kernel reported at setup.
	Features uint32

	flags [probeOps]uint16 // IO_URING_OP_* flags per opcode
}

// probeOps is how many opcode slots a probe asks for; opcodes are a u8.
const probeOps = 256

// probeBuf is struct io_uring_probe followed by its ops[] array.
type probeBuf struct {
	hdr ProbeHeader
	ops [probeOps]ProbeOp
}

// Supported reports whether the kernel supports op.
func (p *ProbeResult) Supported(op Op) bool {
	return op <= p.LastOp && p.flags[op]&ProbeOpSupported != 0
}

// HasFeature reports whether all Feat* bits in f are set.
func (p *ProbeResult) HasFeature(f uint32) bool { return p.Features&f == f }

// SetupFlagSupported reports whether io_uring_setup accepts flag (a
// Setup* bit) on this kernel and for this process. It creates and closes
// a small ring with that flag (plus the flags and parameters it needs,
// e.g. SetupSQPoll for SetupSQAff, SetupSingleIssuer for
// SetupDeferTaskrun), and caches the answer for the process's lifetime.
// A flag the kernel knows but refuses to this process (SetupSQPoll
// without privileges on old kernels) reports false. The method does not
// depend on p; it hangs off ProbeResult for discoverability.
func (p *ProbeResult) SetupFlagSupported(flag uint32) bool {
	return setupFlagSupported(flag)
}

var setupFlagCache struct {
	sync.Mutex
	m map[uint32]bool
}

func setupFlagSupported(flag uint32) bool {
	setupFlagCache.Lock()
	v, ok := setupFlagCache.m[flag]
	setupFlagCache.Unlock()
	if ok {
		return v
	}
	v, definite := trySetupFlag(flag)
	if definite {
		setupFlagCache.Lock()
		if setupFlagCache.m == nil {
			setupFlagCache.m = make(map[uint32]bool)
		}
		setupFlagCache.m[flag] = v
		setupFlagCache.Unlock()
	}
	return v
}

// trySetupFlag creates a 2-entry ring with flag and reports whether the
// kernel accepted it, and whether the answer is definite (resource
// shortages such as ENOMEM or EMFILE are not cached).
func trySetupFlag(flag uint32) (ok, definite bool) {
	p := new(Params)
	p.Flags = flag
	if flag&SetupSQAff != 0 {
		// Pin the poller to a CPU this process may run on (CPU 0 may be
		// outside a container's cpuset).
		p.Flags |= SetupSQPoll
		var set unix.CPUSet
		if unix.SchedGetaffinity(0, &set) == nil {
			for cpu := range len(set) * 64 {
				if set.IsSet(cpu) {
					p.SQThreadCPU = uint32(cpu)
					break
				}
			}
		}
	}
	if flag&SetupDeferTaskrun != 0 {
		p.Flags |= SetupSingleIssuer
	}
	if flag&SetupTaskrunFlag != 0 && flag&(SetupCoopTaskrun|SetupDeferTaskrun) == 0 {
		// The kernel takes TASKRUN_FLAG only with one of these.
		p.Flags |= SetupCoopTaskrun
	}
	if flag&SetupHybridIOPoll != 0 {
		p.Flags |= SetupIOPoll
	}
	if flag&SetupCQSize != 0 {
		p.CQEntries = 4
	}
	if flag&SetupSQPoll != 0 {
		p.SQThreadIdle = 1
	}
	if flag&SetupAttachWQ != 0 {
		base, err := New(2, nil)
		if err != nil {
			return false, false
		}
		defer base.Close()
		p.WQFd = uint32(base.Fd())
	}
	if flag&SetupRegisteredFdOnly != 0 {
		p.Flags |= SetupNoMmap
		// The ring comes back as an index into this thread's table of
		// registered rings, not as a descriptor: it must be removed
		// from that table on the same thread.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	var mem [][]byte
	defer func() {
		for _, m := range mem {
			unix.Munmap(m)
		}
	}()
	if p.Flags&SetupNoMmap != 0 {
		// With NO_MMAP the application provides the rings: one page for
		// the SQEs, one for the SQ/CQ ring headers and CQEs, which is
		// plenty for two entries.
		for range 2 {
			m, err := unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANONYMOUS|unix.MAP_PRIVATE)
			if err != nil {
				return false, false
			}
			mem = append(mem, m)
		}
		p.SQOff.UserAddr = uint64(uintptr(unsafe.Pointer(&mem[0][0])))
		p.CQOff.UserAddr = uint64(uintptr(unsafe.Pointer(&mem[1][0])))
	}
	var pin runtime.Pinner
	pin.Pin(p)
	fd, err := setup(2, p)
	pin.Unpin()
	if err != nil {
		switch err {
		case syscall.ENOMEM, syscall.EMFILE, syscall.ENFILE, syscall.EAGAIN:
			return false, false
		}
		return false, true
	}
	if p.Flags&SetupRegisteredFdOnly != 0 {
		// Closing fd would close whatever descriptor has that number.
		up := &RsrcUpdate{Offset: uint32(fd)}
		register(fd, RegisterOpUnregisterRingFds|RegisterOpUseRegisteredRing, unsafe.Pointer(up), 1)
		runtime.KeepAlive(up)
		return true, true
	}
	unix.Close(fd)
	return true, true
}

// probeErr turns a setup or register failure into an error that says why
// io_uring is unusable when that is the cause, still wrapping the errno.
func probeErr(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSYS):
		return fmt.Errorf("uring: io_uring not available in this kernel: %w", err)
	case errors.Is(err, syscall.EPERM):
		return fmt.Errorf("uring: io_uring disabled (kernel.io_uring_disabled or seccomp): %w", err)
	}
	return err
}

// Probe reports what the running kernel supports. It creates a small
// temporary ring, asks it for its opcodes (IORING_REGISTER_PROBE, 5.6)
// and closes it. Errors wrap the errno: syscall.ENOSYS when the kernel
// has no io_uring, syscall.EPERM when it is disabled by the
// kernel.io_uring_disabled sysctl or a seccomp filter, syscall.EINVAL
// from kernels older than 5.6 that cannot probe.
func Probe() (*ProbeResult, error) {
	r, err := New(2, nil)
	if err != nil {
		return nil, probeErr(err)
	}
	defer r.Close()
	return r.Probe()
}

// Probe reports the opcodes r's kernel supports (IORING_REGISTER_PROBE,
// 5.6) and r's features.
func (r *Ring) Probe() (*ProbeResult, error) {
	buf := new(probeBuf) // zeroed, as the kernel requires
	if _, err := registerArg(r, RegisterOpProbe, buf, probeOps); err != nil {
		return nil, probeErr(err)
	}
	res := &ProbeResult{LastOp: Op(buf.hdr.LastOp), Features: r.features}
	n := min(int(buf.hdr.OpsLen), probeOps)
	for i := range n {
		o := buf.ops[i]
		res.flags[o.Op] = o.Flags
	}
	return res, nil
}
