package pubsub

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/topic"
)

// Kind says what a payload is, which decides the D of the envelope and the frame type of
// raw receivers.
type Kind uint8

const (
	// JSON payloads are a JSON value: D is the value itself; raw receivers get it as text.
	JSON Kind = iota + 1
	// Text payloads are UTF-8: D is a JSON string; raw receivers get a text frame.
	Text
	// Binary payloads are bytes: D is {"base64":"..."}; raw receivers get a binary frame.
	Binary
)

func (k Kind) String() string {
	switch k {
	case JSON:
		return "json"
	case Text:
		return "text"
	case Binary:
		return "binary"
	}
	return "invalid"
}

// KindOf maps a Content-Type to a Kind as the publish API does: application/json (and
// +json types) → JSON, text/* → Text, anything else or nothing → Binary.
func KindOf(contentType string) Kind {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return JSON
	case strings.HasPrefix(mt, "text/"):
		return Text
	}
	return Binary
}

// frameType is the WebSocket message type raw receivers get for a kind.
func (k Kind) frameType() apps.MessageType {
	if k == Binary {
		return apps.Binary
	}
	return apps.Text
}

// Message is one publish: a topic, a payload and its kind, and whether the topic keeps it
// as its retained value. Handed to a subscriber callback, Retain reports a retained value
// delivered at subscription rather than a live publish.
type Message struct {
	Topic  string
	Kind   Kind
	Data   []byte
	Retain bool
}

// Bridge carries publishes between gateways. Forward must not block (it queues or drops and counts).
type Bridge interface {
	// Forward hands over one local publish; the gateway does not touch m afterwards (its
	// Topic and Data are the Bridge's to keep).
	Forward(app string, m Message)
	// Interest reports the first local subscription to filter (on=true) and the last one gone (on=false).
	Interest(app string, filter string, on bool)
}

// Errors of Publish and Subscribe; the topic errors of package internal/topic (empty, too
// long, not UTF-8, NUL, wildcard) are returned as they are and match ErrBadTopic too.
var (
	ErrBadTopic     = errors.New("pubsub: invalid topic")
	ErrBadKind      = errors.New("pubsub: invalid kind")
	ErrBadJSON      = errors.New("pubsub: payload of kind JSON is not a JSON value in UTF-8")
	ErrNotUTF8      = errors.New("pubsub: payload of kind Text is not valid UTF-8")
	ErrRetainedFull = errors.New("pubsub: retained store full")
)

// topicError wraps a topic validation error so it matches both ErrBadTopic and the
// specific cause.
type topicError struct{ err error }

func (e topicError) Error() string   { return e.err.Error() }
func (e topicError) Unwrap() []error { return []error{ErrBadTopic, e.err} }

// Options configure an App. The zero value works: every field has a default.
type Options struct {
	// Name is the application's name, given to the Bridge and used in logs.
	Name string
	// ClientPublish lets clients publish (envelope publish, raw sends). Default false: only
	// the server publishes (Publish, the HTTP API).
	ClientPublish bool
	// MaxSubscriptions bounds the subscriptions of one connection (default 100, -1 none).
	MaxSubscriptions int
	// MaxMessageRate bounds the messages a client sends, per second, with a burst of as
	// many (default 100, -1 none). Past it the connection is closed with 1008.
	MaxMessageRate float64
	// MaxRetained bounds the topics with a retained value (default 10000, -1 none), and
	// MaxRetainedBytes their total size, topic plus payload (default 16 MiB, -1 none).
	MaxRetained      int
	MaxRetainedBytes int64
	// ACL holds per-user topic rules (see ParseACL); nil allows everything.
	ACL *ACL
	// OnSubscribe and OnPublish, when set, run for every subscribe and publish a client
	// makes (the connection's value, Conn.Value, belongs to the App: leave it alone),
	// after the built-in checks (topic, ACL, limits) passed. A non-nil error refuses
	// the request: an error answer with the error's text, or close 1008 in raw mode.
	// OnPublish may change m (Data, Kind, Topic, Retain) before it is published. The
	// filter and m.Data and m.Topic may be borrowed from the client's frame: copy them
	// (strings.Clone) to keep them past the call. Both run on the connection's event loop
	// and must not block.
	OnSubscribe func(c apps.Conn, user, filter string) error
	OnPublish   func(c apps.Conn, user string, m *Message) error
	// Logger receives the application's log lines (default slog.Default()).
	Logger *slog.Logger
}

