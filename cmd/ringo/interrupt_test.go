package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// interruptBench starts `ringo bench file` with no --file, its temporary
// directory set to dir, waits until its test file exists, sleeps for
// after, sends SIGINT and waits for it to exit. It returns stdout and
// stderr, and checks the exit status 0 and that the test file is gone.
func interruptBench(t *testing.T, size string, after time.Duration) (string, string) {
	t.Helper()
	dir := diskDir(t)
	if mem, _ := onMemoryFS(dir); mem {
		t.Skip("no disk filesystem for the test file")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := ringoCmd(ctx, t, "bench", "file", "--duration", "30s", "--size", size, "--engines", "uring", "--qd", "4")
	cmd.Env = append(cmd.Env, "TMPDIR="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	path := filepath.Join(dir, fmt.Sprintf("ringo-bench-%d.dat", cmd.Process.Pid))
	for {
		if _, err := os.Stat(path); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("ringo exited (%v) before making %s\nstderr:\n%s", err, path, stderr.String())
		case <-time.After(time.Millisecond):
		}
	}
	time.Sleep(after)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGINT: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(20 * time.Second):
		cancel()
		<-done
		t.Fatalf("ringo still running 20 s after SIGINT\nstderr:\n%s", stderr.String())
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file %s left behind: %v", path, err)
	}
	return stdout.String(), stderr.String()
}

func TestBenchFileInterrupt(t *testing.T) {
	t.Parallel()
	stdout, stderr := interruptBench(t, "8m", time.Second)
	if !strings.Contains(stderr, "interrupted") {
		t.Errorf("no interrupted note on stderr:\n%s", stderr)
	}
	if !strings.Contains(stdout, "uring") {
		t.Errorf("no figures for what was measured:\n%s", stdout)
	}
}

// Ctrl-C while the test file is being filled must remove it too.
func TestBenchFileInterruptWhilePreparing(t *testing.T) {
	t.Parallel()
	_, stderr := interruptBench(t, "64m", 0)
	if !strings.Contains(stderr, "interrupted") {
		t.Errorf("no interrupted note on stderr:\n%s", stderr)
	}
}
