// Package ringo is io_uring for Go, in pure Go: a goroutine-safe engine
// that batches the I/O of any number of goroutines into few system calls
// and wakes each goroutine when its own completion arrives, with files
// (File mirrors *os.File) and file-system helpers on top.
//
// Where io_uring cannot be set up (a kernel without it, or one where it is
// disabled by sysctl or seccomp) the same API is served with ordinary
// system calls; Engine.Backend says which is in use.
//
// The raw ring, for programs that want to drive io_uring themselves, is
// package github.com/ringo-io/ringo/uring.
package ringo

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ringo-io/ringo/uring"
)

// Backend names the mechanism an Engine uses to perform I/O.
type Backend int

const (
	// BackendIOUring is io_uring.
	BackendIOUring Backend = iota
	// BackendSyscall is ordinary blocking system calls, used where
	// io_uring is unavailable.
	BackendSyscall
)

// String returns the backend's name, "io_uring" or "syscall", as shown in
// logs and by the ringo command.
func (b Backend) String() string {
	switch b {
	case BackendIOUring:
		return "io_uring"
	case BackendSyscall:
		return "syscall"
	}
	return fmt.Sprintf("Backend(%d)", int(b))
}

// Reaper selects how completions reach waiting goroutines.
type Reaper int

const (
	// ReaperEventfd registers an eventfd with each ring and waits for it
	// through Go's network poller: no OS thread is held while idle, and
	// the CQ is reaped without a system call. The default (see
	// docs/DESIGN.md for the measurements behind it).
	ReaperEventfd Reaper = iota
	// ReaperThread dedicates one OS thread per ring, blocked in
	// io_uring_enter waiting for completions.
	ReaperThread
	// ReaperLoop dedicates one OS thread per ring that both submits and
	// waits, on a SINGLE_ISSUER|DEFER_TASKRUN ring (6.1): completions run
	// in that thread's own wait, as in fio. Other goroutines queue SQEs
	// and wake it through an eventfd polled by the ring.
	ReaperLoop
	// ReaperPoll dedicates one goroutine per ring, not locked to a
	// thread, blocked in io_uring_enter waiting for completions; after
	// delivering some it yields its P, so the goroutines it woke run at
	// once on its own thread and queue their next requests, instead of
	// waiting for another CPU's idle thread to wake. Default engines use
	// it for O_DIRECT files (docs/DESIGN.md).
	ReaperPoll
)

// config holds the Engine options.
type config struct {
	entries     uint32
	rings       int
	setupFlags  uint32
	sqIdle      time.Duration
	maxInFlight int
	reaper      Reaper
	forceSys    bool
	mappedReads bool
}

// Option configures NewEngine.
type Option func(*config)

// minEntries is the smallest SQ the engine accepts: a request may need up
// to 4 SQEs in a row (ReadFile's linked chain; a read with a deadline
// needs 2), and they must fit at once.
const minEntries = 8

// WithEntries sets the submission queue size of each ring (default 256,
// at least 8;
// the completion queue is twice that). In-flight requests are not limited
// by it: a full SQ is submitted and refilled.
func WithEntries(n uint32) Option { return func(c *config) { c.entries = n } }

// WithRings sets the number of rings requests are spread over (default 1).
// More rings reduce lock contention when many cores issue I/O. Files on
// disks (regular files, block devices) get a second set of n rings, made
// at the first such open, each with a reaper that waits in io_uring_enter
// and so holds an OS thread (idle, not running) until Engine.Close.
func WithRings(n int) Option { return func(c *config) { c.rings = n } }

// WithSetupFlags adds io_uring setup flags (uring.Setup*) to every ring.
// Flags that need a single submitting thread (SetupSingleIssuer,
// SetupDeferTaskrun) are refused by NewEngine, since any goroutine may
// submit; use package uring for those.
func WithSetupFlags(flags uint32) Option { return func(c *config) { c.setupFlags |= flags } }

// WithSQPoll makes the kernel poll the submission queue with a thread of
// its own that sleeps after idle without work, so submitting costs no
// system call while it is awake. It spends a CPU while polling.
func WithSQPoll(idle time.Duration) Option {
	return func(c *config) { c.setupFlags |= uring.SetupSQPoll; c.sqIdle = idle }
}

// WithMaxInFlight bounds the requests in flight per ring (default 4096);
// further requests wait for a free slot.
func WithMaxInFlight(n int) Option { return func(c *config) { c.maxInFlight = n } }

// WithReaper selects how completions are collected (default ReaperEventfd).
func WithReaper(r Reaper) Option { return func(c *config) { c.reaper = r } }

