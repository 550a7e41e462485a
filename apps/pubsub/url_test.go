package pubsub_test

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps/pubsub"
)

// In ?topic= a '+' is the MQTT wildcard, as people write it by hand and as
// `new WebSocket(url)` sends it, not a form-encoded space (a space is %20): a filter typed
// as in MQTT must not silently become a topic with a space in it.
func TestURLTopicPlusIsLiteral(t *testing.T) {
	g := startGateway(t, pubsub.Options{ClientPublish: true})
	for _, tt := range []struct {
		query, topic string // topic: published; the raw client must get it
	}{
		{"?topic=s/+/t", "s/k1/t"},
		{"?topic=s/%2B/t", "s/k2/t"},
		{"?topic=+", "one"},
		{"?topic=living%20room/t", "living room/t"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			c := g.dialRaw(t, tt.query, nil)
			g.waitSubscriptions(t, 1)
			if n := g.publish(t, tt.topic, pubsub.Text, "v", false); n != 1 {
				t.Fatalf("publish to %q delivered %d, want 1", tt.topic, n)
			}
			if _, p := c.read(); string(p) != "v" {
				t.Errorf("got %q", p)
			}
			c.ws.Close()
			g.waitSubscriptions(t, 0)
		})
	}
	t.Run("a raw send with a literal + topic is refused", func(t *testing.T) {
		c := g.dialRaw(t, "?topic=s/+", nil)
		c.send("x")
		c.expectClose(1008)
	})
	t.Run("+ inside a level is refused", func(t *testing.T) {
		if body := g.refused(t, "?topic=a+b", nil, 400); !strings.Contains(body, "whole level") {
			t.Errorf("body %q", body)
		}
	})
}

// The same topic given twice in the URL is one topic: one subscription, and a raw client
// may publish to it.
func TestURLTopicDuplicate(t *testing.T) {
	g := startGateway(t, pubsub.Options{ClientPublish: true, MaxSubscriptions: 1})
	sub := g.dialEnv(t, "?topic=d/1", nil)
	pub := g.dialRaw(t, "?topic=d/1&topic=d/1", nil)
	g.waitSubscriptions(t, 2)
	pub.send("hi")
	sub.expect(`{"type":"message","topic":"d/1","data":"hi"}`)
	if _, p := pub.read(); string(p) != "hi" {
		t.Errorf("publisher got %q, want its own message once", p)
	}
}

// The URL topics are subscribed at once: a retained value matched by several of them
// (overlapping filters) arrives once, before any live message, in both modes.
func TestURLTopicsRetainedOnce(t *testing.T) {
	g := startGateway(t, pubsub.Options{})
	g.publish(t, "r/1", pubsub.Text, "kept1", true)
	g.publish(t, "r/2", pubsub.Text, "kept2", true)
	const q = "?topic=r/%23&topic=r/1&topic=r/%2B"
	raw := g.dialRaw(t, q, nil)
	env := g.dialEnv(t, q, nil)
	g.waitSubscriptions(t, 6)
	if n := g.publish(t, "r/1", pubsub.Text, "live", false); n != 2 {
		t.Errorf("live publish delivered %d, want 2", n)
	}
	var got []string
	for {
		typ, p := raw.read()
		if typ != websocket.TextMessage {
			t.Fatalf("type %d", typ)
		}
		got = append(got, string(p))
		if string(p) == "live" {
			break
		}
	}
	if len(got) != 3 || got[2] != "live" || !(got[0] == "kept1" && got[1] == "kept2" || got[0] == "kept2" && got[1] == "kept1") {
		t.Errorf("raw got %q, want kept1 and kept2 once each, then live", got)
	}
	got = got[:0]
	for {
		s := env.readText()
		got = append(got, s)
		if strings.Contains(s, "live") {
			break
		}
	}
	if len(got) != 3 || !jsonEqual(got[2], `{"type":"message","topic":"r/1","data":"live"}`) {
		t.Errorf("envelope got %q, want two retained values, then live", got)
	}
	for _, s := range got[:len(got)-1] {
		if !jsonEqual(s, `{"type":"message","topic":"r/1","data":"kept1","retained":true}`) &&
			!jsonEqual(s, `{"type":"message","topic":"r/2","data":"kept2","retained":true}`) {
			t.Errorf("envelope got %s", s)
		}
	}
}
