package engine

import (
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/bufpool"
	"github.com/wsgate/wsgate/internal/prepared"
	"github.com/wsgate/wsgate/internal/route"
	"github.com/wsgate/wsgate/internal/wsproto"
)

// Connection states; owned by the loop.
const (
	stateHTTP     uint8 = iota // reading request heads (handshake or ordinary HTTP)
	stateOpen                  // WebSocket, both directions open
	stateClosing               // we sent a close frame and wait for the peer's
	stateDraining              // final bytes queued, write side shut once written; discarding input until EOF or deadline
	stateClosed
)

// conn is one client connection. It implements apps.Conn and wsproto.Handler.
//
// An idle server holds one per client, so its size is counted (TestConnSize): what few
// connections use lives behind extra and reasons, allocated when needed; what a connection
// uses only for a while (queued output, the HTTP phase) behind oq and hp, pooled; and the
// small fields are packed together.
type conn struct {
	gc    gnet.Conn
	lp    *loop     // its Server is lp.s
	l     *listener // the listener it came through (a pointer: Reconfigure replaces the list)
	id    uint64
	route *route.Route              // set at the upgrade
	extra atomic.Pointer[connExtra] // nil unless the connection has a user, query, subprotocol, value, slow authentication, upstream or TLS

	// Loop only.
	// lastRead is when the connection last read a frame; in the HTTP phase, when it was
	// opened (the handshake histogram measures from it at the upgrade).
	lastRead int64
	reader   wsproto.Reader
	deflate  *wsproto.Compressor // nil without permessage-deflate

	// due is the next timer event (unix nanos), 0 = none; set by the loop. The sweep
	// negates it when it wakes the connection for it, so that it wakes it once (deadlineAt).
	due atomic.Int64

	// mu guards the pending output, which any goroutine may append to, and reasons.
	mu      sync.Mutex
	out     []byte        // pooled; nil when empty
	reasons *closeReasons // nil while both reasons are empty

	slot   int32 // index in lp.conns; loop only
	remote peer  // RemoteAddr builds a net.Addr from it when asked

	// Loop only.
	state     uint8
	flags     uint8          // the conn flag bits below (one byte keeps conn in its size class)
	closeCode apps.CloseCode // what OnClose reports: the peer's code, or ours

	// Guarded by mu.
	sentCode apps.CloseCode
	mflags   uint8 // the bits mDirty... below
	upgraded bool  // the 101 was sent: the connection belongs to an application

	waitingWrite bool // on lp.stalled; guarded by lp.mu

	// oq is the output queued by reference or not yet written (output.go): taken from a
	// pool when such output appears, given back when it is all written, so an idle
	// connection holds none. Set and cleared with mu held; the loop reads it without.
	oq atomic.Pointer[outQueue]
	// hp is the state of the HTTP phase (request head scanner, static body in flight),
	// pooled and held only in that phase; loop only.
	hp *httpPhase
}

// conn.mflags bits; guarded by conn.mu.
const (
	mDirty      uint8 = 1 << iota // queued on lp for a flush
	mClosing                      // a close frame is queued or sent: no more data frames
	mSlow                         // output bound passed: close with 1008 at the next flush
	mOverBudget                   // slow because of max_output_memory, not its own bound
)

// hasLocked reports whether mflags bit m is set; c.mu is held.
func (c *conn) hasLocked(m uint8) bool { return c.mflags&m != 0 }

// setLocked sets or clears mflags bit m; c.mu is held.
func (c *conn) setLocked(m uint8, on bool) { setBit(&c.mflags, m, on) }

// setBit sets or clears bit m of *b (the two flag bytes of conn).
func setBit(b *uint8, m uint8, on bool) {
	if on {
		*b |= m
	} else {
		*b &^= m
	}
}

// conn.flags bits; loop only.
const (
	holdPause         uint8 = 1 << iota // flow.go: slow_consumer = "pause" was chosen for the connection
	holdPaused                          // flow.go: reading is paused until the output drains
	flagPingSent                        // a ping is out, unanswered
	flagPeerClosed                      // the peer's close frame arrived
	flagDeflateShared                   // no server context takeover: a prepared message's compressed frame fits every receiver
	flagFinPending                      // draining: the write side is to be shut once gnet has written what it holds
	flagInSource                        // counted in Server.adm under remote's address (admission.go)
	flagCloseAfter                      // drain once body is sent: the response said Connection: close (stream.go)
)

