package engine

import (
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/bufpool"
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
type conn struct {
	gc       gnet.Conn
	lp       *loop // its Server is lp.s
	l        *listener
	remote   peer // RemoteAddr builds a net.Addr from it when asked
	id       uint64
	route    *apps.Route // set at the upgrade
	subproto string
	value    any
	tls      *tlsState    // nil on a plain listener
	auth     *authVerdict // a slow authentication check in progress or just finished

	// Loop only.
	state         uint8
	pingSent      bool
	peerClosed    bool
	deflateShared bool           // no server context takeover: a prepared message's compressed frame fits every receiver
	finPending    bool           // draining: the write side is to be shut once gnet has written what it holds
	closeCode     apps.CloseCode // what OnClose reports: the peer's code, or ours
	slot          int32          // index in lp.conns
	deadline      int64          // next timer event (unix nanos), 0 = none
	lastRead      int64
	closeText     string
	reader        wsproto.Reader
	deflate       *wsproto.Compressor // nil without permessage-deflate

	// due mirrors deadline for the sweep, which wakes the connection once it has passed.
	due atomic.Int64

	// mu guards the pending output, which any goroutine may append to.
	mu       sync.Mutex
	out      []byte // pooled; nil when empty
	dirty    bool   // queued on lp for a flush
	closing  bool   // a close frame is queued or sent: no more data frames
	slow     bool   // output bound passed: close with 1008 at the next flush
	upgraded bool   // the 101 was sent: the connection belongs to an application
	sentCode apps.CloseCode
	sentText string
}

var _ apps.Conn = (*conn)(nil)

func (c *conn) ID() uint64           { return c.id }
func (c *conn) Listener() string     { return c.l.name }
func (c *conn) RemoteAddr() net.Addr { return c.remote.tcpAddr() }
func (c *conn) Subprotocol() string  { return c.subproto }
func (c *conn) Value() any           { return c.value }
func (c *conn) SetValue(v any)       { c.value = v }

func (c *conn) App() string {
	if c.route == nil {
		return ""
	}
	return c.route.Spec.Name
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
	return c.queuedLocked()
}

// WritePrepared implements apps.Conn; safe from any goroutine.
func (c *conn) WritePrepared(m *apps.PreparedMessage) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	var frame []byte
	switch {
	case c.deflate == nil:
		frame = m.Frame()
	case c.deflateShared:
		frame = m.DeflatedFrame(deflateShared)
	default:
		c.out = bufpool.Grow(c.out, len(m.Frame())+64)
		c.out = wsproto.AppendDeflatedFrame(c.out, wsproto.OpCode(m.Type()), m.Data(), c.deflate)
		return c.queuedLocked()
	}
	c.out = append(bufpool.Grow(c.out, len(frame)), frame...)
	return c.queuedLocked()
}

// deflateShared compresses a prepared message once for every receiver without server
// context takeover.
func deflateShared(dst []byte, t apps.MessageType, p []byte) []byte {
	return wsproto.AppendDeflatedFrame(dst, wsproto.OpCode(t), p, nil)
}

// writableLocked checks that a data message may be queued. The bound applies to what is
// already queued, so one message larger than it still goes out; past it the connection is
// marked slow, and the flush closes it with 1008. This is the transit queue's bound; the
// client's backlog is judged at the flush (backpressure.go).
func (c *conn) writableLocked() error {
	if c.closing {
		return apps.ErrClosed
	}
	if max := c.lp.s.transitBound(); max > 0 && len(c.out) > max {
		c.slow = true
		c.markDirtyLocked()
		return apps.ErrClosed
	}
	return nil
}

// queuedLocked finishes a write by scheduling the flush.
func (c *conn) queuedLocked() error {
	c.markDirtyLocked()
	return nil
}

func (c *conn) markDirtyLocked() {
	if !c.dirty {
		c.dirty = true
		c.lp.schedule(c)
	}
}

// Close implements apps.Conn: it queues a close frame and lets the close handshake run.
// Safe from any goroutine.
func (c *conn) Close(code apps.CloseCode, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return nil
	}
	c.closeFrameLocked(code, reason)
	return nil
}

// closeFrameLocked queues a close frame; the loop moves to stateClosing when it flushes it.
func (c *conn) closeFrameLocked(code apps.CloseCode, reason string) {
	c.closing = true
	c.out = bufpool.Grow(c.out, 2+len(reason)+wsproto.FrameSize(125))
	c.out = wsproto.AppendClose(c.out, uint16(code), reason)
	if c.sentCode == 0 {
		c.sentCode, c.sentText = code, reason // what OnClose reports unless the peer closed first
	}
	c.markDirtyLocked()
}

// shutdown is called by Server.Stop from its own goroutine.
func (c *conn) shutdown() {
	c.mu.Lock()
	upgraded := c.upgraded
	if upgraded && !c.closing {
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
	out := c.out
	c.out, c.dirty = nil, false
	closing, slow := c.closing, c.slow
	sentCode, sentText := c.sentCode, c.sentText
	c.mu.Unlock()
	if c.state == stateClosed || c.state == stateDraining {
		bufpool.Put(out)
		return
	}
	// The backlog gnet still holds from earlier writes decides, before this write.
	if max := int(c.lp.s.cfg.WebSocket.MaxPendingBytes); max > 0 && c.gc.OutboundBuffered() > max {
		slow = true
	}
	if c.state == stateOpen && slow && !closing {
		c.closeSlow(out)
		return
	}
	if len(out) > 0 {
		c.write(out)
		bufpool.Put(out)
	}
	if closing && c.state == stateOpen {
		c.state = stateClosing
		if c.closeCode == 0 {
			c.closeCode, c.closeText = sentCode, sentText
		}
		c.setDeadline(c.lp.s.now.Load() + int64(c.lp.s.cfg.WebSocket.CloseTimeout))
	}
}

// setDeadline sets the next timer event and publishes it for the sweep; loop only.
func (c *conn) setDeadline(t int64) {
	c.deadline = t
	c.due.Store(t) // always: the sweep may have cleared it when it woke us
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
	c.finPending = true
	return c.shutWhenWritten(now)
}

// shutWhenWritten shuts the write side once gnet has written all it holds; until then the
// sweep wakes the connection to look again, while deadline keeps the drain's end; loop only.
func (c *conn) shutWhenWritten(now int64) gnet.Action {
	if c.gc.OutboundBuffered() > 0 {
		c.due.Store(now + 1)
		return gnet.None
	}
	c.finPending = false
	c.due.Store(c.deadline)
	if err := unix.Shutdown(c.gc.Fd(), unix.SHUT_WR); err != nil {
		return gnet.Close
	}
	return gnet.None
}

// drainTimeout bounds how long a refused or failed connection may keep its socket.
const drainTimeout = 2 * time.Second

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
