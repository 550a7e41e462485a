package apps_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/engine"
)

// An application that admits only clients with a known token: the handshake refuses the
// others with 401 and a challenge, and attaches the user's name to the connection, which
// OnMessage reads back. (An application with Spec.Auth set reads the name with c.User().)
func ExampleRefuse() {
	users := map[string]string{"Bearer s3cret": "alice"}
	chat := apps.Funcs{
		Handshake: func(h *apps.Handshake) error {
			name, ok := users[string(h.Header("Authorization"))]
			if !ok {
				return apps.Refuse(401, "Unauthorized", "WWW-Authenticate", `Bearer realm="chat"`)
			}
			h.SetValue(name) // Conn.Value returns it from OnOpen on
			return nil
		},
		Message: func(c apps.Conn, t apps.MessageType, data []byte) {
			name, _ := c.Value().(string)
			c.WriteMessage(t, append([]byte(name+": "), data...))
		},
	}

	srv, err := engine.New(engine.Options{
		HTTP:   engine.Listener{Address: "127.0.0.1:0"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Register(apps.Spec{Name: "chat", Path: "/chat"}, chat); err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Stop(context.Background())
	url := "ws://" + srv.Addr("http") + "/chat"

	_, resp, err := websocket.DefaultDialer.Dial(url, nil)
	fmt.Println(err, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))

	c, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer s3cret"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.WriteMessage(websocket.TextMessage, []byte("hi"))
	_, msg, err := c.ReadMessage()
	fmt.Println(string(msg), err)
	// Output:
	// websocket: bad handshake 401 Bearer realm="chat"
	// alice: hi <nil>
}

// An application built from plain functions: it accepts only clients that name a device
// and answers every text message in upper case.
func ExampleFuncs() {
	shout := apps.Funcs{
		Handshake: func(h *apps.Handshake) error {
			if h.Header("X-Device-Id") == nil {
				return apps.ErrDeclined // answered 503
			}
			return nil
		},
		Message: func(c apps.Conn, t apps.MessageType, data []byte) {
			if t == apps.Text {
				c.WriteMessage(apps.Text, bytes.ToUpper(data)) // data is copied before it returns
			}
		},
	}
	h := &apps.Handshake{Head: []byte("GET /shout HTTP/1.1\r\nHost: gw\r\n\r\n")}
	fmt.Println(shout.OnHandshake(h))
	// Output: apps: connection declined
}

// A message sent to many connections is encoded once: every WritePrepared copies the same
// frame, and the message can be reused for the next one afterwards.
func ExamplePreparedMessage() {
	m := apps.NewPreparedMessage(apps.Text, []byte("hello"))
	fmt.Println(m.Type(), string(m.Data()))
	m.Reset(apps.Binary, []byte{1, 2})
	fmt.Println(m.Type(), m.Data())
	// Output:
	// text hello
	// binary [1 2]
}