// The defaults of Options.
const (
	DefaultMaxSubscriptions = 100
	DefaultMaxMessageRate   = 100
	DefaultMaxRetained      = 10000
	DefaultMaxRetainedBytes = 16 << 20
)

func (o *Options) normalize() {
	o.MaxSubscriptions = cmp.Or(o.MaxSubscriptions, DefaultMaxSubscriptions)
	o.MaxMessageRate = cmp.Or(o.MaxMessageRate, DefaultMaxMessageRate)
	o.MaxRetained = cmp.Or(o.MaxRetained, DefaultMaxRetained)
	o.MaxRetainedBytes = cmp.Or(o.MaxRetainedBytes, DefaultMaxRetainedBytes)
	o.Logger = cmp.Or(o.Logger, slog.Default())
}

// App is the pubsub application: register it like any apps.Application. Its Go methods
// (Publish, Subscribe, SetBridge, DeliverRemote) are safe from any goroutine.
type App struct {
	opts Options
	log  *slog.Logger

	tree topic.Tree[*client]

	// mu orders subscription changes with retained publishes: a new subscription gets the
	// retained values before any live message, and a retained publish either reaches a
	// subscription or is its retained value, never neither. It also serialises the
	// Bridge's Interest calls so they arrive in order.
	mu       sync.Mutex
	retained topic.Retained[*stored]

	bridge atomic.Pointer[bridgeBox]
	pool   sync.Pool // *delivery
	badLog rateLog

	published atomic.Int64
	delivered atomic.Int64
}

type bridgeBox struct{ b Bridge }

// stored is a retained value.
type stored struct {
	kind Kind
	data []byte
}

// New returns a pubsub application with the given options.
func New(o Options) *App {
	o.normalize()
	a := &App{opts: o, log: o.Logger.With("app", o.Name)}
	if o.MaxRetained > 0 {
		a.retained.MaxCount = o.MaxRetained
	}
	if o.MaxRetainedBytes > 0 {
		a.retained.MaxBytes = o.MaxRetainedBytes
	}
	return a
}

// Spec completes spec for this application: it adds the envelope subprotocol, without a
// default, so that a client offering none is in raw mode.
func (a *App) Spec(spec apps.Spec) apps.Spec {
	if !containsString(spec.Subprotocols, Subprotocol) {
		spec.Subprotocols = append(append([]string(nil), spec.Subprotocols...), Subprotocol)
	}
	return spec
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Name is the application's name from its options.
func (a *App) Name() string { return a.opts.Name }

// SetBridge connects the application to other gateways (nil disconnects). Every filter
// with local subscribers at that moment is reported to b with Interest(on=true).
func (a *App) SetBridge(b Bridge) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if b == nil {
		a.bridge.Store(nil)
		return
	}
	a.bridge.Store(&bridgeBox{b})
	a.tree.Filters(func(filter string, _ int) { b.Interest(a.opts.Name, filter, true) })
}

// Publish publishes data of kind to topic from any goroutine and returns the number of
// local receivers it was written to. With retain, the topic keeps the value (an empty data
// clears it); ErrRetainedFull when the store is full, and then nothing is delivered. The
// client_publish option does not apply. data is copied before Publish returns.
func (a *App) Publish(t string, kind Kind, data []byte, retain bool) (int, error) {
	return a.publish(t, kind, data, retain, true, nil, nil)
}

// DeliverRemote delivers a message that came from another gateway to local subscribers only (never forwarded again); returns local deliveries.
// A retained message also updates the local retained value, when the store has room.
func (a *App) DeliverRemote(m Message) int {
	n, err := a.publish(m.Topic, m.Kind, m.Data, m.Retain, false, nil, nil)
	if errors.Is(err, ErrRetainedFull) {
		n, _ = a.publish(m.Topic, m.Kind, m.Data, false, false, nil, nil)
	} else if err != nil {
		a.badLog.log(a.log, "remote message dropped", "topic", m.Topic, "err", err)
	}
	return n
}

// Stats reports what the application did: publishes accepted, deliveries made (one per
// receiver per publish), subscriptions and retained topics now.
func (a *App) Stats() (published, delivered int64, subscriptions, retained int) {
	a.mu.Lock()
	retained = a.retained.Len()
	a.mu.Unlock()
	return a.published.Load(), a.delivered.Load(), a.tree.Len(), retained
}