// has reports whether flag f is set; loop only.
func (c *conn) has(f uint8) bool { return c.flags&f != 0 }

// setFlag sets or clears flag f; loop only.
func (c *conn) setFlag(f uint8, on bool) { setBit(&c.flags, f, on) }

// connExtra holds what few connections need, allocated for those that do: the strings of
// the upgrade request that are not empty, the subprotocol, a slow authentication check in
// progress, the application's value. The strings are written on the loop up to the
// upgrade and read-only after it; auth is the loop's; value is atomic.
type connExtra struct {
	user, query, subproto string
	auth                  *authVerdict // a slow authentication check in progress or just finished
	value                 atomic.Pointer[any]
	up                    *upstream // a proxied connection's upstream and pair state (upstream.go); loop only
	tls                   *tlsState // a connection of a TLS listener: its session (tls.go); loop only
}

// proxied returns the upstream of a proxied connection, nil for any other; loop only.
func (c *conn) proxied() *upstream {
	if x := c.extra.Load(); x != nil {
		return x.up
	}
	return nil
}

// tlsConn returns the TLS state of a connection of a TLS listener, nil for any other; loop
// only.
func (c *conn) tlsConn() *tlsState {
	if x := c.extra.Load(); x != nil {
		return x.tls
	}
	return nil
}

// ext returns the connection's extra, allocating it. Any goroutine may (SetValue), so the
// first allocation is published with a compare-and-swap.
func (c *conn) ext() *connExtra {
	if x := c.extra.Load(); x != nil {
		return x
	}
	if x := new(connExtra); c.extra.CompareAndSwap(nil, x) {
		return x
	}
	return c.extra.Load()
}

// closeReasons are the texts of the close codes, kept only when one is not empty; guarded
// by conn.mu.
type closeReasons struct {
	close string // goes with closeCode: the peer's reason, or ours
	sent  string // goes with sentCode
}

// setReasonsLocked records the close and sent reasons; c.mu is held.
func (c *conn) setReasonsLocked(close, sent string) {
	if c.reasons == nil {
		if close == "" && sent == "" {
			return
		}
		c.reasons = new(closeReasons)
	}
	c.reasons.close, c.reasons.sent = close, sent
}

// closeTextLocked and sentTextLocked read the reasons; c.mu is held.
func (c *conn) closeTextLocked() string {
	if c.reasons == nil {
		return ""
	}
	return c.reasons.close
}

func (c *conn) sentTextLocked() string {
	if c.reasons == nil {
		return ""
	}
	return c.reasons.sent
}

// setClose records what OnClose reports: code and its reason; loop only.
func (c *conn) setClose(code apps.CloseCode, reason string) {
	c.closeCode = code
	c.mu.Lock()
	c.setReasonsLocked(reason, c.sentTextLocked())
	c.mu.Unlock()
}

// listener is the listener the connection came through.
func (c *conn) listener() *listener { return c.l }

var _ apps.Conn = (*conn)(nil)

func (c *conn) ID() uint64           { return c.id }
func (c *conn) Listener() string     { return c.listener().name }
func (c *conn) RemoteAddr() net.Addr { return c.remote.tcpAddr() }
func (c *conn) Subprotocol() string {
	if x := c.extra.Load(); x != nil {
		return x.subproto
	}
	return ""
}
func (c *conn) App() string { return c.appName() }

// Path is the route's path: a route matches its path exactly.
func (c *conn) Path() string {
	if c.route == nil {
		return ""
	}
	return c.route.Spec.Path
}

func (c *conn) User() string {
	if x := c.extra.Load(); x != nil {
		return x.user
	}
	return ""
}

func (c *conn) Query() string {
	if x := c.extra.Load(); x != nil {
		return x.query
	}
	return ""
}

// Value and SetValue are atomic: the loop and the application's goroutines both use them.
func (c *conn) Value() any {
	x := c.extra.Load()
	if x == nil {
		return nil
	}
	if p := x.value.Load(); p != nil {
		return *p
	}
	return nil
}

func (c *conn) SetValue(v any) {
	if v == nil {
		if x := c.extra.Load(); x != nil {
			x.value.Store(nil)
		}
		return
	}
	c.ext().value.Store(&v)
}

// onRoute reports whether c was opened on rt or another route of its registration; safe
// from any goroutine (the route is set on the loop before the connection is marked
// upgraded, under c.mu).
func (c *conn) onRoute(rt *route.Route) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.upgraded && c.route.SameApp(rt)
}

// WriteMessage implements apps.Conn; safe from any goroutine.
func (c *conn) WriteMessage(t apps.MessageType, p []byte) error {
	if t != apps.Text && t != apps.Binary {
		return fmt.Errorf("engine: write: invalid message type %d", t)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	if c.deflate != nil {
		c.out = bufpool.Grow(c.out, wsproto.FrameSize(len(p))+64)
		c.out = wsproto.AppendDeflatedFrame(c.out, wsproto.OpCode(t), p, c.deflate)
	} else {
		c.out = bufpool.Grow(c.out, wsproto.FrameSize(len(p)))
		c.out = wsproto.AppendFrame(c.out, wsproto.OpCode(t), false, p)
	}
	c.countOut(len(p))
	return c.queuedLocked()
}

// countOut counts a message queued to the client in its application's counters.
func (c *conn) countOut(n int) {
	if rt := c.route; rt != nil {
		rt.Counters().Out(n)
	}
}

// WritePrepared implements apps.Conn; safe from any goroutine.
func (c *conn) WritePrepared(m *apps.PreparedMessage) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	pm := prepared.Of(m)
	c.countOut(len(pm.Data()))
	switch {
	case c.deflate == nil:
		c.queueSharedLocked(pm.SharedFrame())
	case c.has(flagDeflateShared):
		c.queueSharedLocked(pm.SharedDeflatedFrame(deflateShared))
	default:
		c.out = bufpool.Grow(c.out, len(pm.Frame())+64)
		c.out = wsproto.AppendDeflatedFrame(c.out, pm.Op(), pm.Data(), c.deflate)
	}
	return c.queuedLocked()
}

// deflateShared compresses a prepared message once for every receiver without server
// context takeover.
func deflateShared(dst []byte, op wsproto.OpCode, p []byte) []byte {
	return wsproto.AppendDeflatedFrame(dst, op, p, nil)
}

// writableLocked checks that a data message may be queued. The bounds apply to what is
// already queued and to the client's backlog as the loop last saw it (c.held), so one
// message larger than them still goes out; past either the message is refused, the
// connection is marked slow, and the flush closes it with 1008 (backpressure.go).
func (c *conn) writableLocked() error {
	if c.hasLocked(mClosing) {
		return apps.ErrClosed
	}
	// Proxied connections are bounded by flow control instead (flow.go).
	if max := c.lp.s.transitBound(); max > 0 && c.proxied() == nil && (c.transitLocked() > max || c.backlogLocked() > int64(c.lp.s.opt().MaxPendingBytes)) {
		c.setLocked(mSlow, true)
		c.markDirtyLocked()
		return apps.ErrClosed
	}
	return nil
}

// transitLocked is the size of the transit queue; c.mu is held.
func (c *conn) transitLocked() int {
	n := len(c.out)
	if q := c.oq.Load(); q != nil {
		n += q.refBytes
	}
	return n
}

// queuedLocked finishes a write by scheduling the flush.
func (c *conn) queuedLocked() error {
	c.markDirtyLocked()
	return nil
}

func (c *conn) markDirtyLocked() {
	if !c.hasLocked(mDirty) {
		c.setLocked(mDirty, true)
		c.lp.schedule(c)
	}
}

// Close implements apps.Conn: it queues a close frame and lets the close handshake run.
// Safe from any goroutine.
func (c *conn) Close(code apps.CloseCode, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hasLocked(mClosing) {
		return nil
	}
	c.closeFrameLocked(code, reason)
	return nil
}

