package engine

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/internal/wstest"
)

// TestServerPings: a client that answers pings (gorilla does while it reads) stays open
// across several intervals; a client that stays silent is closed with 1001.
func TestServerPings(t *testing.T) {
	const interval = 400 * time.Millisecond // long enough for a pong from a client slowed by -race on a loaded machine
	opt := testOptions()
	opt.PingInterval = interval
	srv := startServer(t, opt, nil)

	t.Run("answering client stays", func(t *testing.T) {
		c, _ := dial(t, srv.Addr("ws"), "/echo", nil)
		var pings atomic.Int32
		c.SetPingHandler(func(data string) error {
			pings.Add(1)
			return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		c.SetReadDeadline(time.Now().Add(6 * interval))
		_, _, err := c.ReadMessage() // only pings arrive; the read ends at the deadline
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			t.Fatalf("read ended with %v, want a timeout (the connection should stay open)", err)
		}
		if pings.Load() < 2 {
			t.Fatalf("%d pings in %v, want at least 2", pings.Load(), 6*interval)
		}
	})

	t.Run("silent client is closed with 1001", func(t *testing.T) {
		rc := dialRaw(t, srv.Addr("ws"), "/echo", 0)
		start := time.Now()
		// Read frames without answering: expect pings, then a close with 1001.
		code, seen, err := rc.ReadUntilClose(20 * interval)
		if err != nil {
			t.Fatalf("read: %v (seen %v)", err, seen)
		}
		if code != 1001 {
			t.Fatalf("close code %d, want 1001", code)
		}
		if seen[wstest.OpPing] == 0 || len(seen) != 1 {
			t.Errorf("closed after %v, want pings only first", seen)
		}
		if d := time.Since(start); d < interval || d > 10*interval {
			t.Errorf("closed after %v with an interval of %v", d, interval)
		}
	})
}
