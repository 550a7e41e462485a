package engine

import (
	"bytes"
	"testing"
	"time"

	"github.com/wsgate/wsgate/internal/wstest"
)

// TestEchoByteAtATime sends frames one byte per write, so that the loop reads partial
// headers and partial control frames, which the frame reader leaves unconsumed (Autobahn
// cases 2.6, 3.4, 5.5, 5.8, 6.x+chop1): they must stay buffered until the rest arrives.
func TestEchoByteAtATime(t *testing.T) {
	srv := startServer(t, nil, nil)
	for _, listener := range []string{"http", "ws"} {
		t.Run(listener, func(t *testing.T) {
			rc := dialRaw(t, srv.Addr(listener), "/echo", 0)
			frames := append(wstest.Masked(0x9, []byte("ping")), wstest.Masked(0x1, []byte("héllo"))...)
			for _, b := range frames {
				if _, err := rc.Write([]byte{b}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(200 * time.Microsecond)
			}
			rc.SetReadDeadline(time.Now().Add(5 * time.Second))
			for _, want := range []struct {
				op      byte
				payload string
			}{{0xa, "ping"}, {0x1, "héllo"}} {
				op, p, err := rc.ReadFrame()
				if err != nil {
					t.Fatalf("reading the answer to %q: %v", want.payload, err)
				}
				if op != want.op || !bytes.Equal(p, []byte(want.payload)) {
					t.Fatalf("got op %#x %q, want op %#x %q", op, p, want.op, want.payload)
				}
			}
		})
	}
}
