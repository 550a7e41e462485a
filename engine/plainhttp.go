package engine

import (
	"errors"
	"sync"

	"github.com/panjf2000/gnet/v2"

	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/static"
)

// The HTTP phase of a connection: request heads are parsed in place; an upgrade to an
// application in scope goes on in upgrade.go, an ordinary request on the HTTP service is
// answered from the static root or the default page, and anything else is refused with its
// prebuilt response (docs/routing.md, status table).

// httpPhase is what a connection needs only while it reads request heads: where the scan
// of the head in the buffer stopped, and the static response body on its way out. An
// upgraded connection gives it back (serveHTTP), so it is not part of conn.
type httpPhase struct {
	head handshake.Scanner // how far the request head in the buffer has been looked at
	body static.Body       // the rest of a static response, sent at the client's pace
}

var httpPhases = sync.Pool{New: func() any { return new(httpPhase) }}

// releaseHTTP gives the connection's HTTP phase state back, closing a body not yet sent;
// loop only.
func (c *conn) releaseHTTP() {
	if h := c.hp; h != nil {
		c.hp = nil
		h.body.Close()
		*h = httpPhase{}
		httpPhases.Put(h)
	}
}

// serveHTTP reads request heads until the connection upgrades or is refused; ordinary
// requests on the HTTP service are answered in turn (keep-alive, pipelining); loop only.
// The HTTP phase state is held from the first byte until the connection leaves the phase.
func (c *conn) serveHTTP() gnet.Action {
	if c.hp == nil {
		c.hp = httpPhases.Get().(*httpPhase)
	}
	a := c.serveHeads()
	if c.state != stateHTTP && c.hp != nil && c.hp.body.Len() == 0 {
		c.releaseHTTP()
	}
	return a
}

func (c *conn) serveHeads() gnet.Action {
	s, lp, h := c.lp.s, c.lp, c.hp
	for served := 0; c.state == stateHTTP; served++ {
		if h.body.Len() > 0 {
			if done, a := c.pump(); !done {
				return a
			}
		}
		if c.has(flagCloseAfter) {
			return c.drain()
		}
		buf := c.input()
		if len(buf) == 0 {
			return gnet.None
		}
		if served == requestsPerWake {
			s.stats.HTTPYields.Add(1)
			_ = c.gc.Wake(nil) // the rest after the loop's other connections (stream.go)
			return gnet.None
		}
		if !h.head.Ready(buf, s.opt().limits) {
			return gnet.None // nothing Parse could decide yet (handshake.Scanner)
		}
		s.stats.HeadParses.Add(1)
		req := &lp.req
		n, err := handshake.Parse(buf, req, s.opt().limits)
		if errors.Is(err, handshake.ErrNeedMore) {
			return gnet.None // the handshake deadline set at open bounds the wait
		}
		if err == nil {
			err = handshake.CheckVersion(req)
		}
		if err != nil {
			return c.refuse(err, "bad request head")
		}
		if req.IsUpgrade() && (c.l.standalone || !s.opt().NoHTTPUpgrades) {
			if rt := s.reg.Table().Lookup(req.Path, c.l.idx); rt != nil {
				return c.upgrade(req, rt, n)
			}
		}
		if c.listener().standalone {
			// Status rows 4 and 5 (docs/routing.md): a standalone server is not an HTTP server.
			return c.refuse(handshake.ErrUpgradeFailed, "not an upgrade to an application here")
		}
		if err := handshake.CheckHTTP(req); err != nil {
			return c.refuse(err, "bad request head")
		}
		if c.unreadHTTP() {
			return gnet.Close
		}
		out, keep := s.static.Load().Serve(lp.resp[:0], req, &h.body)
		s.stats.HTTPRequests.Add(1)
		c.write(out)
		if cap(out) <= 64<<10 {
			lp.resp = out[:0] // keep a grown scratch, but not a huge one
		}
		c.consume(n)
		h.head.Reset()
		if !keep {
			c.setFlag(flagCloseAfter, true) // after the body, at the top of the loop
			continue
		}
		// A kept-alive connection gets a new handshake_timeout to send its next request.
		c.setDeadline(s.now.Load() + int64(s.opt().HandshakeTimeout))
	}
	return gnet.None
}

// refuse answers a refused request with its prebuilt response (Connection: close) and
// closes the connection; loop only.
func (c *conn) refuse(err error, why string) gnet.Action {
	var he *handshake.Error
	if !errors.As(err, &he) {
		he = handshake.ErrBadRequest
	}
	s := c.lp.s
	s.stats.Refused.Add(1)
	if ok, held := s.g.refuseLog.allow(s.now.Load()); ok {
		s.log.Info("request refused", "listener", c.listener().name, "remote", c.remote, "status", he.Status,
			"reason", he.Reason, "why", why, "refused_since_last_line", held)
	}
	c.write(he.Response())
	return c.drain()
}
