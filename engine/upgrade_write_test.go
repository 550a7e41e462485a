package engine

import (
	"bytes"
	"testing"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/wsproto"
	"github.com/wsgate/wsgate/internal/wstest"
)

// TestUpgradeOneWrite: the 101 goes out in the same write as what OnOpen queues and the
// echoes of frames pipelined after the request head, in that order.
func TestUpgradeOneWrite(t *testing.T) {
	srv, h := benchServer(t)
	if err := srv.Register(apps.Spec{Name: "greeter", Path: "/greet", Scope: []string{HTTPService}}, apps.Funcs{
		Open:    func(c apps.Conn) { c.WriteMessage(apps.Text, []byte("welcome")) },
		Message: func(c apps.Conn, t apps.MessageType, p []byte) { c.WriteMessage(t, p) },
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		pipelined  []byte
		want       [][]byte // frames after the 101, in order
	}{
		{name: "nothing queued", path: "/echo"},
		{name: "OnOpen writes", path: "/greet", want: [][]byte{[]byte("welcome")}},
		{name: "OnOpen writes, a frame pipelined", path: "/greet", pipelined: wstest.Masked(0x1, []byte("early")),
			want: [][]byte{[]byte("welcome"), []byte("early")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sent bytes.Buffer
			fc := &fakeConn{el: &fakeLoop{}, ctx: srv.newConn(srv.listeners[0], fakePeer)}
			fc.sink = &sent
			h.OnOpen(fc)
			fc.in = append([]byte(upgradeRequest(tc.path)), tc.pipelined...)
			h.OnTraffic(fc)
			if fc.writes != 1 {
				t.Fatalf("%d writes, want 1", fc.writes)
			}
			head, rest, ok := bytes.Cut(sent.Bytes(), []byte("\r\n\r\n"))
			if !ok || !bytes.HasPrefix(head, []byte("HTTP/1.1 101 ")) {
				t.Fatalf("sent %q, want a 101 first", sent.Bytes())
			}
			for _, w := range tc.want {
				f := wsproto.AppendFrame(nil, wsproto.OpText, false, w)
				if !bytes.HasPrefix(rest, f) {
					t.Fatalf("after the 101: %q, want %q next", rest, f)
				}
				rest = rest[len(f):]
			}
			if len(rest) != 0 {
				t.Fatalf("%q left over", rest)
			}
		})
	}
}
