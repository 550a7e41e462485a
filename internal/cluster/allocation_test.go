//go:build !race

package cluster

import "testing"

// TestForwardPathAllocs: putting a publish on the outbound queue and taking it off allocate
// nothing once the buffer pool is warm.
func TestForwardPathAllocs(t *testing.T) {
	f := newForwardPath(16, 300)
	run := func() {
		f.push()
		f.push()
		f.drain()
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
