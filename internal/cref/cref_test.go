package cref

import (
	"os"
	"os/exec"
	"testing"
)

// The C reference builds and runs, and leaves no directory behind in the
// temporary directory (every suite run used to leave a ringo-cref-NNN).
func TestNopLeavesNothingBehind(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil || !haveLiburing() {
		t.Skip("gcc or liburing-dev not installed") // not installed from a test
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ns, err := RunNop(4, 4000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ns <= 0 {
		t.Errorf("ns/op = %v", ns)
	}
	// Built once; run again from the same open executable.
	if _, err := RunNop(1, 100, 0); err != nil {
		t.Fatal(err)
	}
	if names, _ := os.ReadDir(tmp); len(names) != 0 {
		t.Errorf("left in the temporary directory: %v", names)
	}
}