// WithMappedReads lets files opened read-only (O_RDONLY, buffered) serve
// their reads from a shared mapping of the file once those reads keep
// hitting the page cache: a 4 KiB cached read then costs a copy instead
// of a read system call (2.0-2.4x os at 32 goroutines on the session-5
// host, docs/BENCHMARKS.md). The results are exactly pread's: the file is
// mapped under a read lease (fcntl F_SETLEASE), so every open of it for
// writing and every truncate, by any process, first waits for this
// process to let go, and a mapped read trusts its copy only if the lease
// was found unbroken within the last millisecond (F_GETLEASE).
//
// What other programs see, and why it is an option: while a lease is
// held, an open of the file for writing waits until this process lets go
// (a real-time signal, number 50, reports it and a goroutine answers at
// once; if the program ignores that signal, until its next read of the
// file or /proc/sys/fs/lease-break-time), and a non-blocking one
// (O_NONBLOCK, as GNU truncate(1) opens) fails with EAGAIN the first
// time. Mapped reads do not update the access time, and posix_fadvise
// DONTNEED does not drop pages the mapping has touched until the File is
// closed. Leases need a local filesystem (ext4, xfs, btrfs, f2fs, tmpfs)
// and a file the process owns (or CAP_LEASE); files without them keep the
// ordinary reads, as do all files of an engine on the system call
// backend (Backend).
func WithMappedReads() Option { return func(c *config) { c.mappedReads = true } }

// WithSyscallBackend forces the ordinary system call backend, as if
// io_uring were unavailable.
func WithSyscallBackend() Option { return func(c *config) { c.forceSys = true } }

// Engine performs I/O for any number of goroutines. It is safe for
// concurrent use. The zero value is not usable: call NewEngine or Default.
type Engine struct {
	cfg     config
	backend Backend
	whyNot  error    // why io_uring is not used, for BackendSyscall
	shards  []*shard // pipes, sockets, FIFOs, paths (opens, ReadFile chains)
	next    atomic.Uint32

	// Regular files and block devices go to rings of their own
	// (diskReaper), made on first use: their completions come from the
	// device, and how the waiting goroutines are woken decides their
	// IOPS (docs/DESIGN.md).
	diskOnce sync.Once
	diskMu   sync.Mutex
	disk     []*shard
	diskNext atomic.Uint32
	closed   atomic.Bool
	closeMu  sync.Mutex
	closeErr error

	poolMu sync.Mutex
	pool   atomic.Pointer[BufferPool] // the registered pool, read without lock on the I/O path
}

// ErrEngineClosed is returned (wrapped in *fs.PathError, and matching
// fs.ErrClosed) by operations on a closed Engine.
var ErrEngineClosed = fmt.Errorf("ringo: engine closed: %w", os.ErrClosed)

// NewEngine starts an engine. Where io_uring cannot be set up because the
// kernel lacks it (ENOSYS) or forbids it (EPERM, EACCES: sysctl
// kernel.io_uring_disabled or a seccomp filter) it returns an engine on
// the system call backend instead of an error; other setup failures
// (bad options, no memory) are returned.
func NewEngine(opts ...Option) (*Engine, error) {
	cfg := config{entries: 256, rings: 1, maxInFlight: 4096}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.rings < 1 || cfg.rings > 64 {
		return nil, fmt.Errorf("ringo: WithRings(%d): want 1..64", cfg.rings)
	}
	if cfg.entries < minEntries || cfg.entries > 32768 {
		return nil, fmt.Errorf("ringo: WithEntries(%d): want %d..32768", cfg.entries, minEntries)
	}
	if cfg.maxInFlight < 1 || cfg.maxInFlight > 1<<20 {
		return nil, fmt.Errorf("ringo: WithMaxInFlight(%d): want 1..%d", cfg.maxInFlight, 1<<20)
	}
	if cfg.setupFlags&(uring.SetupSingleIssuer|uring.SetupDeferTaskrun) != 0 {
		return nil, errors.New("ringo: SINGLE_ISSUER and DEFER_TASKRUN need one submitting thread; the Engine lets any goroutine submit")
	}
	e := &Engine{cfg: cfg}
	if cfg.forceSys {
		e.backend = BackendSyscall
		e.whyNot = errors.New("syscall backend requested")
		return e, nil
	}
	for i := 0; i < cfg.rings; i++ {
		sh, err := newShard(e, &cfg)
		if err != nil {
			for _, s := range e.shards {
				s.close()
			}
			if i == 0 && unavailable(err) {
				e.shards = nil
				e.backend = BackendSyscall
				e.whyNot = err
				return e, nil
			}
			return nil, err
		}
		e.shards = append(e.shards, sh)
	}
	return e, nil
}

