package engine

import (
	"testing"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/wsproto"
	"github.com/wsgate/wsgate/internal/wstest"
)

// TestIdleConnHoldsNoSideState: an upgraded connection gives back its HTTP phase state,
// and its output queue is taken only while output waits by reference and given back once
// written, so an idle connection holds neither (conn.oq, conn.hp; bench idle case).
func TestIdleConnHoldsNoSideState(t *testing.T) {
	e := newEchoConn(t, wstest.Masked(0x1, []byte("hello")))
	c := e.fc.ctx.(*conn)
	idle := func(when string) {
		t.Helper()
		if c.oq.Load() != nil || c.hp != nil {
			t.Fatalf("%s: queue %v, HTTP phase %v; want neither", when, c.oq.Load() != nil, c.hp != nil)
		}
	}
	idle("after the upgrade")
	e.fc.drain()
	start := e.fc.written
	e.turn()
	idle("after an echo")
	if got, want := e.fc.written-start, wsproto.FrameSize(5); got != want {
		t.Fatalf("echo wrote %d bytes, want %d", got, want)
	}

	pm := apps.NewPreparedMessage(apps.Text, []byte("shared"))
	start = e.fc.written
	c.lp.begin()
	for range 3 {
		if err := c.WritePrepared(pm); err != nil {
			t.Fatal(err)
		}
	}
	if c.oq.Load() == nil {
		t.Fatal("shared frames queued without a queue")
	}
	c.lp.end()
	e.fc.drain()
	idle("after shared frames were written")
	if got, want := e.fc.written-start, 3*wsproto.FrameSize(6); got != want {
		t.Fatalf("shared frames: wrote %d bytes, want %d", got, want)
	}
}
