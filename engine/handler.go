package engine

import (
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/tlsconn"
)

// handler is the gnet event handler of a Server.
type handler struct {
	gnet.BuiltinEventEngine
	s *Server
}

// OnOpen completes the connection its loop has just accepted and built (accept.go), or an
// upstream connection of the proxy.
func (h *handler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	if u, ok := gc.Context().(*upstream); ok {
		return nil, u.onOpen(gc)
	}
	s := h.s
	c, _ := gc.Context().(*conn)
	if c == nil || s.stopping.Load() {
		// Stopping: Stop has shut down the connections it found, and this one came too late
		// to be among them.
		gc.SetContext(nil)
		return nil, gnet.Close
	}
	c.gc = gc
	c.lp = s.loopFor(gc)
	l := c.listener()
	if l.tls != nil {
		c.ext().tls = &tlsState{sess: tlsconn.NewSession(l.tls)}
	}
	c.lp.add(c)
	// The count taken by this Add decides, so racing loops never refuse more than the excess.
	if n, max := s.inHS.Add(1), s.opt().MaxHandshaking; max > 0 && n > int64(max) {
		s.stats.Refused.Add(1)
		if ok, held := s.g.handshakeLog.allow(s.now.Load()); ok {
			s.log.Warn("too many connections in the handshake; refusing", "listener", l.name, "remote", c.remote,
				"max", max, "refused_since_last_line", held)
		}
		return nil, gnet.Close
	}
	if !c.admitSource() {
		return nil, gnet.Close
	}
	// lastRead holds when the connection opened until the upgrade, which measures the
	// handshake from it (the admin listener's histogram).
	c.lastRead = s.now.Load()
	c.setDeadline(c.lastRead + int64(s.opt().HandshakeTimeout))
	return nil, gnet.None
}

// OnClose releases what the connection holds and tells its application.
func (h *handler) OnClose(gc gnet.Conn, err error) gnet.Action {
	if u, ok := gc.Context().(*upstream); ok {
		u.onClose(err)
		return gnet.None
	}
	c, _ := gc.Context().(*conn)
	if c == nil {
		return gnet.None
	}
	s := h.s
	prev := c.state
	c.state = stateClosed
	c.due.Store(0)
	c.lp.remove(c)
	c.mu.Lock()
	c.setLocked(mClosing, true)
	upgraded := c.upgraded
	sentCode, sentText, closeText := c.sentCode, c.sentTextLocked(), c.closeTextLocked()
	out, refs := c.takeQueuedLocked()
	c.mu.Unlock()
	dropQueued(out, refs)
	c.dropPend(false)
	if q := c.oq.Load(); q != nil {
		c.releaseQueue(q)
	}
	c.releaseHTTP()
	c.reader.Release()
	if t := c.tlsConn(); t != nil {
		t.release()
		c.extra.Load().tls = nil
	}
	if c.deflate != nil {
		c.deflate.Release()
	}
	if !upgraded {
		s.inHS.Add(-1)
		c.leaveSource()
		if u := c.proxied(); u != nil {
			u.abandon()
		}
		return gnet.None
	}
	s.total.Add(-1)
	c.l.conns.Add(-1)
	c.route.Counters().Closed(c.l.idx)
	c.route.Release()
	code, text := c.closeCode, closeText
	if code == 0 {
		code, text = sentCode, sentText
	}
	if code == 0 || (prev == stateOpen && !c.has(flagPeerClosed) && sentCode == 0) {
		code, text = apps.CloseAbnormal, ""
	}
	if s.debug {
		s.log.Debug("closed", "conn", c.id, "app", c.route.Spec.Name, "code", int(code), "err", err)
	}
	c.callClose(code, text)
	return gnet.None
}

// OnTraffic runs the connection's state machine over the bytes that arrived, or over its
// timers when the sweep woke it.
func (h *handler) OnTraffic(gc gnet.Conn) gnet.Action {
	if u, ok := gc.Context().(*upstream); ok {
		return u.onTraffic()
	}
	c, _ := gc.Context().(*conn)
	if c == nil {
		return gnet.Close
	}
	lp := c.lp
	lp.begin()
	action := c.serve()
	lp.end()
	return action
}

// OnTick advances the coarse clock every clockInterval (callbacks are timed with it), probes
// the loops for a blockage (guard.go), every tickInterval sweeps the connections, and every
// queueTrimInterval frees the output queues the loops kept unused (output.go). It
// runs on gnet's ticker goroutine.
func (h *handler) OnTick() (time.Duration, gnet.Action) {
	s := h.s
	now := time.Now().UnixNano()
	s.now.Store(now)
	s.watchLoops(now)
	s.wakeWriters()
	s.shedOutput()
	every := s.tickInterval()
	if now >= s.g.nextSweep {
		s.g.nextSweep = now + int64(every)
		s.sweep(now)
	}
	if now >= s.g.nextTrim {
		s.g.nextTrim = now + int64(queueTrimInterval)
		s.loopOf.Range(func(_, v any) bool { v.(*loop).queues.trim(); return true })
	}
	return min(clockInterval, every), gnet.None
}

// sweep wakes the connections whose deadline has passed; it touches only atomics and the
// concurrency-safe Wake.
func (s *Server) sweep(now int64) {
	var wake []*conn
	s.loopOf.Range(func(_, v any) bool {
		lp := v.(*loop)
		lp.connsMu.Lock()
		for _, c := range lp.conns {
			if d := c.due.Load(); d > 0 && now >= d && c.due.CompareAndSwap(d, -d) { // woken once (conn.deadlineAt)
				wake = append(wake, c)
			}
		}
		lp.connsMu.Unlock()
		return true
	})
	for _, c := range wake {
		_ = c.gc.Wake(nil)
	}
}

// tickInterval is a quarter of the shortest timeout, between 10 ms and 500 ms.
func (s *Server) tickInterval() time.Duration {
	d := 500 * time.Millisecond
	o := s.opt()
	for _, t := range []time.Duration{o.HandshakeTimeout, o.PingInterval, o.CloseTimeout} {
		if t > 0 {
			d = min(d, t/4)
		}
	}
	return max(d, 10*time.Millisecond)
}
