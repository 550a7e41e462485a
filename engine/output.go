package engine

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wsgate/wsgate/internal/bufpool"
)

// Output is written without copying shared frames. A frame sent to many receivers (a
// broadcast, a pubsub fan-out: anything through WritePrepared) is encoded once into a
// reference-counted buffer (bufpool.Shared); each receiver's queue holds a reference, not a
// copy. At the flush the loop moves the queue to the pending list (outQueue.pend) and
// writes it with sendmsg (a gathering write) straight to the socket; what the socket does
// not take stays there, still by reference, and the ticker wakes the connection to write
// more (stream.go). So a receiver that does not read costs its pending references, and
// gnet's buffer, which copies whatever it holds, is not used for WebSocket output on plain
// connections. On TLS, records are sealed per connection anyway: pending bytes are sealed a
// chunk at a time while gnet holds less than the output bound.
//
// Every receiver's backlog (pending plus what gnet holds, published in its queue) is judged
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

// iovMax is how many pieces one sendmsg takes.
const iovMax = 16

// outQueue is a connection's output while some of it is queued by reference or not yet
// written: the shared frames of the transit queue, the pending list, and the backlog they
// and gnet's buffer make. Most connections have none most of the time (an idle one, or an
// echo whose answer the socket takes at once), so it is not part of conn: it is taken from
// its loop's queueCache when such output appears and given back once the client has taken
// everything, gnet's buffer included (writePend, and OnDrain when gnet's buffer empties). A
// connection without a queue has no backlog.
type outQueue struct {
	// Guarded by conn.mu: shared frames queued between the bytes of conn.out, and their
	// bytes (so that judging the transit queue reads no frame: a frame's counters share a
	// cache line that every loop writes). refs alternates with refsSpare
	// (takeQueuedLocked), so neither allocates once grown.
	refs, refsSpare []outRef
	refBytes        int

	// Loop only: output taken from the transit queue, not yet written.
	pend      []seg
	pendOff   int // bytes of pend[0] already written
	pendBytes int // bytes of pend not yet written

	// backlog is the client's backlog (pending output and gnet's buffer) as of the loop's
	// last write, for writers on other goroutines to judge before they queue (read with
	// conn.mu held, under which the queue is given back); 0 for connections under flow
	// control (flow.go), which gnet's buffer bounds.
	backlog atomic.Int64
}

// queueCache holds the output queues that a loop's connections gave back, for their next
// output. A sync.Pool did this before, but the collector empties a pool at every cycle, and
// a fan-out that takes a queue for each of thousands of receivers then allocated the queues
// and their slices again after each cycle: a steady megabyte a second under pubsub to
// 10,000 receivers, which itself paced the collector. The cache instead keeps what its
// loop's connections use: every queueTrimInterval it frees the queues that stayed unused
// since the trim before. Writers on any goroutine take from it (the receiver's loop, under
// conn.mu); the loop gives back.
type queueCache struct {
	mu   sync.Mutex
	free []*outQueue
	low  int // fewest queues free since the last trim: the bottom ones went unused
}

// queueTrimInterval is how often a loop's queueCache frees the queues no connection used.
const queueTrimInterval = 10 * time.Second

func (qc *queueCache) get() *outQueue {
	qc.mu.Lock()
	n := len(qc.free) - 1
	if n < 0 {
		qc.mu.Unlock()
		return new(outQueue)
	}
	q := qc.free[n]
	qc.free[n] = nil
	qc.free = qc.free[:n]
	qc.low = min(qc.low, n)
	qc.mu.Unlock()
	return q
}

func (qc *queueCache) put(q *outQueue) {
	qc.mu.Lock()
	qc.free = append(qc.free, q)
	qc.mu.Unlock()
}

// trim frees the queues that were free throughout the interval since the last trim (the
// bottom of the stack, which get takes from the top) and returns how many it freed.
func (qc *queueCache) trim() int {
	qc.mu.Lock()
	defer qc.mu.Unlock()
	unused := qc.low
	if unused > 0 {
		kept := copy(qc.free, qc.free[unused:])
		clear(qc.free[kept:])
		qc.free = qc.free[:kept]
		if cap(qc.free) > 2*kept+keepCap { // let a burst's array go too
			qc.free = append([]*outQueue(nil), qc.free...)
		}
	}
	qc.low = len(qc.free)
	return unused
}

