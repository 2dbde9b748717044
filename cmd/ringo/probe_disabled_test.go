package main

import (
	"strings"
	"testing"

	"github.com/ringo-io/ringo/internal/seccomp"
)

// TestProbeDisabled runs the probe in a child process whose seccomp filter
// makes io_uring fail with EPERM, as Docker's default profile does: the
// probe must say so in one clear line and fail.
func TestProbeDisabled(t *testing.T) {
	if seccomp.RunChild(t, "RINGO_PROBE_SECCOMP_CHILD") {
		return
	}
	err := cmdProbe(nil)
	if err == nil {
		t.Fatal("probe succeeded with io_uring denied")
	}
	msg := err.Error()
	if !strings.Contains(msg, "disabled") || strings.Contains(msg, "\n") {
		t.Fatalf("probe error = %q; want one line saying io_uring is disabled", msg)
	}
}
