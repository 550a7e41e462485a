package engine

import (
	"testing"
	"time"

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

// TestQueueGivenBackAfterBacklog: a receiver that reads slowly holds an output queue while
// its backlog lasts (6 MiB of broadcast frames: more than the kernel's largest send buffer,
// 4 MiB, and its own 4 KiB receive buffer take); once it has read everything, gnet's buffer
// included, the queue goes back to the pool.
func TestQueueGivenBackAfterBacklog(t *testing.T) {
	const messages, size = 6, 1 << 20
	opt := testOptions()
	opt.MaxPendingBytes = 64 << 20 // the backlog is the point here, not the bound
	srv := startServer(t, opt, nil)
	rt := srv.reg.Table().Lookup([]byte("/broadcast"), 0)
	slow := dialRaw(t, srv.Addr("http"), "/broadcast", 4096)
	sender := dialRaw(t, srv.Addr("http"), "/broadcast", 0)
	waitFor(t, "members joined", func() bool { return broadcastMembers(rt) == 2 })
	queues := func() (n int) {
		srv.loopOf.Range(func(_, v any) bool {
			lp := v.(*loop)
			lp.connsMu.Lock()
			for _, c := range lp.conns {
				if c.oq.Load() != nil {
					n++
				}
			}
			lp.connsMu.Unlock()
			return true
		})
		return n
	}
	payload := make([]byte, size)
	for i := range messages {
		payload[0] = byte(i)
		if err := sender.Send(0x2, payload); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the backlog held in a queue", func() bool { return queues() == 1 })
	slow.SetReadDeadline(time.Now().Add(20 * time.Second))
	for i := range messages {
		op, p, err := slow.ReadFrame()
		if err != nil || op != 0x2 || len(p) != size || p[0] != byte(i) {
			t.Fatalf("message %d: op %#x, %d bytes, %v", i, op, len(p), err)
		}
	}
	waitFor(t, "the queue given back", func() bool { return queues() == 0 })
}
