package engine

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestCloseReplyUnderBroadcastFlood has a few publishers flood the broadcast application
// with medium messages (1–64 KiB) while members join, read a little, publish one message,
// send a close frame and wait for the server's close reply, reading the broadcast meanwhile
// (the soak test's churn client). Each member must get a close reply (any code: a member
// that fell behind may be told 1008) within closeWait: output queued by reference behind a
// full socket, a hand-off to gnet and its drain must never leave the reply unwritten.
func TestCloseReplyUnderBroadcastFlood(t *testing.T) {
	const (
		publishers = 3
		cycles     = 200
		closeWait  = 2 * time.Second
	)
	opt := testOptions()
	opt.MaxPendingBytes = 64 << 10
	opt.CloseTimeout = 3 * time.Second
	srv := startServer(t, opt, nil)
	addr := srv.Addr("ws")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var pubs []*websocket.Conn
	for i := range publishers {
		c, _ := dial(t, addr, "/broadcast", nil)
		wg.Add(2)
		pubs = append(pubs, c)
		go func() { // publishers read too: the broadcast reaches them as well
			defer wg.Done()
			c.SetReadDeadline(time.Time{})
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return // closed at the end of the test
				}
			}
		}()
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			msg := make([]byte, 64<<10)
			for n := 0; n < 200000; n++ { // bounded; ends with stop
				select {
				case <-stop:
					return
				default:
				}
				c.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if err := c.WriteMessage(websocket.BinaryMessage, msg[:1<<10+rng.IntN(63<<10)]); err != nil {
					return
				}
				time.Sleep(time.Duration(rng.IntN(2)) * time.Millisecond)
			}
		}()
	}
	defer func() {
		close(stop)
		for _, c := range pubs {
			c.Close()
		}
		wg.Wait()
	}()

	rng := rand.New(rand.NewPCG(7, 7))
	for cycle := range cycles {
		d := websocket.Dialer{HandshakeTimeout: 3 * time.Second}
		c, _, err := d.Dial("ws://"+addr+"/broadcast", nil)
		if err != nil {
			t.Fatalf("cycle %d: dial: %v", cycle, err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for range rng.IntN(4) {
			if _, _, err := c.ReadMessage(); err != nil {
				break
			}
		}
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_ = c.WriteMessage(websocket.BinaryMessage, make([]byte, 16+rng.IntN(1024)))
		deadline := time.Now().Add(closeWait)
		if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), deadline); err != nil {
			c.Close()
			continue // the server closed first (a 1008 for falling behind): not a stall
		}
		c.SetReadDeadline(deadline)
		for {
			_, _, err := c.ReadMessage()
			if err == nil {
				continue
			}
			var ce *websocket.CloseError
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				c.Close()
				t.Fatalf("cycle %d: no close reply within %v: %v", cycle, closeWait, err)
			}
			_ = errors.As(err, &ce)
			break
		}
		c.Close()
	}
}
