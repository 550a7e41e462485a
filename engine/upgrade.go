package engine

import (
	"time"

	"errors"
	"slices"

	"github.com/panjf2000/gnet/v2"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/auth"
	"github.com/wsgate/wsgate/internal/bufpool"
	"github.com/wsgate/wsgate/internal/route"
	"github.com/wsgate/wsgate/internal/wsproto"
)

// upgrade runs the checks of docs/routing.md, status rows 6–14, for a request matched to
// rt, answers 101 and hands the connection to the application; loop only. n is the size of
// the request head.
func (c *conn) upgrade(req *handshake.Request, rt *route.Route, n int) gnet.Action {
	s, lp := c.lp.s, c.lp
	var user string
	if u := c.proxied(); u != nil { // a proxied upgrade whose upstream answered: the checks below passed (upstream.go)
		if a, ok := u.resume(rt); !ok {
			return a
		}
		user = u.user
		goto accepted
	}
	if err := handshake.Check(req); err != nil {
		return c.refuse(err, "invalid upgrade")
	}
	if req.HasOrigin && !rt.OriginAllowed(req.Origin) {
		return c.refuse(handshake.ErrForbidden, "origin not allowed")
	}
	if rt.Spec.Auth != nil {
		var done bool
		var refusal error
		if user, done, refusal = c.authenticate(rt, req); !done {
			return gnet.None // a worker checks the password; the head stays in the buffer
		} else if refusal != nil {
			return c.refuse(refusal, "authentication")
		}
	}
	if px := proxyOf(rt.App); px != nil {
		return c.proxyStart(px, req, rt, user, n) // reserves the slot, connects the upstream
	}
	if !s.acquire(rt) {
		s.stats.LimitRefused.Add(1)
		return c.refuse(handshake.ErrBusy, "connection limit reached")
	}
accepted:
	lp.offered = lp.offered[:0]
	req.ForEachProtocol(lp.addOffered)
	hs := &lp.hs
	*hs = apps.Handshake{
		Listener:    c.listener().name,
		RemoteAddr:  c.remote.tcpAddr(),
		Path:        req.Path,
		Query:       req.Query,
		Origin:      req.Origin,
		Head:        c.input()[:n],
		User:        user,
		Offered:     lp.offered,
		Subprotocol: rt.PickSubprotocol(lp.offered),
	}
	if u := c.proxied(); u != nil && u.px.ws {
		hs.Subprotocol = u.subproto // the upstream's choice
	}
	if err := c.callHandshake(rt, hs); err != nil {
		s.release(rt)
		var he *handshake.Error
		switch {
		case errors.Is(err, apps.ErrDeclined):
			return c.refuse(handshake.ErrDeclined, "application declined")
		case errors.As(err, &he): // apps.Refuse
			return c.refuse(he, "application refused")
		}
		if ok, held := s.g.appLog.allow(s.now.Load()); ok {
			s.log.Warn("application failed the handshake", "app", rt.Spec.Name, "err", err, "held_since_last_line", held)
		}
		return c.refuse(handshake.ErrFailed, "application failed")
	}
	value := hs.Value()
	hs.SetValue(nil) // the loop's scratch must not keep it
	proto := hs.Subprotocol
	if proto != "" && !slices.ContainsFunc(lp.offered, func(o []byte) bool { return string(o) == proto }) {
		if ok, held := s.g.appLog.allow(s.now.Load()); ok {
			s.log.Warn("application chose a subprotocol the client did not offer; none answered",
				"app", rt.Spec.Name, "subprotocol", proto, "held_since_last_line", held)
		}
		proto = ""
	}

	cfg := &s.opt().wsPlain // the connection keeps the message size limit of its upgrade
	var ext []byte
	resp := lp.resp[:0]
	if rt.Spec.Compression && len(req.Extensions) > 0 {
		var params wsproto.DeflateParams
		var ok bool
		ext, params, ok = wsproto.Negotiate(lp.extScratch[:0], req.Extensions, s.deflatePolicy())
		if ok {
			cfg = &wsproto.Config{MaxMessageSize: cfg.MaxMessageSize, Deflate: &params, Budget: &s.inMem}
			c.deflate = wsproto.NewCompressor(&params)
			c.setFlag(flagDeflateShared, params.Shareable())
		} else {
			ext = nil
		}
	}
	lp.proto = append(lp.proto[:0], proto...)
	resp = handshake.AppendSwitching(resp, req.Key, lp.proto, ext)
	// From the 101 on the connection belongs to the application. Marking it so under c.mu,
	// after checking that the server is not stopping, orders the upgrade with Stop: either
	// Stop finds it upgraded and sends it 1001, or the client gets 503 here, never a 101
	// followed by a bare close. The same holds for a reconfiguration that ends the route's
	// application or removes the listener (reconfigure.go). The 101 is queued, not written:
	// it goes out in one write with what OnOpen and the frames pipelined after the head
	// queue, at the flush that ends this dispatch.
	c.mu.Lock()
	if s.stopping.Load() || rt.Ended() || c.l.gone.Load() {
		c.mu.Unlock()
		s.release(rt)
		return c.refuse(handshake.ErrBusy, "server shutting down or reconfigured")
	}
	// The route is set with upgraded, under c.mu: closeRoute and closeEnded read both from
	// other goroutines.
	c.route = rt
	if proto == "" {
		proto = rt.Spec.DefaultSubprotocol
	}
	if user != "" || len(req.Query) > 0 || proto != "" {
		x := c.ext()
		x.user, x.query, x.subproto = user, string(req.Query), proto
	}
	c.upgraded = true
	c.out = append(bufpool.Grow(c.out, len(resp)), resp...)
	c.markDirtyLocked()
	c.mu.Unlock()
	lp.resp = resp[:0]
	c.consume(n)

	if rt.Spec.PauseSlowConsumers {
		c.flags |= holdPause // flow.go
	}
	if value != nil {
		c.SetValue(value)
	}
	c.reader.Init(cfg)
	c.state = stateOpen
	s.inHS.Add(-1)
	c.leaveSource()
	s.stats.Upgrades.Add(1)
	c.l.conns.Add(1)
	rt.Counters().Opened(c.l.idx)
	c.l.handshake.Observe(time.Duration(time.Now().UnixNano() - c.lastRead)) // lastRead: opened (OnOpen)
	c.lastRead = s.now.Load()
	if pi := s.opt().PingInterval; pi > 0 {
		c.setDeadline(c.lastRead + int64(pi))
	} else {
		c.setDeadline(0)
	}
	if s.debug {
		s.log.Debug("upgraded", "conn", c.id, "app", rt.Spec.Name, "listener", c.listener().name, "remote", c.remote)
	}
	if err := c.callOpen(); err != nil {
		return c.fail(apps.CloseInternal, "internal error")
	}
	// Bytes after the head (pipelined frames) are already in the buffer.
	return c.serveWS(s.now.Load())
}

