package engine

import "github.com/panjf2000/gnet/v2"

// Flow control of proxied pairs (docs/flow-control.md). gnet reads a connection whenever
// input arrives; the patched gnet in third_party/gnet adds Conn.PauseRead/ResumeRead, which
// stop and restart watching the socket for input, and OnDrain, which fires when a
// connection's unwritten output has all gone to the socket.
//
// Each direction of a pair is bounded by max_pending_bytes of output gnet holds for the
// receiving side: past it, the sending side is no longer read, so its data waits in the
// kernel and TCP slows the sender down; when the receiver's output drains, reading resumes.
// What is in flight beyond the bound is at most one read (64 KiB) and one message, so a pair
// holds about max_pending_bytes per direction and loses nothing.

// defaultFlowBound is the bound per direction when max_pending_bytes is 0 (no bound for
// ordinary connections): a proxied pair is never unbounded.
const defaultFlowBound = 1 << 20

// flowBound is the output a proxied connection may hold before its peer is paused.
func (s *Server) flowBound() int {
	if m := int(s.opt().MaxPendingBytes); m > 0 {
		return m
	}
	return defaultFlowBound
}

// checkUpstreamBacklog pauses the client while the upstream has more than the bound
// unwritten; loop only.
func (u *upstream) checkUpstreamBacklog() {
	if u.pausedClient || u.gc.OutboundBuffered() <= u.c.lp.s.flowBound() {
		return
	}
	if u.c.gc.PauseRead() == nil {
		u.pausedClient = true
		u.c.lp.s.stats.FlowPauses.Add(1)
	}
}

// checkClientBacklog pauses the upstream while the client has more than the bound
// unwritten; loop only.
func (u *upstream) checkClientBacklog() {
	if u.pausedUp || u.state != upReady || u.c.gc.OutboundBuffered() <= u.c.lp.s.flowBound() {
		return
	}
	if u.gc.PauseRead() == nil {
		u.pausedUp = true
		u.c.lp.s.stats.FlowPauses.Add(1)
	}
}

// resumeClient reads the client again if the pair had paused it (the upstream drained or is
// gone); loop only.
func (u *upstream) resumeClient() {
	if u.pausedClient {
		u.pausedClient = false
		c := u.c
		c.lastRead = c.lp.s.now.Load() // paused by us, not idle
		_ = c.gc.ResumeRead()
	}
}

// OnDrain implements gnet.DrainHandler: a connection's unwritten output has gone to its
// socket, so the other side of its pair may be read again.
func (h *handler) OnDrain(gc gnet.Conn) gnet.Action {
	switch x := gc.Context().(type) {
	case *upstream:
		x.resumeClient()
	case *conn:
		if x.oq.Load() != nil {
			x.writePend() // output waiting by reference, or the queue to give back (output.go)
		}
		if x.flags&holdPaused != 0 {
			x.flags &^= holdPaused
			x.lastRead = x.lp.s.now.Load()
			_ = x.gc.ResumeRead()
		}
		if u := x.proxied(); u != nil && u.pausedUp {
			u.pausedUp = false
			if u.state == upReady {
				_ = u.gc.ResumeRead()
			}
		}
	}
	return gnet.None
}

// gnetChunk is the piece writeGnet hands gnet while it holds a backlog.
const gnetChunk = 64 << 10

// writeGnet writes b to gc. gnet copies what the socket does not take into buffers whose
// size it rounds up to a power of two, so a backlog of 64 KiB messages (65,540 bytes as
// frames) would take 128 KiB each, twice the bytes: while gnet already holds a backlog, b
// goes in pieces of 64 KiB, which fill their buffers exactly.
func writeGnet(gc gnet.Conn, b []byte) error {
	if gc.OutboundBuffered() == 0 || len(b) <= gnetChunk {
		_, err := gc.Write(b)
		return err
	}
	for len(b) > 0 {
		n := min(len(b), gnetChunk)
		if _, err := gc.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// slow_consumer = "pause" for ordinary connections: conn.flags' bits holdPause and
// holdPaused (conn.go).

// holdSlow decides what a backlog past max_pending_bytes does to a connection whose
// application chose slow_consumer = "pause": the client is no longer read until its output
// drains (OnDrain), so a client that sends without reading what it is answered is slowed
// down by TCP instead of being closed. A backlog past twice the bound, or a transit queue
// past its own bound (transit: writes from other goroutines), is not the client's own doing
// and still closes it with 1008. It reports whether the connection stays open; loop only.
func (c *conn) holdSlow(transit bool) bool {
	if c.flags&holdPause == 0 || transit {
		return false
	}
	if c.gc.OutboundBuffered() > 2*c.lp.s.flowBound() {
		return false
	}
	if c.flags&holdPaused == 0 && c.gc.PauseRead() == nil {
		c.flags |= holdPaused
		c.lp.s.stats.FlowPauses.Add(1)
	}
	return true
}
