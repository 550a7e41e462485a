package engine

import (
	"bytes"
	"syscall"
	"testing"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/wsproto"
	"github.com/wsgate/wsgate/internal/wstest"
)

// TestUpgradeOneWrite: the 101 goes out in the same write as what OnOpen queues and the
// echoes of frames pipelined after the request head, in that order. The connection writes
// its own output (sendmsg on its descriptor, output.go), so the descriptor is one end of a
// SOCK_SEQPACKET pair: each write arrives at the other end as one packet.
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
			sp, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer syscall.Close(sp[0])
			defer syscall.Close(sp[1])
			fc := &fakeConn{el: &fakeLoop{}, ctx: srv.newConn(srv.listeners[0], fakePeer), fd: sp[0], peer: sp[1]}
			fc.sink = &sent // what goes through gnet's Write, if anything
			h.OnOpen(fc)
			fc.in = append([]byte(upgradeRequest(tc.path)), tc.pipelined...)
			h.OnTraffic(fc)
			writes := fc.writes
			buf := make([]byte, 64<<10)
			for {
				n, err := syscall.Read(sp[1], buf)
				if n <= 0 || err != nil {
					break
				}
				writes++
				sent.Write(buf[:n])
			}
			if writes != 1 {
				t.Fatalf("%d writes, want 1", writes)
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