// closeFrameLocked queues a close frame; the loop moves to stateClosing when it flushes it.
func (c *conn) closeFrameLocked(code apps.CloseCode, reason string) {
	c.setLocked(mClosing, true)
	c.out = bufpool.Grow(c.out, 2+len(reason)+wsproto.FrameSize(125))
	c.out = wsproto.AppendClose(c.out, uint16(code), reason)
	if c.sentCode == 0 {
		c.sentCode = code // what OnClose reports unless the peer closed first
		c.setReasonsLocked(c.closeTextLocked(), reason)
	}
	c.markDirtyLocked()
}

// shutdown is called by Server.Stop from its own goroutine.
func (c *conn) shutdown() {
	c.mu.Lock()
	upgraded := c.upgraded
	if upgraded && !c.hasLocked(mClosing) {
		c.closeFrameLocked(apps.CloseGoingAway, "server shutting down")
	}
	c.mu.Unlock()
	if !upgraded {
		c.gc.Close() // still in the handshake or plain HTTP: nothing to say
	}
}

// flush writes the pending output; loop only.
func (c *conn) flush() {
	c.mu.Lock()
	out, refs := c.takeQueuedLocked()
	c.setLocked(mDirty, false)
	closing, slow := c.hasLocked(mClosing), c.hasLocked(mSlow)
	sentCode, sentText := c.sentCode, c.sentTextLocked()
	c.mu.Unlock()
	if c.state == stateClosed || c.state == stateDraining {
		dropQueued(out, refs)
		c.writePend() // what was taken before goes on
		return
	}
	// The backlog the client left from earlier writes decides, before this write.
	transit := slow // marked by a writer: the transit queue passed its bound
	if max := int(c.lp.s.opt().MaxPendingBytes); max > 0 && c.backlog() > max {
		slow = true
	}
	if c.state == stateOpen && slow && !closing && c.proxied() == nil && !c.holdSlow(transit) { // flow.go may pause instead
		c.closeSlow(out, refs)
		return
	}
	c.send(out, refs)
	if closing && c.state == stateOpen {
		c.state = stateClosing
		if c.closeCode == 0 {
			c.setClose(sentCode, sentText)
		}
		c.setDeadline(c.lp.s.now.Load() + int64(c.lp.s.opt().CloseTimeout))
	}
}

// setDeadline sets the next timer event and publishes it for the sweep; loop only.
func (c *conn) setDeadline(t int64) { c.due.Store(t) }

// deadlineAt is the next timer event, whether or not the sweep has woken the connection
// for it; 0 = none.
func (c *conn) deadlineAt() int64 {
	d := c.due.Load()
	if d < 0 {
		return -d
	}
	return d
}

// drain writes nothing more: it shuts the write side (a FIN after what is queued, so the
// client reads the whole answer instead of a reset) and discards input until the client
// closes or the deadline passes. Output gnet still holds is written first: closing then
// would drop what the socket had not taken yet (gnet gives up at the first EAGAIN), and
// with unread input the kernel would answer with a reset that also discards what it had.
func (c *conn) drain() gnet.Action {
	now := c.lp.s.now.Load()
	c.state = stateDraining
	c.setDeadline(now + int64(drainTimeout))
	c.consume(-1)
	c.setFlag(flagFinPending, true)
	return c.shutWhenWritten()
}

// shutWhenWritten shuts the write side once gnet has written all it holds; until then the
// ticker wakes the connection to look again (waitWritable), and the drain's deadline stands;
// loop only.
func (c *conn) shutWhenWritten() gnet.Action {
	if c.pending() {
		c.writePend()
	}
	if c.backlog() > 0 {
		c.waitWritable()
		return gnet.None
	}
	c.setFlag(flagFinPending, false)
	if err := unix.Shutdown(c.gc.Fd(), unix.SHUT_WR); err != nil {
		return gnet.Close
	}
	return gnet.None
}

// drainTimeout bounds how long a refused or failed connection may keep its socket.
const drainTimeout = 2 * time.Second

// serve runs the connection's state machine over the bytes that arrived, or over its timers
// when the sweep woke it; loop only.
func (c *conn) serve() gnet.Action {
	now := c.lp.s.now.Load()
	if c.pending() {
		c.writePend() // woken to write more (output.go)
	}
	if d := c.deadlineAt(); d != 0 && now >= d {
		if a := c.onTimer(now); a != gnet.None {
			return a
		}
	}
	if c.tlsConn() != nil && c.state != stateDraining {
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
		if c.has(flagFinPending) {
			return c.shutWhenWritten()
		}
		return gnet.None
	}
}

