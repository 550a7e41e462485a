package engine

import (
	"errors"
	"time"

	"github.com/gobwas/ws"
	"github.com/panjf2000/gnet/v2"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/bufpool"
	"github.com/wsgate/wsgate/internal/tlsconn"
	"github.com/wsgate/wsgate/internal/wsproto"
)

// handler is the gnet event handler of a Server.
type handler struct {
	gnet.BuiltinEventEngine
	s *Server
}

// OnOpen completes the connection the acceptor built and gave to EnrollFD (accept.go).
func (h *handler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	s := h.s
	c, _ := gc.Context().(*conn)
	if c == nil || s.stopping.Load() {
		// Stopping: Stop has shut down the connections it found, and this one came too late
		// to be among them.
		gc.SetContext(nil)
		return nil, gnet.Close
	}
	l := c.l
	c.gc = gc
	c.lp = s.loopFor(gc)
	if l.tls != nil {
		c.tls = &tlsState{sess: tlsconn.NewSession(l.tls)}
	}
	c.lp.add(c)
	// The count taken by this Add decides, so racing loops never refuse more than the excess.
	if n, max := s.inHS.Add(1), s.cfg.WebSocket.MaxHandshaking; max > 0 && n > int64(max) {
		s.stats.Refused.Add(1)
		if ok, held := s.g.handshakeLog.allow(s.now.Load()); ok {
			s.log.Warn("too many connections in the handshake; refusing", "listener", l.name, "remote", c.remote,
				"max", max, "refused_since_last_line", held)
		}
		return nil, gnet.Close
	}
	c.lastRead = s.now.Load()
	c.setDeadline(c.lastRead + int64(s.cfg.WebSocket.HandshakeTimeout))
	return nil, gnet.None
}

