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
	// nopFile holds the compiled program open: its directory is removed
	// as soon as it is built, and it is run through /proc/self/fd.
	nopFile *os.File
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
// (and installing gcc/liburing-dev) on first use. It is built in a new
// temporary directory that is removed at once, whatever happens later
// (even if the process is killed): the program is kept open, and the path
// returned is its descriptor's, /proc/self/fd/N, which exec can run.
func NopBinary() (string, error) {
	buildOnce.Do(func() {
		if _, err := exec.LookPath("gcc"); err != nil || !haveLiburing() {
			if err := Install("gcc", "liburing-dev"); err != nil {
				buildErr = fmt.Errorf("C reference unavailable (need gcc and liburing-dev): %v", err)
				return
			}
		}
		nopFile, nopBin, buildErr = build(nopSource, "nop")
	})
	return nopBin, buildErr
}

// build compiles the C program src (linked with liburing) in a temporary
// directory, opens the executable and removes the directory. It returns
// the open executable and the path that runs it.
func build(src []byte, name string) (*os.File, string, error) {
	dir, err := os.MkdirTemp("", "ringo-cref-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	c := filepath.Join(dir, name+".c")
	if err := os.WriteFile(c, src, 0o644); err != nil {
		return nil, "", err
	}
	bin := filepath.Join(dir, name)
	if out, err := exec.Command("gcc", "-O2", "-o", bin, c, "-luring").CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("building the C reference: %v\n%s", err, out)
	}
	f, err := os.Open(bin)
	if err != nil {
		return nil, "", err
	}
	path := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	if _, err := os.Stat(path); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("C reference: /proc is needed to run it: %v", err)
	}
	return f, path, nil
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
