package main

import (
	"strings"
	"testing"

	"github.com/ringo-io/ringo/uring"
)

func TestParseSize(t *testing.T) {
	good := map[string]int64{
		"512": 512, "4k": 4096, "4K": 4096, "4KiB": 4096, "4kb": 4096,
		"1m": 1 << 20, "1g": 1 << 30, "2t": 2 << 40, " 8m ": 8 << 20,
		"8388607t": 8388607 << 40, "9223372036854775807": 1<<63 - 1,
	}
	for in, want := range good {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-4k", "k", "4x", "1.5m", "4 k", "abc", "99999999999999999999",
		"16777216t", "8388608t", "9223372036854775807k"} { // overflow int64
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseSetup(t *testing.T) {
	for _, in := range []string{"", "none"} {
		if f, err := parseSetup(in); err != nil || f != 0 {
			t.Errorf("parseSetup(%q) = %#x, %v; want 0", in, f, err)
		}
	}
	f, err := parseSetup("single-issuer,defer-taskrun")
	if want := uring.SetupSingleIssuer | uring.SetupDeferTaskrun; err != nil || f != want {
		t.Errorf("parseSetup(single-issuer,defer-taskrun) = %#x, %v; want %#x", f, err, want)
	}
	// DEFER_TASKRUN needs SINGLE_ISSUER: it is added.
	if f, err := parseSetup("defer-taskrun"); err != nil || f&uring.SetupSingleIssuer == 0 {
		t.Errorf("parseSetup(defer-taskrun) = %#x, %v; want SINGLE_ISSUER set too", f, err)
	}
	if f, err := parseSetup("COOP_TASKRUN"); err != nil || f != uring.SetupCoopTaskrun {
		t.Errorf("parseSetup(COOP_TASKRUN) = %#x, %v", f, err)
	}
	_, err = parseSetup("single-issuer,bogus")
	if err == nil {
		t.Fatal("parseSetup(bogus): no error")
	}
	for _, s := range []string{`"bogus"`, "known:", "single-issuer", "defer-taskrun", "coop-taskrun"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}
}
