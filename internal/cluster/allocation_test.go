//go:build !race

package cluster

import "testing"

// TestForwardPathAllocs: putting a publish on the outbound queue and taking it off allocate
// nothing once the buffer pool is warm.
func TestForwardPathAllocs(t *testing.T) {
	var q outQueue
	q.init(16, 1<<20)
	a := &appState{name: "chat", token: "chat"}
	m := Message{Topic: "room/1", Data: make([]byte, 300)}
	var batch [16]outEntry
	run := func() {
		q.push(a, m, 0)
		q.push(a, m, 0)
		k := q.take(batch[:])
		for j := range k {
			putEntry(&batch[j])
		}
	}
	run()
	if n := testing.AllocsPerRun(1000, run); n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}

// TestSubjectEncodeAllocs: escaping a topic into a reused buffer allocates nothing.
func TestSubjectEncodeAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(1000, func() {
		buf = appendTopic(appendToken(buf[:0], "chat"), "room/é/x.y//+")
	}); n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}
