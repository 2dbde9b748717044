package ringo

import (
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Mapped reads. A cached 4 KiB read through the kernel costs ~1.7 µs here
// whichever call makes it (pread64, preadv2, io_uring): the page lookup,
// the copy and the file reference are most of it (perf, session 4), so no
// read through the kernel reaches 1.3x os. Copying from a shared mapping
// of the file costs ~0.6 µs; the trouble is knowing that the mapping may
// be used: a file truncated by someone else turns the tail of its last
// page into zeros that pread would not return, and its later pages into
// SIGBUS.
//
// A read lease settles it. F_SETLEASE(F_RDLCK) is granted only while no
// one has the file open for writing, and from then on every open for
// writing and every truncate(2) of the file, by any process including
// this one, first breaks the lease and waits (up to
// /proc/sys/fs/lease-break-time) until the holder lets go. So while the
// lease is held the file's size and contents cannot change, and a read
// that copies from the mapping and then finds the lease still held
// (F_GETLEASE: a lease being broken already reads F_UNLCK) copied bytes
// no writer had touched: it is exactly what pread would have returned.
// A read needs no fcntl of its own if one found the lease unbroken less
// than leaseTrust before its copy ended (the kernel's break time is at
// least a second, unless set so large that it wraps, which is checked):
// one fcntl per read cost 20% of a mapped read's CPU.
// That check, not the signal below, is what keeps the path correct.
//
// The lease-break signal (leaseSignal, set with F_SETSIG) only makes the
// release prompt, so that a writer does not wait for this process's next
// read: a goroutine started with the first lease checks every leased file
// on each signal and lets go of those being broken. A program that resets
// or ignores that signal loses nothing but that promptness: the next read
// of the file, or the kernel's lease-break-time, releases the writer.
//
// Only hot files (whose reads keep hitting the page cache, readHot) are
// mapped, so a mapped read that faults on a page the kernel dropped
// blocks its thread for the disk, as hot pread64 reads already may; such
// a read is slow (mapSlowCopy) and has the next one ask
// preadv2(RWF_NOWAIT), as does one mapped read in mapSampleEvery; a miss
// there sends the file back to the ring. Mapped reads do not update the
// file's access time (as if the filesystem were mounted noatime).
const (
	// leaseSignal is the real-time signal lease breaks are reported with
	// (SIGRTMIN+16 as the C library numbers them; Go uses no real-time
	// signal itself).
	leaseSignal = syscall.Signal(50)
	// mapMaxMappings caps the mappings that exist at once (leased or kept
	// for a later lease): each is a VMA, and vm.max_map_count (65530 by
	// default) is shared with the Go runtime, whose mmap failing is
	// fatal.
	mapMaxMappings = 1024
	// mapMaxSize is the largest file mapped: address space is plentiful
	// (47 bits) but not endless.
	mapMaxSize = 1 << 40
	// leaseTrust is how long after F_GETLEASE found the lease held and
	// unbroken a mapped read may skip asking again. A break that begins
	// later lets its writer go ahead only when this process lets go
	// (after unpublishing the mapping, so a read still copying then
	// overlapped the writer's call) or when the kernel's break time ends:
	// /proc/sys/fs/lease-break-time is whole seconds, at least 1 (0 or
	// less: never), so no writer passes within a second of that
	// F_GETLEASE. A read whose copy ended within leaseTrust of it
	// therefore copied bytes no writer had touched, with a margin of
	// 1000x for clocks. (A value so large that it wraps breaks the
	// premise: leaseBreakTimeSafe.)
	leaseTrust = time.Millisecond
	// mapSlowCopy: a copy from the mapping slower than this may have
	// waited for the disk (a major fault; a cached 4 KiB copy takes under
	// a microsecond), so the next read checks the cache (readMapped): a
	// file whose pages are being dropped leaves the hot path after a
	// miss or two, not hotSampleEvery.
	mapSlowCopy = 50 * time.Microsecond
	// mapSampleEvery: one mapped read in this many, at random, goes to
	// preadv2(RWF_NOWAIT) instead, as one in hotSampleEvery pread64 reads
	// does: a backstop for misses the timing above does not catch.
	// Rarer, because that check costs more than the copy it replaces.
	mapSampleEvery = 64
	// mapRetryEvery: while a lease cannot be had for a while (the file
	// is open for writing somewhere: EAGAIN), one hot read in this many,
	// at random, tries again.
	mapRetryEvery = 4096
)

// Mapping states (File.mapStatus).
const (
	mapUntried int32 = iota // a hot read tries to map the file
	mapActive               // f.mapping is set and its lease held
	mapLater                // no lease for now; retried now and then
	mapNever                // this file cannot be mapped (type, fs, rights)
)

// fileMap is one leased view of a file: the mapping and the file's size
// under the lease. The mapping may outlive the lease (a later lease of a
// file no larger reuses it); size is only good while the lease is held.
type fileMap struct {
	data []byte // MAP_SHARED, PROT_READ, at least size bytes
	size int64
	// trustedUntil (monoNow) is leaseTrust past the last F_GETLEASE
	// that found the lease held and unbroken.
	trustedUntil atomic.Int64
}

// mapState holds a File's mapped-read state (embedded in File).
type mapState struct {
	// mapOK: a regular file opened read-only and buffered, the only kind
	// a read lease can cover.
	mapOK     bool
	mapStatus atomic.Int32
	mapCheck  atomic.Bool             // the next hot read checks the cache (mapSlowCopy)
	mapping   atomic.Pointer[fileMap] // set only while the lease is held

	mapMu   sync.Mutex // serialises lease changes; guards the fields below
	mapData []byte     // the current mapping, kept across leases
	mapOld  [][]byte   // outgrown mappings, unmapped by Close
}

// leases is the set of files holding a lease, which the signal watcher
// checks.
var leases struct {
	mu    sync.Mutex
	files map[*File]struct{}
	once  sync.Once
	ch    chan os.Signal // leaseSignal arrives here
	vmas  int            // mappings that exist, leased or not (mapMaxMappings)
}

// mapSlot reserves one mapping under mapMaxMappings; mapSlotFree returns it.
func mapSlot() bool {
	leases.mu.Lock()
	defer leases.mu.Unlock()
	if leases.vmas >= mapMaxMappings {
		return false
	}
	leases.vmas++
	return true
}

func mapSlotFree(n int) {
	leases.mu.Lock()
	leases.vmas -= n
	leases.mu.Unlock()
}

// leaseBreakTimeSafe reports whether a lease break cannot end, without
// this process, in less than a second (leaseTrust's premise): the kernel
// computes jiffies + lease_break_time*HZ in an int, so a value above
// MaxInt32/HZ (HZ <= 1000) wraps, into the past or the near future, and
// the breaker goes ahead almost at once. Values of 0 or less mean never.
func leaseBreakTimeSafe() bool {
	b, err := os.ReadFile("/proc/sys/fs/lease-break-time")
	if err != nil {
		return false
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return err == nil && v <= math.MaxInt32/1000
}

// leaseTimes caches leaseBreakTimeSafe for leaseStillSafe.
var leaseTimes struct {
	checked atomic.Int64 // monoNow of the last look, 0: never
	safe    atomic.Bool
}

// leaseStillSafe is leaseBreakTimeSafe looked at again at most once a
// second, for reads that renew their trust: an administrator who sets a
// wrapping value after a lease was taken is noticed within a second.
func leaseStillSafe(now int64) bool {
	if last := leaseTimes.checked.Load(); last == 0 || now-last > int64(time.Second) {
		leaseTimes.safe.Store(leaseBreakTimeSafe())
		leaseTimes.checked.Store(now)
	}
	return leaseTimes.safe.Load()
}

// readMapped copies from f's mapping if f holds a lease; ok is false if
// the caller must read some other way (no mapping, a fault, or the lease
// found broken after the copy, which also lets go of it).
func (f *File) readMapped(p []byte, off int64) (n int, ok bool) {
	if off > math.MaxInt64-int64(len(p)) {
		return 0, false // pread64 fails EINVAL: let it say so
	}
	m := f.mapping.Load()
	if m == nil {
		switch f.mapStatus.Load() {
		case mapUntried:
			f.tryMap()
		case mapLater:
			if rand.Uint32()%mapRetryEvery == 0 {
				f.tryMap()
			}
		}
		return 0, false
	}
	start := monoNow()
	if off < m.size {
		if n, ok = copyFromMapping(p, m.data[off:m.size]); !ok {
			// The size changed under the lease (the kernel timed it
			// out, or an O_RDONLY|O_TRUNC open emptied the file,
			// which breaks no read lease): stop faulting on every read.
			f.releaseLease(m)
			return 0, false
		}
	}
	// After the copy, not before (leaseTrust).
	now := monoNow()
	if now-start > int64(mapSlowCopy) {
		// A page the kernel had dropped, read in while this thread
		// held its P, or a thread that lost its CPU (the host's or
		// the scheduler's doing, and far more common): the next
		// read asks preadv2(RWF_NOWAIT), whose EAGAIN sends the
		// file back to the ring (rw).
		f.mapCheck.Store(true)
	}
	if now < m.trustedUntil.Load() {
		return n, true
	}
	// Syscall, not RawSyscall: F_GETLEASE may sleep a moment on the
	// kernel's file-lock semaphore.
	l, _, errno := unix.Syscall(unix.SYS_FCNTL, uintptr(f.fd), unix.F_GETLEASE, 0)
	if errno == 0 && l == unix.F_RDLCK && f.mapping.Load() == m && leaseStillSafe(now) {
		m.trustedUntil.Store(now + int64(leaseTrust))
		return n, true
	}
	f.releaseLease(m)
	return 0, false
}

// monoBase anchors monoNow.
var monoBase = time.Now()

// monoNow is the monotonic clock in nanoseconds.
func monoNow() int64 { return int64(time.Since(monoBase)) }

// copyFromMapping copies src into p, reporting false instead of crashing
// if a page of src faults (SIGBUS: an I/O error reading it in, or a size
// changed behind a lease the kernel timed out).
func copyFromMapping(p, src []byte) (n int, ok bool) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if recover() != nil {
			n, ok = 0, false
		}
	}()
	return copy(p, src), true
}

