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
	// A thread that already runs under another policy keeps it. It ends
	// with its goroutine (locked, never unlocked), so that no thread
	// under SCHED_IDLE, or put back to SCHED_OTHER, starts threads later.
	idle := make(chan int)
	release := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		tid := unix.Gettid()
		if err := unix.SchedSetAttr(tid, &unix.SchedAttr{Policy: unix.SCHED_IDLE}, 0); err != nil {
			t.Error(err)
		}
		idle <- tid
		<-release
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
	// start some, by holding more locked goroutines at once than there
	// are threads.
	old := policies(t)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	locked := make(chan struct{})
	for range len(old) + 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			locked <- struct{}{}
			<-gate
		}()
	}
	for range len(old) + 2 {
		<-locked
	}
	e, err := ringo.NewEngine() // and a ring reaper
	if err != nil {
		t.Fatal(err)
	}
	after := policies(t)
	close(gate)
	wg.Wait()
	e.Close()
	started := 0
	for tid, p := range after {
		if _, ok := old[tid]; !ok {
			started++
			if p != unix.SCHED_BATCH {
				t.Errorf("thread %d started after SetBatchScheduling has policy %d, want SCHED_BATCH", tid, p)
			}
		}
	}
	if started == 0 {
		t.Errorf("no thread started (%d before, %d after): nothing checked the inheritance", len(old), len(after))
	}
}
