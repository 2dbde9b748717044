package ringo

// Test-only access to internals.

// OutstandingForTest returns the requests the kernel holds, over all rings.
func (e *Engine) OutstandingForTest() int64 {
	var n int64
	for _, sh := range e.shards {
		n += sh.outstanding.Load()
	}
	return n
}

// SlotForTest returns the file's registered-file slot (-1: none).
func (f *File) SlotForTest() int32 { return f.slot }
