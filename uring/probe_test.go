package uring

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
)

// Tests of Probe and ProbeResult (probe.go).

func TestProbeReportsNopSupported(t *testing.T) {
	if p := mustProbe(t); !p.Supported(OpNop) {
		t.Fatal("Probe says OpNop is not supported")
	}
}

func TestProbeLastOpConsistent(t *testing.T) {
	p := mustProbe(t)
	if !p.Supported(p.LastOp) {
		t.Fatalf("LastOp %v is not reported as supported", p.LastOp)
	}
	if p.Supported(p.LastOp + 1) {
		t.Fatalf("opcode %d past LastOp %v reported as supported", p.LastOp+1, p.LastOp)
	}
	// The newest opcode this package knows is supported exactly when the
	// kernel is at least that new.
	newest := OpLast - 1
	if got, want := p.Supported(newest), p.LastOp >= newest; got != want {
		t.Fatalf("Supported(%v) = %v with kernel LastOp %v", newest, got, p.LastOp)
	}
}

func TestProbeOnRingMatchesPackageProbe(t *testing.T) {
	p := mustProbe(t)
	r := mustRing(t, 4, 0)
	q, err := r.Probe()
	if err != nil {
		t.Fatalf("Ring.Probe: %v", err)
	}
	if q.LastOp != p.LastOp || q.flags != p.flags {
		t.Fatalf("Ring.Probe LastOp %v differs from Probe LastOp %v or in its flags", q.LastOp, p.LastOp)
	}
}

func TestProbeFeaturesNonZero(t *testing.T) {
	if p := mustProbe(t); p.Features == 0 {
		t.Fatal("Probe reports no features")
	}
}

func TestSetupFlagSupportedAcceptsKnownFlags(t *testing.T) {
	p := mustProbe(t)
	if !p.SetupFlagSupported(SetupCQSize) {
		t.Fatal("SetupCQSize (5.5) reported unsupported")
	}
	if p.HasFeature(FeatNativeWorkers) && os.Geteuid() == 0 && !p.SetupFlagSupported(SetupSQPoll) {
		t.Fatal("SetupSQPoll reported unsupported for root")
	}
}

func TestSetupFlagSupportedRejectsUnknownFlag(t *testing.T) {
	p := mustProbe(t)
	if p.SetupFlagSupported(1 << 31) {
		t.Fatal("setup flag 1<<31 reported supported")
	}
}

func TestProbeErrNamesENOSYSAndEPERM(t *testing.T) {
	for _, tc := range []struct {
		errno syscall.Errno
		says  string
	}{
		{syscall.ENOSYS, "not available"},
		{syscall.EPERM, "disabled"},
	} {
		err := probeErr(os.NewSyscallError("io_uring_setup", tc.errno))
		if !errors.Is(err, tc.errno) || !strings.Contains(err.Error(), tc.says) {
			t.Fatalf("probeErr(%v) = %v; want it to wrap the errno and say %q", tc.errno, err, tc.says)
		}
	}
}
