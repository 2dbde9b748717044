package ringo_test

import (
	"os"
	"testing"

	"github.com/ringo-io/ringo"
	"github.com/ringo-io/ringo/internal/seccomp"
)

// TestFallbackUnderSeccomp re-runs the file tests in a child process
// whose seccomp filter makes io_uring_setup fail with EPERM (as Docker's
// default profile does): the engine must report the syscall backend and
// every test must pass there too.
func TestFallbackUnderSeccomp(t *testing.T) {
	if seccomp.RunChild(t, "RINGO_SECCOMP_CHILD") {
		return
	}
	e := newEngine(t)
	if e.Backend() != ringo.BackendSyscall {
		t.Fatalf("Backend() = %v under a seccomp filter; want syscall", e.Backend())
	}
	if e.BackendReason() == nil {
		t.Fatal("BackendReason() is nil on the syscall backend")
	}
	t.Logf("fallback reason: %v", e.BackendReason())
	for name, fn := range map[string]func(*testing.T){
		"ReadWriteAt":              TestReadWriteAt,
		"ReadWriteSeek":            TestReadWriteSeek,
		"Vectored":                 TestVectored,
		"SyncTruncateFallocate":    TestSyncTruncateFallocateStat,
		"ErrorsLikeOS":             TestErrorsLikeOS,
		"ConcurrentIntegrity":      TestConcurrentIntegrity,
		"FSHelpers":                TestFSHelpers,
		"DefaultEngineHelpers":     TestDefaultEngineHelpers,
		"SharedRingManyGoroutines": TestSharedRingManyGoroutines,
		"Deadline":                 TestFileDeadline,
		"OSMethods":                TestFileOSMethods,
		"ReadDir":                  TestFileReadDir,
		"ReadFileErrors":           TestReadFileLinkedErrors,
	} {
		t.Run(name, fn)
	}
	if ringo.Default().Backend() != ringo.BackendSyscall {
		t.Fatal("default engine not on the syscall backend")
	}
	_ = os.Getpid
}