// keepCap is the most entries a cached queue's slices keep: one burst must not pin a long
// array in the cache.
const keepCap = 64

// queueLocked returns the connection's queue, taking one from its loop's cache if it has
// none; c.mu is held.
func (c *conn) queueLocked() *outQueue {
	q := c.oq.Load()
	if q == nil {
		q = c.lp.queues.get()
		c.oq.Store(q)
	}
	return q
}

// queue is queueLocked for the loop, which reads c.oq without c.mu.
func (c *conn) queue() *outQueue {
	if q := c.oq.Load(); q != nil {
		return q
	}
	c.mu.Lock()
	q := c.queueLocked()
	c.mu.Unlock()
	return q
}

// pending reports whether output waits in the pending list; loop only.
func (c *conn) pending() bool {
	q := c.oq.Load()
	return q != nil && len(q.pend) > 0
}

// backlogLocked is the client's backlog as the loop last saw it; c.mu is held.
func (c *conn) backlogLocked() int64 {
	if q := c.oq.Load(); q != nil {
		return q.backlog.Load()
	}
	return 0
}

// releaseQueue gives q back to the loop's cache once the client has taken everything: its
// pending list and gnet's buffer are empty (loop only) and no shared frame was queued
// meanwhile (checked under c.mu, which also orders the release before any later
// queueLocked).
func (c *conn) releaseQueue(q *outQueue) {
	if len(q.pend) > 0 || (c.state != stateClosed && c.gc.OutboundBuffered() > 0) {
		return
	}
	c.mu.Lock()
	if len(q.refs) > 0 || c.oq.Load() != q {
		c.mu.Unlock()
		return
	}
	c.oq.Store(nil)
	c.mu.Unlock()
	q.pendOff, q.pendBytes = 0, 0
	q.backlog.Store(0)
	if cap(q.pend) > keepCap {
		q.pend = nil
	}
	if cap(q.refs) > keepCap || cap(q.refsSpare) > keepCap {
		q.refs, q.refsSpare = nil, nil
	}
	c.lp.queues.put(q)
}

// queueShared appends a reference to f to the transit queue; c.mu is held.
func (c *conn) queueSharedLocked(f *bufpool.Shared) {
	f.Enqueue(&c.lp.s.outMem)
	q := c.queueLocked()
	q.refs = append(q.refs, outRef{at: len(c.out), f: f})
	q.refBytes += len(f.B)
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
	out = c.out
	c.out = nil
	if q := c.oq.Load(); q != nil {
		refs = q.refs
		q.refs, q.refsSpare = q.refsSpare[:0], refs
		q.refBytes = 0
	}
	return out, refs
}

// send writes what a flush took from the transit queue. With nothing pending before it, a
// plain connection writes straight to the socket: out alone (an echo's answer, a control
// frame) without ever taking a queue, or shared frames alone (a fan-out) from their
// references; what the socket does not take goes through the pending list. Loop only.
func (c *conn) send(out []byte, refs []outRef) {
	if len(out) == 0 && len(refs) > 0 && len(refs) <= iovMax && c.writesDirect() {
		if q := c.oq.Load(); q != nil && len(q.pend) == 0 {
			bufpool.Put(out)
			c.sendShared(q, refs)
			return
		}
	}
	if len(refs) == 0 && c.oq.Load() == nil {
		if len(out) == 0 {
			bufpool.Put(out)
			return
		}
		if c.writesDirect() {
			n, _ := rawWrite(c.gc.Fd(), out)
			if n == len(out) {
				bufpool.Put(out) // no queue, no backlog
				return
			}
			c.pendQueued(out, nil) // the rest, or an error writePend meets again
			if n > 0 {
				c.advance(c.oq.Load(), n)
			}
			c.writePend()
			return
		}
	}
	c.pendQueued(out, refs)
	c.writePend()
}

// writesDirect reports whether output may go straight to the socket: a plain connection,
// not under flow control, with nothing in gnet's buffer. Loop only.
func (c *conn) writesDirect() bool {
	return !c.has(holdPause) && c.tlsConn() == nil && c.gc.OutboundBuffered() == 0 && c.proxied() == nil
}

