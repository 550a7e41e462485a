package engine_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/engine"
)

// Embedding the gateway as a library: an HTTP service and a standalone server on ephemeral
// loopback ports, one application registered from Go, a client, and a graceful stop.
func ExampleNew() {
	srv, err := engine.New(engine.Options{
		HTTP:       engine.Listener{Address: "127.0.0.1:0"},
		Standalone: []engine.Listener{{Name: "ws", Address: "127.0.0.1:0"}},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = srv.Register(apps.Spec{Name: "hello", Path: "/hello", Scope: []string{"ws"}}, apps.Funcs{
		Open: func(c apps.Conn) { c.WriteMessage(apps.Text, []byte("hello from "+c.Listener()+" "+c.Query())) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Stop(context.Background())

	c, _, err := websocket.DefaultDialer.Dial("ws://"+srv.Addr("ws")+"/hello?lang=en", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_, msg, err := c.ReadMessage()
	fmt.Println(string(msg), err)
	// Output: hello from ws lang=en <nil>
}
