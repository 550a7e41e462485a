package engine

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestServerPings: a client that answers pings (gorilla does while it reads) stays open
// across several intervals; a client that stays silent is closed with 1001.
func TestServerPings(t *testing.T) {
	const interval = 150 * time.Millisecond
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
		nc, err := net.Dial("tcp", srv.Addr("ws"))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(20 * interval))
		if _, err := nc.Write([]byte(upgradeRequest("/echo"))); err != nil {
			t.Fatal(err)
		}
		head, rest := readHead(t, nc)
		if !strings.HasPrefix(head, "HTTP/1.1 101") {
			t.Fatal(head)
		}
		start := time.Now()
		// Read frames without answering: expect a ping (0x89), then a close (0x88) with 1001.
		var sawPing bool
		buf := rest
		for {
			for len(buf) < 2 || len(buf) < 2+int(buf[1]&0x7f) {
				more := make([]byte, 512)
				n, err := nc.Read(more)
				if err != nil {
					t.Fatalf("read: %v (ping seen %v)", err, sawPing)
				}
				buf = append(buf, more[:n]...)
			}
			op, n := buf[0]&0x0f, int(buf[1]&0x7f)
			payload := buf[2 : 2+n]
			buf = buf[2+n:]
			if op == 0x9 {
				sawPing = true
				continue
			}
			if op != 0x8 {
				t.Fatalf("unexpected opcode %x", op)
			}
			if code := int(payload[0])<<8 | int(payload[1]); code != 1001 {
				t.Fatalf("close code %d, want 1001", code)
			}
			break
		}
		if !sawPing {
			t.Error("closed without a ping first")
		}
		if d := time.Since(start); d < interval || d > 10*interval {
			t.Errorf("closed after %v with an interval of %v", d, interval)
		}
	})
}
