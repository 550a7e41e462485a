package engine

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/wsgate/wsgate/internal/wstest"
)

// TestPeerCloseAfterLargeEcho sends a large message and its close frame, then a ping, and
// reads nothing for a while (Autobahn case 7.1.6): the echo, the close reply and then the
// FIN must all arrive. A server that closes its socket as soon as it has answered the close
// loses output: gnet drops what the socket did not take at once, and the ping arriving at
// a closed socket makes the kernel reset the connection, discarding what it still held.
func TestPeerCloseAfterLargeEcho(t *testing.T) {
	srv := startServer(t, nil, nil)
	rc := dialRaw(t, srv.Addr("ws"), "/echo", 8<<10)
	payload := bytes.Repeat([]byte("BAsd7&jh23"), 64<<10)[:512<<10]
	go rc.Write(append(wstest.Masked(0x2, payload), wstest.Masked(0x8, []byte{0x03, 0xe8})...))
	time.Sleep(300 * time.Millisecond) // the server echoes into full buffers, then sees the close
	// A ping after the close, to be ignored: it arrives after the server took the close
	// frame, as a client's frames in flight do.
	if _, err := rc.Write(wstest.Masked(0x9, nil)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	rc.SetReadDeadline(time.Now().Add(10 * time.Second))
	op, p, err := rc.ReadFrame()
	if err != nil || op != 0x2 || !bytes.Equal(p, payload) {
		t.Fatalf("echo: op %#x, %d bytes, err %v; want the %d bytes sent", op, len(p), err, len(payload))
	}
	if op, p, err = rc.ReadFrame(); err != nil || op != 0x8 || !bytes.Equal(p, []byte{0x03, 0xe8}) {
		t.Fatalf("close reply: op %#x %x, err %v; want close 1000", op, p, err)
	}
	if n, err := rc.R.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after the close reply: %d bytes, err %v; want EOF", n, err)
	}
}