// unavailable reports whether err means io_uring cannot be used here at
// all, as opposed to a bad request.
func unavailable(err error) bool {
	return errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES)
}

var (
	defaultOnce   sync.Once
	defaultEngine *Engine
)

// Default returns the process-wide engine used by the package-level
// functions (Open, ReadFile, …), starting it on first use with default
// options. It is never closed.
func Default() *Engine {
	defaultOnce.Do(func() {
		e, err := NewEngine()
		if err != nil {
			// Options are the defaults, so only resource exhaustion gets
			// here: serve the API with system calls rather than fail.
			e = &Engine{backend: BackendSyscall, whyNot: err}
		}
		defaultEngine = e
	})
	return defaultEngine
}

// Backend reports whether the engine uses io_uring or system calls.
func (e *Engine) Backend() Backend { return e.backend }

// BackendReason explains why the engine runs on BackendSyscall (nil on
// io_uring).
func (e *Engine) BackendReason() error { return e.whyNot }

// Stats are cumulative counters of an Engine.
type Stats struct {
	Submitted   uint64 // SQEs submitted
	Completions uint64 // CQEs reaped
	Enters      uint64 // io_uring_enter system calls made
	// SubmitErrors counts io_uring_enter submissions that failed and were
	// retried (EBUSY/EAGAIN when the kernel is short of completion room).
	SubmitErrors uint64
}

// Stats returns the engine's counters, summed over its rings.
func (e *Engine) Stats() Stats {
	var s Stats
	for _, sh := range e.allShards() {
		s.Submitted += sh.submitted.Load()
		s.Completions += sh.completions.Load()
		s.Enters += sh.enters.Load()
		s.SubmitErrors += sh.submitErrs.Load()
	}
	return s
}

// Close stops the engine. Requests in flight are cancelled and Close waits
// for their final completions, because the kernel may write into their
// buffers until then; goroutines waiting on them return errors. Later
// requests fail with an error matching fs.ErrClosed. Close is idempotent.
func (e *Engine) Close() error {
	e.closeMu.Lock()
	defer e.closeMu.Unlock()
	if e.closed.Swap(true) {
		return e.closeErr
	}
	var errs []error
	e.diskOnce.Do(func() {}) // no disk rings may start after this
	for _, sh := range e.allShards() {
		if err := sh.close(); err != nil {
			errs = append(errs, err)
		}
	}
	e.closeErr = errors.Join(errs...)
	return e.closeErr
}

// allShards returns every ring of the engine.
func (e *Engine) allShards() []*shard {
	e.diskMu.Lock()
	defer e.diskMu.Unlock()
	return append(append([]*shard(nil), e.shards...), e.disk...)
}

// diskReaper is how default engines serve files on disks. For O_DIRECT
// files: ReaperLoop until session 4; ReaperPoll measured 12-37% more IOPS
// at qd 4-16 and the same within noise at qd 32-128 on the session-4
// host. Buffered files moved to these rings in session 6: cache misses
// cost 13-30% less CPU than through the eventfd rings, at the same IOPS
// (DESIGN.md).
const diskReaper = ReaperPoll

// pickDisk returns the ring for a new regular file or block device: one
// of the diskReaper rings, or the ordinary ones where those cannot be
// made or WithReaper chose a mode for all rings.
func (e *Engine) pickDisk() *shard {
	if e.cfg.reaper != ReaperEventfd {
		return e.pick()
	}
	e.diskOnce.Do(func() {
		if e.closed.Load() {
			return
		}
		cfg := e.cfg
		cfg.reaper = diskReaper
		var made []*shard
		for range cfg.rings {
			sh, err := newShard(e, &cfg)
			if err != nil {
				for _, s := range made {
					s.close()
				}
				return
			}
			made = append(made, sh)
		}
		// Under poolMu (then diskMu, the order NewBufferPool and
		// BufferPool.Close take them): a pool closing meanwhile must
		// either see these rings or not be registered on them.
		e.poolMu.Lock()
		e.diskMu.Lock()
		e.disk = made
		e.diskMu.Unlock()
		if pool := e.pool.Load(); pool != nil {
			pool.registerOn(made)
		}
		e.poolMu.Unlock()
	})
	if len(e.disk) == 0 {
		return e.pick()
	}
	return e.disk[int(e.diskNext.Add(1))%len(e.disk)]
}

// pick returns the ring for a new file: round robin, so files spread
// over the rings and a file's requests stay on one ring.
func (e *Engine) pick() *shard {
	if len(e.shards) == 1 {
		return e.shards[0]
	}
	return e.shards[int(e.next.Add(1))%len(e.shards)]
}
