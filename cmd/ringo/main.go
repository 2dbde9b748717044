// Command ringo probes the kernel's io_uring support and benchmarks
// ringo against the Go standard library, Linux AIO and C (fio, liburing).
//
//	ringo probe [--json]
//	ringo bench [--quick] [--json]                  the whole suite
//	ringo bench nop --batch N --ops N [--setup single-issuer,…] [--vs-c] [--json]
//	ringo bench file --engines uring,os,aio,fio --rw randread --bs 4k --qd 32 …
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  ringo probe [--json]            kernel io_uring support: features and opcodes
  ringo bench [--quick] [--json]  the benchmark suite (ringo vs os, aio, C)
  ringo bench nop [flags]         NOP round trips through the raw ring
  ringo bench file [flags]        file I/O: ringo vs os vs aio vs fio
Run "ringo bench nop -h" or "ringo bench file -h" for flags.
`

// exitUsage is the exit status for bad input.
const exitUsage = 2

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(exitUsage)
	}
	var err error
	switch os.Args[1] {
	case "probe":
		err = cmdProbe(os.Args[2:])
	case "bench":
		err = cmdBench(os.Args[2:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "ringo: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(exitUsage)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ringo:", err)
		if _, ok := err.(usageError); ok {
			os.Exit(exitUsage)
		}
		os.Exit(1)
	}
}

// usageError is bad input from the user: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func badInput(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }
