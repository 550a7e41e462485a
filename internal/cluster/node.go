package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Kind is how a payload was published; it decides how a pubsub envelope shows it.
type Kind uint8

// The kinds, with the values of the pubsub application's (so an adapter converts by a cast).
const (
	JSON Kind = iota + 1
	Text
	Binary
)

var kindNames = [...]string{JSON: "json", Text: "text", Binary: "binary"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

func parseKind(s string) (Kind, bool) {
	for k, name := range kindNames {
		if s == name && name != "" {
			return Kind(k), true
		}
	}
	return 0, false
}

// Message is one publish. Data is borrowed by Forward (copied before it returns) and lent by
// DeliverRemote (valid until it returns).
type Message struct {
	Topic  string
	Kind   Kind
	Data   []byte
	Retain bool
}

// Receiver is the local side of one application: DeliverRemote delivers a message that came
// from another gateway to the local matching clients only (never forwarding it again) and
// returns how many received it. It is called from one goroutine of the Node at a time, in
// the order the broker delivered; with Retain set, the value is also kept as the topic's
// retained value (an empty Data clears it).
type Receiver interface {
	DeliverRemote(m Message) int
}

// ReceiverFunc adapts a function to Receiver.
type ReceiverFunc func(Message) int

// DeliverRemote calls f(m).
func (f ReceiverFunc) DeliverRemote(m Message) int { return f(m) }

// BroadcastTopic is the one topic a broadcast application is bridged on.
const BroadcastTopic = "broadcast"

// Header names carried by every message between gateways.
const (
	hdrOrigin = "Wsgate-Origin" // the publishing node's ID
	hdrSeq    = "Wsgate-Seq"    // that node's sequence number, decimal, from 1
	hdrKind   = "Wsgate-Kind"   // binary, text or json
	hdrTime   = "Wsgate-Time"   // retained only: the publisher's clock, Unix nanoseconds
)

// Node is one gateway's connection to the cluster. Its methods are safe for concurrent use;
// Forward and Interest never block on the network.
type Node struct {
	opt      Options
	id       string
	prefix   string // SubjectPrefix + "."
	replySub string // prefix + "$reply." + EscapeToken(id)
	log      *slog.Logger

	nc  atomic.Pointer[nats.Conn]
	in  chan *nats.Msg     // from nats.go to the gate (inbound.go)
	inq bounded[*nats.Msg] // from the gate to the consumer (inbound.go)

	mu        sync.RWMutex
	apps      map[string]*appState // by name
	byToken   map[string]*appState // by escaped name
	snapshots map[*appState]bool   // apps whose retained values are still to be requested
	reason    string               // why not ready; "" when connected
	url       string               // the server connected to (redacted)

	wake     chan struct{}      // the reconciler
	syncs    chan chan struct{} // Sync calls waiting for a reconciler pass
	out      outQueue
	subsMu   sync.Mutex
	subs     map[string]*nats.Subscription // subject → subscription (the reconciler's)
	snapSem  chan struct{}                 // bounds concurrent snapshot answers
	c        counters
	closed   atomic.Bool
	done     chan struct{}
	wg       sync.WaitGroup
	seq      uint64 // the drainer's
	dedup    dedup  // the consumer's
	lastSlow atomic.Int64
}

type appState struct {
	name, token string
	recv        Receiver
	interest    map[string]int // filter → references
	subjects    map[string]int // subject → references from interest
	retained    *mirror
}

// New validates the options and connects. When the broker refuses the credentials or the
// TLS verification fails, New returns an error wrapping ErrRefused; when it is only
// unreachable, New returns a Node that is not ready and keeps reconnecting.
func New(o Options) (*Node, error) {
	if err := o.normalize(); err != nil {
		return nil, err
	}
	n := &Node{
		opt:       o,
		id:        newID(o.Name),
		prefix:    o.SubjectPrefix + ".",
		log:       o.Logger.With("component", "cluster"),
		in:        make(chan *nats.Msg, o.InboundQueue),
		apps:      map[string]*appState{},
		byToken:   map[string]*appState{},
		snapshots: map[*appState]bool{},
		wake:      make(chan struct{}, 1),
		syncs:     make(chan chan struct{}, 64),
		subs:      map[string]*nats.Subscription{},
		snapSem:   make(chan struct{}, 2),
		done:      make(chan struct{}),
		reason:    "nats: connecting to " + redact(strings.Join(o.URLs, ",")),
	}
	n.replySub = n.prefix + "$reply." + EscapeToken(n.id)
	n.out.init(o.OutboundQueue, o.OutboundBytes)
	n.inq.init(o.InboundQueue, o.InboundBytes)
	opts, err := n.natsOptions()
	if err != nil {
		return nil, err
	}
	no := nats.GetDefaultOptions()
	no.Servers = o.URLs
	for _, f := range opts {
		if err := f(&no); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	no.ConnectedCB = n.onReconnect
	nc, err := no.Connect()
	if err != nil {
		if refused(err) {
			return nil, fmt.Errorf("%w: %s: %v", ErrRefused, redact(strings.Join(o.URLs, ",")), err)
		}
		n.log.Warn("cluster: broker unreachable, retrying in the background", "url", redact(strings.Join(o.URLs, ",")), "err", err)
		n.setReason("nats: unreachable: " + err.Error())
		no.RetryOnFailedConnect = true
		if nc, err = no.Connect(); err != nil {
			return nil, fmt.Errorf("cluster: nats: %v", err)
		}
	}
	n.nc.Store(nc)
	n.wg.Add(4)
	go n.gate()
	go n.consume()
	go n.drain()
	go n.reconcile()
	n.kick()
	return n, nil
}

// refused reports errors an operator must fix: authentication and certificate verification.
func refused(err error) bool {
	var verify *tls.CertificateVerificationError
	var unk x509.UnknownAuthorityError
	var host x509.HostnameError
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) ||
		errors.Is(err, nats.ErrAuthRevoked) || errors.Is(err, nats.ErrAccountAuthExpired) ||
		errors.As(err, &verify) || errors.As(err, &unk) || errors.As(err, &host) ||
		strings.Contains(err.Error(), "Authorization Violation")
}

// ID is this node's identity on the broker: Name plus a random suffix.
func (n *Node) ID() string { return n.id }

// Close unsubscribes, closes the connection and stops the node's goroutines. Local publishes
// still queued are dropped (counted as closed).
func (n *Node) Close() error {
	if !n.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(n.done)
	n.wg.Wait()
	if nc := n.nc.Load(); nc != nil {
		nc.Close()
	}
	n.c.drop(dropClosed, uint64(n.out.discard()))
	return nil
}

// Attach bridges application app: messages from other gateways to it go to r, its retained
// values are kept cluster-wide, and Interest and Forward calls for it take effect. Attaching
// an attached name (a new instance after a reload) replaces its receiver and hands r the
// retained values the node holds, with Retain set; the interest counts stay, since the old
// instance's clients still report leaving.
func (n *Node) Attach(app string, r Receiver) {
	n.mu.Lock()
	if a, ok := n.apps[app]; ok {
		a.recv = r
		n.mu.Unlock()
		a.retained.each(func(topic string, e *retainedEntry) {
			r.DeliverRemote(Message{Topic: topic, Kind: e.kind, Data: e.data, Retain: true})
		})
		return
	}
	a := &appState{
		name: app, token: EscapeToken(app), recv: r,
		interest: map[string]int{}, subjects: map[string]int{},
		retained: newMirror(n.opt.RetainedMax, n.opt.RetainedBytes),
	}
	n.apps[app] = a
	n.byToken[a.token] = a
	n.snapshots[a] = true
	n.mu.Unlock()
	n.kick()
}

// Detach stops bridging app and drops its subscriptions.
func (n *Node) Detach(app string) {
	n.mu.Lock()
	if a, ok := n.apps[app]; ok {
		delete(n.apps, app)
		delete(n.byToken, a.token)
		delete(n.snapshots, a)
	}
	n.mu.Unlock()
	n.kick()
}

// Interest counts a local interest in filter (an MQTT-style topic filter) of app, on or off.
// The node holds a NATS subscription for every subject some filter needs and drops it when
// the last filter needing it goes. It does not block: the subscriptions follow shortly, on
// the node's own goroutine.
func (n *Node) Interest(app, filter string, on bool) {
	n.mu.Lock()
	a := n.apps[app]
	if a == nil {
		n.mu.Unlock()
		return
	}
	changed := false
	if on {
		a.interest[filter]++
		if a.interest[filter] == 1 {
			for _, s := range FilterSubjects(n.opt.SubjectPrefix, app, filter) {
				a.subjects[s]++
			}
			changed = true
		}
	} else if a.interest[filter] > 0 {
		a.interest[filter]--
		if a.interest[filter] == 0 {
			delete(a.interest, filter)
			for _, s := range FilterSubjects(n.opt.SubjectPrefix, app, filter) {
				if a.subjects[s]--; a.subjects[s] <= 0 {
					delete(a.subjects, s)
				}
			}
			changed = true
		}
	}
	n.mu.Unlock()
	if changed {
		n.kick()
	}
}

// Forward hands a local publish to the cluster. It copies m.Data and returns at once; when
// the broker is unreachable or the outbound queue is full, the message is counted as not
// delivered remotely and dropped (local delivery is the caller's and goes on). A Kind other
// than JSON, Text and Binary travels as Binary.
func (n *Node) Forward(app string, m Message) { n.forward(app, m, false) }

// ForwardOwned is Forward for a caller that gives m.Data away: the node keeps the slice
// instead of copying it, and the caller must not touch it afterwards. The pubsub
// application's bridge hands over its publishes this way.
func (n *Node) ForwardOwned(app string, m Message) { n.forward(app, m, true) }

func (n *Node) forward(app string, m Message, owned bool) {
	n.mu.RLock()
	a := n.apps[app]
	n.mu.RUnlock()
	if a == nil {
		n.c.drop(dropNoApp, 1)
		return
	}
	if m.Kind < JSON || m.Kind > Binary {
		m.Kind = Binary
	}
	var ts int64
	if m.Retain {
		ts = time.Now().UnixNano()
		a.retained.apply(m.Topic, m.Kind, m.Data, ts, n.id)
	}
	if n.closed.Load() {
		n.c.drop(dropClosed, 1)
		return
	}
	if nc := n.nc.Load(); nc == nil || !nc.IsConnected() {
		n.c.drop(dropDisconnected, 1)
		return
	}
	if !n.out.push(a, m, ts, owned) {
		n.c.drop(dropQueueFull, 1)
		return
	}
}

// kick wakes the reconciler.
func (n *Node) kick() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *Node) setReason(r string) {
	n.mu.Lock()
	n.reason = r
	n.mu.Unlock()
}

// Ready reports whether the broker is connected and, when not, why.
func (n *Node) Ready() (bool, string) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.reason == "", n.reason
}

func (n *Node) onReconnect(nc *nats.Conn) {
	n.mu.Lock()
	first := n.url == ""
	n.reason = ""
	n.url = redact(nc.ConnectedUrl())
	for _, a := range n.apps {
		n.snapshots[a] = true // values may have changed while away
	}
	n.mu.Unlock()
	if !first {
		n.c.reconnects.Add(1)
	}
	n.log.Info("cluster: connected to the broker", "url", redact(nc.ConnectedUrl()), "id", n.id)
	n.kick()
}

func (n *Node) onDisconnect(nc *nats.Conn, err error) {
	r := "nats: disconnected from " + redact(nc.ConnectedUrl())
	if err != nil {
		r += ": " + err.Error()
	}
	n.setReason(r + "; reconnecting")
	n.log.Warn("cluster: lost the broker, local delivery goes on, reconnecting", "url", redact(nc.ConnectedUrl()), "err", err)
}

func (n *Node) onClosed(*nats.Conn) {
	n.setReason("nats: connection closed")
	if !n.closed.Load() {
		n.log.Error("cluster: broker connection closed for good")
	}
}

func (n *Node) onAsyncError(_ *nats.Conn, _ *nats.Subscription, err error) {
	if errors.Is(err, nats.ErrSlowConsumer) {
		n.logSlow() // once per episode (nats.go)
		return
	}
	n.log.Warn("cluster: broker error", "err", err)
}

