package ringo_test

import (
	"github.com/ringo-io/ringo"
)

// WriteFileDefault exercises the package-level helpers on the default
// engine: write, read back, stat, rename, remove.
func WriteFileDefault(name string) error {
	if err := ringo.WriteFile(name, []byte("default"), 0o644); err != nil {
		return err
	}
	b, err := ringo.ReadFile(name)
	if err != nil {
		return err
	}
	if string(b) != "default" {
		return errMismatch
	}
	if _, err := ringo.Stat(name); err != nil {
		return err
	}
	if err := ringo.Rename(name, name+"2"); err != nil {
		return err
	}
	f, err := ringo.Open(name + "2")
	if err != nil {
		return err
	}
	f.Close()
	return ringo.Remove(name + "2")
}

var errMismatch = errorString("content mismatch")

type errorString string

func (e errorString) Error() string { return string(e) }
