package load

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/wsgate/wsgate/internal/wstest"
)

// echoHandler drives echo (and idle's final liveness check): one message in
// flight per connection, its first 8 bytes the sequence number the echo must
// carry back.
type echoHandler struct {
	r    *runner
	buf  []byte // the message; this loop's own copy
	idle bool   // send only once, in phaseCheck
}

func (h *echoHandler) open(c *Conn) { c.l.open = append(c.l.open, c) }

func (h *echoHandler) send(c *Conn) {
	c.seq++
	binary.LittleEndian.PutUint64(h.buf, c.seq)
	c.sentAt = h.r.now()
	c.Send(wstest.OpBinary, h.buf)
}

func (h *echoHandler) message(c *Conn, _ byte, p []byte) {
	if len(p) != len(h.buf) || binary.LittleEndian.Uint64(p) != c.seq {
		c.l.st.errors.Add(1)
		c.l.close(c, ErrMismatch)
		return
	}
	if h.r.measuring.Load() {
		c.l.hist.Record(h.r.now() - c.sentAt)
	}
	c.l.st.count.Add(1)
	if !h.idle && h.r.phase.Load() >= phaseWarm {
		h.send(c)
	}
}

func (h *echoHandler) closed(*Conn, error) {}

func (h *echoHandler) tick(l *loop) {
	start := phaseWarm
	if h.idle {
		start = phaseCheck
	}
	if l.kicked || h.r.phase.Load() < start {
		return
	}
	l.kicked = true
	for _, c := range l.open {
		if c.state == stOpen {
			h.send(c)
		}
	}
}

// openAll starts the loops and opens cfg.Conns connections (what names them in the error
// when none opens); res carries the count and the server's RSS before the run.
func (r *runner) openAll(ctx context.Context, what string) (int64, Result, error) {
	r.startLoops()
	n, err := r.connectAll(ctx, int64(r.cfg.Conns))
	res := Result{Conns: int(n), RSSBefore: r.rss()}
	if err == nil && n == 0 {
		err = fmt.Errorf("load: no %s could be opened", what)
	}
	return n, res, err
}

func (r *runner) runEcho(ctx context.Context) (Result, error) {
	_, res, err := r.openAll(ctx, "connection")
	if err != nil {
		return res, err
	}
	r.setPhase(phaseWarm)
	if err := sleep(ctx, r.cfg.Warmup); err != nil {
		return res, err
	}
	r.setPhase(phaseRun)
	return res, r.measure(ctx, &res)
}

func (r *runner) runIdle(ctx context.Context) (Result, error) {
	res := Result{RSSBefore: r.rss()}
	cpu0, t0 := r.cpu(), time.Now()
	r.startLoops()
	n, err := r.connectAll(ctx, int64(r.cfg.Conns))
	res.Conns = int(n)
	if err != nil {
		return res, err
	}
	if n == 0 {
		return res, errors.New("load: no connection could be opened")
	}
	connected := time.Now()
	if err := sleep(ctx, r.cfg.Settle); err != nil {
		return res, err
	}
	res.RSSAfter = r.rss()
	res.PerConn = float64(res.RSSAfter-res.RSSBefore) / float64(n)
	// The connection phase is the measured window of idle: opens per second
	// and per server CPU second.
	res.Seconds = connected.Sub(t0).Seconds()
	res.Count = n
	res.Rate = float64(n) / res.Seconds
	res.CPU = (r.cpu() - cpu0).Seconds()
	if res.CPU > 0 {
		res.PerCPU = float64(n) / res.CPU
	}
	r.setPhase(phaseCheck)
	_, err = waitFor(ctx, 5*time.Second+time.Duration(n)*time.Millisecond/4, func() bool { return r.count() >= n })
	res.Alive = r.count()
	return res, err
}

// upgradeHandler closes each connection right after its upgrade and opens a
// replacement when the close handshake ends, keeping Conns cycles going.
type upgradeHandler struct{ r *runner }

func (h *upgradeHandler) open(c *Conn) {
	if h.r.measuring.Load() {
		c.l.hist.Record(h.r.now() - c.dialAt)
	}
	c.CloseHandshake()
}

func (h *upgradeHandler) message(*Conn, byte, []byte) {}

func (h *upgradeHandler) closed(c *Conn, err error) {
	if c.closeSent && (err == nil || errors.Is(err, ErrEOF)) {
		c.l.st.count.Add(1)
	}
	if !h.r.stopped.Load() {
		c.l.toDial++
	}
}

func (h *upgradeHandler) tick(*loop) {}

