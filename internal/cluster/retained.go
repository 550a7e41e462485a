package cluster

import (
	"bytes"
	"encoding/binary"
	"sync"

	"github.com/nats-io/nats.go"
)

// Retained values cluster-wide. Every gateway of an application subscribes to
// "<prefix>.$retain.<app>.>" for as long as the application is attached, so every retained
// publish reaches every gateway of the application, whether or not its clients are
// interested yet. Each node keeps a mirror of the values (bounded in count and bytes) with a
// version: the publisher's clock and its node ID. The newest version wins (last writer
// wins, ties broken by ID), so gateways converge even when two of them set the same topic at
// once. A gateway that attaches an application, or comes back after a broker outage, asks
// its peers on "<prefix>.$snapshot.<app>"; every peer answers with its mirror, in chunks, and
// the newer entries are applied.

// applyResult says what mirror.apply did.
type applyResult uint8

const (
	applyNewer applyResult = iota // kept: the topic's value now
	applyStale                    // older than the value held: not kept
	applyFull                     // a new topic past the bounds: not kept
	applySame                     // the value held, same version and bytes: a second copy
)

type retainedEntry struct {
	kind   Kind
	data   []byte // empty = cleared (a tombstone, so an older value cannot come back)
	time   int64
	origin string
}

func (e *retainedEntry) olderThan(time int64, origin string) bool {
	return e.time < time || e.time == time && e.origin < origin
}

// mirror is one application's retained values.
type mirror struct {
	mu             sync.Mutex
	m              map[string]*retainedEntry
	bytes          int
	maxN, maxBytes int
	tombstones     int
}

func newMirror(maxN, maxBytes int) *mirror {
	return &mirror{m: map[string]*retainedEntry{}, maxN: maxN, maxBytes: maxBytes}
}

// apply records the value of topic with version (time, origin) if it is newer than the one
// held. data is copied.
func (r *mirror) apply(topic string, kind Kind, data []byte, time int64, origin string) applyResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.m[topic]
	if e != nil {
		if e.time == time && e.origin == origin && e.kind == kind && bytes.Equal(e.data, data) {
			return applySame // a live publish and a snapshot entry of it, in either order
		}
		if !e.olderThan(time, origin) {
			return applyStale
		}
		if r.bytes-len(e.data)+len(data) > r.maxBytes {
			r.remove(topic, e)
			return applyFull
		}
		r.bytes -= len(e.data)
		if len(e.data) == 0 {
			r.tombstones--
		}
	} else {
		if len(r.m) >= r.maxN && !r.evictTombstone() || r.bytes+len(data) > r.maxBytes {
			return applyFull
		}
		e = &retainedEntry{}
		r.m[topic] = e
	}
	e.kind, e.time, e.origin = kind, time, origin
	e.data = append(e.data[:0], data...)
	r.bytes += len(data)
	if len(data) == 0 {
		r.tombstones++
	}
	return applyNewer
}

func (r *mirror) remove(topic string, e *retainedEntry) {
	r.bytes -= len(e.data)
	if len(e.data) == 0 {
		r.tombstones--
	}
	delete(r.m, topic)
}

// evictTombstone makes room by forgetting one cleared value; false when there is none.
func (r *mirror) evictTombstone() bool {
	if r.tombstones == 0 {
		return false
	}
	for t, e := range r.m {
		if len(e.data) == 0 {
			r.remove(t, e)
			return true
		}
	}
	return false
}

// each calls fn for every value held (not the cleared ones), on a copy taken under the lock.
func (r *mirror) each(fn func(topic string, e *retainedEntry)) {
	r.mu.Lock()
	type kv struct {
		t string
		e retainedEntry
	}
	all := make([]kv, 0, len(r.m)-r.tombstones)
	for t, e := range r.m {
		if len(e.data) > 0 {
			all = append(all, kv{t, *e})
		}
	}
	r.mu.Unlock()
	for i := range all {
		fn(all[i].t, &all[i].e)
	}
}

func (r *mirror) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m) - r.tombstones
}

