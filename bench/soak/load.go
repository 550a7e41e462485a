package soak

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/internal/wstest"
)

// load is one soak run's clients: their configuration, targets and tally.
type load struct {
	cfg   *Config
	addrs [2]string // the HTTP service and the standalone server: clients alternate
	t     *tally
}

// Messages carry their own check: the send time (for the broadcast latency), a seed, and
// payload bytes derived from the seed, so that any receiver can tell an intact message from
// a corrupted, truncated or spliced one without knowing who sent it.
const msgHeader = 16

// makeMessage builds a message of size bytes (at least the header) sent now.
func makeMessage(rng *rand.Rand, size int) []byte {
	size = max(size, msgHeader)
	p := make([]byte, size)
	seed := rng.Uint64()
	binary.BigEndian.PutUint64(p, uint64(time.Now().UnixNano()))
	binary.BigEndian.PutUint64(p[8:], seed)
	for i := msgHeader; i < size; i++ {
		p[i] = byte(seed) + byte(i)
	}
	return p
}

// checkMessage verifies a message built by makeMessage and returns when it was sent.
func checkMessage(p []byte) (time.Time, error) {
	if len(p) < msgHeader {
		return time.Time{}, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(p))
	}
	seed := binary.BigEndian.Uint64(p[8:])
	for i := msgHeader; i < len(p); i++ {
		if p[i] != byte(seed)+byte(i) {
			return time.Time{}, fmt.Errorf("%w: byte %d of %d", ErrCorrupt, i, len(p))
		}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(p))), nil
}

// dial opens a client connection with gorilla/websocket to path on addr.
func (l *load) dial(ctx context.Context, addr, path string) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.DialContext(ctx, "ws://"+addr+path, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w: status %d", err, resp.StatusCode)
		}
		return nil, err
	}
	l.t.served.Add(1)
	return c, nil
}

// closeConn runs the client's side of the close handshake (RFC 6455 §5.5.1) and reports the
// code the server answered; data frames still in flight are skipped.
func closeConn(c *websocket.Conn) (int, error) {
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), deadline); err != nil {
		return 0, err
	}
	c.SetReadDeadline(deadline)
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, nil
			}
			return 0, err
		}
	}
}

// interruptOnDone makes a blocked read return when ctx ends; call the result to stop.
func interruptOnDone(ctx context.Context, c *websocket.Conn) func() bool {
	return context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Now()) })
}

// over reports whether the load has ended: ctx is done or its deadline has passed. A network
// call bounded by ctx's deadline (net.Dialer, gorilla's dial) times out on the poller's own
// timer, which can fire a moment before ctx's, so a timeout at the very end of the load would
// otherwise be counted as a failure while ctx.Err() is still nil.
func over(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// pause sleeps d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// redial connects client i to path, retrying once a second (each failure counted as what)
// until it succeeds; nil when ctx ends first.
func (l *load) redial(ctx context.Context, i int, path, what string) *websocket.Conn {
	for !over(ctx) {
		c, err := l.dial(ctx, l.addrs[i%2], path)
		if err == nil {
			return c
		}
		if !over(ctx) {
			l.t.fail(what, err)
			pause(ctx, time.Second)
		}
	}
	return nil
}

// echoClient keeps one connection to the echo application, sending a message of random
// size at cfg.Rate and checking that the same bytes come back.
func (l *load) echoClient(ctx context.Context, i int) {
	rng := rand.New(rand.NewPCG(uint64(i), 1))
	for !over(ctx) {
		c := l.redial(ctx, i, "/echo", "echo: dial")
		if c == nil {
			return
		}
		err := l.echoLoop(ctx, c, rng)
		if over(ctx) {
			closeConn(c)
			return
		}
		c.Close()
		l.t.fail("echo", err)
		pause(ctx, time.Second)
	}
}

func (l *load) echoLoop(ctx context.Context, c *websocket.Conn, rng *rand.Rand) error {
	return l.atRate(ctx, func() error {
		msg := makeMessage(rng, 16+rng.IntN(8<<10))
		start := time.Now()
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			return err
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, got, err := c.ReadMessage()
		if err != nil {
			return err
		}
		if !bytes.Equal(got, msg) {
			return fmt.Errorf("%w: echo of %d bytes came back as %d different bytes", ErrCorrupt, len(msg), len(got))
		}
		l.t.echoed.Add(1)
		l.t.echoLatency(time.Since(start))
		return nil
	})
}

// atRate calls step cfg.Rate times a second until ctx ends (nil) or step fails (its error).
func (l *load) atRate(ctx context.Context, step func() error) error {
	tick := time.NewTicker(time.Second / time.Duration(max(1, l.cfg.Rate)))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := step(); err != nil {
			return err
		}
	}
}

