package ringo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ringo-io/ringo"
)

// poolRaceRounds is how many engines each race test closes: the two
// closes overlap in a different place each time, and the race detector
// only needs one overlap without ordering between the register call's
// read of the ring fd and Ring.Close's write of it.
const poolRaceRounds = 30

// poolRaceEngines are the ring kinds a pool registers with: plain rings
// run register calls on the caller's goroutine, loop rings hand them to
// the loop's thread; "direct" adds an eventfd engine's O_DIRECT loop
// rings to its plain ones.
func poolRaceEngines(t *testing.T) map[string]func(t *testing.T) *ringo.Engine {
	dir := diskDir(t)
	plain := func(opts ...ringo.Option) func(t *testing.T) *ringo.Engine {
		return func(t *testing.T) *ringo.Engine {
			e, err := ringo.NewEngine(append(opts, ringo.WithRings(2), ringo.WithEntries(8))...)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
	}
	return map[string]func(t *testing.T) *ringo.Engine{
		"eventfd": plain(),
		"thread":  plain(ringo.WithReaper(ringo.ReaperThread)),
		"loop":    plain(ringo.WithReaper(ringo.ReaperLoop)),
		"direct": func(t *testing.T) *ringo.Engine {
			e := plain()(t)
			name := filepath.Join(dir, "direct")
			if err := os.WriteFile(name, make([]byte, 4096), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := e.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
			if err != nil {
				e.Close()
				t.Skipf("O_DIRECT refused here: %v", err)
			}
			f.Close()
			return e
		},
	}
}

// BufferPool.Close and Engine.Close at once: whichever gets to a ring
// first wins, without a data race on the ring's fd, an unregister on a
// closed (or by then reused) fd number, or an error from either.
func TestBufferPoolCloseRacesEngineClose(t *testing.T) {
	for name, newE := range poolRaceEngines(t) {
		t.Run(name, func(t *testing.T) {
			for i := range poolRaceRounds {
				e := newE(t)
				pool, err := e.NewBufferPool(2, 4096)
				if err != nil {
					e.Close()
					t.Fatal(err)
				}
				if !pool.Registered() {
					pool.Close()
					e.Close()
					t.Skip("fixed buffers could not be registered (RLIMIT_MEMLOCK)")
				}
				start := make(chan struct{})
				done := make(chan error, 2)
				go func() {
					<-start
					if err := pool.Close(); err != nil {
						done <- fmt.Errorf("round %d: BufferPool.Close = %v", i, err)
						return
					}
					done <- nil
				}()
				go func() {
					<-start
					if err := e.Close(); err != nil {
						done <- fmt.Errorf("round %d: Engine.Close = %v", i, err)
						return
					}
					done <- nil
				}()
				close(start)
				awaitAll(t, done, 2, 20*time.Second, "BufferPool.Close and Engine.Close")
			}
		})
	}
}

// NewBufferPool and Engine.Close at once: the pool comes back registered
// (the rings were still open) or not (they were closing), never after a
// register call on a closed ring, and it closes cleanly either way.
func TestNewBufferPoolRacesEngineClose(t *testing.T) {
	for name, newE := range poolRaceEngines(t) {
		t.Run(name, func(t *testing.T) {
			for i := range poolRaceRounds {
				e := newE(t)
				start := make(chan struct{})
				done := make(chan error, 2)
				pools := make(chan *ringo.BufferPool, 1)
				go func() {
					<-start
					pool, err := e.NewBufferPool(2, 4096)
					if err != nil {
						done <- fmt.Errorf("round %d: NewBufferPool = %v", i, err)
						return
					}
					pools <- pool
					done <- nil
				}()
				go func() {
					<-start
					if err := e.Close(); err != nil {
						done <- fmt.Errorf("round %d: Engine.Close = %v", i, err)
						return
					}
					done <- nil
				}()
				close(start)
				awaitAll(t, done, 2, 20*time.Second, "NewBufferPool and Engine.Close")
				if err := within(t, 20*time.Second, "BufferPool.Close", (<-pools).Close); err != nil {
					t.Fatalf("round %d: BufferPool.Close after Engine.Close = %v", i, err)
				}
			}
		})
	}
}

// A pool made on a closed engine works as ordinary memory and closes
// without touching the closed rings.
func TestBufferPoolOnClosedEngine(t *testing.T) {
	for name, newE := range poolRaceEngines(t) {
		t.Run(name, func(t *testing.T) {
			e := newE(t)
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			pool, err := e.NewBufferPool(2, 4096)
			if err != nil {
				t.Fatalf("NewBufferPool on a closed engine = %v", err)
			}
			if pool.Registered() {
				t.Error("pool registered with the rings of a closed engine")
			}
			if b := pool.Get(); len(b) != 4096 {
				t.Errorf("Get = %d bytes, want 4096", len(b))
			}
			if err := pool.Close(); err != nil {
				t.Fatalf("BufferPool.Close = %v", err)
			}
			if err := pool.Close(); err != nil {
				t.Fatalf("second BufferPool.Close = %v", err)
			}
		})
	}
}
