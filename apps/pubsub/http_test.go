package pubsub_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/internal/wstest"
)

// POST /api/apps/{app}/publish?topic=T[&retain=1]: the body is the payload, its
// Content-Type decides D; 200 {"delivered":N} or an error status with a one-line JSON error.
func TestPublishHandler(t *testing.T) {
	g := startGateway(t, pubsub.Options{MaxRetained: 1})
	api := httptest.NewServer(pubsub.PublishHandler(func(name string) *pubsub.App {
		if name == "ps" {
			return g.app
		}
		return nil
	}))
	t.Cleanup(api.Close)
	env := g.dialEnv(t, "?topic=t/%23", nil)
	raw := g.dialRaw(t, "?topic=t/%23", nil)
	env.sync()
	g.waitSubscriptions(t, 2)

	tests := []struct {
		name, method, path, ctype, body string
		status                          int
		answer                          string
		env                             string // what the envelope client gets, "" nothing
		rawType                         int
		raw                             string
	}{
		{"json", "POST", "/api/apps/ps/publish?topic=t/1", "application/json", `{"a":1}`, 200, `{"delivered":2}`,
			`{"type":"message","topic":"t/1","data":{"a":1}}`, websocket.TextMessage, `{"a":1}`},
		{"text", "POST", "/api/apps/ps/publish?topic=t/2", "text/plain; charset=utf-8", "héllo \"x\"", 200, `{"delivered":2}`,
			`{"type":"message","topic":"t/2","data":"héllo \"x\""}`, websocket.TextMessage, "héllo \"x\""},
		{"binary", "POST", "/api/apps/ps/publish?topic=t/3", "application/octet-stream", "\x00\x01\x02", 200, `{"delivered":2}`,
			`{"type":"message","topic":"t/3","data":{"base64":"AAEC"}}`, websocket.BinaryMessage, "\x00\x01\x02"},
		{"no content type is binary", "POST", "/api/apps/ps/publish?topic=t/4", "", "ab", 200, `{"delivered":2}`,
			`{"type":"message","topic":"t/4","data":{"base64":"YWI="}}`, websocket.BinaryMessage, "ab"},
		{"retain", "POST", "/api/apps/ps/publish?topic=t/5&retain=1", "application/json", `5`, 200, `{"delivered":2}`,
			`{"type":"message","topic":"t/5","data":5}`, websocket.TextMessage, "5"},
		{"retained store full", "POST", "/api/apps/ps/publish?topic=t/6&retain=1", "application/json", `6`, 507,
			`{"error":"retained store full"}`, "", 0, ""},
		{"an empty body clears the retained value", "POST", "/api/apps/ps/publish?topic=t/5&retain=1", "application/json", "", 200, `{"delivered":2}`,
			`{"type":"message","topic":"t/5","data":""}`, websocket.TextMessage, ""},
		{"room again once cleared", "POST", "/api/apps/ps/publish?topic=t/6&retain=1", "text/plain", "six", 200, `{"delivered":2}`,
			`{"type":"message","topic":"t/6","data":"six"}`, websocket.TextMessage, "six"},
		{"nobody subscribed", "POST", "/api/apps/ps/publish?topic=elsewhere", "text/plain", "x", 200, `{"delivered":0}`, "", 0, ""},
		{"unknown app", "POST", "/api/apps/nope/publish?topic=t", "text/plain", "x", 404, `{"error":"unknown pubsub application \"nope\""}`, "", 0, ""},
		{"no topic", "POST", "/api/apps/ps/publish", "text/plain", "x", 400, `{"error":"missing topic parameter"}`, "", 0, ""},
		{"wildcard topic", "POST", "/api/apps/ps/publish?topic=t/%2B", "text/plain", "x", 400, `{"error":"wildcard in a publish topic"}`, "", 0, ""},
		{"+ as written is the wildcard", "POST", "/api/apps/ps/publish?topic=t/+", "text/plain", "x", 400, `{"error":"wildcard in a publish topic"}`, "", 0, ""},
		{"bad JSON", "POST", "/api/apps/ps/publish?topic=t/7", "application/json", "{nope", 400, `{"error":"payload of kind JSON is not a JSON value in UTF-8"}`, "", 0, ""},
		{"JSON not UTF-8", "POST", "/api/apps/ps/publish?topic=t/7", "application/json", "\"\xff\"", 400, `{"error":"payload of kind JSON is not a JSON value in UTF-8"}`, "", 0, ""},
		{"text not UTF-8", "POST", "/api/apps/ps/publish?topic=t/7", "text/plain", "\xff", 400, `{"error":"payload of kind Text is not valid UTF-8"}`, "", 0, ""},
		{"bad retain", "POST", "/api/apps/ps/publish?topic=t/7&retain=yes", "text/plain", "x", 400, `{"error":"retain must be 1, 0, true or false"}`, "", 0, ""},
		{"GET", "GET", "/api/apps/ps/publish?topic=t/7", "", "", 405, `{"error":"method not allowed: use POST"}`, "", 0, ""},
		{"other path", "POST", "/api/apps/ps/other", "", "", 404, `{"error":"not found"}`, "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h http.Header
			if tt.ctype != "" {
				h = http.Header{"Content-Type": {tt.ctype}}
			}
			code, header, body := wstest.Request(t, tt.method, api.URL+tt.path, h, tt.body)
			if code != tt.status || body != tt.answer+"\n" {
				t.Fatalf("%d %q, want %d %q", code, body, tt.status, tt.answer+"\n")
			}
			if ct := header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.env != "" {
				env.t, raw.t = t, t
				env.expect(tt.env)
				typ, p := raw.read()
				if typ != tt.rawType || string(p) != tt.raw {
					t.Errorf("raw got %d %q, want %d %q", typ, p, tt.rawType, tt.raw)
				}
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	for ct, want := range map[string]pubsub.Kind{
		"application/json":                pubsub.JSON,
		"Application/JSON; charset=utf-8": pubsub.JSON,
		"application/vnd.api+json":        pubsub.JSON,
		"text/plain":                      pubsub.Text,
		"text/csv; charset=utf-8":         pubsub.Text,
		"application/octet-stream":        pubsub.Binary,
		"image/png":                       pubsub.Binary,
		"":                                pubsub.Binary,
		"garbage;;":                       pubsub.Binary,
	} {
		if got := pubsub.KindOf(ct); got != want {
			t.Errorf("KindOf(%q) = %v, want %v", ct, got, want)
		}
	}
}

// Directory is the publisher the admin listener calls: deliveries, or a status and an error.
func TestDirectoryPublish(t *testing.T) {
	g := startGateway(t, pubsub.Options{MaxRetained: 1})
	c := g.dialEnv(t, "?topic=d", nil)
	c.sync()
	dir := pubsub.Directory(func(name string) *pubsub.App {
		if name == "ps" {
			return g.app
		}
		return nil
	})
	tests := []struct {
		name, app, topic, ctype, body string
		retain                        bool
		n, status                     int
	}{
		{"delivered", "ps", "d", "application/json", `{"x":1}`, false, 1, 200},
		{"unknown app", "nope", "d", "text/plain", "x", false, 0, 404},
		{"bad topic", "ps", "d/#", "text/plain", "x", false, 0, 400},
		{"bad JSON", "ps", "d", "application/json", "{", false, 0, 400},
		{"retained", "ps", "e", "text/plain", "x", true, 0, 200},
		{"retained full", "ps", "f", "text/plain", "x", true, 0, 507},
	}
	for _, tt := range tests {
		n, status, err := dir.Publish(tt.app, tt.topic, tt.ctype, []byte(tt.body), tt.retain)
		if n != tt.n || status != tt.status || (err == nil) != (status == 200) {
			t.Errorf("%s: %d %d %v, want %d %d", tt.name, n, status, err, tt.n, tt.status)
		}
	}
	c.expect(`{"type":"message","topic":"d","data":{"x":1}}`)
}
