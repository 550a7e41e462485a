package engine

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
)

// TestEchoWithRealClient exchanges text and binary messages of several sizes with the echo
// application through gorilla/websocket, on both listeners.
func TestEchoWithRealClient(t *testing.T) {
	srv := startServer(t, nil, nil)
	for _, listener := range []string{"http", "ws"} {
		t.Run(listener, func(t *testing.T) {
			c, resp := dial(t, srv.Addr(listener), "/echo?client=1", nil, "echo.v1")
			if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "echo.v1" {
				t.Fatalf("subprotocol %q", got)
			}
			for _, size := range []int{0, 1, 125, 126, 4096, 65535, 65536, 300000} {
				for _, typ := range []int{websocket.TextMessage, websocket.BinaryMessage} {
					msg := bytes.Repeat([]byte("x"), size)
					if err := c.WriteMessage(typ, msg); err != nil {
						t.Fatalf("write %d: %v", size, err)
					}
					gotType, got, err := c.ReadMessage()
					if err != nil {
						t.Fatalf("read %d: %v", size, err)
					}
					if gotType != typ || !bytes.Equal(got, msg) {
						t.Fatalf("echo of %d bytes type %d: got %d bytes type %d", size, typ, len(got), gotType)
					}
				}
			}
			c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
			_, _, err := c.ReadMessage()
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				t.Fatalf("close: %v, want the 1000 echoed", err)
			}
		})
	}
}

// TestBroadcast: every message goes to all other clients of the application, not back to
// its sender, whichever listener they came through.
func TestBroadcast(t *testing.T) {
	srv := startServer(t, nil, nil)
	const n = 6
	clients := make([]*websocket.Conn, n)
	for i := range clients {
		listener := []string{"http", "ws"}[i%2]
		clients[i], _ = dial(t, srv.Addr(listener), "/broadcast", nil)
	}
	rt := srv.reg.Table().Lookup([]byte("/broadcast"), 0)
	waitFor(t, "all members joined", func() bool { return broadcastMembers(rt) == n })
	for from := range clients {
		msg := fmt.Sprintf("from %d", from)
		if err := clients[from].WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		for i, c := range clients {
			if i == from {
				continue
			}
			_, got, err := c.ReadMessage()
			if err != nil || string(got) != msg {
				t.Fatalf("client %d: %q %v, want %q", i, got, err, msg)
			}
		}
	}
	// The sender got nothing back: a ping round trip proves its queue is empty.
	c := clients[0]
	pongBack := sendPing(t, c, "probe")
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, msg, err := c.ReadMessage(); err == nil {
		t.Fatalf("sender received %q", msg)
	}
	pongBack()
}

// TestWritesFromOtherGoroutines: an application writing from its own goroutines keeps
// each goroutine's order and loses nothing.
func TestWritesFromOtherGoroutines(t *testing.T) {
	const writers, each = 4, 200
	srv := startServer(t, nil, withApp(t, apps.Spec{Name: "pusher", Path: "/push"}, apps.Funcs{
		Open: func(c apps.Conn) {
			for w := range writers {
				go func() {
					for i := range each {
						if err := c.WriteMessage(apps.Text, fmt.Appendf(nil, "%d:%d", w, i)); err != nil {
							return
						}
					}
				}()
			}
		},
	}))
	c, _ := dial(t, srv.Addr("http"), "/push", nil)
	next := make([]int, writers)
	for range writers * each {
		_, msg, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var w, i int
		if _, err := fmt.Sscanf(string(msg), "%d:%d", &w, &i); err != nil {
			t.Fatalf("bad message %q", msg)
		}
		if i != next[w] {
			t.Fatalf("writer %d: got %d, want %d", w, i, next[w])
		}
		next[w]++
	}
}

// TestGracefulShutdown: Stop sends 1001 to every client, after the messages queued before it.
func TestGracefulShutdown(t *testing.T) {
	srv := startServer(t, nil, nil)
	var clients []*websocket.Conn
	for i := range 4 {
		c, _ := dial(t, srv.Addr([]string{"http", "ws"}[i%2]), "/echo", nil)
		clients = append(clients, c)
	}
	if err := clients[0].WriteMessage(websocket.TextMessage, []byte("before")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := clients[0].ReadMessage(); err != nil || string(msg) != "before" {
		t.Fatalf("echo before shutdown: %q %v", msg, err)
	}
	var wg sync.WaitGroup
	codes := make([]int, len(clients))
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.ReadMessage()
			if ce, ok := err.(*websocket.CloseError); ok {
				codes[i] = ce.Code
				// Answer the close as a browser would; the server waits for it.
				c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(ce.Code, ""), time.Now().Add(time.Second))
			}
		}()
	}
	start := time.Now()
	if err := srv.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	wg.Wait()
	for i, code := range codes {
		if code != websocket.CloseGoingAway {
			t.Errorf("client %d got close code %d, want 1001", i, code)
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Stop took %v though every client answered", d)
	}
	if _, _, err := websocket.DefaultDialer.Dial("ws://"+srv.Addr("http")+"/echo", http.Header{}); err == nil {
		t.Error("a new connection was accepted after Stop")
	}
}

// TestHandshakeCallbackSeesRequest: OnHandshake reads headers, query and the offered
// subprotocols, may choose among them, and what it chose is the connection's.
func TestHandshakeCallbackSeesRequest(t *testing.T) {
	type seen struct{ device, query, proto string }
	got := make(chan seen, 1)
	srv := startServer(t, nil, withApp(t, apps.Spec{Name: "devices", Path: "/devices", Subprotocols: []string{"v1", "v2"}}, apps.Funcs{
		Handshake: func(h *apps.Handshake) error {
			dev := h.Header("x-device-id")
			if dev == nil {
				return apps.ErrDeclined
			}
			h.Subprotocol = "v2" // offered, though v1 came first
			got <- seen{device: string(dev), query: string(h.Query)}
			return nil
		},
		Open: func(c apps.Conn) { c.WriteMessage(apps.Text, []byte(c.Subprotocol())) },
	}))
	if r := roundTrip(t, srv.Addr("ws"), upgradeRequest("/devices"), 0); r.status != 503 {
		t.Fatalf("without the header: %d, want 503", r.status)
	}
	c, resp := dial(t, srv.Addr("ws"), "/devices?fw=2.1", http.Header{"X-Device-Id": {"sensor-7"}}, "v1", "v2")
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "v2" {
		t.Fatalf("answered subprotocol %q, want v2", p)
	}
	if s := <-got; s.device != "sensor-7" || s.query != "fw=2.1" {
		t.Fatalf("callback saw %+v", s)
	}
	if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "v2" {
		t.Fatalf("Conn.Subprotocol %q %v", msg, err)
	}
}
