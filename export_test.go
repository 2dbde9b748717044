package ringo

// Test-only access to internals.

import "os/signal"

// OutstandingForTest returns the requests the kernel holds, over all rings.
func (e *Engine) OutstandingForTest() int64 {
	var n int64
	for _, sh := range e.allShards() {
		n += sh.outstanding.Load()
	}
	return n
}

// SlotForTest returns the file's registered-file slot (-1: none).
func (f *File) SlotForTest() int32 { return f.slot }

// ReadFileLinkedForTest runs ReadFile's linked chain alone; done reports
// whether the chain answered (false: ReadFile would take the long way).
func (e *Engine) ReadFileLinkedForTest(name string) (data []byte, done bool, err error) {
	return e.readFileLinked(name)
}

// FreeFileSlotsForTest returns the free and total registered-file slots of
// the engine's plain rings.
func (e *Engine) FreeFileSlotsForTest() (free, total int) {
	for _, sh := range e.shards {
		sh.mu.Lock()
		free += len(sh.fileFree)
		total += cap(sh.fileFree)
		sh.mu.Unlock()
	}
	return free, total
}

// AwaitFIFOWriterForTest runs OpenFile's wait for a writer on fd, a FIFO
// open for reading.
func (e *Engine) AwaitFIFOWriterForTest(fd int) error {
	return e.pick().awaitFIFOWriter(fd, "")
}

// HotForTest reports whether the file's cached reads use pread64 (hot).
func (f *File) HotForTest() bool { return f.hot.Load() }

// MappedForTest reports whether the file's hot reads copy from a leased
// mapping (file_mapped.go).
func (f *File) MappedForTest() bool { return f.mapping.Load() != nil }

// IgnoreLeaseSignalForTest makes the process ignore lease-break signals,
// as a program that resets its signals would, until restore is called.
func IgnoreLeaseSignalForTest() (restore func()) {
	watchLeases()
	signal.Ignore(leaseSignal)
	return func() { signal.Notify(leases.ch, leaseSignal) }
}