func (r *runner) runUpgrade(ctx context.Context) (Result, error) {
	r.setPhase(phaseWarm)
	r.startLoops()
	res := Result{Conns: r.cfg.Conns, RSSBefore: r.rss()}
	if err := sleep(ctx, r.cfg.Warmup); err != nil {
		return res, err
	}
	r.setPhase(phaseRun)
	return res, r.measure(ctx, &res)
}

// Broadcast bookkeeping. Message seq occupies ring slot seq%bcRing; a message
// is complete when every subscriber counted it in its slot. Only the
// publisher's loop advances completion, so completion is single-writer.
const (
	bcRing  = 1024
	bcStall = time.Second // an incomplete message older than this counts its missing deliveries as lost
	bcWarm  = 20 * time.Millisecond
)

type bcastShared struct {
	pubLoop atomic.Pointer[loop]
	subs    atomic.Int64 // subscribers in all (every one must be reached in the warm-up)
	// pubsub: subscribers spread over len(per) topics, subscriber i on topic i%len(per);
	// one publisher per topic, message seq published on topic seq%len(per). Broadcast is
	// the case of one topic.
	per     []atomic.Int64 // subscribers of each topic: what a message to it must reach
	nextSub atomic.Int64   // topic assignment of the subscribers being dialed
	pubs    []*Conn        // publisher loop only: the publisher of each topic
	ready   atomic.Int64   // subscribers that received any message
	base    atomic.Uint64  // first measured seq; MaxUint64 until the run phase
	lost    atomic.Int64
	ring    [bcRing]atomic.Int64
	sentAt  [bcRing]int64 // publisher loop only
	next    uint64        // publisher loop only: next seq to send
	done    uint64        // publisher loop only: every seq below is complete
	lastW   int64         // publisher loop only: last warm-up send
	sync    uint64        // publisher loop only: seq of the sync message, 0 before
	synced  atomic.Bool   // every subscriber has the sync message
	dialed  bool          // publisher loop only
	wantPub atomic.Bool
}

func newBcastShared(topics int) *bcastShared {
	b := &bcastShared{next: 1, per: make([]atomic.Int64, topics), pubs: make([]*Conn, topics)}
	b.base.Store(math.MaxUint64)
	return b
}

// need is how many subscribers message seq must reach.
func (b *bcastShared) need(seq uint64) int64 { return b.per[seq%uint64(len(b.per))].Load() }

// pubFor is the publisher of message seq's topic; nil until it is open.
func (b *bcastShared) pubFor(seq uint64) *Conn {
	if p := b.pubs[seq%uint64(len(b.pubs))]; p != nil && p.state == stOpen {
		return p
	}
	return nil
}

// pubsOpen reports whether every publisher is open.
func (b *bcastShared) pubsOpen() bool {
	for _, p := range b.pubs {
		if p == nil || p.state != stOpen {
			return false
		}
	}
	return true
}

type bcastHandler struct {
	r   *runner
	bc  *bcastShared
	buf []byte
}

func (h *bcastHandler) open(c *Conn) {
	if h.r.cfg.Protocol == Centrifugo {
		h.buf = centrifugoOpen(h.buf[:0], c)
		c.Send(wstest.OpText, h.buf)
	}
	if c.pub {
		h.bc.pubs[c.topic] = c
		return
	}
	h.bc.per[c.topic].Add(1)
	c.l.open = append(c.l.open, c)
}

func (h *bcastHandler) message(c *Conn, _ byte, p []byte) {
	if c.pub {
		return
	}
	if h.r.cfg.Protocol == Centrifugo {
		// One frame may carry several replies and pushes, a line each.
		for len(p) > 0 {
			var line []byte
			line, p, _ = bytes.Cut(p, []byte{'\n'})
			if seq, at, ok := centrifugoPush(line); ok {
				h.delivered(c, seq, at)
			}
		}
		return
	}
	if len(p) < 16 {
		return
	}
	h.delivered(c, binary.LittleEndian.Uint64(p), int64(binary.LittleEndian.Uint64(p[8:])))
}

// delivered counts message seq, published at at, as received by c.
func (h *bcastHandler) delivered(c *Conn, seq uint64, at int64) {
	if !c.ready {
		c.ready = true
		h.bc.ready.Add(1)
	}
	if seq >= h.bc.base.Load() {
		c.l.st.count.Add(1)
		if h.r.measuring.Load() {
			c.l.hist.Record(h.r.now() - at)
		}
	}
	if h.bc.ring[seq%bcRing].Add(1) == h.bc.need(seq) {
		if pl := h.bc.pubLoop.Load(); pl != nil && pl != c.l {
			pl.wake()
		}
	}
}

