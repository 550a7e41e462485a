package bufpool

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// Shared is a pooled buffer with a reference count, for bytes many owners hold at once
// without copying them (one encoded frame queued for every receiver of a broadcast). The
// creator holds the first reference; each other holder takes one with Retain and gives it
// back with Release; the last Release returns the buffer to the pool. B must not be
// modified once a second reference exists.
type Shared struct {
	B []byte
	// B is read by every event loop writing the frame, the counters below are written by
	// every loop queueing or finishing it: on one cache line, each write would evict B from
	// the other loops' caches. The struct is 128 bytes on every architecture (the sizes
	// below are the word size's), a size class whose objects start on a 64-byte boundary,
	// so B and the counters never share a line.
	_      [64 - unsafe.Sizeof([]byte(nil))]byte
	refs   atomic.Int32
	queued atomic.Int32                 // references taken by Enqueue and not yet dropped
	budget atomic.Pointer[atomic.Int64] // where len(B) is counted while queued > 0
	_      [64 - 8 - unsafe.Sizeof(uintptr(0))]byte
}

// Shared is 128 bytes: a compile error on any architecture where it is not.
var (
	_ [unsafe.Sizeof(Shared{}) - 128]byte
	_ [128 - unsafe.Sizeof(Shared{})]byte
)

var sharedPool = sync.Pool{New: func() any { return new(Shared) }}

// NewShared returns a Shared with room for n bytes (B empty) and one reference.
func NewShared(n int) *Shared {
	s := sharedPool.Get().(*Shared)
	s.B = Get(n)
	s.refs.Store(1)
	return s
}

// Retain takes another reference.
func (s *Shared) Retain() { s.refs.Add(1) }

// Enqueue takes a reference for an output queue and counts len(B) in budget while any
// queue holds it: queued output is counted once per buffer, not once per receiver. Every
// caller passes the same budget, and holds a reference of its own meanwhile (the frame's
// creator, during its fan-out). Dequeue gives the reference back.
//
// The queues hold one reference between them, taken when the first enqueues and given back
// when the last dequeues, so that a fan-out costs one atomic add per receiver on the
// buffer's counters instead of three, on a cache line the event loops share.
func (s *Shared) Enqueue(budget *atomic.Int64) {
	if s.queued.Add(1) == 1 {
		s.refs.Add(1)
		s.budget.Store(budget)
		budget.Add(int64(len(s.B)))
	}
}

// Dequeue gives back a reference taken by Enqueue.
func (s *Shared) Dequeue() {
	if s.queued.Add(-1) == 0 {
		s.budget.Load().Add(-int64(len(s.B)))
		s.Release()
	}
}

// Release gives back a reference; the last one frees the buffer. s must not be used by
// this holder afterwards.
func (s *Shared) Release() {
	switch n := s.refs.Add(-1); {
	case n > 0:
		return
	case n < 0:
		panic("bufpool: Shared released more often than retained")
	}
	Put(s.B)
	s.B = nil
	sharedPool.Put(s)
}

// Refs is the number of references held, for tests.
func (s *Shared) Refs() int32 { return s.refs.Load() }
