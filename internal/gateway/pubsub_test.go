package gateway

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/internal/auth"
)

// A pubsub application from the file: its settings reach the application (client publish,
// the subscription cap, the retained bounds, the ACL with token auth), the envelope
// subprotocol is offered, and the gateway's directory publishes to it.
func TestPubSubFromConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tokens := write("tokens", "alice:"+auth.HashToken("alice-token")+"\n")
	acl := write("acl", "* sub sensors/#\n%u pub sensors/%u\nalice pub sensors/alice\n")
	cfg, err := config.Parse([]byte(`
[http]
listen = "127.0.0.1:0"
[[app]]
name = "telemetry"
kind = "pubsub"
path = "/telemetry"
auth = "token"
credentials = "` + tokens + `"
client_publish = true
max_subscriptions = 2
max_retained = 1
acl = "` + acl + `"
`))
	if err != nil {
		t.Fatal(err)
	}
	g, err := Build(cfg, nil, quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	defer g.Stop(t.Context())
	d := websocket.Dialer{Subprotocols: []string{pubsub.Subprotocol}, HandshakeTimeout: 3 * time.Second}
	c, _, err := d.Dial("ws://"+g.Addr("http")+"/telemetry", http.Header{"Authorization": {"Bearer alice-token"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Subprotocol() != pubsub.Subprotocol {
		t.Fatalf("subprotocol %q", c.Subprotocol())
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	steps := []struct{ req, want string }{
		{`{"type":"subscribe","topic":"sensors/+","id":1}`, `{"type":"ack","id":1}`},
		{`{"type":"subscribe","topic":"other","id":2}`, `{"type":"error","id":2,"error":"not allowed"}`},
		{`{"type":"subscribe","topic":"sensors/#","id":3}`, `{"type":"ack","id":3}`},
		{`{"type":"subscribe","topic":"sensors/x/+","id":4}`, `{"type":"error","id":4,"error":"subscription limit reached"}`},
		{`{"type":"publish","topic":"sensors/bob","data":1,"id":5}`, `{"type":"error","id":5,"error":"not allowed"}`},
		{`{"type":"publish","topic":"sensors/alice","data":2,"id":6}`, `{"type":"message","topic":"sensors/alice","data":2}`},
		{"", `{"type":"ack","id":6}`},
	}
	for _, st := range steps {
		if st.req != "" {
			if err := c.WriteMessage(websocket.TextMessage, []byte(st.req)); err != nil {
				t.Fatal(err)
			}
		}
		_, p, err := c.ReadMessage()
		if err != nil || string(p) != st.want {
			t.Fatalf("%s: got %s %v, want %s", st.req, p, err, st.want)
		}
	}
	dirp := g.PubSub()
	if n, status, err := dirp.Publish("telemetry", "sensors/k", "application/json", []byte(`{"v":1}`), true); n != 1 || status != 200 || err != nil {
		t.Fatalf("Publish = %d %d %v", n, status, err)
	}
	if _, status, _ := dirp.Publish("telemetry", "sensors/k2", "text/plain", []byte("x"), true); status != 507 {
		t.Errorf("a second retained topic past max_retained = 1: status %d, want 507", status)
	}
	if _, status, _ := dirp.Publish("echo", "x", "text/plain", nil, false); status != 404 {
		t.Errorf("not a pubsub application: status %d", status)
	}
	if _, p, err := c.ReadMessage(); err != nil || string(p) != `{"type":"message","topic":"sensors/k","data":{"v":1}}` {
		t.Fatalf("got %s %v", p, err)
	}
	if n, err := g.Publish("telemetry", "sensors/z", pubsub.Text, []byte("hi"), false); n != 1 || err != nil {
		t.Fatalf("Gateway.Publish = %d %v", n, err)
	}
	if _, p, err := c.ReadMessage(); err != nil || string(p) != `{"type":"message","topic":"sensors/z","data":"hi"}` {
		t.Fatalf("got %s %v", p, err)
	}
	if _, err := g.Publish("nope", "x", pubsub.Text, nil, false); err == nil {
		t.Error("Publish to an unknown application succeeded")
	}
}

// A broken ACL file stops the gateway with an error naming the application and the file.
func TestPubSubBadACL(t *testing.T) {
	acl := filepath.Join(t.TempDir(), "acl")
	os.WriteFile(acl, []byte("alice read x\n"), 0o600)
	tokens := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(tokens, []byte("alice:"+auth.HashToken("t")+"\n"), 0o600)
	cfg, err := config.Parse([]byte("[http]\nlisten = \"127.0.0.1:0\"\n[[app]]\nname = \"t\"\nkind = \"pubsub\"\npath = \"/t\"\n" +
		"auth = \"token\"\ncredentials = \"" + tokens + "\"\nacl = \"" + acl + "\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(cfg, nil, quiet)
	if err == nil || !strings.Contains(err.Error(), `app[0] "t": acl: `) || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("New = %v", err)
	}
}
