//go:build race

package ringo_test

// raceEnabled: the race detector slows byte-heavy tests tenfold, so they
// scale their volume down (never their coverage of code paths).
const raceEnabled = true
