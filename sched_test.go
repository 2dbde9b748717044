package ringo_test

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo"
)

// policies returns the scheduling policy of every thread of the process.
func policies(t *testing.T) map[int]uint32 {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]uint32{}
	for _, e := range ents {
		tid, _ := strconv.Atoi(e.Name())
		if attr, err := unix.SchedGetAttr(tid, 0); err == nil {
			got[tid] = attr.Policy
		}
	}
	return got
}

// SetBatchScheduling changes the scheduling of the whole process, so it
// runs in a child process of the test binary.
func TestSetBatchScheduling(t *testing.T) {
	if os.Getenv("RINGO_TEST_BATCH_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSetBatchScheduling$", "-test.v")
		cmd.Env = append(os.Environ(), "RINGO_TEST_BATCH_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	// A thread that already runs under another policy keeps it.
	idle := make(chan int)
	release := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid := unix.Gettid()
		if err := unix.SchedSetAttr(tid, &unix.SchedAttr{Policy: unix.SCHED_IDLE}, 0); err != nil {
			t.Error(err)
		}
		idle <- tid
		<-release
		unix.SchedSetAttr(tid, &unix.SchedAttr{Policy: unix.SCHED_NORMAL}, 0)
	}()
	idleTid := <-idle

	if err := ringo.SetBatchScheduling(); err != nil {
		t.Fatal(err)
	}
	for tid, p := range policies(t) {
		switch {
		case tid == idleTid && p != unix.SCHED_IDLE:
			t.Errorf("thread %d under SCHED_IDLE moved to policy %d", tid, p)
		case tid != idleTid && p != unix.SCHED_BATCH:
			t.Errorf("thread %d has policy %d, want SCHED_BATCH", tid, p)
		}
	}
	close(release)

	// Threads the runtime starts afterwards inherit SCHED_BATCH: make it
	// start some, by blocking several locked goroutines at once.
	before := len(policies(t))
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			<-gate
		}()
	}
	e, err := ringo.NewEngine() // and a ring reaper or two
	if err != nil {
		t.Fatal(err)
	}
	after := policies(t)
	close(gate)
	wg.Wait()
	e.Close()
	if len(after) <= before { // the checks below then cover the old threads only
		t.Logf("no new thread started (%d before, %d after)", before, len(after))
	}
	for tid, p := range after {
		if tid != idleTid && p != unix.SCHED_BATCH {
			t.Errorf("thread %d started after SetBatchScheduling has policy %d, want SCHED_BATCH", tid, p)
		}
	}
}
