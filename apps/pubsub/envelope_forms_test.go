package pubsub_test

import (
	"strings"
	"testing"

	"github.com/wsgate/wsgate/apps/pubsub"
)

// What docs/pubsub.md promises about the shape of requests: ids come back byte for byte,
// null is no id, keys may be escaped, the last of a repeated key counts, depth is bounded,
// and a client's null and {"base64":...} are JSON values. Each bad request is an error
// answer and the connection goes on.
func TestEnvelopeRequestForms(t *testing.T) {
	g := startGateway(t, pubsub.Options{ClientPublish: true})
	c := g.dialEnv(t, "", nil)
	deep := strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	for _, tt := range []struct{ name, req, want string }{
		{"exponent id", `{"type":"subscribe","topic":"f/1","id":1e3}`, `{"type":"ack","id":1e3}`},
		{"negative float id", `{"type":"subscribe","topic":"f/1","id":-1.5}`, `{"type":"ack","id":-1.5}`},
		{"id past int64", `{"type":"subscribe","topic":"f/1","id":123456789012345678901234567890}`, `{"type":"ack","id":123456789012345678901234567890}`},
		{"escaped string id", `{"type":"subscribe","topic":"f/1","id":"x\u0041"}`, `{"type":"ack","id":"x\u0041"}`},
		{"null id", `{"type":"subscribe","topic":"f/1","id":null}`, `{"type":"ack"}`},
		{"boolean id", `{"type":"subscribe","topic":"f/1","id":true}`, `{"type":"error","error":"id must be a number or a string"}`},
		{"escaped key and slash", `{"\u0074ype":"subscribe","topic":"f\u002f2","id":2}`, `{"type":"ack","id":2}`},
		{"last key counts", `{"type":"publish","type":"subscribe","topic":"x","topic":"f/3","id":0,"id":3}`, `{"type":"ack","id":3}`},
		{"unknown keys ignored", `{"type":"subscribe","topic":"f/4","qos":1,"id":4}`, `{"type":"ack","id":4}`},
		{"nested too deep", `{"type":"publish","topic":"f/1","data":` + deep + `,"id":5}`, `{"type":"error","error":"malformed JSON"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.send(tt.req)
			if got := c.readText(); got != tt.want { // byte for byte: the id as sent
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	c.t = t
	// Subscribed through the escaped and repeated forms: f/2 and f/3 (not x).
	c.request(`{"type":"publish","topic":"f/2","data":null,"id":6}`, `{"type":"ack","id":6}`)
	c.expect(`{"type":"message","topic":"f/2","data":null}`)
	c.request(`{"type":"publish","topic":"f/3","data":{"base64":"AAE="},"id":7}`, `{"type":"ack","id":7}`)
	c.expect(`{"type":"message","topic":"f/3","data":{"base64":"AAE="}}`)
	raw := g.dialRaw(t, "?topic=f/9", nil)
	c.request(`{"type":"subscribe","topic":"f/9","id":8}`, `{"type":"ack","id":8}`)
	c.request(`{"type":"publish","topic":"f/9","data":{"base64":"AAE="},"retain":true,"id":9}`, `{"type":"ack","id":9}`)
	c.expect(`{"type":"message","topic":"f/9","data":{"base64":"AAE="}}`)
	if typ, p := raw.read(); typ != 1 || string(p) != `{"base64":"AAE="}` {
		t.Errorf("raw subscriber got type %d %q, want the JSON text", typ, p)
	}
	// null is kept as a retained value, not a clear.
	c.request(`{"type":"publish","topic":"f/9","data":null,"retain":true,"id":10}`, `{"type":"ack","id":10}`)
	c.expect(`{"type":"message","topic":"f/9","data":null}`)
	late := g.dialEnv(t, "?topic=f/9", nil)
	late.expect(`{"type":"message","topic":"f/9","data":null,"retained":true}`)
}

// A publish is answered before the copy it brings back to a publisher subscribed to its
// topic, as a subscribe's ack comes before the retained values it brings: the answer to a
// request first, then the messages it caused.
func TestPublishAckBeforeOwnCopy(t *testing.T) {
	g := startGateway(t, pubsub.Options{ClientPublish: true})
	c := g.dialEnv(t, "?topic=own/%23", nil)
	for _, tt := range []struct{ req, ack, msg string }{
		{`{"type":"publish","topic":"own/1","data":{"v":1},"id":1}`, `{"type":"ack","id":1}`, `{"type":"message","topic":"own/1","data":{"v":1}}`},
		{`{"type":"publish","topic":"own/2","data":"s","retain":true,"id":"r"}`, `{"type":"ack","id":"r"}`, `{"type":"message","topic":"own/2","data":"s"}`},
		{`{"type":"publish","topic":"own/3"}`, `{"type":"ack"}`, `{"type":"message","topic":"own/3","data":""}`},
	} {
		c.send(tt.req)
		if got := c.readText(); got != tt.ack {
			t.Fatalf("%s: first %s, want the ack %s", tt.req, got, tt.ack)
		}
		if got := c.readText(); got != tt.msg {
			t.Fatalf("%s: then %s, want %s", tt.req, got, tt.msg)
		}
	}
}
