package gateway

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/config"
)

// TestCustomKind: a program that adds its own kind runs a file that names it; the built-in
// kinds alone reject that file, naming the field.
func TestCustomKind(t *testing.T) {
	cfg := parse(t, listeners+app("shout", "shout", "/shout", `scope = ["ws"]`))
	if _, err := New(cfg, nil, quiet); err == nil || !strings.Contains(err.Error(), `config: app[0].kind: unknown kind "shout" (have broadcast, echo, proxy, pubsub)`) {
		t.Fatalf("built-in kinds: %v", err)
	}
	kinds := Builtin()
	kinds["shout"] = func(*config.App) (apps.Application, error) {
		return apps.Funcs{Message: func(c apps.Conn, t apps.MessageType, p []byte) { c.WriteMessage(t, bytes.ToUpper(p)) }}, nil
	}
	c := mustDial(t, startWith(t, cfg, kinds, nil).Addr("ws"), "/shout", nil)
	c.WriteMessage(websocket.TextMessage, []byte("hi"))
	if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "HI" {
		t.Fatalf("%q %v", msg, err)
	}
}

// TestOptions: the file's settings reach the engine; ping_interval = 0 means off, and
// event_loops = 0 leaves the engine its default.
func TestOptions(t *testing.T) {
	cfg := config.Default()
	cfg.WebSocket.PingInterval = 0
	cfg.WebSocket.Enabled = false
	cfg.HTTP.Root = "/srv/www"
	cfg.Process.EventLoops = 3
	o := Options(cfg)
	if o.PingInterval >= 0 || !o.NoHTTPUpgrades || o.StaticRoot != "/srv/www" || o.HTTP.Address != cfg.HTTP.Listen ||
		len(o.Standalone) != 1 || o.Standalone[0].Name != "ws" || o.MaxMessageSize != int64(cfg.WebSocket.MaxMessageSize) ||
		o.EventLoops != 3 {
		t.Fatalf("%+v", o)
	}
	if o := Options(config.Default()); o.EventLoops != 0 {
		t.Fatalf("default event_loops reached the engine as %d, want 0 (the engine's default)", o.EventLoops)
	}
}

// TestBadCredentials: a credentials file that cannot be read names the field, as a
// *config.FieldError.
func TestBadCredentials(t *testing.T) {
	cfg := config.Default()
	cfg.HTTP.Listen, cfg.Standalone[0].Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Apps[1].Auth, cfg.Apps[1].Credentials = "token", "/nonexistent/tokens"
	_, err := New(cfg, nil, quiet)
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Field != "app[1].credentials" || !strings.Contains(err.Error(), "/nonexistent/tokens") {
		t.Fatalf("%v", err)
	}
}

// TestProxyKind: kind = "proxy" from a file relays to its upstream, here a tcp:// echo
// server, with the keys as written (text messages, slow_consumer); bad keys name the field.
func TestProxyKind(t *testing.T) {
	g := startGateway(t, httpOnly+app("relay", "proxy", "/relay", `upstream = "tcp://`+echoTCP(t)+`"`,
		`stream_messages = "text"`, `connect_timeout = "2s"`, `slow_consumer = "pause"`))
	c := mustDial(t, g.Addr("http"), "/relay", nil)
	if err := c.WriteMessage(websocket.BinaryMessage, []byte("héllo")); err != nil {
		t.Fatal(err)
	}
	typ, p, err := c.ReadMessage()
	if err != nil || typ != websocket.TextMessage || string(p) != "héllo" {
		t.Fatalf("type %d %q %v, want the bytes back as text", typ, p, err)
	}

	for _, tt := range []struct{ keys, field string }{
		{`upstream = "ftp://x"`, "app[0].upstream"},
		{`upstream = "wss://x/"` + "\nupstream_tls_ca = \"/nonexistent.pem\"", "upstream_tls_ca"},
	} {
		cfg, err := config.Parse([]byte("[[app]]\nname = \"r\"\nkind = \"proxy\"\npath = \"/r\"\n" + tt.keys + "\n"))
		if err == nil {
			_, err = New(cfg, nil, quiet)
		}
		if err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: %v, want an error naming %s", tt.keys, err, tt.field)
		}
	}
}
