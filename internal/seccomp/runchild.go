package seccomp

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// RunChild runs the calling test in a child process in which io_uring is
// forbidden. Use it at the start of a test (or subtest):
//
//	func TestFallback(t *testing.T) {
//		if seccomp.RunChild(t, "RINGO_TEST_NO_IOURING") {
//			return
//		}
//		// Runs in the child, with io_uring_* failing with EPERM.
//	}
//
// If the environment variable envKey is "1", the caller is the child:
// RunChild installs the filter with DenyIOUring(syscall.EPERM), failing the
// test if that fails, and returns false so that the test body runs under the
// filter.
//
// Otherwise the caller is the parent: RunChild re-runs the test binary with
// -test.run selecting exactly t.Name(), -test.v and envKey=1, captures the
// child's output, fails t with that output if the child fails (or did not
// run the test), skips t if the child skipped it, and returns true; the
// caller should then return. The filter is never installed in the parent.
//
// envKey must not be set to "1" in the environment of the top-level test
// process. Each test using RunChild should use its own name so that the
// child runs only that test.
func RunChild(t testing.TB, envKey string) (handled bool) {
	t.Helper()
	if os.Getenv(envKey) == "1" {
		if err := DenyIOUring(syscall.EPERM); err != nil {
			t.Fatalf("installing io_uring seccomp filter in child: %v", err)
		}
		return false
	}
	if !supported {
		t.Skip("seccomp: io_uring filter not supported on this platform")
	}

	name := t.Name()
	args := []string{"-test.run=" + runPattern(name), "-test.v"}
	args = append(args, passThroughFlags()...)
	cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), envKey+"=1")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	output := out.String()
	switch {
	case err != nil:
		t.Fatalf("child %v failed: %v\n--- child output ---\n%s", cmd.Args, err, output)
	case strings.Contains(output, "--- SKIP: "+name+" ("):
		t.Skipf("child skipped the test\n--- child output ---\n%s", output)
	case !strings.Contains(output, "--- PASS: "+name+" ("):
		t.Fatalf("child %v did not run %s\n--- child output ---\n%s", cmd.Args, name, output)
	case testing.Verbose():
		t.Logf("child output:\n%s", output)
	}
	return true
}

// runPattern returns a -test.run pattern that matches exactly the test or
// subtest called name (as reported by t.Name()). The testing package
// matches each '/'-separated element of a name against the corresponding
// element of the pattern, so each element is anchored separately.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// passThroughFlags returns the parent's test flags that matter to the
// child. Output-writing flags (profiles, coverage) are deliberately not
// passed: the child would overwrite the parent's files.
func passThroughFlags() []string {
	var args []string
	for _, name := range []string{"test.timeout", "test.short", "test.failfast"} {
		f := flag.Lookup(name)
		if f == nil || f.Value.String() == f.DefValue {
			continue
		}
		args = append(args, "-"+name+"="+f.Value.String())
	}
	return args
}