// sendShared writes shared frames, and nothing pending before them, with one sendmsg from
// their references: a receiver of a fan-out whose socket takes it all never touches the
// pending list. The rest, if any, goes there. Loop only.
func (c *conn) sendShared(q *outQueue, refs []outRef) {
	iov := &c.lp.iov
	total := 0
	for i, r := range refs {
		total += setIovec(&iov[i], r.f.B)
	}
	n, errno := rawSendmsg(c.gc.Fd(), iov[:len(refs)])
	clear(iov[:len(refs)])
	if errno == 0 && n == total {
		for i := range refs {
			refs[i].f.Dequeue()
			refs[i] = outRef{}
		}
		q.backlog.Store(int64(c.gc.OutboundBuffered()))
		c.releaseQueue(q)
		return
	}
	c.pendQueued(nil, refs)
	if errno == 0 && n > 0 {
		c.advance(q, n)
	}
	c.writePend() // on: the socket is full (handed off) or the error is met again
}

// setIovec points v at b and returns len(b).
func setIovec(v *unix.Iovec, b []byte) int {
	*v = unix.Iovec{}
	if len(b) > 0 {
		v.Base = &b[0]
		v.SetLen(len(b))
	}
	return len(b)
}

// pendQueued moves a transit queue to the pending list; loop only.
func (c *conn) pendQueued(out []byte, refs []outRef) {
	s := c.lp.s
	if len(out) == 0 && len(refs) == 0 {
		bufpool.Put(out)
		return
	}
	q := c.queue()
	prev, last := 0, -1
	for i, r := range refs {
		if r.at > prev {
			q.pend = append(q.pend, seg{b: out[prev:r.at], n: r.at - prev})
			last = len(q.pend) - 1
		}
		q.pend = append(q.pend, seg{b: r.f.B, f: r.f})
		q.pendBytes += len(r.f.B)
		prev = r.at
		refs[i] = outRef{}
	}
	if prev < len(out) {
		q.pend = append(q.pend, seg{b: out[prev:], n: len(out) - prev})
		last = len(q.pend) - 1
	}
	if last < 0 {
		bufpool.Put(out)
	} else {
		q.pend[last].buf = out
	}
	q.pendBytes += len(out)
	s.outMem.Add(int64(len(out)))
}

// backlog is what the client has not taken yet: pending output and gnet's buffer. Loop only.
func (c *conn) backlog() int {
	n := c.gc.OutboundBuffered()
	if q := c.oq.Load(); q != nil {
		n += q.pendBytes
	}
	return n
}

// writePend writes what it can of the pending output and publishes the backlog; once all
// is written the queue goes back to its loop's cache. Loop only.
func (c *conn) writePend() {
	q := c.oq.Load()
	if q == nil {
		return
	}
	if len(q.pend) > 0 {
		switch {
		case c.proxied() != nil || c.has(holdPause):
			c.writePendGnet(q) // flow control watches gnet's buffer (flow.go)
			c.releaseQueue(q)
			return
		case c.tlsConn() != nil:
			c.writePendTLS(q)
		default:
			c.writePendPlain(q)
		}
	}
	q.backlog.Store(int64(c.backlog()))
	c.releaseQueue(q)
}

// writePendGnet hands all pending output to gnet, for connections under flow control,
// whose backlog is gnet's buffer and whose drain gnet reports (flow.go).
func (c *conn) writePendGnet(q *outQueue) {
	for len(q.pend) > 0 {
		if b := q.pend[0].b[q.pendOff:]; len(b) > 0 {
			c.write(b)
			c.advance(q, len(b))
		} else {
			c.advance(q, 0)
		}
	}
}

