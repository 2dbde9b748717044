// Package cref builds and runs the C reference programs (liburing) that
// `ringo bench --vs-c` compares against. The sources are embedded so the
// comparison works from any checkout; gcc and liburing-dev are installed
// with apt-get where missing (which needs root), and their absence is
// reported, never fatal.
package cref

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
)

//go:embed nop.c.in
var nopSource []byte

var (
	buildOnce sync.Once
	nopBin    string
	buildErr  error
)

// haveLiburing reports whether the liburing headers are installed.
func haveLiburing() bool {
	for _, p := range []string{"/usr/include/liburing.h", "/usr/local/include/liburing.h"} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// Install installs the named Debian packages with apt-get.
func Install(pkgs ...string) error {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return errors.New("apt-get not found")
	}
	if os.Geteuid() != 0 {
		return errors.New("installing needs root")
	}
	args := append([]string{"install", "-y", "-q"}, pkgs...)
	if out, err := exec.Command("apt-get", args...).CombinedOutput(); err != nil {
		// The package lists may be missing on a fresh machine.
		exec.Command("apt-get", "update", "-q").Run()
		if out2, err2 := exec.Command("apt-get", args...).CombinedOutput(); err2 != nil {
			return fmt.Errorf("apt-get install %v: %v\n%s%s", pkgs, err2, out, out2)
		}
	}
	return nil
}

// NopBinary returns the path of the compiled C NOP benchmark, building it
// (and installing gcc/liburing-dev) on first use.
func NopBinary() (string, error) {
	buildOnce.Do(func() {
		if _, err := exec.LookPath("gcc"); err != nil || !haveLiburing() {
			if err := Install("gcc", "liburing-dev"); err != nil {
				buildErr = fmt.Errorf("C reference unavailable (need gcc and liburing-dev): %v", err)
				return
			}
		}
		dir, err := os.MkdirTemp("", "ringo-cref-")
		if err != nil {
			buildErr = err
			return
		}
		src := filepath.Join(dir, "nop.c")
		if err := os.WriteFile(src, nopSource, 0o644); err != nil {
			buildErr = err
			return
		}
		bin := filepath.Join(dir, "nop")
		if out, err := exec.Command("gcc", "-O2", "-o", bin, src, "-luring").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the C reference: %v\n%s", err, out)
			return
		}
		nopBin = bin
	})
	return nopBin, buildErr
}

var nopLine = regexp.MustCompile(`([0-9.]+) ns/op`)

// RunNop runs the C NOP benchmark and returns its ns/op.
func RunNop(batch int, ops int64, setupFlags uint32) (float64, error) {
	bin, err := NopBinary()
	if err != nil {
		return 0, err
	}
	out, err := exec.Command(bin, strconv.Itoa(batch), strconv.FormatInt(ops, 10), fmt.Sprintf("%#x", setupFlags)).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("C reference: %v: %s", err, out)
	}
	m := nopLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("C reference: unexpected output %q", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
