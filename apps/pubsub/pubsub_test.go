package pubsub_test

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps/pubsub"
)

// Topics: UTF-8, '/' levels, 1-256 bytes, no NUL; '+' one level, '#' the rest as the last
// level; no wildcards in published topics. Each bad topic is an error answer carrying the
// request's id, and the connection stays open.
func TestTopicRules(t *testing.T) {
	g := startGateway(t, pubsub.Options{ClientPublish: true})
	c := g.dialEnv(t, "", nil)
	long := strings.Repeat("a", 257)
	tests := []struct {
		name, req, want string
	}{
		{"256 bytes", `{"type":"subscribe","topic":"` + long[:256] + `","id":1}`, `{"type":"ack","id":1}`},
		{"257 bytes", `{"type":"subscribe","topic":"` + long + `","id":2}`, `{"type":"error","id":2,"error":"topic longer than 256 bytes"}`},
		{"empty", `{"type":"subscribe","topic":"","id":3}`, `{"type":"error","id":3,"error":"empty topic"}`},
		{"NUL", `{"type":"subscribe","topic":"a\u0000b","id":4}`, `{"type":"error","id":4,"error":"topic contains NUL"}`},
		{"lone surrogate: not UTF-8", `{"type":"subscribe","topic":"a/\udc80","id":5}`, `{"type":"error","id":5,"error":"topic is not valid UTF-8"}`},
		{"hash not last", `{"type":"subscribe","topic":"a/#/b","id":6}`, `{"type":"error","id":6,"error":"'+' must be a whole level and '#' the whole last level"}`},
		{"plus inside a level", `{"type":"subscribe","topic":"a/b+","id":7}`, `{"type":"error","id":7,"error":"'+' must be a whole level and '#' the whole last level"}`},
		{"wildcards in a filter", `{"type":"subscribe","topic":"+/x/#","id":8}`, `{"type":"ack","id":8}`},
		{"plus in a publish topic", `{"type":"publish","topic":"a/+","data":1,"id":9}`, `{"type":"error","id":9,"error":"wildcard in a publish topic"}`},
		{"hash in a publish topic", `{"type":"publish","topic":"#","data":1,"id":10}`, `{"type":"error","id":10,"error":"wildcard in a publish topic"}`},
		{"over-long publish topic", `{"type":"publish","topic":"` + long + `","data":1,"id":11}`, `{"type":"error","id":11,"error":"topic longer than 256 bytes"}`},
		{"unicode topic", `{"type":"subscribe","topic":"température/\u2103","id":"u"}`, `{"type":"ack","id":"u"}`},
		{"escaped topic", `{"type":"subscribe","topic":"a\/b\u002fc","id":12}`, `{"type":"ack","id":12}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { c.t = t; c.request(tt.req, tt.want) })
	}
	c.t = t
	// The connection is still open and matching works on what was accepted.
	g.publish(t, "a/x/q", pubsub.JSON, `true`, false)
	c.expect(`{"type":"message","topic":"a/x/q","data":true}`)
	g.publish(t, "température/℃", pubsub.Text, `25`, false)
	c.expect(`{"type":"message","topic":"température/℃","data":"25"}`)
	g.publish(t, "a/b/c", pubsub.Binary, "\x00\x01", false)
	c.expect(`{"type":"message","topic":"a/b/c","data":{"base64":"AAE="}}`)
}

// '+' matches exactly one level, '#' all remaining levels (including none); a connection
// whose filters overlap gets each message once.
func TestWildcardsAndOverlap(t *testing.T) {
	g := startGateway(t, pubsub.Options{})
	c := g.dialEnv(t, "", nil)
	for i, f := range []string{"s/+/t", "s/#", "s/k1/t"} {
		c.request(`{"type":"subscribe","topic":"`+f+`","id":`+string(rune('1'+i))+`}`, `{"type":"ack","id":`+string(rune('1'+i))+`}`)
	}
	plus := g.dialEnv(t, "?topic=s/%2B/t", nil)
	plus.sync()
	tests := []struct {
		topic        string
		c, plusCount int // deliveries expected
	}{
		{"s/k1/t", 1, 1}, // three overlapping filters of c: once
		{"s/k2/t", 1, 1},
		{"s", 1, 0},        // "s/#" matches "s"
		{"s/k1/t/x", 1, 0}, // "+" is one level
		{"x/k1/t", 0, 0},
	}
	for _, tt := range tests {
		n := g.publish(t, tt.topic, pubsub.JSON, `{"n":1}`, false)
		if n != tt.c+tt.plusCount {
			t.Errorf("%s: delivered %d, want %d", tt.topic, n, tt.c+tt.plusCount)
		}
	}
	g.publish(t, "s/end", pubsub.JSON, `0`, false) // a marker c gets
	for _, tt := range tests {
		if tt.c == 1 {
			c.expect(`{"type":"message","topic":"` + tt.topic + `","data":{"n":1}}`)
		}
	}
	c.expect(`{"type":"message","topic":"s/end","data":0}`)
	plus.expect(`{"type":"message","topic":"s/k1/t","data":{"n":1}}`)
	plus.expect(`{"type":"message","topic":"s/k2/t","data":{"n":1}}`)
	plus.quiet()
}

// ?topic=T (repeatable) subscribes at open; a connection that negotiated no subprotocol is
// in raw mode: payloads as they are, text stays text, binary stays binary, no envelope.
func TestRawMode(t *testing.T) {
	g := startGateway(t, pubsub.Options{})
	raw := g.dialRaw(t, "?topic=a&topic=b/%23", nil)
	env := g.dialEnv(t, "?topic=a&topic=b/%23", nil)
	g.waitSubscriptions(t, 4)
	if n := g.publish(t, "a", pubsub.Text, "héllo", false); n != 2 {
		t.Errorf("delivered %d, want 2", n)
	}
	g.publish(t, "b/c", pubsub.Binary, "\x00\xff", false)
	g.publish(t, "b", pubsub.JSON, `{"k":[1,2]}`, false)
	g.publish(t, "c", pubsub.Text, "nobody", false)
	for _, want := range []struct {
		typ  int
		data string
	}{{websocket.TextMessage, "héllo"}, {websocket.BinaryMessage, "\x00\xff"}, {websocket.TextMessage, `{"k":[1,2]}`}} {
		typ, p := raw.read()
		if typ != want.typ || string(p) != want.data {
			t.Errorf("raw got type %d %q, want %d %q", typ, p, want.typ, want.data)
		}
	}
	env.expect(`{"type":"message","topic":"a","data":"héllo"}`)
	env.expect(`{"type":"message","topic":"b/c","data":{"base64":"AP8="}}`)
	env.expect(`{"type":"message","topic":"b","data":{"k":[1,2]}}`)
}

// What a raw client sends is published to its single URL topic when client publishing is
// allowed and exactly one topic without wildcards was given; otherwise close 1008.
func TestRawSend(t *testing.T) {
	g := startGateway(t, pubsub.Options{ClientPublish: true})
	sub := g.dialEnv(t, "?topic=dev/%2B", nil)
	pub := g.dialRaw(t, "?topic=dev/1", nil)
	g.waitSubscriptions(t, 2)
	pub.send("21.5")
	if err := pub.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	sub.expect(`{"type":"message","topic":"dev/1","data":"21.5"}`)
	sub.expect(`{"type":"message","topic":"dev/1","data":{"base64":"AQID"}}`)
	// The raw publisher is subscribed to its topic too, and gets its own messages raw.
	if _, p := pub.read(); string(p) != "21.5" {
		t.Errorf("publisher got %q", p)
	}

	for _, tt := range []struct{ name, query string }{
		{"two topics", "?topic=dev/1&topic=dev/2"},
		{"wildcard topic", "?topic=dev/%2B"},
		{"no topic", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := g.dialRaw(t, tt.query, nil)
			c.send("x")
			t.Logf("reason: %s", c.expectClose(1008))
		})
	}
	t.Run("client publishing not allowed", func(t *testing.T) {
		g := startGateway(t, pubsub.Options{})
		c := g.dialRaw(t, "?topic=dev/1", nil)
		c.send("x")
		if reason := c.expectClose(1008); reason != "publishing is not allowed" {
			t.Errorf("reason %q", reason)
		}
	})
}

// The envelope protocol: subscribe, unsubscribe, publish with acks echoing the id; bad
// input gets an error answer carrying the id, and the connection stays open.
func TestEnvelope(t *testing.T) {
	g := startGateway(t, pubsub.Options{ClientPublish: true})
	c := g.dialEnv(t, "", nil)
	other := g.dialEnv(t, "", nil)
	other.request(`{"type":"subscribe","topic":"room/1","id":"x-1"}`, `{"type":"ack","id":"x-1"}`)
	steps := []struct{ name, req, want string }{
		{"subscribe", `{"type":"subscribe","topic":"room/+","id":1}`, `{"type":"ack","id":1}`},
		{"subscribe again: one subscription", `{"type":"subscribe","topic":"room/+","id":2}`, `{"type":"ack","id":2}`},
		{"no id", `{"type":"subscribe","topic":"room/+"}`, `{"type":"ack"}`},
		{"string id", `{"id":"abc","topic":"t","type":"unsubscribe"}`, `{"type":"ack","id":"abc"}`},
		{"malformed JSON", `{"type":"subscribe",`, `{"type":"error","error":"malformed JSON"}`},
		{"not an object", `[1,2]`, `{"type":"error","error":"a request must be a JSON object"}`},
		{"unknown type", `{"type":"dance","id":3}`, `{"type":"error","id":3,"error":"unknown type"}`},
		{"missing type", `{"topic":"a","id":4}`, `{"type":"error","id":4,"error":"missing type"}`},
		{"missing topic", `{"type":"subscribe","id":5}`, `{"type":"error","id":5,"error":"missing topic"}`},
		{"topic not a string", `{"type":"subscribe","topic":7,"id":6}`, `{"type":"error","id":6,"error":"topic must be a string"}`},
		{"bad retain", `{"type":"publish","topic":"a","data":1,"retain":"yes","id":7}`, `{"type":"error","id":7,"error":"retain must be true or false"}`},
		{"object id", `{"type":"subscribe","topic":"a","id":{}}`, `{"type":"error","error":"id must be a number or a string"}`},
		{"unknown keys are ignored", `{"type":"unsubscribe","topic":"q","id":8,"extra":[{"a":"}"}]}`, `{"type":"ack","id":8}`},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) { c.t = t; c.request(st.req, st.want) })
	}
	c.t = t
	// A binary frame is not an envelope: an error answer, the connection stays.
	if err := c.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"subscribe"}`)); err != nil {
		t.Fatal(err)
	}
	c.expect(`{"type":"error","error":"binary frames are not part of wsgate.pubsub.v1"}`)

	// publish: D is any JSON value; the publisher is answered, subscribers get the message
	// (the publisher too, being subscribed).
	for i, d := range []string{`{"temp":21.5,"tags":["a","b"]}`, `[1,null,true]`, `-0.5e3`, `"text \"quoted\" ✓"`, `null`} {
		id := string(rune('a' + i))
		c.send(`{"type":"publish","topic":"room/1","data":` + d + `,"id":"` + id + `"}`)
		want := `{"type":"message","topic":"room/1","data":` + d + `}`
		c.expect(want)
		c.expect(`{"type":"ack","id":"` + id + `"}`)
		other.expect(want)
	}
	// unsubscribe stops the messages.
	c.request(`{"type":"unsubscribe","topic":"room/+","id":9}`, `{"type":"ack","id":9}`)
	g.publish(t, "room/1", pubsub.JSON, `1`, false)
	other.expect(`{"type":"message","topic":"room/1","data":1}`)
	c.sync()
	c.quiet()
}

// Without client_publish, an envelope publish is refused with an error answer.
func TestClientPublishOff(t *testing.T) {
	g := startGateway(t, pubsub.Options{})
	c := g.dialEnv(t, "?topic=a", nil)
	c.request(`{"type":"publish","topic":"a","data":1,"id":1}`, `{"type":"error","id":1,"error":"publishing is not allowed"}`)
	g.publish(t, "a", pubsub.JSON, "2", false)
	c.expect(`{"type":"message","topic":"a","data":2}`)
}

// A string D published by a client is text: raw receivers get the text itself.
func TestEnvelopeStringToRaw(t *testing.T) {
	g := startGateway(t, pubsub.Options{ClientPublish: true})
	raw := g.dialRaw(t, "?topic=t", nil)
	c := g.dialEnv(t, "", nil)
	g.waitSubscriptions(t, 1)
	c.request(`{"type":"publish","topic":"t","data":"line\nnext \u00e9","id":1}`, `{"type":"ack","id":1}`)
	c.request(`{"type":"publish","topic":"t","data":{"a":"b"},"id":2}`, `{"type":"ack","id":2}`)
	if typ, p := raw.read(); typ != websocket.TextMessage || string(p) != "line\nnext é" {
		t.Errorf("raw got %d %q", typ, p)
	}
	if typ, p := raw.read(); typ != websocket.TextMessage || string(p) != `{"a":"b"}` {
		t.Errorf("raw got %d %q", typ, p)
	}
}
