package engine

import (
	"sort"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wsgate/wsgate/internal/bufpool"
)

// Output is written without copying shared frames. A frame sent to many receivers (a
// broadcast, a pubsub fan-out: anything through WritePrepared) is encoded once into a
// reference-counted buffer (bufpool.Shared); each receiver's queue holds a reference, not a
// copy. At the flush the loop moves the queue to the connection's pending list (c.pend) and
// writes it with writev straight to the socket; what the socket does not take stays there,
// still by reference, and the ticker wakes the connection to write more (stream.go). So a
// receiver that does not read costs its pending references, and gnet's buffer, which copies
// whatever it holds, is not used for WebSocket output on plain connections. On TLS, records
// are sealed per connection anyway: pending bytes are sealed a chunk at a time while gnet
// holds less than the output bound.
//
// Every receiver's backlog (pending plus what gnet holds, published in c.backlogSeen) is judged
// before a message is queued for it; past max_pending_bytes the message is refused and the
// connection closed with 1008 (writableLocked). Output queued across the whole process is
// counted in Server.outMem (a shared frame once, however many hold it); past
// max_output_memory the ticker closes the connections with the largest backlogs first, with
// 1008, until the excess is covered (shedOutput).

// outRef is a shared frame in the transit queue: it goes after out[:at].
type outRef struct {
	at int
	f  *bufpool.Shared
}

// seg is a piece of pending output: bytes of a pooled buffer the connection owns, or a
// shared frame (f != nil). buf, on the last piece cut from a pooled buffer, is given back
// when that piece is written.
type seg struct {
	b   []byte
	f   *bufpool.Shared
	buf []byte
	n   int // owned bytes counted in Server.outMem for this piece
}

// iovMax is how many pieces one writev takes.
const iovMax = 16

// queueShared appends a reference to f to the transit queue; c.mu is held.
func (c *conn) queueSharedLocked(f *bufpool.Shared) {
	f.Enqueue(&c.lp.s.outMem)
	c.refs = append(c.refs, outRef{at: len(c.out), f: f})
}

// dropQueued gives back what a transit queue holds (out and its shared frames).
func dropQueued(out []byte, refs []outRef) {
	bufpool.Put(out)
	for i := range refs {
		refs[i].f.Dequeue()
		refs[i] = outRef{}
	}
}

// takeQueuedLocked takes the transit queue; c.mu is held. The refs slice alternates with
// refsSpare, so neither allocates once grown.
func (c *conn) takeQueuedLocked() (out []byte, refs []outRef) {
	out, refs = c.out, c.refs
	c.out = nil
	c.refs, c.refsSpare = c.refsSpare[:0], refs
	return out, refs
}

// pendQueued moves a transit queue to the pending list; loop only.
func (c *conn) pendQueued(out []byte, refs []outRef) {
	s := c.lp.s
	prev, last := 0, -1
	for i, r := range refs {
		if r.at > prev {
			c.pend = append(c.pend, seg{b: out[prev:r.at], n: r.at - prev})
			last = len(c.pend) - 1
		}
		c.pend = append(c.pend, seg{b: r.f.B, f: r.f})
		c.pendBytes += len(r.f.B)
		prev = r.at
		refs[i] = outRef{}
	}
	if prev < len(out) {
		c.pend = append(c.pend, seg{b: out[prev:], n: len(out) - prev})
		last = len(c.pend) - 1
	}
	if last < 0 {
		bufpool.Put(out)
	} else {
		c.pend[last].buf = out
	}
	c.pendBytes += len(out)
	s.outMem.Add(int64(len(out)))
}

// backlog is what the client has not taken yet: pending output and gnet's buffer. Loop only.
func (c *conn) backlog() int { return c.pendBytes + c.gc.OutboundBuffered() }

// writePend writes what it can of the pending output and publishes the backlog; loop only.
func (c *conn) writePend() {
	if len(c.pend) > 0 {
		switch {
		case c.proxied() != nil || c.has(holdPause):
			c.writePendGnet() // flow control watches gnet's buffer (flow.go)
			return
		case c.tls != nil:
			c.writePendTLS()
		default:
			c.writePendPlain()
		}
	}
	c.backlogSeen.Store(int64(c.backlog()))
}

// writePendGnet hands all pending output to gnet, for connections under flow control,
// whose backlog is gnet's buffer and whose drain gnet reports (flow.go).
func (c *conn) writePendGnet() {
	for len(c.pend) > 0 {
		if b := c.pend[0].b[c.pendOff:]; len(b) > 0 {
			c.write(b)
			c.advance(len(b))
		} else {
			c.advance(0)
		}
	}
}

func (c *conn) writePendPlain() {
	iov := &c.lp.iov
	for len(c.pend) > 0 {
		if c.gc.OutboundBuffered() > 0 {
			c.waitWritable() // gnet's bytes go first
			return
		}
		k, total := 0, 0
		for ; k < len(c.pend) && k < iovMax; k++ {
			b := c.pend[k].b
			if k == 0 {
				b = b[c.pendOff:]
			}
			iov[k] = unix.Iovec{}
			if len(b) > 0 {
				iov[k].Base = &b[0]
				iov[k].SetLen(len(b))
			}
			total += len(b)
		}
		n, _, errno := unix.Syscall(unix.SYS_WRITEV, uintptr(c.gc.Fd()), uintptr(unsafe.Pointer(&iov[0])), uintptr(k))
		clear(iov[:k])
		switch errno {
		case 0:
			c.advance(int(n))
			if int(n) < total {
				c.handOffInFlight()
				return
			}
		case unix.EINTR:
		case unix.EAGAIN:
			c.handOffInFlight()
			return
		default: // the connection is gone; gnet's read side reports it and closes
			c.dropPend(false)
			_ = c.gc.Close()
			return
		}
	}
}