// checkPayload validates a payload of kind k.
func checkPayload(k Kind, data []byte) error {
	switch k {
	case JSON:
		// encoding/json lets invalid UTF-8 through inside strings; a text frame may not
		// carry it (RFC 6455 §8.1), so it is refused here.
		if len(data) > 0 && (!json.Valid(data) || !utf8.Valid(data)) {
			return ErrBadJSON
		}
	case Text:
		if !utf8.Valid(data) {
			return ErrNotUTF8
		}
	case Binary:
	default:
		return fmt.Errorf("%w: %d", ErrBadKind, k)
	}
	return nil
}

// publish is every publish's path: validate, update the retained value, match, deliver to
// local receivers with one encoding per receiver mode, and hand a copy to the bridge when
// forward is set. t may be borrowed (unsafe.String over a frame): nothing keeps it. With
// from, an envelope client's request, from gets its ack (carrying id) once the publish is
// accepted and before any delivery: the answer before the copy it brings back to from.
func (a *App) publish(t string, kind Kind, data []byte, retain, forward bool, from *client, id []byte) (int, error) {
	if err := topic.ValidTopic(t); err != nil {
		return 0, topicError{err}
	}
	if err := checkPayload(kind, data); err != nil {
		return 0, err
	}
	d := a.getDelivery(t, kind, data)
	if retain {
		a.mu.Lock()
		if len(data) == 0 {
			a.retained.Delete(t)
		} else if err := a.retained.Set(strings.Clone(t), &stored{kind, bytes.Clone(data)}, len(data)); err != nil {
			a.mu.Unlock()
			a.putDelivery(d)
			return 0, ErrRetainedFull
		}
		d.subs = a.tree.Match(t, d.subs[:0])
		a.mu.Unlock()
	} else {
		d.subs = a.tree.Match(t, d.subs[:0])
	}
	if from != nil {
		from.ack(true, id)
	}
	n := 0
	for _, c := range d.subs {
		if c.deliver(d) {
			n++
		}
	}
	a.putDelivery(d)
	a.published.Add(1)
	a.delivered.Add(int64(n))
	if forward {
		if bb := a.bridge.Load(); bb != nil {
			bb.b.Forward(a.opts.Name, Message{Topic: strings.Clone(t), Kind: kind, Data: bytes.Clone(data), Retain: retain})
		}
	}
	return n, nil
}

// delivery is the state of one publish's fan-out: its receivers and the two encodings,
// each made on first use and shared by every receiver of that mode.
type delivery struct {
	subs  []*client
	topic string
	kind  Kind
	data  []byte

	raw, env     apps.PreparedMessage
	rawOK, envOK bool
	buf          []byte // the envelope being encoded
	owned        string // a copy of topic for Go subscribers, made on first use
}

// ownTopic is the topic as a string of its own: d.topic may be borrowed from a client's
// request, and a Go subscriber may keep the Message's Topic.
func (d *delivery) ownTopic() string {
	if d.owned == "" {
		d.owned = strings.Clone(d.topic)
	}
	return d.owned
}

func (a *App) getDelivery(t string, kind Kind, data []byte) *delivery {
	d, _ := a.pool.Get().(*delivery)
	if d == nil {
		d = &delivery{}
	}
	d.topic, d.kind, d.data = t, kind, data
	d.rawOK, d.envOK = false, false
	return d
}

// maxPooled is the largest buffer a pooled delivery keeps.
const maxPooled = 1 << 20

func (a *App) putDelivery(d *delivery) {
	clear(d.subs)
	d.subs = d.subs[:0]
	d.topic, d.data, d.owned = "", nil, ""
	if cap(d.buf) > maxPooled || cap(d.raw.Data()) > maxPooled || cap(d.env.Data()) > maxPooled {
		return // let a huge one go
	}
	a.pool.Put(d)
}

// rawMessage is the frame raw receivers get: the payload as it is.
func (d *delivery) rawMessage() *apps.PreparedMessage {
	if !d.rawOK {
		d.raw.Reset(d.kind.frameType(), d.data)
		d.rawOK = true
	}
	return &d.raw
}

// envMessage is the frame envelope receivers get.
func (d *delivery) envMessage() *apps.PreparedMessage {
	if !d.envOK {
		d.buf = appendMessage(d.buf[:0], d.topic, d.kind, d.data, false)
		d.env.Reset(apps.Text, d.buf)
		d.envOK = true
	}
	return &d.env
}
