package ringo

import (
	"errors"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SetBatchScheduling moves every thread of the process that runs under
// the kernel's normal policy (SCHED_OTHER) to SCHED_BATCH, keeping its
// nice value; threads started afterwards by those threads (all of the Go
// runtime's, unless the program gives some thread another policy)
// inherit it. Threads under other policies are left alone. It changes
// how the whole process is scheduled, so it is never done for you: call
// it, or start the program with `chrt --batch 0` (systemd:
// CPUSchedulingPolicy=batch), if measurements on your machine say so.
//
// Why it can matter: a thread woken under SCHED_OTHER may preempt the
// thread that woke it, and a SCHED_BATCH thread never does. When a
// completion wakes goroutines, the Go runtime wakes an idle thread to run
// them; on virtual machines whose idle vCPUs the host has descheduled
// (KVM with steal time), the guest kernel places that thread on the
// waker's own vCPU, where it preempts the goroutine delivering
// completions, on every round. Measured on a 2-vCPU KVM guest with 4 KiB
// O_DIRECT random reads: ringo/fio 0.81x -> 0.96x at 16 in flight,
// 0.85x -> 0.97x at 32 (docs/DESIGN.md). The price is that a woken
// thread waits for the next tick or for the running one to block, which
// can delay goroutines that are latency-bound rather than I/O-bound.
//
// It returns the first error other than a thread ending meanwhile
// (ESRCH), as an *os.SyscallError or *fs.PathError; the threads switched
// before it stay switched.
func SetBatchScheduling() error {
	done := map[int]bool{}
	// Threads may start while the list is read, cloned from one not yet
	// switched: go round until a pass finds no thread it has not seen.
	for pass := 0; pass < maxSchedPasses; pass++ {
		tids, err := taskIDs()
		if err != nil {
			return err
		}
		fresh := false
		for _, tid := range tids {
			if done[tid] {
				continue
			}
			done[tid], fresh = true, true
			if err := batchThread(tid); err != nil {
				return err
			}
		}
		if !fresh {
			return nil
		}
	}
	return nil
}

// maxSchedPasses bounds SetBatchScheduling's passes over the threads; a
// program that starts threads faster than that has them started by
// threads already switched, which pass the policy on.
const maxSchedPasses = 16

// taskIDs lists the process's threads.
func taskIDs() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// batchThread moves thread tid from SCHED_OTHER to SCHED_BATCH with
// sched_setscheduler, which changes the policy alone: the thread keeps
// its nice value, its reset-on-fork flag and any time slice it was given
// (sched_setattr would pin the slice sched_getattr reports).
func batchThread(tid int) error {
	attr, err := unix.SchedGetAttr(tid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil // the thread has ended
	}
	if err != nil {
		return os.NewSyscallError("sched_getattr", err)
	}
	if attr.Policy != unix.SCHED_NORMAL {
		return nil
	}
	policy := uintptr(unix.SCHED_BATCH)
	if attr.Flags&unix.SCHED_FLAG_RESET_ON_FORK != 0 {
		policy |= schedResetOnFork
	}
	param := new(schedParam) // priority 0, as SCHED_BATCH requires
	_, _, errno := unix.Syscall(unix.SYS_SCHED_SETSCHEDULER, uintptr(tid), policy, uintptr(unsafe.Pointer(param)))
	if errno != 0 && errno != unix.ESRCH {
		return os.NewSyscallError("sched_setscheduler", errno)
	}
	return nil
}

// schedParam is struct sched_param.
type schedParam struct{ priority int32 }

// schedResetOnFork is SCHED_RESET_ON_FORK, or-ed into sched_setscheduler's
// policy (2.6.32).
const schedResetOnFork = 0x40000000