// addOffered collects offered subprotocols into the loop's scratch; a method value made once
// per call site would allocate, so the loop keeps it.
func (lp *loop) addOffered(p []byte) bool {
	if !auth.IsBearerProtocol(p) { // a token passed as a subprotocol is never echoed
		lp.offered = append(lp.offered, p)
	}
	return true
}

// callHandshake runs OnHandshake, turning a panic into a failure.
func (c *conn) callHandshake(rt *route.Route, hs *apps.Handshake) (err error) {
	c.route = rt // for the panic log
	defer func() {
		if err != nil {
			c.route = nil
		}
	}()
	defer c.recoverApp("OnHandshake", c.lp.s.now.Load(), &err)
	return rt.App.OnHandshake(hs)
}

// acquire reserves a connection slot in total and for the application (status row 13).
// Neither count ever passes its limit, however many loops race.
func (s *Server) acquire(rt *route.Route) bool {
	max := int64(s.opt().MaxConnections)
	for {
		n := s.total.Load()
		if max > 0 && n >= max {
			return false
		}
		if s.total.CompareAndSwap(n, n+1) {
			break
		}
	}
	if !rt.Acquire() {
		s.total.Add(-1)
		return false
	}
	return true
}

func (s *Server) release(rt *route.Route) {
	rt.Release()
	s.total.Add(-1)
}

// deflatePolicy is the server's side of permessage-deflate negotiation.
func (s *Server) deflatePolicy() wsproto.DeflatePolicy {
	return wsproto.DeflatePolicy{ServerNoContextTakeover: true, ClientMaxWindowBits: 15}
}
