package uring

import "sync/atomic"

// All memory ordering between this process and the kernel goes through
// this file. liburing's barrier.h rules are:
//
//   - the producer publishes a ring index with a store-release after the
//     entries it covers are written (SQ tail, CQ head);
//   - the consumer reads the other side's index with a load-acquire before
//     it reads the entries that index covers (SQ head, CQ tail);
//   - with SQPOLL, after publishing the SQ tail and before reading the
//     NEED_WAKEUP flag a full barrier is needed, or the kernel thread may
//     go to sleep having missed the new tail while we miss its flag.
//
// Go's sync/atomic operations are sequentially consistent (the Go memory
// model, "synchronized before" for atomics), which is strictly stronger
// than acquire/release and includes the full barrier between a store and
// a later load. So each rule maps to one atomic call; the names below say
// which rule a call site relies on. On amd64 a load is a plain MOV and a
// store an XCHG; on arm64 LDAR/STLR.

// loadAcquire reads an index the kernel publishes (SQ head, CQ tail, ring
// flags) so that the entries it covers are read after it.
func loadAcquire(p *uint32) uint32 { return atomic.LoadUint32(p) }

// storeRelease publishes an index we own (SQ tail, CQ head) after the
// entries it covers have been written or consumed.
func storeRelease(p *uint32, v uint32) { atomic.StoreUint32(p, v) }

// loadAfterFullBarrier reads a kernel flag that must be ordered after an
// earlier storeRelease (the SQPOLL wakeup check). A sequentially
// consistent load after a sequentially consistent store cannot be
// reordered before it, which is the smp_mb() liburing issues here.
func loadAfterFullBarrier(p *uint32) uint32 { return atomic.LoadUint32(p) }

// loadRelaxed reads a kernel-written word where no ordering is needed,
// only freedom from tearing (READ_ONCE in liburing): the dropped and
// overflow counters.
func loadRelaxed(p *uint32) uint32 { return atomic.LoadUint32(p) }

// storeRelaxed writes a word the kernel reads but for which no ordering
// is needed (WRITE_ONCE): the CQ ring flags we set.
func storeRelaxed(p *uint32, v uint32) { atomic.StoreUint32(p, v) }