func (h *bcastHandler) closed(c *Conn, _ error) {
	if c.pub && h.bc.pubs[c.topic] == c {
		h.bc.pubs[c.topic] = nil
	}
}

func (h *bcastHandler) publish(seq uint64) {
	bc := h.bc
	now := h.r.now()
	bc.ring[seq%bcRing].Store(0)
	bc.sentAt[seq%bcRing] = now
	if h.r.cfg.Protocol == Centrifugo {
		h.buf = centrifugoPublish(h.buf[:0], seq, now, int(seq%uint64(len(bc.pubs))), h.r.cfg.Size)
		bc.pubFor(seq).Send(wstest.OpText, h.buf)
		return
	}
	h.buf = h.buf[:h.r.cfg.Size]
	binary.LittleEndian.PutUint64(h.buf, seq)
	binary.LittleEndian.PutUint64(h.buf[8:], uint64(now))
	bc.pubFor(seq).Send(wstest.OpBinary, h.buf)
}

func (h *bcastHandler) tick(l *loop) {
	bc := h.bc
	if l.id != 0 {
		return
	}
	if !bc.dialed && bc.wantPub.Load() {
		bc.dialed = true
		bc.pubLoop.Store(l)
		for k := range bc.pubs {
			if c, err := l.dial(); err == nil {
				c.pub, c.topic = true, int32(k)
			} else {
				l.st.failed.Add(1)
			}
		}
	}
	if !bc.pubsOpen() {
		return
	}
	switch h.r.phase.Load() {
	case phaseWarm:
		// Probe until every subscriber has been reached (the server has
		// registered them all), one probe at a time: the next goes out only
		// once the last has started arriving, so a slow fan-out never builds a
		// backlog that would spill into the window. Then one sync message:
		// when all have it, every earlier message has been delivered too.
		subs, now := bc.subs.Load(), h.r.now()
		last := bc.next - 1
		switch {
		case bc.sync != 0:
			// One sync message per topic: when each has reached its topic's
			// subscribers, every earlier message has been delivered too.
			all := true
			for s := bc.sync; s < bc.next; s++ {
				all = all && bc.ring[s%bcRing].Load() >= bc.need(s)
			}
			if all {
				bc.synced.Store(true)
			}
		case bc.ready.Load() >= subs:
			bc.sync = bc.next
			for range bc.pubs {
				h.publish(bc.next)
				bc.next++
			}
		case last == 0 || bc.ring[last%bcRing].Load() > 0 && now-bc.lastW >= int64(bcWarm):
			bc.lastW = now
			h.publish(bc.next)
			bc.next++
		}
	case phaseRun:
		if bc.base.Load() == math.MaxUint64 {
			bc.done = bc.next
			bc.base.Store(bc.next)
		}
		now := h.r.now()
		for bc.done < bc.next {
			got, subs := bc.ring[bc.done%bcRing].Load(), bc.need(bc.done)
			if got < subs {
				if now-bc.sentAt[bc.done%bcRing] < int64(bcStall) {
					break
				}
				bc.lost.Add(subs - got)
			}
			bc.done++
		}
		for bc.next-bc.done < uint64(h.r.cfg.Window) && bc.pubFor(bc.next) != nil {
			h.publish(bc.next)
			bc.next++
		}
	}
}

func (r *runner) runBroadcast(ctx context.Context) (Result, error) {
	n, res, err := r.openAll(ctx, "subscriber")
	if err != nil {
		return res, err
	}
	r.bc.wantPub.Store(true)
	r.loops[0].wake()
	pubs := int64(len(r.bc.pubs))
	ok, err := waitFor(ctx, 5*time.Second, func() bool {
		return r.opened() >= n+pubs || r.failed() > 0 && r.opened()+r.failed() >= n+pubs
	})
	if err != nil {
		return res, err
	}
	if !ok || r.opened() < n+pubs {
		return res, errors.New("load: the publishers could not connect")
	}
	// Warm up until every subscriber has been reached and nothing is left in
	// flight, so that the server has registered them all before the window
	// opens; then run unmeasured for Warmup.
	r.bc.subs.Store(n)
	r.setPhase(phaseWarm)
	ok, err = waitFor(ctx, 10*time.Second, r.bc.synced.Load)
	if err != nil {
		return res, err
	}
	if !ok {
		return res, fmt.Errorf("load: after 10 s of warm-up %d of %d subscribers had been reached", r.bc.ready.Load(), n)
	}
	r.setPhase(phaseRun)
	if err := sleep(ctx, r.cfg.Warmup); err != nil {
		return res, err
	}
	err = r.measure(ctx, &res)
	res.Lost = r.bc.lost.Load()
	return res, err
}
