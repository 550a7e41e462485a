package bufpool

import (
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"
)

// TestSharedCountsOnce: many queues holding one buffer count it once in the budget, until
// the last of them lets go; the creator's reference does not count. The queues hold one
// reference between them, and the last to let go frees the buffer.
func TestSharedCountsOnce(t *testing.T) {
	var budget atomic.Int64
	s := NewShared(1000)
	s.B = append(s.B, make([]byte, 1000)...)
	const holders = 50
	var wg sync.WaitGroup
	for range holders {
		wg.Add(1)
		go func() { defer wg.Done(); s.Enqueue(&budget) }()
	}
	wg.Wait()
	if budget.Load() != 1000 || s.Refs() != 2 {
		t.Fatalf("budget %d refs %d, want 1000 and 2 (the creator's and the queues')", budget.Load(), s.Refs())
	}
	s.Release() // the creator lets go: the queues still hold it
	for i := range holders {
		if budget.Load() != 1000 {
			t.Fatalf("budget %d with %d holders left", budget.Load(), holders-i)
		}
		s.Dequeue()
	}
	if budget.Load() != 0 || s.B != nil {
		t.Fatalf("budget %d after the last holder, buffer freed: %v", budget.Load(), s.B == nil)
	}
}

// TestSharedRequeued: a buffer every queue has let go of while its creator still holds it
// is counted again when queued again, and freed only once both have let go.
func TestSharedRequeued(t *testing.T) {
	var budget atomic.Int64
	s := NewShared(64)
	s.B = append(s.B, make([]byte, 64)...)
	for round := range 3 {
		s.Enqueue(&budget)
		s.Enqueue(&budget)
		if budget.Load() != 64 || s.Refs() != 2 {
			t.Fatalf("round %d: budget %d refs %d, want 64 and 2", round, budget.Load(), s.Refs())
		}
		s.Dequeue()
		s.Dequeue()
		if budget.Load() != 0 || s.Refs() != 1 || s.B == nil {
			t.Fatalf("round %d: after the queues budget %d refs %d (buffer kept: %v), want 0, 1, kept", round, budget.Load(), s.Refs(), s.B != nil)
		}
	}
	s.Release()
	if s.B != nil {
		t.Fatal("the buffer was not freed by the last reference")
	}
}

// TestSharedLayout: the frame's bytes and its counters sit on separate cache lines.
func TestSharedLayout(t *testing.T) {
	var s Shared
	if size := unsafe.Sizeof(s); size != 128 {
		t.Fatalf("Shared is %d bytes, want 128 (a size class aligned to 64)", size)
	}
	if off := unsafe.Offsetof(s.refs); off != 64 {
		t.Fatalf("the counters start at %d, want 64", off)
	}
	for range 100 {
		if p := uintptr(unsafe.Pointer(sharedPool.Get().(*Shared))); p%64 != 0 {
			t.Fatalf("a Shared at %#x is not on a 64-byte boundary", p)
		}
	}
}
