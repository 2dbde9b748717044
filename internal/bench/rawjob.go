//go:build linux

package bench

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// rawJob is what the single-thread engines (aio, ring) set up before
// their loop: the job's file, opened with plain system calls, and one
// aligned buffer of QD slots of BS bytes.
type rawJob struct {
	fd  int
	buf []byte // QD*BS bytes; slot i is buf[i*BS:(i+1)*BS]
}

// startRawJob validates job for an engine that takes at most maxQD
// requests in flight, sets the page cache as job asks (setCache), fills a
// new aligned buffer from seed and opens job.Path (read-only for the
// read-only workloads, read-write otherwise, plus O_DIRECT when
// job.Direct: openFlags). The caller defers close before anything that hands
// the buffer to the kernel, so that close runs last, when nothing can use
// the buffer any more.
func startRawJob(job FileJob, engine string, maxQD int, seed uint64) (*rawJob, error) {
	if err := validateFileJob(job); err != nil {
		return nil, err
	}
	if job.QD > maxQD {
		return nil, fmt.Errorf("bench: %s queue depth must be at most %d, got %d", engine, maxQD, job.QD)
	}
	if err := setCache(job); err != nil {
		return nil, err
	}
	fd, err := unix.Open(job.Path, openFlags(job)|unix.O_CLOEXEC, 0)
	if err != nil {
		if job.Direct {
			if derr := CheckDirect(job.Path); derr != nil {
				return nil, derr
			}
		}
		return nil, fmt.Errorf("open %s: %w", job.Path, err)
	}
	buf, err := AlignedBuffer(job.QD * job.BS)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	fillRandom(buf, seed)
	return &rawJob{fd: fd, buf: buf}, nil
}

// close closes the file and frees the buffer.
func (j *rawJob) close() {
	unix.Close(j.fd)
	FreeAligned(j.buf)
}
