package cluster

import (
	"errors"
	"strconv"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/wsgate/wsgate/internal/bufpool"
)

// outEntry is one local publish waiting for the drainer: data is the payload, either the
// caller's (ForwardOwned) or a copy in buf, a pooled buffer.
type outEntry struct {
	app    *appState
	topic  string
	kind   Kind
	retain bool
	time   int64
	data   []byte
	buf    *[]byte
}

// outQueue is the bounded path from Forward (any goroutine) to the one drainer goroutine
// that publishes: entries bounded in count and payload bytes. One goroutine draining keeps
// the order of publishes as Forward saw them, and sequence numbers are assigned in that
// order.
type outQueue struct {
	bounded[outEntry]
	pushed  atomic.Uint64 // entries ever pushed
	handled atomic.Uint64 // entries ever taken and published (or dropped) by the drainer
}

func (q *outQueue) init(count, bytes int) {
	q.bounded.init(count, bytes)
}

// push queues m, copying its payload into a pooled buffer unless owned; false when the
// queue is full. The copy is made before the lock is taken.
func (q *outQueue) push(a *appState, m Message, ts int64, owned bool) bool {
	e := outEntry{app: a, topic: m.Topic, kind: m.Kind, retain: m.Retain, time: ts, data: m.Data}
	if !owned {
		e.buf = bufpool.GetPtr(len(m.Data))
		*e.buf = append((*e.buf)[:0], m.Data...)
		e.data = *e.buf
	}
	if !q.bounded.push(e, len(e.data)) {
		bufpool.PutPtr(e.buf)
		return false
	}
	q.pushed.Add(1)
	return true
}

// putEntry gives back an entry's buffer and clears it.
func putEntry(e *outEntry) {
	if e.buf != nil {
		bufpool.PutPtr(e.buf)
	}
	*e = outEntry{}
}

// discard empties the queue and returns how many entries it held.
func (q *outQueue) discard() int {
	var batch [64]outEntry
	total := 0
	for {
		k := q.take(batch[:])
		if k == 0 {
			return total
		}
		for i := range k {
			putEntry(&batch[i])
		}
		total += k
	}
}

// drain publishes queued entries, in order, until the node closes.
func (n *Node) drain() {
	defer n.wg.Done()
	batch := make([]outEntry, 256)
	hdr := nats.Header{
		hdrOrigin: {n.id},
		hdrSeq:    {""},
		hdrKind:   {""},
	}
	msg := &nats.Msg{Header: hdr}
	var subj []byte
	for {
		select {
		case <-n.done:
			return
		case <-n.out.wake:
		}
		for {
			k := n.out.take(batch)
			if k == 0 {
				break
			}
			nc := n.nc.Load()
			for i := range k {
				e := &batch[i]
				subj = subj[:0]
				if e.retain {
					subj = append(append(append(subj, n.prefix...), "$retain."...), e.app.token...)
					hdr[hdrTime] = []string{strconv.FormatInt(e.time, 10)}
				} else {
					subj = append(append(subj, n.prefix...), e.app.token...)
					delete(hdr, hdrTime)
				}
				subj = appendTopic(subj, e.topic)
				n.seq++
				hdr[hdrSeq][0] = strconv.FormatUint(n.seq, 10)
				hdr[hdrKind][0] = e.kind.String()
				msg.Subject = string(subj)
				msg.Data = e.data
				err := nc.PublishMsg(msg)
				msg.Data = nil
				putEntry(e)
				switch {
				case err == nil:
					n.c.published.Add(1)
				case errors.Is(err, nats.ErrMaxPayload):
					n.c.drop(dropTooBig, 1)
				case errors.Is(err, nats.ErrReconnectBufExceeded), errors.Is(err, nats.ErrConnectionReconnecting),
					errors.Is(err, nats.ErrConnectionClosed):
					n.c.drop(dropDisconnected, 1)
				default:
					n.c.drop(dropPublishError, 1)
				}
			}
			n.out.handled.Add(uint64(k))
		}
	}
}