// logSlow says that messages from the broker are being dropped, at most once a second.
func (n *Node) logSlow() {
	now := time.Now().UnixNano()
	if last := n.lastSlow.Load(); now-last > int64(time.Second) && n.lastSlow.CompareAndSwap(last, now) {
		n.log.Warn("cluster: inbound queue full, dropping messages from the broker",
			"queue", n.opt.InboundQueue, "queue_bytes", n.opt.InboundBytes)
	}
}

// reconcile keeps the NATS subscriptions equal to what the attached applications need and
// asks peers for retained values when an application joins or the broker comes back.
func (n *Node) reconcile() {
	defer n.wg.Done()
	for {
		select {
		case <-n.done:
			return
		case <-n.wake:
		}
		var waiting []chan struct{}
	more:
		for {
			select {
			case c := <-n.syncs:
				waiting = append(waiting, c)
			default:
				break more
			}
		}
		nc := n.nc.Load()
		want := map[string]bool{n.replySub + ".>": true}
		var ask []*appState
		n.mu.Lock()
		for _, a := range n.apps {
			want[n.prefix+"$retain."+a.token+".>"] = true
			want[n.prefix+"$snapshot."+a.token] = true
			for s := range a.subjects {
				want[s] = true
			}
		}
		if nc.IsConnected() {
			for a := range n.snapshots {
				ask = append(ask, a)
			}
			clear(n.snapshots)
		}
		n.mu.Unlock()

		n.subsMu.Lock()
		for s, sub := range n.subs {
			if !want[s] {
				n.c.addSlow(sub)
				_ = sub.Unsubscribe()
				delete(n.subs, s)
			}
		}
		for s := range want {
			if n.subs[s] != nil {
				continue
			}
			sub, err := nc.ChanSubscribe(s, n.in)
			if err != nil {
				n.log.Warn("cluster: subscribe failed", "subject", s, "err", err)
				continue
			}
			n.subs[s] = sub
		}
		n.subsMu.Unlock()
		for _, a := range ask {
			n.requestSnapshot(nc, a)
		}
		for _, c := range waiting {
			close(c)
		}
	}
}

// Sync waits until the subscriptions follow every Interest and Attach call made before it,
// every Forward made before it has been handed to the connection, and the broker has
// processed all of that (a round trip): a publish on another gateway after Sync returns
// reaches this one, and this one's earlier publishes are at the broker. It fails when the
// broker is unreachable.
func (n *Node) Sync(timeout time.Duration) error {
	if n.closed.Load() {
		return ErrClosed
	}
	deadline := time.Now().Add(timeout)
	for target := n.out.pushed.Load(); n.out.handled.Load() < target; {
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster: sync: timed out")
		}
		time.Sleep(time.Millisecond)
	}
	c := make(chan struct{})
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case n.syncs <- c:
	case <-t.C:
		return fmt.Errorf("cluster: sync: timed out")
	}
	n.kick()
	select {
	case <-c:
	case <-t.C:
		return fmt.Errorf("cluster: sync: timed out")
	case <-n.done:
		return ErrClosed
	}
	return n.nc.Load().FlushTimeout(max(time.Until(deadline), time.Millisecond))
}
