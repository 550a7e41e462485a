package bufpool

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestSharedCountsOnce: many queues holding one buffer count it once in the budget, until
// the last of them lets go; the creator's reference does not count.
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
	if budget.Load() != 1000 || s.Refs() != holders+1 {
		t.Fatalf("budget %d refs %d, want 1000 and %d", budget.Load(), s.Refs(), holders+1)
	}
	s.Release() // the creator lets go: the queues still hold it
	for i := range holders {
		if budget.Load() != 1000 {
			t.Fatalf("budget %d with %d holders left", budget.Load(), holders-i)
		}
		s.Dequeue()
	}
	if budget.Load() != 0 {
		t.Fatalf("budget %d after the last holder", budget.Load())
	}
}
