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
	c.request(`{"type":"publish","topic":"f/2","data":null,"id":6}`, `{"type":"message","topic":"f/2","data":null}`)
	c.expect(`{"type":"ack","id":6}`)
	c.request(`{"type":"publish","topic":"f/3","data":{"base64":"AAE="},"id":7}`, `{"type":"message","topic":"f/3","data":{"base64":"AAE="}}`)
	c.expect(`{"type":"ack","id":7}`)
	raw := g.dialRaw(t, "?topic=f/9", nil)
	c.request(`{"type":"subscribe","topic":"f/9","id":8}`, `{"type":"ack","id":8}`)
	c.request(`{"type":"publish","topic":"f/9","data":{"base64":"AAE="},"retain":true,"id":9}`, `{"type":"message","topic":"f/9","data":{"base64":"AAE="}}`)
	c.expect(`{"type":"ack","id":9}`)
	if typ, p := raw.read(); typ != 1 || string(p) != `{"base64":"AAE="}` {
		t.Errorf("raw subscriber got type %d %q, want the JSON text", typ, p)
	}
	// null is kept as a retained value, not a clear.
	c.request(`{"type":"publish","topic":"f/9","data":null,"retain":true,"id":10}`, `{"type":"message","topic":"f/9","data":null}`)
	c.expect(`{"type":"ack","id":10}`)
	late := g.dialEnv(t, "?topic=f/9", nil)
	late.expect(`{"type":"message","topic":"f/9","data":null,"retained":true}`)
}
