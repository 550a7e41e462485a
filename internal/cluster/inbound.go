package cluster

import (
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// The messages received from the broker wait in a queue bounded in count and in payload
// bytes (n.inq) until the consumer delivers them. nats.go hands messages over a channel,
// which can bound only their count, and a message may be as large as the broker's
// max_payload: 8192 of 1 MiB would be 8 GiB on a gateway whose receivers stall. So the gate
// goroutine moves what arrives on that channel into the queue at once and drops past either
// bound; the consumer delivers from there. The gate only moves pointers, so the channel
// stays near empty while the consumer is stalled; it keeps the count bound's capacity to
// absorb the moments the gate waits for a CPU (a burst of 10,000 messages on two busy
// cores). One gate and one consumer keep the connection's order.

// msgSize is what a received message counts against InboundBytes.
func msgSize(m *nats.Msg) int { return len(m.Data) + len(m.Subject) + len(m.Reply) }

// gate moves what nats.go delivers into the bounded queue as it arrives: every subscription
// of the node feeds the one channel n.in, filled by nats.go's single reader goroutine, so
// the order of the connection is the order of the queue.
func (n *Node) gate() {
	defer n.wg.Done()
	for {
		select {
		case <-n.done:
			return
		case m := <-n.in:
			if !n.inq.push(m, msgSize(m)) {
				n.c.drop(dropSlowConsumer, 1)
				n.logSlow()
			}
		}
	}
}

// consume delivers what the broker sent, in the order it arrived.
func (n *Node) consume() {
	defer n.wg.Done()
	var next [1]*nats.Msg // one at a time: what waits stays counted against the bounds
	for {
		for n.inq.take(next[:]) == 1 {
			m := next[0]
			next[0] = nil
			n.handle(m)
			select {
			case <-n.done:
				return
			default:
			}
		}
		select {
		case <-n.done:
			return
		case <-n.inq.wake:
		}
	}
}

func (n *Node) handle(m *nats.Msg) {
	rest, ok := strings.CutPrefix(m.Subject, n.prefix)
	if !ok {
		n.c.drop(dropInvalid, 1)
		return
	}
	tok, rest, _ := strings.Cut(rest, ".")
	switch {
	case tok == "" || tok[0] != '$':
		n.handlePublish(m, tok, rest, false)
	case tok == "$retain":
		app, topic, _ := strings.Cut(rest, ".")
		n.handlePublish(m, app, topic, true)
	case tok == "$snapshot":
		n.serveSnapshot(m, rest)
	case tok == "$reply":
		n.applySnapshot(m, rest)
	default:
		n.c.drop(dropInvalid, 1)
	}
}

// handlePublish delivers one message published on another gateway. The deduplication rule:
// a node numbers its publishes 1, 2, 3… on its one connection; the broker keeps the order of
// one connection's messages towards each receiving connection, and a message matching
// several of this node's subscriptions arrives once per subscription, each copy before any
// later message of the same publisher. So a copy whose number is not above the last number
// seen from its publisher is a duplicate.
func (n *Node) handlePublish(m *nats.Msg, appTok, topicToks string, retained bool) {
	origin := m.Header.Get(hdrOrigin)
	seq, err := strconv.ParseUint(m.Header.Get(hdrSeq), 10, 64)
	kind, kok := parseKind(m.Header.Get(hdrKind))
	if origin == "" || err != nil || seq == 0 || !kok {
		n.c.drop(dropInvalid, 1)
		return
	}
	if origin == n.id {
		n.c.drop(dropEcho, 1)
		return
	}
	if !n.dedup.fresh(origin, seq) {
		n.c.deduplicated.Add(1)
		return
	}
	n.c.received.Add(1)
	n.mu.RLock()
	a := n.byToken[appTok]
	n.mu.RUnlock()
	if a == nil {
		n.c.drop(dropNoApp, 1)
		return
	}
	topic, err := SubjectTopic(topicToks)
	if err != nil {
		n.c.drop(dropInvalid, 1)
		return
	}
	msg := Message{Topic: topic, Kind: kind, Data: m.Data}
	if retained {
		ts, err := strconv.ParseInt(m.Header.Get(hdrTime), 10, 64)
		if err != nil {
			n.c.drop(dropInvalid, 1)
			return
		}
		switch a.retained.apply(topic, kind, m.Data, ts, origin) {
		case applySame:
			// Already applied, and delivered, from a peer's snapshot that answered this
			// node's attach after the publisher had stored it: this copy is a duplicate.
			n.c.deduplicated.Add(1)
			return
		case applyNewer:
			msg.Retain = true
		case applyStale:
			n.c.retainedStale.Add(1) // still a message, but not the topic's value
		case applyFull:
			n.c.retainedFull.Add(1)
			msg.Retain = true
		}
	}
	n.c.delivered.Add(uint64(a.recv.DeliverRemote(msg)))
}

// dedup holds the last sequence number seen from each publishing node. Used by the consumer
// goroutine only. Bounded: past maxOrigins entries, those not heard from for originTTL go.
type dedup struct {
	last map[string]originSeen
}

type originSeen struct {
	seq  uint64
	seen int64
}

const (
	maxOrigins = 4096
	originTTL  = 10 * time.Minute
)

func (d *dedup) fresh(origin string, seq uint64) bool {
	if d.last == nil {
		d.last = map[string]originSeen{}
	}
	now := time.Now().UnixNano()
	o, ok := d.last[origin]
	if ok && seq <= o.seq {
		return false
	}
	if !ok && len(d.last) >= maxOrigins {
		for k, v := range d.last {
			if now-v.seen > int64(originTTL) {
				delete(d.last, k)
			}
		}
		if len(d.last) >= maxOrigins {
			for k := range d.last { // all recent: forget an arbitrary one
				delete(d.last, k)
				break
			}
		}
	}
	d.last[origin] = originSeen{seq: seq, seen: now}
	return true
}
