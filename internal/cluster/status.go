package cluster

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/nats-io/nats.go"
)

// Reasons a message is dropped; the keys of Status.Dropped.
const (
	dropDisconnected = iota // published locally while the broker was unreachable
	dropQueueFull           // the outbound queue was full (a slow broker connection)
	dropSlowConsumer        // the inbound queue was full (a flood from the broker)
	dropTooBig              // over the broker's max_payload
	dropPublishError        // any other publish error
	dropInvalid             // received without the gateway headers or with a bad subject
	dropNoApp               // for an application not attached here
	dropEcho                // this node's own publish (NoEcho makes it impossible)
	dropClosed              // queued when the node closed
	dropKinds
)

var dropNames = [dropKinds]string{
	"disconnected", "queue_full", "slow_consumer", "too_big", "publish_error",
	"invalid", "no_app", "echo", "closed",
}

type counters struct {
	published, received, delivered, deduplicated atomic.Uint64
	retainedStale, retainedFull                  atomic.Uint64
	snapshotsServed, snapshotEntries             atomic.Uint64
	reconnects                                   atomic.Uint64
	dropped                                      [dropKinds]atomic.Uint64
	slowGone                                     atomic.Uint64 // slow-consumer drops of removed subscriptions
}

func (c *counters) drop(reason int, k uint64) { c.dropped[reason].Add(k) }

// addSlow keeps the drop count of a subscription about to be removed.
func (c *counters) addSlow(sub *nats.Subscription) {
	if d, err := sub.Dropped(); err == nil && d > 0 {
		c.slowGone.Add(uint64(d))
	}
}

// Status is a snapshot of the node for the admin listener's /api/status.
type Status struct {
	ID        string `json:"id"`
	Connected bool   `json:"connected"`
	// Reason says why the node is not connected; empty when it is.
	Reason string `json:"reason,omitempty"`
	// URL is the server connected to (user information redacted).
	URL           string `json:"url,omitempty"`
	SubjectPrefix string `json:"subject_prefix"`
	// Subjects is the number of NATS subscriptions held.
	Subjects int `json:"subjects"`
	// Apps is the number of bridged applications.
	Apps int `json:"apps"`
	// Published counts local messages handed to the broker; Received counts messages from
	// other gateways (after deduplication); Delivered counts local deliveries of those.
	Published    uint64 `json:"published"`
	Received     uint64 `json:"received"`
	Delivered    uint64 `json:"delivered"`
	Deduplicated uint64 `json:"deduplicated"`
	// Dropped counts messages lost, by reason: disconnected (published locally while the
	// broker was away: not delivered remotely), queue_full, slow_consumer, too_big,
	// publish_error, invalid, no_app, echo, closed.
	Dropped map[string]uint64 `json:"dropped"`
	// OutboundQueued is the number of local publishes waiting for the broker connection.
	OutboundQueued int `json:"outbound_queued"`
	// InboundQueued is the number of received messages waiting for local delivery;
	// InboundBytes is the bytes of those the gate has queued (n.inq): the rest are in
	// the hand-off from nats.go, which the gate keeps near empty.
	InboundQueued int `json:"inbound_queued"`
	InboundBytes  int `json:"inbound_bytes"`
	// Retained is the number of retained values kept, over all applications.
	Retained        int    `json:"retained"`
	RetainedStale   uint64 `json:"retained_stale"`
	RetainedFull    uint64 `json:"retained_full"`
	SnapshotsServed uint64 `json:"snapshots_served"`
	SnapshotEntries uint64 `json:"snapshot_entries_applied"`
	Reconnects      uint64 `json:"reconnects"`
}

// Status returns the node's state and counters.
func (n *Node) Status() Status {
	s := Status{
		ID:              n.id,
		SubjectPrefix:   n.opt.SubjectPrefix,
		Published:       n.c.published.Load(),
		Received:        n.c.received.Load(),
		Delivered:       n.c.delivered.Load(),
		Deduplicated:    n.c.deduplicated.Load(),
		RetainedStale:   n.c.retainedStale.Load(),
		RetainedFull:    n.c.retainedFull.Load(),
		SnapshotsServed: n.c.snapshotsServed.Load(),
		SnapshotEntries: n.c.snapshotEntries.Load(),
		Reconnects:      n.c.reconnects.Load(),
		Dropped:         make(map[string]uint64, dropKinds),
	}
	n.mu.RLock()
	s.Connected, s.Reason, s.URL = n.reason == "", n.reason, n.url
	if s.URL == "" { // never connected yet: the configured servers
		s.URL = redact(strings.Join(n.opt.URLs, ","))
	}
	s.Apps = len(n.apps)
	for _, a := range n.apps {
		s.Retained += a.retained.len()
	}
	n.mu.RUnlock()
	s.OutboundQueued, _ = n.out.len()
	s.InboundQueued, s.InboundBytes = n.inq.len()
	s.InboundQueued += len(n.in)
	slow := n.c.slowGone.Load()
	n.subsMu.Lock()
	s.Subjects = len(n.subs)
	for _, sub := range n.subs {
		if d, err := sub.Dropped(); err == nil {
			slow += uint64(d)
		}
	}
	n.subsMu.Unlock()
	for i := range dropKinds {
		s.Dropped[dropNames[i]] = n.c.dropped[i].Load()
	}
	s.Dropped[dropNames[dropSlowConsumer]] += slow
	return s
}

// WritePrometheus writes the node's metric families (wsgate_cluster_*) in the Prometheus
// text format.
func (n *Node) WritePrometheus(w io.Writer) {
	s := n.Status()
	up := 0
	if s.Connected {
		up = 1
	}
	gauge := func(name, help string, v int) {
		fmt.Fprintf(w, "# HELP wsgate_cluster_%s %s\n# TYPE wsgate_cluster_%s gauge\nwsgate_cluster_%s %d\n", name, help, name, name, v)
	}
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP wsgate_cluster_%s %s\n# TYPE wsgate_cluster_%s counter\nwsgate_cluster_%s %d\n", name, help, name, name, v)
	}
	gauge("connected", "1 while the NATS broker is connected", up)
	gauge("subjects", "NATS subscriptions held", s.Subjects)
	gauge("outbound_queued", "local publishes waiting for the broker", s.OutboundQueued)
	gauge("inbound_queued", "messages from the broker waiting for local delivery", s.InboundQueued)
	gauge("inbound_bytes", "bytes of the messages from the broker waiting for local delivery", s.InboundBytes)
	gauge("retained", "retained values kept", s.Retained)
	counter("published_total", "local messages handed to the broker", s.Published)
	counter("received_total", "messages received from other gateways", s.Received)
	counter("delivered_total", "local deliveries of messages from other gateways", s.Delivered)
	counter("deduplicated_total", "duplicate copies dropped", s.Deduplicated)
	counter("reconnects_total", "reconnections to the broker", s.Reconnects)
	fmt.Fprintf(w, "# HELP wsgate_cluster_dropped_total messages lost, by reason\n# TYPE wsgate_cluster_dropped_total counter\n")
	for _, r := range dropNames {
		fmt.Fprintf(w, "wsgate_cluster_dropped_total{reason=%q} %d\n", r, s.Dropped[r])
	}
}