// onTimer handles a passed deadline; loop only.
func (c *conn) onTimer(now int64) gnet.Action {
	switch c.state {
	case stateHTTP:
		if c.proxied() != nil {
			return c.upgradeTimeout() // the upstream did not answer (upstream.go)
		}
		c.lp.s.stats.HandshakeTimeouts.Add(1)
		c.lp.s.log.Debug("handshake timeout", "conn", c.id, "listener", c.listener().name, "remote", c.remote)
		return gnet.Close
	case stateOpen:
		pi := int64(c.lp.s.opt().PingInterval)
		if pi <= 0 {
			c.setDeadline(0)
			return gnet.None
		}
		if c.gc.IsReadPaused() {
			c.lastRead = now // not read because its peer is slow (flow.go): not idle
		}
		if u := c.proxied(); u != nil && u.checkAlive(now, pi) {
			return gnet.None // the upstream is gone: the client is closing with 1014
		}
		idle := now - c.lastRead
		switch {
		case idle >= 2*pi || (c.has(flagPingSent) && idle >= pi):
			c.lp.s.stats.PingTimeouts.Add(1)
			c.lp.s.log.Debug("ping timeout", "conn", c.id, "app", c.appName(), "remote", c.remote)
			return c.fail(apps.CloseGoingAway, "ping timeout")
		case idle >= pi:
			c.setFlag(flagPingSent, true)
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
	if c.state == stateOpen && c.has(flagPingSent) {
		c.setFlag(flagPingSent, false)
	}
	n, err := c.reader.Feed(buf, c)
	c.consume(n)
	if err != nil {
		var ce *wsproto.CloseError
		switch {
		case errors.As(err, &ce):
			s := c.lp.s
			if ce == wsproto.ErrInputBudget {
				s.stats.InputBudgetClosed.Add(1)
			} else {
				s.stats.ProtocolErrors.Add(1)
			}
			if ok, held := s.g.protocolLog.allow(now); ok {
				s.log.Info("protocol error", "conn", c.id, "app", c.appName(), "remote", c.remote, "code", ce.Code,
					"reason", ce.Reason, "errors_since_last_line", held)
			}
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
	if pi := c.lp.s.opt().PingInterval; c.state == stateOpen && pi > 0 {
		c.setDeadline(now + int64(pi))
	}
	return gnet.None
}

// errPeerClosed ends Feed after the peer's close frame has been answered.
var errPeerClosed = errors.New("engine: peer closed")

// fail closes the connection from our side with code: the close frame goes out with
// whatever was queued before it, then the write side is shut and the socket closed.
func (c *conn) fail(code apps.CloseCode, reason string) gnet.Action {
	c.mu.Lock()
	if !c.hasLocked(mClosing) {
		c.closeFrameLocked(code, reason)
	}
	c.mu.Unlock()
	c.flush() // now; the connection's entry in the loop's dirty list later finds nothing
	if c.closeCode == 0 {
		c.setClose(code, reason)
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
	c.route.Counters().In(len(payload))
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
	c.setFlag(flagPeerClosed, true)
	c.setClose(apps.CloseCode(code), string(reason))
	c.mu.Lock()
	if !c.hasLocked(mClosing) {
		c.setLocked(mClosing, true)
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

// recoverApp runs deferred after an application callback that started at start (coarse
// clock): it turns a panic into an error, logging its stack once, and notes a slow callback.
func (c *conn) recoverApp(where string, start int64, err *error) {
	if r := recover(); r != nil {
		c.lp.s.stats.AppPanics.Add(1)
		c.lp.s.log.Error("application panic", "app", c.appName(), "callback", where, "conn", c.id,
			"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = errAppPanic
	}
	c.appDone(where, start)
}

var errAppPanic = errors.New("engine: application panicked")

func (c *conn) appName() string {
	if c.route != nil {
		return c.route.Spec.Name
	}
	return ""
}