// tryMap takes a read lease on f and maps it. Failures that will not go
// away (the filesystem, no right to a lease) stop further tries; EAGAIN
// (the file is open for writing) leaves them to mapRetryEvery.
func (f *File) tryMap() {
	f.mapMu.Lock()
	defer f.mapMu.Unlock()
	if f.closing.Load() {
		return
	}
	if s := f.mapStatus.Load(); s == mapActive || s == mapNever {
		return
	}
	never := func() { f.mapStatus.Store(mapNever) }
	var sfs unix.Statfs_t
	if unix.Fstatfs(f.fd, &sfs) != nil || !leaseTrusted(sfs.Type) {
		never()
		return
	}
	watchLeases() // first: it makes leases.files (once.Do orders it)
	if !leaseBreakTimeSafe() {
		f.mapStatus.Store(mapLater)
		return
	}
	leaseTimes.safe.Store(true)
	leaseTimes.checked.Store(monoNow())
	// Registered before the lease, so a break right after it is seen.
	leases.mu.Lock()
	leases.files[f] = struct{}{}
	leases.mu.Unlock()
	if err := f.takeLease(); err != nil {
		f.forgetLease()
		if err == unix.EAGAIN {
			f.mapStatus.Store(mapLater)
		} else {
			never()
		}
		return
	}
	var st unix.Stat_t
	if unix.Fstat(f.fd, &st) != nil || st.Size <= 0 || st.Size > mapMaxSize {
		f.dropLease()
		f.mapStatus.Store(mapLater)
		return
	}
	if int64(len(f.mapData)) < st.Size {
		// Twice the size, so a growing file is not remapped at every
		// lease; bytes past the end of the file are never read.
		length := min(2*st.Size, mapMaxSize)
		if !mapSlot() {
			f.dropLease()
			f.mapStatus.Store(mapLater)
			return
		}
		data, err := unix.Mmap(f.fd, 0, int(length), unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			mapSlotFree(1)
			f.dropLease()
			never()
			return
		}
		if f.mapData != nil {
			// Readers may still be copying from it: Close unmaps it.
			f.mapOld = append(f.mapOld, f.mapData)
		}
		f.mapData = data
	}
	f.mapping.Store(&fileMap{data: f.mapData, size: st.Size})
	f.mapStatus.Store(mapActive)
}

