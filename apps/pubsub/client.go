package pubsub

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/topic"
)

// client is one subscriber: a connection (raw or envelope mode) or a Go callback.
type client struct {
	app  *App
	conn apps.Conn     // nil for a Go subscriber
	fn   func(Message) // Go subscriber
	raw  bool
	user string

	// Loop only (the connection's callbacks), or under app.mu for a Go subscriber.
	filters   filterSet
	urlTopics []string // ?topic= of the upgrade request
	pubTopic  string   // raw mode: where sends go ("" = sending closes with 1008)
	pubWhy    string   // the close reason when pubTopic is ""
	retain    bool     // raw mode: sends are retained (?retain=1)
	tokens    float64
	last      int64 // nanoseconds since epoch of the last refill
	closed    bool

	env *envState // envelope mode only: a raw subscriber does not pay for it
	msg Message   // the client publish being made
	out []byte    // answers being encoded
}

// envState is what an envelope client needs to read requests.
type envState struct {
	dec  decoder
	req  request
	text []byte // a string D being unescaped
}

var epoch = time.Now()

func monotonic() int64 { return int64(time.Since(epoch)) }

// deliver writes one publish to the subscriber and reports whether it took it.
func (c *client) deliver(d *delivery) bool {
	if c.fn != nil {
		c.fn(Message{Topic: d.ownTopic(), Kind: d.kind, Data: d.data})
		return true
	}
	if c.raw {
		return c.conn.WritePrepared(d.rawMessage()) == nil
	}
	return c.conn.WritePrepared(d.envMessage()) == nil
}

// deliverRetained writes a retained value to a new subscription; app.mu is held.
func (c *client) deliverRetained(t string, v *stored) {
	switch {
	case c.fn != nil:
		c.fn(Message{Topic: t, Kind: v.kind, Data: v.data, Retain: true})
	case c.raw:
		_ = c.conn.WriteMessage(v.kind.frameType(), v.data)
	default:
		c.out = appendMessage(c.out[:0], t, v.kind, v.data, true)
		_ = c.conn.WriteMessage(apps.Text, c.out)
	}
}

// subscribe adds filter for c, delivering the retained values it matches first. The
// checks (validity, ACL, limit, hook) come first; their failure is returned as the error
// answer to give. With ack, an envelope client gets its ack (carrying id) before the
// retained values.
func (a *App) subscribe(c *client, filter string, ack bool, id []byte) error {
	if err := topic.ValidFilter(filter); err != nil {
		return err
	}
	if c.filters.has(filter) {
		c.ack(ack, id)
		return nil // already subscribed: one subscription
	}
	if c.conn != nil { // the rules are for clients, not for the Go API
		if !a.opts.ACL.CanSubscribe(c.user, filter) {
			return errACL
		}
		if max := a.opts.MaxSubscriptions; max > 0 && c.filters.len() >= max {
			return errTooManySubs
		}
		if h := a.opts.OnSubscribe; h != nil {
			if err := h(c.conn, c.user, filter); err != nil {
				return err
			}
		}
	}
	filter = strings.Clone(filter)
	a.mu.Lock()
	defer a.mu.Unlock()
	c.ack(ack, id)
	a.retained.Match(filter, c.deliverRetained)
	a.add(c, filter)
	return nil
}

