package engine

import (
	"encoding/binary"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/bufpool"
)

// Output has two stages. Writes append encoded frames to the connection's out buffer (the
// transit queue), from any goroutine; the loop's flush hands out to gnet, which writes what
// the socket takes and buffers the rest. Only what gnet still buffers is the client's
// backlog: bytes in transit have not been offered to the socket yet, and a burst queued in
// one callback (a broadcast fanning out a whole read's worth of messages) says nothing about
// the client. So the verdict on max_pending_bytes is taken at each flush, on the loop, from
// gnet's buffer; past it the connection is closed with 1008 (conn.closeSlow).
//
// The transit queue has its own, looser bound, so that a writer outrunning its loop (an
// application goroutine, or a loop stalled by a slow callback) cannot grow it without limit
// either: the output bound plus one message of the largest size a client may send (what a
// broadcast or echo of one read can add at once). Past it the write fails and the
// connection is closed the same way.

// transitBound is the most the out buffer may hold before a write fails; 0 = no bound.
func (s *Server) transitBound() int {
	o := s.opt()
	max := int(o.MaxPendingBytes)
	if max <= 0 {
		return 0
	}
	return max + int(o.MaxMessageSize)
}

// closeSlow closes a connection whose backlog passed the output bound; out is what the
// flush took from the transit queue and not yet written; loop only. Queued data is dropped
// (the 1008 tells the client it lost messages), but control frames are not: a pong owed to
// the client, our ping, or a close an application queued concurrently go out, in order,
// before our close frame.
func (c *conn) closeSlow(out []byte, refs []outRef) {
	s := c.lp.s
	c.mu.Lock()
	overBudget := c.hasLocked(mOverBudget)
	c.mu.Unlock()
	if !overBudget {
		s.stats.SlowClosed.Add(1)
		if ok, held := s.g.slowLog.allow(s.now.Load()); ok {
			s.log.Info("slow consumer: output bound reached; closing with 1008", "conn", c.id, "app", c.App(),
				"remote", c.remote, "pending", c.backlog(), "bound", int64(s.opt().MaxPendingBytes),
				"also_closed_since_last_line", held)
		}
	}
	// Shared frames are data frames: they all go. Of the pending output, a frame partly
	// written is finished; the rest keeps only its control frames.
	dropQueued(nil, refs)
	if q := c.oq.Load(); overBudget && q != nil && q.pendOff > 0 {
		// The memory is wanted now: finishing the frame in flight to say 1008 would keep
		// it. Drop everything and reset the connection instead.
		c.dropPend(false)
		c.mu.Lock()
		more, moreRefs := c.takeQueuedLocked()
		c.setLocked(mClosing, true)
		c.mu.Unlock()
		dropQueued(out, refs[:0])
		dropQueued(more, moreRefs)
		c.setClose(apps.ClosePolicy, "server output memory full")
		_ = c.gc.Close()
		return
	}
	c.dropPend(true)
	kept := keepControlFrames(out)
	c.mu.Lock()
	more, moreRefs := c.takeQueuedLocked() // queued since the flush took out
	dropQueued(nil, moreRefs)
	if more = keepControlFrames(more); len(more) > 0 {
		kept = append(bufpool.Grow(kept, len(more)), more...)
	}
	bufpool.Put(more)
	if len(kept) == 0 {
		bufpool.Put(kept)
		kept = nil
	}
	c.out = kept
	if !c.hasLocked(mClosing) {
		reason := "output bound reached"
		if overBudget {
			reason = "server output memory full"
		}
		c.closeFrameLocked(apps.ClosePolicy, reason)
	}
	c.mu.Unlock()
	c.flush()
}

// keepControlFrames compacts b, a sequence of whole unmasked frames as the server encodes
// them, to its control frames (RFC 6455 §5.5: opcodes 0x8 and above), in order, and returns
// the shortened slice (same backing array). Control frames are never fragmented (§5.4) and
// may sit between any two frames, so dropping the data frames around them is valid framing.
func keepControlFrames(b []byte) []byte {
	w := 0
	for r := 0; r+2 <= len(b); {
		n, hdr := int(b[r+1]&0x7f), 2
		switch n {
		case 126:
			if r+4 > len(b) {
				return b[:w]
			}
			n, hdr = int(binary.BigEndian.Uint16(b[r+2:])), 4
		case 127:
			if r+10 > len(b) {
				return b[:w]
			}
			n, hdr = int(binary.BigEndian.Uint64(b[r+2:])), 10
		}
		end := r + hdr + n
		if n < 0 || end > len(b) || end < r {
			return b[:w] // not a whole frame: cannot happen for our own encoding
		}
		if b[r]&0x08 != 0 {
			w += copy(b[w:], b[r:end])
		}
		r = end
	}
	return b[:w]
}

// unreadHTTP reports whether an HTTP client has left more than the output bound of earlier
// responses unread while it pipelines another request, and if so counts and logs it: the
// caller closes the connection rather than buffer every answer. One response larger than
// the bound (a big static file) is not affected; only the next request waits on it. Loop only.
func (c *conn) unreadHTTP() bool {
	s := c.lp.s
	max := int(s.opt().MaxPendingBytes)
	if max <= 0 || c.gc.OutboundBuffered() <= max {
		return false
	}
	s.stats.SlowClosed.Add(1)
	if ok, held := s.g.slowLog.allow(s.now.Load()); ok {
		s.log.Info("HTTP client pipelines requests without reading the responses; closing", "listener", c.listener().name,
			"remote", c.remote, "pending", c.gc.OutboundBuffered(), "bound", max, "also_closed_since_last_line", held)
	}
	return true
}