// takeLease asks for a read lease reported by leaseSignal. The owner and
// the signal are set each time: letting go of a lease clears both.
func (f *File) takeLease() error {
	if _, err := unix.FcntlInt(uintptr(f.fd), unix.F_SETOWN, os.Getpid()); err != nil {
		return err
	}
	if _, err := unix.FcntlInt(uintptr(f.fd), unix.F_SETSIG, int(leaseSignal)); err != nil {
		return err
	}
	_, err := unix.FcntlInt(uintptr(f.fd), unix.F_SETLEASE, unix.F_RDLCK)
	return err
}

// releaseLease stops mapped reads of f under m's lease and lets go of it,
// so the writer or truncate waiting on it goes ahead.
func (f *File) releaseLease(m *fileMap) {
	f.mapMu.Lock()
	defer f.mapMu.Unlock()
	if f.mapping.Load() != m {
		return // released already
	}
	f.dropLease()
	f.mapStatus.Store(mapLater)
}

// dropLease unpublishes the mapping and lets go of the lease; mapMu held.
// A reader that loaded the mapping before may still be copying: its
// F_GETLEASE then fails and it reads again the ordinary way.
func (f *File) dropLease() {
	f.mapping.Store(nil)
	unix.FcntlInt(uintptr(f.fd), unix.F_SETLEASE, unix.F_UNLCK)
	f.forgetLease()
}