func (c *conn) writePendPlain(q *outQueue) {
	iov := &c.lp.iov
	for len(q.pend) > 0 {
		if c.gc.OutboundBuffered() > 0 {
			c.waitWritable() // gnet's bytes go first
			return
		}
		k, total := 0, 0
		for ; k < len(q.pend) && k < iovMax; k++ {
			b := q.pend[k].b
			if k == 0 {
				b = b[q.pendOff:]
			}
			total += setIovec(&iov[k], b)
		}
		n, errno := rawSendmsg(c.gc.Fd(), iov[:k])
		clear(iov[:k])
		switch errno {
		case 0:
			c.advance(q, n)
			if n < total {
				c.handOffInFlight(q)
				return
			}
		case unix.EINTR:
		case unix.EAGAIN:
			c.handOffInFlight(q)
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
func (c *conn) handOffInFlight(q *outQueue) {
	if len(q.pend) > 0 {
		if rest := q.pend[0].b[q.pendOff:]; len(rest) > 0 {
			k := min(len(rest), gnetChunk)
			_, _ = c.gc.Write(rest[:k])
			c.advance(q, k)
		}
	}
	if len(q.pend) > 0 {
		c.waitWritable() // also woken by OnDrain
	}
}

func (c *conn) writePendTLS(q *outQueue) {
	bound := c.lp.s.outputBound()
	for len(q.pend) > 0 {
		if c.gc.OutboundBuffered() >= bound {
			c.waitWritable()
			return
		}
		b := q.pend[0].b[q.pendOff:]
		k := min(len(b), chunkSize)
		if k > 0 {
			c.write(b[:k])
		}
		c.advance(q, k)
	}
}

// advance drops n written bytes from the front of the pending list; loop only.
func (c *conn) advance(q *outQueue, n int) {
	q.pendBytes -= n
	for len(q.pend) > 0 {
		rem := len(q.pend[0].b) - q.pendOff
		if rem > n {
			q.pendOff += n
			return
		}
		n -= rem
		q.pendOff = 0
		c.finishSeg(q, 0)
	}
}

// finishSeg releases pending piece i and removes it; loop only.
func (c *conn) finishSeg(q *outQueue, i int) {
	p := q.pend[i]
	if p.f != nil {
		p.f.Dequeue()
	}
	if p.n > 0 {
		c.lp.s.outMem.Add(-int64(p.n))
	}
	if p.buf != nil {
		bufpool.Put(p.buf)
	}
	copy(q.pend[i:], q.pend[i+1:])
	q.pend[len(q.pend)-1] = seg{}
	q.pend = q.pend[:len(q.pend)-1]
}

// dropPend drops the pending output. With keepControl, a piece already partly written is
// kept whole (the frame it is in must be finished) and the control frames of the others
// stay; the data frames go. Loop only.
func (c *conn) dropPend(keepControl bool) {
	q := c.oq.Load()
	if q == nil {
		return
	}
	i := 0
	if keepControl && q.pendOff > 0 && len(q.pend) > 0 {
		i = 1
	}
	for i < len(q.pend) {
		p := &q.pend[i]
		if !keepControl || p.f != nil {
			q.pendBytes -= len(p.b) - q.offsetOf(i)
			c.finishSegKeepOff(q, i)
			continue
		}
		kept := keepControlFrames(p.b)
		q.pendBytes -= len(p.b) - len(kept)
		c.lp.s.outMem.Add(-int64(p.n - len(kept)))
		p.b, p.n = kept, len(kept)
		i++
	}
	if len(q.pend) == 0 {
		q.pendOff = 0
	}
	q.backlog.Store(int64(c.backlog()))
}

func (q *outQueue) offsetOf(i int) int {
	if i == 0 {
		return q.pendOff
	}
	return 0
}

// finishSegKeepOff is finishSeg that resets the offset when the first piece goes.
func (c *conn) finishSegKeepOff(q *outQueue, i int) {
	if i == 0 {
		q.pendOff = 0
	}
	c.finishSeg(q, i)
}

// shedding is a connection shedOutput looks at, with its backlog.
type shedding struct {
	c       *conn
	backlog int64
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
			if c.oq.Load() != nil { // no queue, no backlog
				list = append(list, shedding{c: c})
			}
		}
		lp.connsMu.Unlock()
		return true
	})
	// Connections shed at an earlier tick and not yet closed by their loop will free
	// what they hold: they count against the excess.
	n := 0
	for _, e := range list {
		e.c.mu.Lock()
		e.backlog = e.c.backlogLocked()
		shed := e.c.hasLocked(mOverBudget)
		e.c.mu.Unlock()
		switch {
		case shed:
			over -= e.backlog
		case e.backlog > 0:
			list[n] = e
			n++
		}
	}
	clear(list[n:])
	list = list[:n]
	sort.Slice(list, func(i, j int) bool { return list[i].backlog > list[j].backlog })
	shed := 0
	for _, e := range list {
		if over <= 0 {
			break
		}
		c := e.c
		c.mu.Lock()
		if c.upgraded && !c.hasLocked(mClosing|mSlow) {
			c.setLocked(mSlow|mOverBudget, true)
			c.markDirtyLocked()
			shed++
			over -= e.backlog
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
