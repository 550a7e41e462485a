package engine

import (
	"context"
	"sync"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/handshake"
)

// loop is wsgate's state for one gnet event loop. Fields marked "loop only" are used only
// by the loop's goroutine and need no lock.
type loop struct {
	s  *Server
	el gnet.EventLoop

	// Pending output: connections whose out buffer has bytes, flushed by this loop.
	mu          sync.Mutex
	dirty       []*conn
	spare       []*conn    // the previous dirty slice, reused
	dispatching bool       // the loop is inside OnTraffic and will flush when it returns
	scheduled   bool       // a flush task is queued on the loop
	stalled     []*conn    // waiting for gnet's buffer to drain, woken by the ticker (stream.go)
	queues      queueCache // output queues given back by this loop's connections (output.go)

	// Connections of this loop, for the sweep and for shutdown.
	connsMu sync.Mutex
	conns   []*conn

	watch loopWatch // the ticker's probe for a blocked loop (guard.go)

	// Scratch, loop only: one request is parsed at a time per loop.
	req        handshake.Request
	offered    [][]byte
	hs         apps.Handshake
	resp       []byte
	extScratch [256]byte
	proto      []byte
	sealed     []byte // TLS records being written
	chunk      [chunkSize]byte
	iov        [iovMax]unix.Iovec // sendmsg of pending output (output.go)
	px         proxyScratch
}

func newLoop(s *Server, el gnet.EventLoop) *loop {
	return &loop{s: s, el: el, resp: make([]byte, 0, 4096)}
}

// add registers a new connection for sweeps; loop only.
func (lp *loop) add(c *conn) {
	lp.connsMu.Lock()
	c.slot = int32(len(lp.conns))
	lp.conns = append(lp.conns, c)
	lp.connsMu.Unlock()
}

// remove unregisters a closed connection; loop only.
func (lp *loop) remove(c *conn) {
	lp.connsMu.Lock()
	last := int32(len(lp.conns) - 1)
	if c.slot >= 0 && c.slot <= last && lp.conns[c.slot] == c {
		lp.conns[c.slot] = lp.conns[last]
		lp.conns[c.slot].slot = c.slot
		lp.conns[last] = nil
		lp.conns = lp.conns[:last]
	}
	c.slot = -1
	lp.connsMu.Unlock()
}

// begin marks the start of a dispatch (OnTraffic) on this loop: writes arriving meanwhile
// need no flush task, because end flushes them.
func (lp *loop) begin() {
	lp.mu.Lock()
	lp.dispatching = true
	lp.mu.Unlock()
}

// end closes a dispatch. When only one connection has output pending (an echo, an answer)
// it is written now. When several have, the dispatch fanned out, and the writes wait for the
// flush task, which gnet runs once the loop has dispatched the rest of its current batch of
// events: messages from several senders that arrived in one batch then reach each receiver
// in one write, as uWebSockets drains its queues once per loop iteration.
func (lp *loop) end() {
	lp.mu.Lock()
	lp.dispatching = false
	fanout := len(lp.dirty) > 1
	if fanout && !lp.scheduled {
		lp.scheduled = true
	} else if fanout {
		lp.mu.Unlock()
		return // the flush task is queued already
	}
	lp.mu.Unlock()
	if !fanout {
		lp.flush()
		return
	}
	if err := lp.el.Execute(context.Background(), lp); err != nil {
		lp.flush() // the loop is shutting down: write now
	}
}

// schedule queues c for a flush; c.mu is held by the caller (lock order: c.mu, then lp.mu).
func (lp *loop) schedule(c *conn) {
	lp.mu.Lock()
	lp.dirty = append(lp.dirty, c)
	run := !lp.dispatching && !lp.scheduled
	if run {
		lp.scheduled = true
	}
	lp.mu.Unlock()
	if run {
		if err := lp.el.Execute(context.Background(), lp); err != nil {
			// The loop is shutting down; its connections are being closed anyway.
			lp.s.log.Debug("flush task not queued", "err", err)
		}
	}
}

// Run is the flush task queued by schedule; it runs on the loop.
func (lp *loop) Run(context.Context) error {
	lp.flush()
	return nil
}

// flush writes the pending output of every dirty connection; loop only.
func (lp *loop) flush() {
	for {
		lp.mu.Lock()
		list := lp.dirty
		lp.dirty, lp.spare = lp.spare[:0], nil
		if len(list) == 0 {
			lp.scheduled = false
			lp.spare = list
			lp.mu.Unlock()
			return
		}
		lp.mu.Unlock()
		for i, c := range list {
			c.flush()
			list[i] = nil
		}
		lp.mu.Lock()
		if lp.spare == nil {
			lp.spare = list[:0]
		}
		lp.mu.Unlock()
	}
}
