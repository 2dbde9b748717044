//go:build !linux || !(amd64 || arm64)

package seccomp

import (
	"errors"
	"syscall"
)

const supported = false

// DenyIOUring is not supported on this platform and always returns an error.
func DenyIOUring(errno syscall.Errno) error {
	return errors.New("seccomp: DenyIOUring is only supported on linux/amd64 and linux/arm64")
}