// forgetLease takes f out of the set the signal watcher checks.
func (f *File) forgetLease() {
	leases.mu.Lock()
	delete(leases.files, f)
	leases.mu.Unlock()
}

// checkLease lets go of f's lease if it is being broken (leaseSignal).
func (f *File) checkLease() {
	f.mapMu.Lock()
	defer f.mapMu.Unlock()
	if f.mapping.Load() == nil {
		return
	}
	if l, err := unix.FcntlInt(uintptr(f.fd), unix.F_GETLEASE, 0); err == nil && l == unix.F_RDLCK {
		return
	}
	f.dropLease()
	f.mapStatus.Store(mapLater)
}

// closeMapping ends mapped reads for Close, once no call is in progress
// (so no reader is left in a mapping) and before the descriptor closes.
func (f *File) closeMapping() {
	if !f.mapOK {
		return
	}
	f.mapMu.Lock()
	defer f.mapMu.Unlock()
	if f.mapping.Load() != nil {
		f.dropLease()
	}
	f.mapStatus.Store(mapNever)
	for _, d := range append(f.mapOld, f.mapData) {
		if d != nil {
			unix.Munmap(d)
			mapSlotFree(1)
		}
	}
	f.mapOld, f.mapData = nil, nil
}

// watchLeases starts, once, the goroutine that answers lease breaks.
func watchLeases() {
	leases.once.Do(func() {
		leases.files = make(map[*File]struct{})
		leases.ch = make(chan os.Signal, 1)
		signal.Notify(leases.ch, leaseSignal)
		go func() {
			var files []*File
			for range leases.ch {
				// Signals coalesce in ch: each one checks every file.
				leases.mu.Lock()
				files = files[:0]
				for f := range leases.files {
					files = append(files, f)
				}
				leases.mu.Unlock()
				for _, f := range files {
					f.checkLease()
				}
				clear(files) // keep no closed File reachable
			}
		}()
	})
}

// leaseTrusted reports whether a filesystem's files change only through
// this kernel, so that a local lease covers every writer: not network or
// FUSE filesystems, whose servers write without breaking it.
func leaseTrusted(fsType int64) bool {
	switch fsType {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC,
		unix.TMPFS_MAGIC, unix.F2FS_SUPER_MAGIC:
		return true
	}
	return false
}
