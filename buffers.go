package ringo

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Alignment is the buffer and offset alignment O_DIRECT needs on common
// devices (the page size; many devices accept 512, none need more).
const Alignment = 4096

// AlignedBuffer returns n bytes (rounded up to a multiple of Alignment)
// aligned to Alignment, from an anonymous mapping outside the Go heap, for
// O_DIRECT I/O. The memory is never moved or collected; release it with
// FreeAligned when it is no longer used by any request.
func AlignedBuffer(n int) ([]byte, error) {
	if n <= 0 {
		return nil, errors.New("ringo: AlignedBuffer: size must be positive")
	}
	size := (n + Alignment - 1) &^ (Alignment - 1)
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	return b[:n:size], nil
}

// FreeAligned releases a buffer from AlignedBuffer.
func FreeAligned(b []byte) error {
	if cap(b) == 0 {
		return nil
	}
	return os.NewSyscallError("munmap", unix.Munmap(b[:cap(b)]))
}

// BufferPool is a set of equal, aligned buffers registered with the
// engine's rings as fixed buffers (IORING_REGISTER_BUFFERS), so reads and
// writes into them skip the per-request page pinning in the kernel
// (READ_FIXED/WRITE_FIXED). File.ReadAt and WriteAt use the fixed path
// automatically when the buffer, or a sub-slice of one, came from the
// pool.
//
// Registration pins the memory and counts against RLIMIT_MEMLOCK for
// users without CAP_IPC_LOCK; where the limit (or anything else) refuses
// it the pool still works, with ordinary requests: Registered says which.
// An engine has at most one registered pool at a time.
type BufferPool struct {
	e          *Engine
	mem        []byte
	size       int
	count      int
	registered bool
	free       chan int
	done       chan struct{} // closed by Close
	closeOnce  sync.Once
}

// NewBufferPool allocates count buffers of size bytes (rounded up to
// Alignment) and registers them with every ring of the engine.
func (e *Engine) NewBufferPool(count, size int) (*BufferPool, error) {
	if count <= 0 || count > 1<<14 || size <= 0 || size > 1<<30 {
		return nil, fmt.Errorf("ringo: NewBufferPool(%d, %d): want 1..16384 buffers of 1 B..1 GiB", count, size)
	}
	size = (size + Alignment - 1) &^ (Alignment - 1)
	mem, err := AlignedBuffer(count * size)
	if err != nil {
		return nil, err
	}
	p := &BufferPool{e: e, mem: mem[:cap(mem)], size: size, count: count, free: make(chan int, count), done: make(chan struct{})}
	for i := range count {
		p.free <- i
	}
	e.poolMu.Lock()
	defer e.poolMu.Unlock()
	// A closed engine's rings refuse registration anyway (registerOn);
	// checking first saves pinning the memory for nothing.
	if e.backend == BackendIOUring && !e.closed.Load() && e.pool.Load() == nil && memlockAllows(count*size) {
		if p.registerOn(e.allShards()) {
			p.registered = true
			e.pool.Store(p)
		}
	}
	return p, nil
}

// registerOn registers the pool's buffers with each ring; if one refuses,
// or is being closed by Engine.Close, the ones done are undone and it
// reports false.
func (p *BufferPool) registerOn(shards []*shard) bool {
	bufs := make([][]byte, p.count)
	for i := range bufs {
		bufs[i] = p.mem[i*p.size : (i+1)*p.size]
	}
	for i, sh := range shards {
		var err error
		if !sh.onRing(func() { err = sh.ring.RegisterBuffers(bufs) }) {
			err = ErrEngineClosed
		}
		if err != nil {
			for _, s := range shards[:i] {
				s.onRing(func() { s.ring.UnregisterBuffers() })
				s.pool.Store(nil)
			}
			return false
		}
		sh.pool.Store(p)
	}
	return true
}

// memlockAllows reports whether n more bytes may be locked: always with
// CAP_IPC_LOCK (seen as an infinite or large limit for root), else
// within RLIMIT_MEMLOCK. Asking beyond it would fail with ENOMEM anyway;
// checking first avoids the failed system calls.
func memlockAllows(n int) bool {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl); err != nil {
		return false
	}
	if os.Geteuid() == 0 || rl.Cur == unix.RLIM_INFINITY {
		return true
	}
	return uint64(n) <= rl.Cur
}

// Registered reports whether the pool's buffers are registered with the
// kernel (fixed buffers) or used as ordinary memory.
func (p *BufferPool) Registered() bool { return p.registered }

// Size returns the size of each buffer.
func (p *BufferPool) Size() int { return p.size }

// Get returns a free buffer, waiting for one if all are in use. It
// returns nil once the pool is closed (also to a Get waiting then).
func (p *BufferPool) Get() []byte {
	select {
	case <-p.done:
		return nil
	default:
	}
	select {
	case i := <-p.free:
		return p.mem[i*p.size : (i+1)*p.size : (i+1)*p.size]
	case <-p.done:
		return nil
	}
}

// Put returns a buffer obtained from Get. After Close it does nothing.
// It panics if b is not from this pool.
func (p *BufferPool) Put(b []byte) {
	select {
	case <-p.done:
		return
	default:
	}
	i, ok := p.index(b)
	if !ok {
		panic("ringo: BufferPool.Put of a buffer not from this pool")
	}
	select {
	case p.free <- int(i):
	default:
		// More Puts than Gets: never block the caller on it.
		panic("ringo: BufferPool.Put of a buffer already returned")
	}
}

// index returns the buffer index b lies within.
func (p *BufferPool) index(b []byte) (uint16, bool) {
	if len(b) == 0 || len(p.mem) == 0 {
		return 0, false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(p.mem)))
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if start < base || start >= base+uintptr(len(p.mem)) {
		return 0, false
	}
	i := (start - base) / uintptr(p.size)
	if start+uintptr(len(b)) > base+(i+1)*uintptr(p.size) {
		return 0, false
	}
	return uint16(i), true
}

// Close unregisters and frees the pool. No request may be using its
// buffers, and buffers from Get must not be touched afterwards (their
// memory is unmapped). It may run with or after Engine.Close: rings that
// are closing are left alone, since closing a ring drops its
// registrations.
func (p *BufferPool) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.done)
		var errs []error
		p.e.poolMu.Lock()
		if p.e.pool.Load() == p {
			p.e.pool.Store(nil)
			for _, sh := range p.e.allShards() {
				if sh.pool.Load() == p {
					sh.pool.Store(nil)
					var uerr error
					if sh.onRing(func() { uerr = sh.ring.UnregisterBuffers() }) && uerr != nil {
						errs = append(errs, fmt.Errorf("ringo: BufferPool.Close: %w", uerr))
					}
				}
			}
		}
		p.e.poolMu.Unlock()
		// Free the memory even if a ring kept the buffers registered:
		// the kernel holds its own references to the pinned pages, and
		// the engine no longer issues fixed requests on them.
		// p.mem keeps its value (index only compares addresses), so a
		// request racing with Close on an unrelated buffer reads no
		// field Close writes.
		errs = append(errs, FreeAligned(p.mem))
		err = errors.Join(errs...)
	})
	return err
}

// fixedIndex returns the index of the buffer registered with sh that p
// lies within.
func (sh *shard) fixedIndex(p []byte) (uint16, bool) {
	pool := sh.pool.Load()
	if pool == nil {
		return 0, false
	}
	return pool.index(p)
}
