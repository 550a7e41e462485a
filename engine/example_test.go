package engine_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
)

// Embedding the gateway: the default configuration on ephemeral loopback ports, one more
// application registered from Go, a client, and a graceful stop.
func ExampleNew() {
	cfg := config.Default()
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Standalone[0].Listen = "127.0.0.1:0"
	srv, err := engine.New(cfg, engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv.Registry().Register(apps.Spec{Name: "hello", Path: "/hello"}, apps.Funcs{
		Open: func(c apps.Conn) { c.WriteMessage(apps.Text, []byte("hello from "+c.Listener())) },
	})
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Stop(context.Background())

	c, _, err := websocket.DefaultDialer.Dial("ws://"+srv.Addr("ws")+"/hello", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_, msg, err := c.ReadMessage()
	fmt.Println(string(msg), err)
	// Output: hello from ws <nil>
}