// OnClose releases what the connection holds and tells its application.
func (h *handler) OnClose(gc gnet.Conn, err error) gnet.Action {
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
	c.closing = true
	upgraded := c.upgraded
	sentCode, sentText := c.sentCode, c.sentText
	bufpool.Put(c.out)
	c.out = nil
	c.mu.Unlock()
	c.reader.Release()
	if c.tls != nil {
		c.tls.release()
		c.tls = nil
	}
	if c.deflate != nil {
		c.deflate.Release()
	}
	if !upgraded {
		s.inHS.Add(-1)
		return gnet.None
	}
	s.total.Add(-1)
	c.route.Release()
	code, text := c.closeCode, c.closeText
	if code == 0 {
		code, text = sentCode, sentText
	}
	if code == 0 || (prev == stateOpen && !c.peerClosed && sentCode == 0) {
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

func (c *conn) serve() gnet.Action {
	now := c.lp.s.now.Load()
	if c.deadline != 0 && now >= c.deadline {
		if a := c.onTimer(now); a != gnet.None {
			return a
		}
	}
	if c.tls != nil && c.state != stateDraining {
		if a := c.readTLS(); a != gnet.None {
			return a
		}
	}
	switch c.state {
	case stateHTTP:
		return c.serveHTTP()
	case stateOpen, stateClosing:
		return c.serveWS(now)
	default: // draining: discard what the client still sends
		_, _ = c.gc.Discard(-1)
		c.consume(-1)
		if c.finPending {
			return c.shutWhenWritten(now)
		}
		return gnet.None
	}
}

// onTimer handles a passed deadline; loop only.
func (c *conn) onTimer(now int64) gnet.Action {
	switch c.state {
	case stateHTTP:
		c.lp.s.stats.HandshakeTimeouts.Add(1)
		c.lp.s.log.Debug("handshake timeout", "conn", c.id, "listener", c.l.name, "remote", c.remote)
		return gnet.Close
	case stateOpen:
		pi := int64(c.lp.s.cfg.WebSocket.PingInterval)
		if pi <= 0 {
			c.setDeadline(0)
			return gnet.None
		}
		idle := now - c.lastRead
		switch {
		case idle >= 2*pi || (c.pingSent && idle >= pi):
			c.lp.s.stats.PingTimeouts.Add(1)
			c.lp.s.log.Debug("ping timeout", "conn", c.id, "app", c.appName(), "remote", c.remote)
			return c.fail(apps.CloseGoingAway, "ping timeout")
		case idle >= pi:
			c.pingSent = true
			c.control(ws.OpPing, nil)
			c.setDeadline(now + pi)
		default:
			c.setDeadline(c.lastRead + pi)
		}
		return gnet.None
	default: // closing or draining: the peer had its time
		return gnet.Close
	}
}

// serveWS decodes frames; loop only.
func (c *conn) serveWS(now int64) gnet.Action {
	buf := c.input()
	if len(buf) == 0 {
		return gnet.None
	}
	c.lastRead = now
	if c.state == stateOpen && c.pingSent {
		c.pingSent = false
	}
	n, err := c.reader.Feed(buf, c)
	c.consume(n)
	if err != nil {
		var ce *wsproto.CloseError
		switch {
		case errors.As(err, &ce):
			c.lp.s.stats.ProtocolErrors.Add(1)
			c.lp.s.log.Info("protocol error", "conn", c.id, "app", c.appName(), "remote", c.remote, "code", ce.Code, "reason", ce.Reason)
			return c.fail(apps.CloseCode(ce.Code), ce.Reason)
		case errors.Is(err, errAppPanic):
			return c.fail(apps.CloseInternal, "internal error")
		case errors.Is(err, errPeerClosed):
			// Our close frame goes out after everything queued before it, then the
			// FIN (RFC 6455 §7.1.1: the server closes the TCP connection first).
			c.flush() // now, not at the end of the dispatch: drain comes next
			return c.drain()
		default:
			return c.fail(apps.CloseInternal, "internal error")
		}
	}
	if c.state == stateOpen && c.lp.s.cfg.WebSocket.PingInterval > 0 {
		c.setDeadline(now + int64(c.lp.s.cfg.WebSocket.PingInterval))
	}
	return gnet.None
}

// errPeerClosed ends Feed after the peer's close frame has been answered.
var errPeerClosed = errors.New("engine: peer closed")

// fail closes the connection from our side with code: the close frame goes out with
// whatever was queued before it, then the write side is shut and the socket closed.
func (c *conn) fail(code apps.CloseCode, reason string) gnet.Action {
	c.mu.Lock()
	if !c.closing {
		c.closeFrameLocked(code, reason)
	}
	c.mu.Unlock()
	c.flush() // now; the connection's entry in the loop's dirty list later finds nothing
	if c.closeCode == 0 {
		c.closeCode, c.closeText = code, reason
	}
	return c.drain()
}

// control queues a control frame; loop only. Control frames are never dropped for the
// output bound: they are what closes a slow connection cleanly.
func (c *conn) control(op wsproto.OpCode, payload []byte) {
	c.mu.Lock()
	c.out = bufpool.Grow(c.out, wsproto.FrameSize(len(payload)))
	c.out = wsproto.AppendFrame(c.out, op, false, payload)
	c.markDirtyLocked()
	c.mu.Unlock()
}

// OnMessage implements wsproto.Handler: a complete message for the application.
func (c *conn) OnMessage(op wsproto.OpCode, payload []byte) (err error) {
	if c.state != stateOpen {
		return nil // closing: data after our close frame is discarded (RFC 6455 §5.5.1)
	}
	c.lp.s.stats.MessagesIn.Add(1)
	defer c.recoverApp("OnMessage", c.lp.s.now.Load(), &err)
	c.route.App.OnMessage(c, apps.MessageType(op), payload)
	return nil
}

// OnPing implements wsproto.Handler: answer with a pong carrying the same payload.
func (c *conn) OnPing(payload []byte) error {
	if c.state == stateOpen {
		c.control(ws.OpPong, payload)
	}
	return nil
}

// OnPong implements wsproto.Handler; any traffic already counted as liveness.
func (c *conn) OnPong([]byte) error { return nil }

// OnClose implements wsproto.Handler: the peer's close frame. If we had not closed yet,
// echo its code (RFC 6455 §5.5.1); either way the TCP connection is closed next, the server
// closing first (§7.1.1).
func (c *conn) OnClose(code uint16, reason []byte) error {
	c.peerClosed = true
	c.closeCode, c.closeText = apps.CloseCode(code), string(reason)
	c.mu.Lock()
	if !c.closing {
		c.closing = true
		echo := code
		if code == uint16(apps.CloseNoStatus) {
			echo = 0 // an empty close is answered with an empty close
		}
		c.out = bufpool.Grow(c.out, wsproto.FrameSize(125))
		c.out = wsproto.AppendClose(c.out, echo, "")
		c.markDirtyLocked()
	}
	c.mu.Unlock()
	return errPeerClosed
}

// callOpen and callClose run the application's callbacks, isolating panics.
func (c *conn) callOpen() (err error) {
	defer c.recoverApp("OnOpen", c.lp.s.now.Load(), &err)
	c.route.App.OnOpen(c)
	return nil
}

func (c *conn) callClose(code apps.CloseCode, reason string) {
	var err error
	defer c.recoverApp("OnClose", c.lp.s.now.Load(), &err)
	c.route.App.OnClose(c, code, reason)
}

// OnTick advances the coarse clock every clockInterval (callbacks are timed with it), probes
// the loops for a blockage (guard.go), and every tickInterval sweeps the connections. It
// runs on gnet's ticker goroutine.
func (h *handler) OnTick() (time.Duration, gnet.Action) {
	s := h.s
	now := time.Now().UnixNano()
	s.now.Store(now)
	s.watchLoops(now)
	every := s.tickInterval()
	if now >= s.g.nextSweep {
		s.g.nextSweep = now + int64(every)
		s.sweep(now)
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
			if d := c.due.Load(); d != 0 && now >= d && c.due.CompareAndSwap(d, 0) {
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
	ws := &s.cfg.WebSocket
	d := 500 * time.Millisecond
	for _, t := range []time.Duration{ws.HandshakeTimeout, ws.PingInterval, ws.CloseTimeout} {
		if t > 0 {
			d = min(d, t/4)
		}
	}
	return max(d, 10*time.Millisecond)
}
