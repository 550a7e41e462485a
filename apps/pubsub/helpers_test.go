package pubsub_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/engine"
)

// gateway is a started server with one pubsub application at /ps.
type gateway struct {
	srv  *engine.Server
	app  *pubsub.App
	addr string
}

type gwOption func(*engine.Options, *apps.Spec)

// startGateway starts a gateway on loopback with a pubsub application at /ps built from o;
// it is stopped when the test ends.
func startGateway(t testing.TB, o pubsub.Options, more ...gwOption) *gateway {
	t.Helper()
	opt := engine.Options{
		HTTP:         engine.Listener{Address: "127.0.0.1:0"},
		PingInterval: -1,
		EventLoops:   2,
		Logger:       testLogger(),
	}
	if o.Name == "" {
		o.Name = "ps"
	}
	if o.Logger == nil {
		o.Logger = testLogger()
	}
	app := pubsub.New(o)
	spec := app.Spec(apps.Spec{Name: o.Name, Path: "/ps"})
	for _, m := range more {
		m(&opt, &spec)
	}
	srv, err := engine.New(opt)
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	if err := srv.Register(spec, app); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Stop(ctx)
	})
	return &gateway{srv: srv, app: app, addr: srv.Addr("http")}
}

func testLogger() *slog.Logger {
	if os.Getenv("WSGATE_TEST_LOG") == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// client is a gorilla/websocket client of the gateway.
type client struct {
	t  testing.TB
	ws *websocket.Conn
}

// dialEnv connects in envelope mode; query is added to /ps (with its '?').
func (g *gateway) dialEnv(t testing.TB, query string, header http.Header) *client {
	return g.dial(t, query, header, pubsub.Subprotocol)
}

// dialRaw connects in raw mode.
func (g *gateway) dialRaw(t testing.TB, query string, header http.Header) *client {
	return g.dial(t, query, header)
}

func (g *gateway) dial(t testing.TB, query string, header http.Header, protocols ...string) *client {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 3 * time.Second, Subprotocols: protocols}
	ws, resp, err := d.Dial("ws://"+g.addr+"/ps"+query, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial /ps%s: %v (status %d)", query, err, status)
	}
	want := ""
	if len(protocols) > 0 {
		want = protocols[0]
	}
	if got := ws.Subprotocol(); got != want {
		t.Fatalf("subprotocol %q, want %q", got, want)
	}
	t.Cleanup(func() { ws.Close() })
	return &client{t: t, ws: ws}
}

// refused dials and expects the upgrade to be refused with status; it returns the body.
func (g *gateway) refused(t testing.TB, query string, header http.Header, status int) string {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 3 * time.Second}
	ws, resp, err := d.Dial("ws://"+g.addr+"/ps"+query, header)
	if err == nil {
		ws.Close()
		t.Fatalf("dial /ps%s: upgraded, want %d", query, status)
	}
	if resp == nil || resp.StatusCode != status {
		t.Fatalf("dial /ps%s: %v %v, want %d", query, err, resp, status)
	}
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// send writes one text message.
func (c *client) send(s string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read reads one message within 5 s.
func (c *client) read() (int, []byte) {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, p, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return typ, p
}

// readText reads one text message and returns it.
func (c *client) readText() string {
	c.t.Helper()
	typ, p := c.read()
	if typ != websocket.TextMessage {
		c.t.Fatalf("got a message of type %d, want text: %q", typ, p)
	}
	return string(p)
}

// expect reads one message and compares it, as JSON, to want.
func (c *client) expect(want string) {
	c.t.Helper()
	got := c.readText()
	if !jsonEqual(got, want) {
		c.t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// request sends s and expects the answer want.
func (c *client) request(s, want string) {
	c.t.Helper()
	c.send(s)
	c.expect(want)
}

// expectClose reads until the connection closes and checks the close code.
func (c *client) expectClose(code int) string {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ws.ReadMessage()
		if err == nil {
			continue // data queued before the close
		}
		ce, ok := err.(*websocket.CloseError)
		if !ok {
			c.t.Fatalf("read: %v, want close %d", err, code)
		}
		if ce.Code != code {
			c.t.Fatalf("close %d %q, want %d", ce.Code, ce.Text, code)
		}
		return ce.Text
	}
}

// quiet asserts that nothing arrives within a short while (used only after a marker
// message proved that everything sent before it has arrived). The timeout leaves the
// gorilla connection unusable: quiet is a client's last read.
func (c *client) quiet() {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, p, err := c.ws.ReadMessage(); err == nil {
		c.t.Fatalf("unexpected message %q", p)
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// publish publishes through the Go API and fails the test on an error.
func (g *gateway) publish(t testing.TB, topic string, kind pubsub.Kind, data string, retain bool) int {
	t.Helper()
	n, err := g.app.Publish(topic, kind, []byte(data), retain)
	if err != nil {
		t.Fatalf("Publish(%q): %v", topic, err)
	}
	return n
}

// sync makes sure the subscriptions c asked for are in place: a request answered proves
// every earlier request of c was handled (one connection's messages run in order).
func (c *client) sync() {
	c.t.Helper()
	c.request(`{"type":"unsubscribe","topic":"sync/none","id":"sync"}`, `{"type":"ack","id":"sync"}`)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

var _ = strings.Repeat

// waitSubscriptions waits until the application holds n subscriptions (URL topics are
// subscribed in OnOpen, which may run just after the client has read its 101).
func (g *gateway) waitSubscriptions(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, subs, _ := g.app.Stats()
		if subs == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions, want %d", subs, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