// subscriber keeps one connection to the broadcast application and checks every message it
// receives; with publish set it also sends messages at cfg.Rate.
func (l *load) subscriber(ctx context.Context, i int, publish bool) {
	rng := rand.New(rand.NewPCG(uint64(i), 2))
	for !over(ctx) {
		c := l.redial(ctx, i, "/broadcast", "broadcast: dial")
		if c == nil {
			return
		}
		pubCtx, stopPub := context.WithCancel(ctx)
		pubDone := make(chan error, 1)
		if publish {
			go func() { pubDone <- l.publish(pubCtx, c, rng) }()
		} else {
			pubDone <- nil
		}
		stop := interruptOnDone(ctx, c)
		err := l.receive(c)
		stop()
		stopPub()
		pubErr := <-pubDone
		if over(ctx) {
			c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			c.Close()
			return
		}
		c.Close()
		l.t.fail("broadcast: subscriber", err)
		if pubErr != nil {
			l.t.fail("broadcast: publisher", pubErr)
		}
		pause(ctx, time.Second)
	}
}

// receive reads broadcast messages until an error; a subscriber that hears nothing for long
// while publishers are running is starved, which is an error too.
func (l *load) receive(c *websocket.Conn) error {
	for {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, p, err := c.ReadMessage()
		if err != nil {
			return err
		}
		sent, err := checkMessage(p)
		if err != nil {
			return err
		}
		l.t.delivered.Add(1)
		l.t.latency(time.Since(sent))
	}
}

func (l *load) publish(ctx context.Context, c *websocket.Conn, rng *rand.Rand) error {
	return l.atRate(ctx, func() error {
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err := c.WriteMessage(websocket.BinaryMessage, makeMessage(rng, 256+rng.IntN(8<<10))); err != nil {
			return err
		}
		l.t.published.Add(1)
		return nil
	})
}

// churner connects, exchanges one message and closes, over and over, alternating listeners
// and applications.
func (l *load) churner(ctx context.Context, i int) {
	rng := rand.New(rand.NewPCG(uint64(i), 3))
	for n := 0; !over(ctx); n++ {
		path := [2]string{"/echo", "/broadcast"}[n%2]
		if err := l.churnOnce(ctx, l.addrs[(n/2+i)%2], path, rng); err != nil && !over(ctx) {
			l.t.fail("churn "+path, err)
			pause(ctx, 100*time.Millisecond)
		}
		pause(ctx, l.cfg.ChurnPause)
	}
}

func (l *load) churnOnce(ctx context.Context, addr, path string, rng *rand.Rand) error {
	c, err := l.dial(ctx, addr, path)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	msg := makeMessage(rng, 16+rng.IntN(1024))
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
		c.Close()
		return err
	}
	if path == "/echo" {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, got, err := c.ReadMessage()
		if err != nil {
			c.Close()
			return fmt.Errorf("reading the echo: %w", err)
		}
		if !bytes.Equal(got, msg) {
			c.Close()
			return fmt.Errorf("%w: churn echo", ErrCorrupt)
		}
		l.t.echoed.Add(1)
	} else {
		l.t.published.Add(1)
	}
	code, err := closeConn(c)
	if err != nil {
		return fmt.Errorf("close handshake: %w", err)
	}
	if code != websocket.CloseNormalClosure {
		return fmt.Errorf("close answered with %d, want 1000", code)
	}
	l.t.churned.Add(1)
	return nil
}

// slowReader subscribes to the broadcast with a small receive buffer and stops reading.
// The gateway must close it with 1008 once its backlog passes max_pending_bytes. Every
// cfg.SlowStall it reads what arrived, to see whether it was closed: a 1008 close frame, or
// the connection dropped when the close timeout passed before the client read its close
// frame, or (when the traffic did not fill the bound yet) data only, which is fine too.
func (l *load) slowReader(ctx context.Context, i int) {
	for !over(ctx) {
		rc, err := wstest.Dial(l.addrs[i%2], "/broadcast", wstest.Options{RcvBuf: 4096})
		if err != nil {
			if !over(ctx) {
				l.t.fail("slow reader: dial", err)
				pause(ctx, time.Second)
			}
			continue
		}
		l.t.served.Add(1)
		for !over(ctx) {
			pause(ctx, l.cfg.SlowStall)
			if over(ctx) {
				break
			}
			outcome, err := drain(rc)
			if err != nil {
				l.t.fail("slow reader", err)
				break
			}
			if outcome != "" {
				l.t.event("slow reader: " + outcome)
				break
			}
		}
		rc.Close()
	}
}

// The outcomes of a slow reader that was cut.
const (
	slowClosed  = "closed with 1008"
	slowDropped = "dropped at the close timeout"
)

// drain reads what a stalled client has received: "" when it was only data (still open).
func drain(rc *wstest.Conn) (outcome string, err error) {
	for {
		rc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		op, p, err := rc.ReadFrame()
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			return "", nil
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
			return slowDropped, nil
		case err != nil:
			return "", err
		}
		switch op {
		case wstest.OpClose:
			code, _, err := wstest.ParseClose(p)
			if err != nil || code != 1008 {
				return "", fmt.Errorf("%w: closed with %d (%v), want 1008", ErrUnexpected, code, err)
			}
			return slowClosed, nil
		case wstest.OpBinary, wstest.OpText:
			if _, err := checkMessage(p); err != nil {
				return "", err
			}
		}
	}
}
