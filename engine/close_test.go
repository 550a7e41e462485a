package engine

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/wstest"
)

// TestServerInitiatedClose: an application's Close sends the close frame after what was
// queued; a client that answers gets a prompt TCP close, one that does not is cut at
// close_timeout; OnClose reports the code the server sent.
func TestServerInitiatedClose(t *testing.T) {
	opt := testOptions()
	opt.CloseTimeout = 300 * time.Millisecond
	closed := make(chan apps.CloseCode, 4)
	srv := startServer(t, opt, withApp(t, apps.Spec{Name: "closer", Path: "/closer"}, apps.Funcs{
		Message: func(c apps.Conn, _ apps.MessageType, data []byte) {
			c.WriteMessage(apps.Text, []byte("last words"))
			c.Close(4000, "done: "+string(data))
			if err := c.WriteMessage(apps.Text, []byte("too late")); err != apps.ErrClosed {
				t.Errorf("write after Close: %v, want ErrClosed", err)
			}
		},
		Close: func(_ apps.Conn, code apps.CloseCode, _ string) { closed <- code },
	}))

	t.Run("client answers", func(t *testing.T) {
		c, _ := dial(t, srv.Addr("ws"), "/closer", nil)
		c.WriteMessage(websocket.TextMessage, []byte("x"))
		if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "last words" {
			t.Fatalf("%q %v", msg, err)
		}
		_, _, err := c.ReadMessage() // gorilla answers the close frame itself
		ce, ok := err.(*websocket.CloseError)
		if !ok || ce.Code != 4000 || ce.Text != "done: x" {
			t.Fatalf("close %v, want 4000 %q", err, "done: x")
		}
		if code := <-closed; code != 4000 {
			t.Fatalf("OnClose code %d", code)
		}
	})

	t.Run("client silent", func(t *testing.T) {
		nc := dialTCP(t, srv.Addr("ws"), 5*time.Second)
		nc.Write([]byte(upgradeRequest("/closer")))
		head, rest := readHead(t, nc)
		if !strings.HasPrefix(head, "HTTP/1.1 101") {
			t.Fatal(head)
		}
		nc.Write(wstest.Masked(0x1, []byte("y")))
		start := time.Now()
		data, err := io.ReadAll(nc) // until the server closes TCP
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		data = append(rest, data...)
		if !strings.Contains(string(data), "last words") || !strings.Contains(string(data), "done: y") {
			t.Fatalf("got %q", data)
		}
		if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
			t.Fatalf("TCP closed after %v, want about the close timeout", d)
		}
		if code := <-closed; code != 4000 {
			t.Fatalf("OnClose code %d", code)
		}
	})
}
