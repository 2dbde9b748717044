package ringo_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestFSHelpers(t *testing.T) {
	e := newEngine(t)
	dir := t.TempDir()
	deep := filepath.Join(dir, "a", "b", "c")
	if err := e.MkdirAll(deep, 0o755); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	if fi, err := os.Stat(deep); err != nil || !fi.IsDir() {
		t.Fatalf("os.Stat(deep) = %v, %v", fi, err)
	}
	if err := e.MkdirAll(deep, 0o755); err != nil {
		t.Fatalf("MkdirAll on existing: %v", err)
	}
	if err := e.Mkdir(deep, 0o755); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Mkdir existing = %v; want fs.ErrExist", err)
	}
	name := filepath.Join(deep, "file")
	if err := e.WriteFile(name, []byte("payload"), 0o640); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	if b, err := e.ReadFile(name); err != nil || string(b) != "payload" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	fi, err := e.Stat(name)
	if err != nil || fi.Size() != 7 || fi.Mode().Perm() != 0o640 || fi.Name() != "file" || fi.IsDir() {
		t.Fatalf("Stat = %v (%v), %v", fi, fi.Mode(), err)
	}
	renamed := filepath.Join(dir, "renamed")
	if err := e.Rename(name, renamed); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	if _, err := os.Stat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("old name still there: %v", err)
	}
	hard := filepath.Join(dir, "hard")
	if err := e.Link(renamed, hard); err != nil {
		t.Fatalf("Link: %v", err)
	}
	sym := filepath.Join(dir, "sym")
	if err := e.Symlink(renamed, sym); err != nil {
		t.Fatalf("Symlink: %v", err)
	}
	if target, err := os.Readlink(sym); err != nil || target != renamed {
		t.Fatalf("Readlink = %q, %v", target, err)
	}
	if b, err := e.ReadFile(sym); err != nil || string(b) != "payload" {
		t.Fatalf("ReadFile via symlink = %q, %v", b, err)
	}
	for _, p := range []string{renamed, hard, sym, deep} {
		if err := e.Remove(p); err != nil {
			t.Fatalf("Remove(%s): %v", p, err)
		}
	}
	if err := e.Remove(filepath.Join(dir, "a")); err == nil {
		t.Fatal("Remove of a non-empty directory succeeded")
	}
	if err := e.Remove(filepath.Join(dir, "nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Remove(missing) = %v", err)
	}
	var le *os.LinkError
	if err := e.Rename(filepath.Join(dir, "nope"), filepath.Join(dir, "x")); !errors.As(err, &le) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Rename(missing) = %v; want *os.LinkError matching ErrNotExist", err)
	}
	if _, err := e.Stat(filepath.Join(dir, "nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat(missing) = %v", err)
	}
}

func TestDefaultEngineHelpers(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "d")
	if err := WriteFileDefault(name); err != nil {
		t.Fatal(err)
	}
}
