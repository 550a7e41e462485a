package pubsub_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps/pubsub"
)

// A publish with retain keeps the topic's last value; every new matching subscription gets
// it first, marked "retained":true, before live messages.
func TestRetained(t *testing.T) {
	g := startGateway(t, pubsub.Options{ClientPublish: true})
	g.publish(t, "dev/1/temp", pubsub.JSON, `20`, true)
	g.publish(t, "dev/1/temp", pubsub.JSON, `21`, true) // replaces
	g.publish(t, "dev/2/temp", pubsub.Text, `cold`, true)
	g.publish(t, "dev/3/temp", pubsub.JSON, `5`, false) // not retained

	c := g.dialEnv(t, "", nil)
	c.request(`{"type":"subscribe","topic":"dev/1/temp","id":1}`, `{"type":"ack","id":1}`)
	c.expect(`{"type":"message","topic":"dev/1/temp","data":21,"retained":true}`)
	g.publish(t, "dev/1/temp", pubsub.JSON, `22`, false) // live, not retained
	c.expect(`{"type":"message","topic":"dev/1/temp","data":22}`)

	// A wildcard subscription gets every matching retained value (in no fixed order).
	c.request(`{"type":"subscribe","topic":"dev/+/temp","id":2}`, `{"type":"ack","id":2}`)
	got := map[string]bool{c.readText(): true, c.readText(): true}
	for _, want := range []string{
		`{"type":"message","topic":"dev/1/temp","data":21,"retained":true}`,
		`{"type":"message","topic":"dev/2/temp","data":"cold","retained":true}`,
	} {
		if !got[want] {
			t.Errorf("missing %s in %v", want, got)
		}
	}
	c.sync()
	c.quiet() // dev/3 had no retained value

	// Raw receivers get the retained payload as it is, first.
	raw := g.dialRaw(t, "?topic=dev/2/temp", nil)
	if typ, p := raw.read(); typ != websocket.TextMessage || string(p) != "cold" {
		t.Errorf("raw retained %d %q", typ, p)
	}

	// A client's retained publish.
	c = g.dialEnv(t, "", nil)
	c.request(`{"type":"publish","topic":"dev/9/temp","data":{"v":9},"retain":true,"id":3}`, `{"type":"ack","id":3}`)
	late := g.dialEnv(t, "?topic=dev/9/temp", nil)
	late.expect(`{"type":"message","topic":"dev/9/temp","data":{"v":9},"retained":true}`)
}

// An empty retained publish clears the value: an empty body on the API (Go here), "" or no
// data in the envelope, an empty frame in raw mode (with ?retain=1).
func TestRetainedClear(t *testing.T) {
	g := startGateway(t, pubsub.Options{ClientPublish: true})
	env := g.dialEnv(t, "", nil)
	raw := g.dialRaw(t, "?topic=r/raw&retain=1", nil)
	g.waitSubscriptions(t, 1)
	set := func() {
		for _, tp := range []string{"r/go", "r/empty", "r/nodata", "r/raw"} {
			g.publish(t, tp, pubsub.JSON, `1`, true)
		}
	}
	set()
	if _, p := raw.read(); string(p) != "1" {
		t.Fatalf("raw got %q", p)
	}
	if _, _, _, n := g.app.Stats(); n != 4 {
		t.Fatalf("%d retained, want 4", n)
	}
	g.publish(t, "r/go", pubsub.Binary, "", true)
	env.request(`{"type":"publish","topic":"r/empty","data":"","retain":true,"id":1}`, `{"type":"ack","id":1}`)
	env.request(`{"type":"publish","topic":"r/nodata","retain":true,"id":2}`, `{"type":"ack","id":2}`)
	raw.send("")
	if typ, p := raw.read(); typ != websocket.TextMessage || len(p) != 0 { // its own empty publish
		t.Fatalf("raw got %d %q", typ, p)
	}
	if _, _, _, n := g.app.Stats(); n != 0 {
		t.Errorf("%d retained after clearing, want 0", n)
	}
	late := g.dialEnv(t, "?topic=r/%23", nil)
	late.sync()
	late.quiet()
}

// The store is bounded in count and in bytes: past either the publish fails (an error
// answer for a client) and is not delivered; replacing a value within the bounds works.
func TestRetainedBounds(t *testing.T) {
	g := startGateway(t, pubsub.Options{ClientPublish: true, MaxRetained: 2, MaxRetainedBytes: 100})
	sub := g.dialEnv(t, "?topic=%23", nil)
	sub.sync()
	g.publish(t, "a", pubsub.Text, "x", true)
	g.publish(t, "b", pubsub.Text, "y", true)
	if _, err := g.app.Publish("c", pubsub.Text, []byte("z"), true); !errors.Is(err, pubsub.ErrRetainedFull) {
		t.Errorf("third topic: %v, want ErrRetainedFull", err)
	}
	if _, err := g.app.Publish("a", pubsub.Text, []byte(strings.Repeat("x", 100)), true); !errors.Is(err, pubsub.ErrRetainedFull) {
		t.Errorf("over the bytes: %v, want ErrRetainedFull", err)
	}
	g.publish(t, "a", pubsub.Text, "x2", true) // replacing is fine
	g.publish(t, "c", pubsub.Text, "live", false)
	c := g.dialEnv(t, "", nil)
	c.request(`{"type":"publish","topic":"d","data":1,"retain":true,"id":7}`, `{"type":"error","id":7,"error":"retained store full"}`)
	sub.expect(`{"type":"message","topic":"a","data":"x"}`)
	sub.expect(`{"type":"message","topic":"b","data":"y"}`)
	sub.expect(`{"type":"message","topic":"a","data":"x2"}`) // the refused ones were not delivered
	sub.expect(`{"type":"message","topic":"c","data":"live"}`)
}
