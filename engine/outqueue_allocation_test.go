//go:build !race

package engine

import (
	"testing"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/wsproto"
)

// TestSharedOutputAllocs: queueing shared frames (WritePrepared, the broadcast path) takes
// the connection's output queue from its pool and gives it back once written, allocating
// nothing per message in steady state.
func TestSharedOutputAllocs(t *testing.T) {
	e := newEchoConn(t, nil)
	c := e.fc.ctx.(*conn)
	pm := apps.NewPreparedMessage(apps.Binary, letters(64))
	turn := func() {
		c.lp.begin()
		_ = c.WritePrepared(pm)
		_ = c.WritePrepared(pm)
		c.lp.end()
		e.fc.drain()
	}
	turn() // warm the pools
	start := e.fc.written
	const runs = 1000
	if allocs := testing.AllocsPerRun(runs, turn); allocs != 0 {
		t.Fatalf("%v allocs per turn", allocs)
	}
	if got, want := e.fc.written-start, (runs+1)*2*wsproto.FrameSize(64); got != want {
		t.Fatalf("wrote %d bytes, want %d", got, want)
	}
	if c.oq.Load() != nil {
		t.Fatal("the queue was kept after its output was written")
	}
}