// subscribeURL subscribes c to the URL topics of its upgrade request (valid, allowed,
// within the limit and distinct: OnHandshake checked them) at once, so that a retained
// value that several of them match (overlapping filters) arrives once, and every one
// before any live message. A refusal of the OnSubscribe hook is returned with its filter.
func (a *App) subscribeURL(c *client, filters []string) (string, error) {
	if h := a.opts.OnSubscribe; h != nil {
		for _, f := range filters {
			if err := h(c.conn, c.user, f); err != nil {
				return f, err
			}
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, f := range filters {
		a.retained.Match(f, func(t string, v *stored) {
			for _, g := range filters[:i] {
				if topic.Matches(g, t) {
					return // delivered for an earlier filter
				}
			}
			c.deliverRetained(t, v)
		})
	}
	for _, f := range filters {
		a.add(c, f)
	}
	return "", nil
}

// add puts filter (valid, not yet c's, not borrowed) in the tree for c; app.mu is held.
func (a *App) add(c *client, filter string) {
	if _, first, _ := a.tree.Subscribe(filter, c); first {
		if bb := a.bridge.Load(); bb != nil {
			bb.b.Interest(a.opts.Name, filter, true)
		}
	}
	c.filters.add(filter)
}

// unsubscribe removes filter for c; an unknown filter is not an error.
func (a *App) unsubscribe(c *client, filter string) error {
	if err := topic.ValidFilter(filter); err != nil {
		return err
	}
	if !c.filters.has(filter) {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c.filters.remove(filter)
	if _, last := a.tree.Unsubscribe(filter, c); last {
		if bb := a.bridge.Load(); bb != nil {
			bb.b.Interest(a.opts.Name, filter, false)
		}
	}
	return nil
}

// unsubscribeAll removes every subscription of c.
func (a *App) unsubscribeAll(c *client) {
	a.mu.Lock()
	defer a.mu.Unlock()
	bb := a.bridge.Load()
	for _, f := range c.filters.all() {
		if _, last := a.tree.Unsubscribe(f, c); last && bb != nil {
			bb.b.Interest(a.opts.Name, f, false)
		}
	}
	c.filters = filterSet{}
}

// Subscribe makes fn a subscriber of filter, inside the application: it gets the retained
// values matching filter first, then every matching publish (local, API, client, remote),
// each once however many of its filters match. fn runs on the publisher's goroutine (an
// event loop for client publishes) and must not block; m.Data is valid only until fn
// returns. A live message's fn may publish; a retained value's (m.Retain) runs inside
// Subscribe with the App's subscription lock held and must not call the App. cancel ends
// the subscription.
// The ACL and MaxSubscriptions do not apply.
func (a *App) Subscribe(filter string, fn func(m Message)) (cancel func(), err error) {
	c := &client{app: a, fn: fn}
	if err := topic.ValidFilter(filter); err != nil {
		return nil, topicError{err}
	}
	if err := a.subscribe(c, filter, false, nil); err != nil {
		return nil, err
	}
	return func() { a.unsubscribeAll(c) }, nil
}

// OnHandshake reads the connection's mode (raw without the envelope subprotocol), its user
// and its URL topics, and refuses what cannot be served: 400 for a malformed query, an
// invalid topic or more topics than MaxSubscriptions, 403 for a topic the ACL refuses. The
// client state it builds rides on the connection's value to OnOpen.
func (a *App) OnHandshake(h *apps.Handshake) error {
	c := &client{app: a, raw: h.Subprotocol != Subprotocol, user: h.User, tokens: a.opts.MaxMessageRate}
	if !c.raw {
		c.env = &envState{}
	}
	if len(h.Query) > 0 {
		var err error
		switch c.urlTopics, c.retain, err = topic.ParseQuery(string(h.Query)); {
		case errors.Is(err, topic.ErrRetainValue):
			return apps.Refuse(400, "pubsub: retain must be 1, 0, true or false")
		case err != nil:
			return apps.Refuse(400, "pubsub: malformed query")
		}
	}
	if max := a.opts.MaxSubscriptions; max > 0 && len(c.urlTopics) > max {
		return apps.Refuse(400, "pubsub: more topics than max_subscriptions ("+strconv.Itoa(max)+")")
	}
	for _, t := range c.urlTopics {
		if err := topic.ValidFilter(t); err != nil {
			return apps.Refuse(400, "pubsub: topic "+quoteShort(t)+": "+errorText(err))
		}
		if !a.opts.ACL.CanSubscribe(c.user, t) {
			return apps.Refuse(403, "pubsub: topic "+quoteShort(t)+": not allowed")
		}
	}
	h.SetValue(c)
	return nil
}

// OnOpen subscribes the URL topics (each bringing its retained values) and, in raw mode,
// decides where sends go.
func (a *App) OnOpen(conn apps.Conn) {
	c, _ := conn.Value().(*client)
	if c == nil || c.app != a { // not from our OnHandshake: cannot happen with the engine
		_ = conn.Close(apps.CloseInternal, "internal error")
		return
	}
	c.conn = conn
	c.last = monotonic()
	if len(c.urlTopics) > 0 {
		if t, err := a.subscribeURL(c, c.urlTopics); err != nil { // the hook's refusal
			c.closed = true
			_ = conn.Close(apps.ClosePolicy, closeReason("topic "+quoteShort(t)+": ", err))
			return
		}
	}
	if !c.raw {
		c.urlTopics = nil
		return
	}
	switch {
	case !a.opts.ClientPublish:
		c.pubWhy = "publishing is not allowed"
	case len(c.urlTopics) != 1 || topic.IsWildcard(c.urlTopics[0]):
		c.pubWhy = "raw publishing needs exactly one topic without wildcards"
	case !a.opts.ACL.CanPublish(c.user, c.urlTopics[0]):
		c.pubWhy = "publishing to this topic is not allowed"
	default:
		c.pubTopic = c.urlTopics[0]
	}
	c.urlTopics = nil // subscribed: kept by the filters now
}

// OnMessage handles one client message: a raw send, or an envelope request.
func (a *App) OnMessage(conn apps.Conn, t apps.MessageType, data []byte) {
	c, _ := conn.Value().(*client)
	if c == nil || c.closed {
		return
	}
	if !c.allow() {
		c.closed = true
		_ = conn.Close(apps.ClosePolicy, "message rate exceeded")
		return
	}
	if c.raw {
		a.rawSend(c, t, data)
		return
	}
	if t != apps.Text {
		c.answerError(nil, errBinaryFrame)
		return
	}
	r := &c.env.req
	if err := c.env.dec.decode(data, r); err != nil {
		a.badLog.log(a.log, "bad request", "conn", conn.ID(), "err", err)
		c.answerError(r.id, err)
		return
	}
	if r.topic == nil {
		c.answerError(r.id, errMissingTopic)
		return
	}
	if r.topicErr != nil {
		c.answerError(r.id, r.topicErr)
		return
	}
	// The topic is borrowed from the decoder's scratch for the duration of this call;
	// subscribe clones what it keeps, publish keeps nothing.
	tp := unsafe.String(unsafe.SliceData(r.topic), len(r.topic))
	var err error
	switch r.op {
	case opSubscribe:
		if err = a.subscribe(c, tp, true, r.id); err == nil {
			return // answered by subscribe, before the retained values
		}
	case opUnsubscribe:
		err = a.unsubscribe(c, tp)
	case opPublish:
		if err = a.clientPublish(c, tp, r); err == nil {
			return // answered by publish, before the deliveries
		}
	}
	if err != nil {
		c.answerError(r.id, err)
		return
	}
	c.ack(true, r.id)
}

// ack sends an ack carrying id to an envelope client, when ack is set.
func (c *client) ack(ack bool, id []byte) {
	if !ack || c.conn == nil || c.raw {
		return
	}
	c.out = appendAck(c.out[:0], id)
	_ = c.conn.WriteMessage(apps.Text, c.out)
}

// clientPublish publishes an envelope publish request.
func (a *App) clientPublish(c *client, tp string, r *request) error {
	if !a.opts.ClientPublish {
		return errNoPublish
	}
	if err := topic.ValidTopic(tp); err != nil {
		return err
	}
	if !a.opts.ACL.CanPublish(c.user, tp) {
		return errACL
	}
	m := &c.msg // not a local: the hook's pointer would move it to the heap each time
	*m = Message{Topic: tp, Kind: JSON, Data: r.data, Retain: r.retain}
	if len(r.data) == 0 || r.data[0] == '"' {
		// A string D is text (so raw receivers get the text itself); none is empty text.
		m.Kind = Text
		if len(r.data) > 0 {
			e := c.env
			e.text, _, _ = unquote(r.data, 0, e.text[:0], 0, false)
			m.Data = e.text
		}
	}
	if h := a.opts.OnPublish; h != nil {
		if err := h(c.conn, c.user, m); err != nil {
			return err
		}
	}
	_, err := a.publish(m.Topic, m.Kind, m.Data, m.Retain, true, c, r.id)
	*m = Message{}
	if cap(c.env.text) > maxPooled {
		c.env.text = nil
	}
	return err
}

// rawSend publishes what a raw client sent to its URL topic, or closes with 1008.
func (a *App) rawSend(c *client, t apps.MessageType, data []byte) {
	if c.pubTopic == "" {
		c.closed = true
		_ = c.conn.Close(apps.ClosePolicy, c.pubWhy)
		return
	}
	m := &c.msg
	*m = Message{Topic: c.pubTopic, Kind: Text, Data: data, Retain: c.retain}
	if t == apps.Binary {
		m.Kind = Binary
	}
	defer func() { *m = Message{} }()
	if h := a.opts.OnPublish; h != nil {
		if err := h(c.conn, c.user, m); err != nil {
			c.closed = true
			_ = c.conn.Close(apps.ClosePolicy, closeReason("", err))
			return
		}
	}
	if _, err := a.publish(m.Topic, m.Kind, m.Data, m.Retain, true, nil, nil); err != nil {
		c.closed = true
		_ = c.conn.Close(apps.ClosePolicy, closeReason("", err))
	}
}

// OnClose removes the connection's subscriptions.
func (a *App) OnClose(conn apps.Conn, _ apps.CloseCode, _ string) {
	c, _ := conn.Value().(*client)
	if c == nil {
		return
	}
	c.closed = true
	a.unsubscribeAll(c)
}

// allow takes one token from the connection's bucket (burst = rate) and reports whether
// there was one.
func (c *client) allow() bool {
	rate := c.app.opts.MaxMessageRate
	if rate < 0 {
		return true
	}
	now := monotonic()
	c.tokens += float64(now-c.last) * rate / 1e9
	c.last = now
	if c.tokens > rate {
		c.tokens = rate
	}
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// answerError sends an error answer carrying id.
func (c *client) answerError(id []byte, err error) {
	c.out = appendError(c.out[:0], id, errorText(err))
	_ = c.conn.WriteMessage(apps.Text, c.out)
}

// errorText is the text of an error answer: the cause without the package prefix.
func errorText(err error) string {
	if te, ok := err.(topicError); ok {
		err = te.err
	}
	return strings.TrimPrefix(strings.TrimPrefix(err.Error(), "topic: "), "pubsub: ")
}

// closeReason fits a close reason in the 123 bytes a close frame has room for.
func closeReason(prefix string, err error) string {
	s := prefix + errorText(err)
	if len(s) > 123 {
		s = s[:123]
		for len(s) > 0 && s[len(s)-1]&0xc0 == 0x80 {
			s = s[:len(s)-1]
		}
		if len(s) > 0 && s[len(s)-1] >= 0xc0 {
			s = s[:len(s)-1]
		}
	}
	return s
}

// quoteShort quotes a topic for a reason line: at most 40 bytes, ASCII, escaped.
func quoteShort(s string) string {
	if len(s) > 40 {
		return strconv.QuoteToASCII(s[:40]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

// filterSet is a connection's filters: a slice while it is small (most connections hold a
// few, and a map would cost more than they do), with an index once it grows.
type filterSet struct {
	list  []string
	index map[string]int
}

const smallFilters = 8

func (s *filterSet) len() int { return len(s.list) }

// all is the filters; the slice is the set's own, valid until it changes.
func (s *filterSet) all() []string { return s.list }

func (s *filterSet) find(f string) int {
	if s.index != nil {
		if i, ok := s.index[f]; ok {
			return i
		}
		return -1
	}
	for i, x := range s.list {
		if x == f {
			return i
		}
	}
	return -1
}

func (s *filterSet) has(f string) bool { return s.find(f) >= 0 }

func (s *filterSet) add(f string) {
	s.list = append(s.list, f)
	switch {
	case s.index != nil:
		s.index[f] = len(s.list) - 1
	case len(s.list) > smallFilters:
		s.index = make(map[string]int, 2*len(s.list))
		for i, x := range s.list {
			s.index[x] = i
		}
	}
}

func (s *filterSet) remove(f string) {
	i := s.find(f)
	if i < 0 {
		return
	}
	last := len(s.list) - 1
	s.list[i] = s.list[last]
	s.list[last] = ""
	s.list = s.list[:last]
	if s.index != nil {
		delete(s.index, f)
		if i < last {
			s.index[s.list[i]] = i
		}
	}
}
