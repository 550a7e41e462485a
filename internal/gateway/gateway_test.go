package gateway

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
)

func quiet(o *engine.Options) {
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	o.EventLoops = 1
}

// TestCustomKind: a program that adds its own kind runs a file that names it; the built-in
// kinds alone reject that file, naming the field.
func TestCustomKind(t *testing.T) {
	cfg, err := config.Parse([]byte(`
[http]
listen = "127.0.0.1:0"
[[standalone]]
name = "ws"
listen = "127.0.0.1:0"
[[app]]
name = "shout"
kind = "shout"
path = "/shout"
scope = ["ws"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, nil, quiet); err == nil || !strings.Contains(err.Error(), `config: app[0].kind: unknown kind "shout" (have broadcast, echo, pubsub)`) {
		t.Fatalf("built-in kinds: %v", err)
	}
	kinds := Builtin()
	kinds["shout"] = func(*config.App) (apps.Application, error) {
		return apps.Funcs{Message: func(c apps.Conn, t apps.MessageType, p []byte) { c.WriteMessage(t, bytes.ToUpper(p)) }}, nil
	}
	srv, err := New(cfg, kinds, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(context.Background())
	c, _, err := websocket.DefaultDialer.Dial("ws://"+srv.Addr("ws")+"/shout", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	c.WriteMessage(websocket.TextMessage, []byte("hi"))
	if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "HI" {
		t.Fatalf("%q %v", msg, err)
	}
}

// TestOptions: the file's settings reach the engine; ping_interval = 0 means off.
func TestOptions(t *testing.T) {
	cfg := config.Default()
	cfg.WebSocket.PingInterval = 0
	cfg.WebSocket.Enabled = false
	cfg.HTTP.Root = "/srv/www"
	o := Options(cfg)
	if o.PingInterval >= 0 || !o.NoHTTPUpgrades || o.StaticRoot != "/srv/www" || o.HTTP.Address != cfg.HTTP.Listen ||
		len(o.Standalone) != 1 || o.Standalone[0].Name != "ws" || o.MaxMessageSize != int64(cfg.WebSocket.MaxMessageSize) {
		t.Fatalf("%+v", o)
	}
}

// TestBadCredentials: a credentials file that cannot be read names the application.
func TestBadCredentials(t *testing.T) {
	cfg := config.Default()
	cfg.HTTP.Listen, cfg.Standalone[0].Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Apps[1].Auth, cfg.Apps[1].Credentials = "token", "/nonexistent/tokens"
	_, err := New(cfg, nil, quiet)
	if err == nil || !strings.Contains(err.Error(), `app[1] "broadcast"`) {
		t.Fatalf("%v", err)
	}
}
