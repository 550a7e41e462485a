package engine

import "testing"

// TestQueueCacheTrim: the cache gives back the queues it was given, newest first, and a
// trim frees exactly those that stayed free since the trim before.
func TestQueueCacheTrim(t *testing.T) {
	var qc queueCache
	taken := make([]*outQueue, 8)
	for i := range taken {
		taken[i] = qc.get()
	}
	for _, q := range taken {
		qc.put(q)
	}
	if got := qc.get(); got != taken[len(taken)-1] {
		t.Fatal("get did not return the last queue given back")
	} else {
		qc.put(got)
	}
	// The first trim only starts the count: before it no interval was watched.
	qc.low = 0
	if n := qc.trim(); n != 0 {
		t.Fatalf("first trim freed %d, want 0", n)
	}
	// In this interval at most 3 are out at once: 5 stay free throughout.
	out := []*outQueue{qc.get(), qc.get(), qc.get()}
	for _, q := range out {
		qc.put(q)
	}
	if n := qc.trim(); n != 5 {
		t.Fatalf("trim freed %d, want the 5 unused", n)
	}
	if len(qc.free) != 3 {
		t.Fatalf("%d queues kept, want 3", len(qc.free))
	}
	for _, q := range out {
		if !contains(qc.free, q) {
			t.Fatal("a queue used in the interval was freed")
		}
	}
	// Nothing taken in the next interval: all go.
	if n := qc.trim(); n != 3 || len(qc.free) != 0 {
		t.Fatalf("idle interval: freed %d, kept %d; want 3 and 0", n, len(qc.free))
	}
	if q := qc.get(); q == nil {
		t.Fatal("an empty cache gave no queue")
	}
}

func contains(list []*outQueue, q *outQueue) bool {
	for _, x := range list {
		if x == q {
			return true
		}
	}
	return false
}
