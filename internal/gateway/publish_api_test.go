package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/internal/wstest"
)

// The publish API of docs/pubsub.md over real sockets: POST /api/apps/{app}/publish on
// the admin listener, each Content-Type rule as raw and envelope subscribers see it, the
// retained value and its clearing by an empty body, and each refusal with its status.
func TestPublishAPI(t *testing.T) {
	cfg, err := config.Parse([]byte(`
[http]
listen = "127.0.0.1:0"
[admin]
listen = "127.0.0.1:0"
[[app]]
name = "feed"
kind = "pubsub"
path = "/feed"
max_retained = 1
`))
	if err != nil {
		t.Fatal(err)
	}
	gw, err := Build(cfg, nil, quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	adm, err := Admin(cfg, gw, nil, "v-test", quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Server.Start(); err != nil {
		t.Fatal(err)
	}
	if err := adm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the clients' cleanups have closed them
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		gw.Server.Stop(ctx)
		adm.Shutdown(ctx)
	})
	base := "http://" + adm.Addr().String() + "/api/apps/"
	dial := func(query string, protocols ...string) *websocket.Conn {
		t.Helper()
		d := websocket.Dialer{Subprotocols: protocols, HandshakeTimeout: 5 * time.Second}
		c, _, err := d.Dial("ws://"+gw.Server.Addr("http")+"/feed"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		return c
	}
	raw, env := dial("?topic=k/%23"), dial("?topic=k/%23", "wsgate.pubsub.v1")
	ps := gw.PubSub()("feed")
	waitFor(t, "2 subscriptions", func() bool { _, _, subs, _ := ps.Stats(); return subs == 2 })

	const none = "-" // no Content-Type header
	for _, tt := range []struct {
		name, method, query, ctype, body string
		status                           int
		answer                           string // the whole body of the answer, or a prefix of an error
		rawType                          int    // 0: nothing delivered
		envelope                         string
	}{
		{"json", "POST", "feed/publish?topic=k/1", "application/json", `{"v":[1,2]}`, 200, `{"delivered":2}`,
			websocket.TextMessage, `{"type":"message","topic":"k/1","data":{"v":[1,2]}}`},
		{"json with parameters", "POST", "feed/publish?topic=k/1", "Application/JSON; charset=utf-8", `7`, 200, `{"delivered":2}`,
			websocket.TextMessage, `{"type":"message","topic":"k/1","data":7}`},
		{"a +json type", "POST", "feed/publish?topic=k/1", "application/problem+json", `null`, 200, `{"delivered":2}`,
			websocket.TextMessage, `{"type":"message","topic":"k/1","data":null}`},
		{"text", "POST", "feed/publish?topic=k/1", "text/plain; charset=utf-8", `{"v":1}`, 200, `{"delivered":2}`,
			websocket.TextMessage, `{"type":"message","topic":"k/1","data":"{\"v\":1}"}`},
		{"other text", "POST", "feed/publish?topic=k/1", "text/csv", "a,b", 200, `{"delivered":2}`,
			websocket.TextMessage, `{"type":"message","topic":"k/1","data":"a,b"}`},
		{"octet-stream", "POST", "feed/publish?topic=k/1", "application/octet-stream", "\x00\xff", 200, `{"delivered":2}`,
			websocket.BinaryMessage, `{"type":"message","topic":"k/1","data":{"base64":"AP8="}}`},
		{"form is binary", "POST", "feed/publish?topic=k/1", "application/x-www-form-urlencoded", "a=b", 200, `{"delivered":2}`,
			websocket.BinaryMessage, `{"type":"message","topic":"k/1","data":{"base64":"YT1i"}}`},
		{"no type is binary", "POST", "feed/publish?topic=k/1", none, "x", 200, `{"delivered":2}`,
			websocket.BinaryMessage, `{"type":"message","topic":"k/1","data":{"base64":"eA=="}}`},
		{"retained", "POST", "feed/publish?topic=k/r&retain=1", "text/plain", "kept", 200, `{"delivered":2}`,
			websocket.TextMessage, `{"type":"message","topic":"k/r","data":"kept"}`},
		{"store full", "POST", "feed/publish?topic=k/s&retain=1", "text/plain", "no room", 507, `{"error":`, 0, ""},
		{"replacing fits", "POST", "feed/publish?topic=k/r&retain=1", "application/json", `{"n":2}`, 200, `{"delivered":2}`,
			websocket.TextMessage, `{"type":"message","topic":"k/r","data":{"n":2}}`},
		{"clear: empty body", "POST", "feed/publish?topic=k/r&retain=1", "application/json", "", 200, `{"delivered":2}`,
			websocket.TextMessage, `{"type":"message","topic":"k/r","data":""}`},
		{"room again", "POST", "feed/publish?topic=k/s&retain=true", "text/plain", "s", 200, `{"delivered":2}`,
			websocket.TextMessage, `{"type":"message","topic":"k/s","data":"s"}`},
		{"not JSON", "POST", "feed/publish?topic=k/1", "application/json", "{", 400, `{"error":`, 0, ""},
		{"text not UTF-8", "POST", "feed/publish?topic=k/1", "text/plain", "\xff", 400, `{"error":`, 0, ""},
		{"no topic", "POST", "feed/publish", "text/plain", "x", 400, `{"error":`, 0, ""},
		{"wildcard %2B", "POST", "feed/publish?topic=k/%2B", "text/plain", "x", 400, `{"error":`, 0, ""},
		{"wildcard + as written", "POST", "feed/publish?topic=k/+", "text/plain", "x", 400, `{"error":`, 0, ""},
		{"wildcard #", "POST", "feed/publish?topic=%23", "text/plain", "x", 400, `{"error":`, 0, ""},
		{"over 256 bytes", "POST", "feed/publish?topic=" + strings.Repeat("k", 257), "text/plain", "x", 400, `{"error":`, 0, ""},
		{"bad retain", "POST", "feed/publish?topic=k/1&retain=2", "text/plain", "x", 400, `{"error":`, 0, ""},
		{"unknown application", "POST", "nope/publish?topic=k/1", "text/plain", "x", 404, `{"error":`, 0, ""},
		{"GET", "GET", "feed/publish?topic=k/1", none, "", 405, `{"error":`, 0, ""},
		{"PUT", "PUT", "feed/publish?topic=k/1", "text/plain", "x", 405, `{"error":`, 0, ""},
		{"over the body limit", "POST", "feed/publish?topic=k/1", "text/plain", strings.Repeat("x", 1<<20+1), 413, `{"error":`, 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var h http.Header
			if tt.ctype != none {
				h = http.Header{"Content-Type": {tt.ctype}}
			}
			code, header, answer := wstest.Request(t, tt.method, base+tt.query, h, tt.body)
			ok := answer == tt.answer+"\n"
			if tt.status != 200 {
				ok = strings.HasPrefix(answer, tt.answer) && strings.Count(answer, "\n") == 1
			}
			if code != tt.status || !ok || header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %q %q, want %d %q", code, header.Get("Content-Type"), answer, tt.status, tt.answer)
			}
			if tt.status == 405 && header.Get("Allow") != "POST" {
				t.Errorf("Allow %q, want POST", header.Get("Allow"))
			}
			if tt.rawType == 0 {
				return
			}
			if typ, p, err := raw.ReadMessage(); err != nil || typ != tt.rawType || string(p) != tt.body {
				t.Errorf("raw subscriber got %d %q %v, want %d %q", typ, p, err, tt.rawType, tt.body)
			}
			if _, p, err := env.ReadMessage(); err != nil || string(p) != tt.envelope {
				t.Errorf("envelope subscriber got %s %v, want %s", p, err, tt.envelope)
			}
		})
	}
	// Nothing was delivered for a refused publish: a marker is the next message.
	if _, err := gw.Publish("feed", "k/end", pubsub.Text, []byte("end"), false); err != nil {
		t.Fatal(err)
	}
	if _, p, err := raw.ReadMessage(); err != nil || string(p) != "end" {
		t.Errorf("after the refusals the raw subscriber got %q %v, want the marker", p, err)
	}
	// A late subscriber gets the one retained value left, marked.
	late := dial("?topic=k/%23", "wsgate.pubsub.v1")
	if _, p, err := late.ReadMessage(); err != nil || string(p) != `{"type":"message","topic":"k/s","data":"s","retained":true}` {
		t.Errorf("late subscriber got %s %v", p, err)
	}
}
