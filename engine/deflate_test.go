package engine

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps/builtin"
)

// compressAll registers the built-in applications again with permessage-deflate on both.
func compressAll(s *Server) {
	for _, spec := range defaultSpecs() {
		spec.Compression = true
		app, _ := builtin.New(spec.Name)
		_ = s.Unregister(spec.Name)
		if err := s.Register(spec, app); err != nil {
			panic(err)
		}
	}
}

// TestDeflateEchoAndBroadcast: gorilla negotiates permessage-deflate; echo and broadcast
// round-trip compressible and incompressible messages.
func TestDeflateEchoAndBroadcast(t *testing.T) {
	srv := startServer(t, nil, compressAll)
	d := websocket.Dialer{HandshakeTimeout: 3 * time.Second, EnableCompression: true}
	c, resp, err := d.Dial("ws://"+srv.Addr("ws")+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ext := resp.Header.Get("Sec-WebSocket-Extensions")
	if !strings.HasPrefix(ext, "permessage-deflate") {
		t.Fatalf("extension not negotiated: %q", ext)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	random := make([]byte, 10000)
	for i := range random {
		random[i] = byte(i * 7919 % 251)
	}
	for _, msg := range [][]byte{[]byte("hello"), bytes.Repeat([]byte("compress me "), 5000), random, {}} {
		if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.ReadMessage()
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("echo of %d bytes: %d bytes, %v", len(msg), len(got), err)
		}
	}

	a, _, err := d.Dial("ws://"+srv.Addr("ws")+"/broadcast", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	plain, _ := dial(t, srv.Addr("http"), "/broadcast", nil) // a member without compression
	b, _, err := d.Dial("ws://"+srv.Addr("ws")+"/broadcast", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rt := srv.reg.Table().Lookup([]byte("/broadcast"), 0)
	waitFor(t, "members", func() bool { return broadcastMembers(rt) == 3 })
	msg := bytes.Repeat([]byte("to everyone "), 300)
	if err := a.WriteMessage(websocket.TextMessage, msg); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*websocket.Conn{"compressed": b, "plain": plain} {
		r.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, got, err := r.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%s member: %d bytes, %v", name, len(got), err)
		}
	}
}

// TestDeflateNotOfferedWithoutCompression: an application without compression never
// answers the extension.
func TestDeflateNotOfferedWithoutCompression(t *testing.T) {
	srv := startServer(t, nil, nil)
	r := roundTrip(t, srv.Addr("ws"), upgradeRequest("/broadcast", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"), 0)
	if r.status != 101 || r.header.Get("Sec-WebSocket-Extensions") != "" {
		t.Fatalf("status %d extensions %q", r.status, r.header.Get("Sec-WebSocket-Extensions"))
	}
}