// handOffInFlight is called when the socket is full: the next gnetChunk bytes of the piece
// being written go to gnet, which writes them as soon as the socket takes more and reports
// the drain (OnDrain, flow.go), which writes on from here. So output moves at the client's
// pace rather than the ticker's, and gnet holds at most one chunk of copied bytes per
// connection; the rest waits here, by reference. Loop only.
func (c *conn) handOffInFlight() {
	if len(c.pend) > 0 {
		if rest := c.pend[0].b[c.pendOff:]; len(rest) > 0 {
			k := min(len(rest), gnetChunk)
			_, _ = c.gc.Write(rest[:k])
			c.advance(k)
		}
	}
	if len(c.pend) > 0 {
		c.waitWritable() // also woken by OnDrain
	}
}

func (c *conn) writePendTLS() {
	bound := c.lp.s.outputBound()
	for len(c.pend) > 0 {
		if c.gc.OutboundBuffered() >= bound {
			c.waitWritable()
			return
		}
		b := c.pend[0].b[c.pendOff:]
		k := min(len(b), chunkSize)
		if k > 0 {
			c.write(b[:k])
		}
		c.advance(k)
	}
}

// advance drops n written bytes from the front of the pending list; loop only.
func (c *conn) advance(n int) {
	c.pendBytes -= n
	for len(c.pend) > 0 {
		rem := len(c.pend[0].b) - c.pendOff
		if rem > n {
			c.pendOff += n
			return
		}
		n -= rem
		c.pendOff = 0
		c.finishSeg(0)
	}
}

// finishSeg releases pending piece i and removes it; loop only.
func (c *conn) finishSeg(i int) {
	p := c.pend[i]
	if p.f != nil {
		p.f.Dequeue()
	}
	if p.n > 0 {
		c.lp.s.outMem.Add(-int64(p.n))
	}
	if p.buf != nil {
		bufpool.Put(p.buf)
	}
	copy(c.pend[i:], c.pend[i+1:])
	c.pend[len(c.pend)-1] = seg{}
	c.pend = c.pend[:len(c.pend)-1]
}

// dropPend drops the pending output. With keepControl, a piece already partly written is
// kept whole (the frame it is in must be finished) and the control frames of the others
// stay; the data frames go. Loop only.
func (c *conn) dropPend(keepControl bool) {
	i := 0
	if keepControl && c.pendOff > 0 && len(c.pend) > 0 {
		i = 1
	}
	for i < len(c.pend) {
		p := &c.pend[i]
		if !keepControl || p.f != nil {
			c.pendBytes -= len(p.b) - c.offsetOf(i)
			c.finishSegKeepOff(i)
			continue
		}
		kept := keepControlFrames(p.b)
		c.pendBytes -= len(p.b) - len(kept)
		c.lp.s.outMem.Add(-int64(p.n - len(kept)))
		p.b, p.n = kept, len(kept)
		i++
	}
	if len(c.pend) == 0 {
		c.pendOff = 0
	}
	c.backlogSeen.Store(int64(c.backlog()))
}

func (c *conn) offsetOf(i int) int {
	if i == 0 {
		return c.pendOff
	}
	return 0
}

// finishSegKeepOff is finishSeg that resets the offset when the first piece goes.
func (c *conn) finishSegKeepOff(i int) {
	if i == 0 {
		c.pendOff = 0
	}
	c.finishSeg(i)
}

// shedOutput closes the connections with the largest backlogs, with 1008, while queued
// output passes max_output_memory; ticker only.
func (s *Server) shedOutput() {
	max := s.opt().MaxOutputMemory
	over := s.outMem.Load() - max
	if max <= 0 || over <= 0 {
		return
	}
	list := s.g.shed[:0]
	s.loopOf.Range(func(_, v any) bool {
		lp := v.(*loop)
		lp.connsMu.Lock()
		for _, c := range lp.conns {
			if c.backlogSeen.Load() > 0 {
				list = append(list, c)
			}
		}
		lp.connsMu.Unlock()
		return true
	})
	// Connections shed at an earlier tick and not yet closed by their loop will free
	// what they hold: they count against the excess.
	n := 0
	for _, c := range list {
		c.mu.Lock()
		shedding := c.overBudget
		c.mu.Unlock()
		if shedding {
			over -= c.backlogSeen.Load()
		} else {
			list[n] = c
			n++
		}
	}
	clear(list[n:])
	list = list[:n]
	sort.Slice(list, func(i, j int) bool { return list[i].backlogSeen.Load() > list[j].backlogSeen.Load() })
	shed := 0
	for _, c := range list {
		if over <= 0 {
			break
		}
		c.mu.Lock()
		if c.upgraded && !c.closing && !c.slow {
			c.slow, c.overBudget = true, true
			c.markDirtyLocked()
			shed++
			over -= c.backlogSeen.Load()
		}
		c.mu.Unlock()
	}
	clear(list)
	s.g.shed = list[:0]
	if shed > 0 {
		s.stats.BudgetClosed.Add(int64(shed))
		if ok, held := s.g.slowLog.allow(s.now.Load()); ok {
			s.log.Warn("queued output over max_output_memory; closing the slowest connections with 1008",
				"queued", s.outMem.Load(), "max", max, "closing", shed, "also_closed_since_last_line", held)
		}
	}
}
