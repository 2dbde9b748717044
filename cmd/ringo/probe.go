package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ringo-io/ringo/uring"
)

type probeOp struct {
	Op        int    `json:"op"`
	Name      string `json:"name"`
	Since     string `json:"since"`
	Supported bool   `json:"supported"`
}

type probeReport struct {
	Kernel    string    `json:"kernel"`
	Available bool      `json:"available"`
	Error     string    `json:"error,omitempty"`
	Features  []string  `json:"features"`
	Ops       []probeOp `json:"ops"`
	Supported int       `json:"supported_ops"`
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// explainUnavailable turns an io_uring_setup error into one clear line.
func explainUnavailable(err error) string {
	switch {
	case errors.Is(err, syscall.ENOSYS):
		return "io_uring is not available: this kernel has no io_uring (ENOSYS)"
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return "io_uring is disabled here (EPERM): sysctl kernel.io_uring_disabled or a seccomp filter forbids it"
	}
	return "io_uring cannot be set up: " + err.Error()
}

func cmdProbe(args []string) error {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		return badInput("%v", err)
	}
	rep := probeReport{Kernel: kernelRelease()}
	p, err := uring.Probe()
	if err != nil {
		rep.Error = explainUnavailable(err)
		if *asJSON {
			json.NewEncoder(os.Stdout).Encode(rep)
		}
		return errors.New(rep.Error)
	}
	rep.Available = true
	for _, f := range uring.FeatureNames {
		if p.Features&f.Bit != 0 {
			rep.Features = append(rep.Features, f.Name)
		}
	}
	for op := uring.Op(0); op < uring.OpLast; op++ {
		s := p.Supported(op)
		if s {
			rep.Supported++
		}
		rep.Ops = append(rep.Ops, probeOp{Op: int(op), Name: op.String(), Since: op.Since(), Supported: s})
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(rep)
	}
	fmt.Printf("kernel %s: io_uring available, %d of %d opcodes supported\n", rep.Kernel, rep.Supported, len(rep.Ops))
	fmt.Printf("features:")
	for _, f := range rep.Features {
		fmt.Printf(" %s", f)
	}
	fmt.Println()
	fmt.Printf("%-4s %-18s %-6s %s\n", "op", "name", "since", "supported")
	for _, o := range rep.Ops {
		yes := "no"
		if o.Supported {
			yes = "yes"
		}
		fmt.Printf("%-4d %-18s %-6s %s\n", o.Op, o.Name, o.Since, yes)
	}
	return nil
}