// appendEntry encodes one snapshot entry: uvarint-prefixed topic, kind byte, uvarint time,
// uvarint-prefixed origin, uvarint-prefixed data.
func appendEntry(b []byte, topic string, e *retainedEntry) []byte {
	b = binary.AppendUvarint(b, uint64(len(topic)))
	b = append(b, topic...)
	b = append(b, byte(e.kind))
	b = binary.AppendUvarint(b, uint64(e.time))
	b = binary.AppendUvarint(b, uint64(len(e.origin)))
	b = append(b, e.origin...)
	b = binary.AppendUvarint(b, uint64(len(e.data)))
	return append(b, e.data...)
}

// nextEntry decodes the entry at the start of b and returns the rest; ok false on bad input.
func nextEntry(b []byte) (topic string, e retainedEntry, rest []byte, ok bool) {
	str := func() ([]byte, bool) {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, false
		}
		s := b[k : k+int(l)]
		b = b[k+int(l):]
		return s, true
	}
	t, ok := str()
	if !ok || len(b) == 0 {
		return "", e, nil, false
	}
	e.kind = Kind(b[0])
	b = b[1:]
	ts, k := binary.Uvarint(b)
	if k <= 0 {
		return "", e, nil, false
	}
	e.time = int64(ts)
	b = b[k:]
	o, ok := str()
	if !ok {
		return "", e, nil, false
	}
	d, ok := str()
	if !ok {
		return "", e, nil, false
	}
	e.origin, e.data = string(o), d
	return string(t), e, b, true
}

// requestSnapshot asks the peers of a for their retained values, answered on this node's
// reply subject for a.
func (n *Node) requestSnapshot(nc *nats.Conn, a *appState) {
	err := nc.PublishRequest(n.prefix+"$snapshot."+a.token, n.replySub+"."+a.token, nil)
	if err != nil {
		n.log.Warn("cluster: retained snapshot request failed", "app", a.name, "err", err)
	}
}

// serveSnapshot answers a peer's request with this node's mirror of the app, in chunks of at
// most half the broker's max_payload. At most two answers are prepared at a time; more
// requests at once are dropped (the peer still gets the others' answers).
func (n *Node) serveSnapshot(m *nats.Msg, appTok string) {
	n.mu.RLock()
	a := n.byToken[appTok]
	n.mu.RUnlock()
	if a == nil || m.Reply == "" {
		return
	}
	select {
	case n.snapSem <- struct{}{}:
	default:
		return
	}
	a.retained.mu.Lock()
	var chunks [][]byte
	var b []byte
	nc := n.nc.Load()
	limit := int(nc.MaxPayload() / 2)
	for t, e := range a.retained.m {
		if len(b) > 0 && len(b)+len(t)+len(e.data)+64 > limit {
			chunks = append(chunks, b)
			b = nil
		}
		b = appendEntry(b, t, e)
	}
	a.retained.mu.Unlock()
	if len(b) > 0 {
		chunks = append(chunks, b)
	}
	reply := m.Reply
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer func() { <-n.snapSem }()
		for _, c := range chunks {
			if err := nc.Publish(reply, c); err != nil {
				return
			}
		}
		n.c.snapshotsServed.Add(1)
	}()
}

// applySnapshot applies one chunk of a peer's answer: the entries newer than the mirror's
// are delivered locally as retained values (so clients connected across an outage see what
// changed meanwhile); the others are skipped.
func (n *Node) applySnapshot(m *nats.Msg, rest string) {
	want := n.replySub[len(n.prefix)+len("$reply."):] + "."
	appTok, ok := cutPrefix(rest, want)
	if !ok {
		return
	}
	n.mu.RLock()
	a := n.byToken[appTok]
	n.mu.RUnlock()
	if a == nil {
		return
	}
	b := m.Data
	for len(b) > 0 {
		topic, e, rest, ok := nextEntry(b)
		if !ok {
			n.c.drop(dropInvalid, 1)
			return
		}
		b = rest
		if a.retained.apply(topic, e.kind, e.data, e.time, e.origin) != applyNewer {
			continue
		}
		n.c.snapshotEntries.Add(1)
		n.c.delivered.Add(uint64(a.recv.DeliverRemote(Message{Topic: topic, Kind: e.kind, Data: e.data, Retain: true})))
	}
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) < len(p) || s[:len(p)] != p {
		return "", false
	}
	return s[len(p):], true
}
