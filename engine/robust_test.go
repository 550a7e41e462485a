package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/wsproto"
	"github.com/wsgate/wsgate/internal/wstest"
)

// TestSlowloris: a connection that does not complete its handshake within handshake_timeout
// is cut, however it stalls, on both listeners; an upgraded connection idle for longer is not.
func TestSlowloris(t *testing.T) {
	const timeout = 400 * time.Millisecond
	opt := testOptions()
	opt.HandshakeTimeout = timeout
	srv := startServer(t, opt, nil)
	tick := srv.tickInterval()

	upgraded, _ := dial(t, srv.Addr("ws"), "/echo", nil)

	head := upgradeRequest("/echo")
	cases := []struct {
		name     string
		listener string
		stall    func(nc net.Conn) error // what the client does until it is cut
	}{
		{name: "silent", listener: "ws", stall: func(net.Conn) error { return nil }},
		{name: "silent http", listener: "http", stall: func(net.Conn) error { return nil }},
		{name: "trickled head", listener: "ws", stall: func(nc net.Conn) error {
			for i := range len(head) {
				if _, err := nc.Write([]byte{head[i]}); err != nil {
					return nil // cut while trickling: expected
				}
				time.Sleep(20 * time.Millisecond)
			}
			return errors.New("the whole head went through")
		}},
		{name: "head without its end", listener: "http", stall: func(nc net.Conn) error {
			_, err := io.WriteString(nc, head[:len(head)-2])
			return err
		}},
		{name: "idle keep-alive", listener: "http", stall: func(nc net.Conn) error {
			if _, err := io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				return err
			}
			return nil // the response is read (and skipped) by the reader below
		}},
	}
	var wg sync.WaitGroup
	for _, tc := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			nc, err := net.Dial("tcp", srv.Addr(tc.listener))
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				return
			}
			defer nc.Close()
			stallErr := make(chan error, 1)
			go func() { stallErr <- tc.stall(nc) }()
			nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = io.Copy(io.Discard, nc) // until the server closes
			took := time.Since(start)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Errorf("%s: not cut after %v", tc.name, took)
				return
			}
			if took < timeout-tick || took > timeout+2*tick+time.Second {
				t.Errorf("%s: cut after %v, want about %v", tc.name, took, timeout)
			}
			if err := <-stallErr; err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
		}()
	}
	wg.Wait()
	if got := srv.Stats().HandshakeTimeouts.Load(); got != int64(len(cases)) {
		t.Errorf("handshake timeouts counted %d, want %d", got, len(cases))
	}
	// The upgraded client has been idle past the handshake timeout and is still served.
	if err := upgraded.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := upgraded.ReadMessage(); err != nil || string(msg) != "still here" {
		t.Fatalf("upgraded connection: %q %v", msg, err)
	}
}

// TestMaxHandshaking: connections still in the HTTP phase are bounded; past the bound a new
// connection is closed at once (not at the handshake timeout), and the slot comes back.
func TestMaxHandshaking(t *testing.T) {
	const max = 4
	opt := testOptions()
	opt.MaxHandshaking = max
	rec := &logRecorder{}
	srv := startServer(t, opt, nil, withLogger(rec.logger()))

	// Upgraded connections do not hold a handshake slot.
	for range max {
		dial(t, srv.Addr("ws"), "/echo", nil)
	}
	var idle []net.Conn
	for range max {
		idle = append(idle, dialTCP(t, srv.Addr("http"), 0))
	}
	waitFor(t, "idle connections open", func() bool { return srv.inHS.Load() == max })

	const extra = 6
	floodStart := time.Now()
	for i := range extra {
		nc, err := net.Dial("tcp", srv.Addr([]string{"http", "ws"}[i%2]))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		io.WriteString(nc, upgradeRequest("/echo"))
		nc.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, err := io.Copy(io.Discard, nc)
		if ne, ok := err.(net.Error); ok && ne.Timeout() || n > 0 || time.Since(start) > time.Second {
			t.Fatalf("connection over the bound: read %d bytes, %v after %v", n, err, time.Since(start))
		}
		nc.Close()
	}
	if got := srv.inHS.Load(); got != max {
		t.Fatalf("handshaking %d after the refusals, want %d", got, max)
	}
	// Refusals under a flood are logged once per interval, not once each.
	if got, most := rec.find("too many connections in the handshake"), 1+int(time.Since(floodStart)/logEvery); len(got) < 1 || len(got) > most {
		t.Errorf("logged %d times, want 1 to %d: %q", len(got), most, got)
	}

	idle[0].Close()
	waitFor(t, "slot released", func() bool { return srv.inHS.Load() == max-1 })
	dial(t, srv.Addr("http"), "/echo", nil)
}

// TestSlowConsumer: in a broadcast, a client that stops reading is closed with 1008 once
// its backlog passes max_pending_bytes, while a reading client receives every message without
// waiting on it; the frames queued before the verdict and the close frame reach the slow one.
func TestSlowConsumer(t *testing.T) {
	opt := testOptions()
	opt.MaxPendingBytes = 64 << 10
	opt.CloseTimeout = 10 * time.Second // the slow client reads its close late
	srv := startServer(t, opt, nil)
	rt := srv.reg.Table().Lookup([]byte("/broadcast"), 0)

	stalled := dialRaw(t, srv.Addr("ws"), "/broadcast", 4096)
	reader, _ := dial(t, srv.Addr("http"), "/broadcast", nil)
	sender, _ := dial(t, srv.Addr("ws"), "/broadcast", nil)
	waitFor(t, "members joined", func() bool { return broadcastMembers(rt) == 3 })

	const size = 8 << 10
	msg := bytes.Repeat([]byte("s"), size)
	var got atomic.Int64 // messages the reader received intact and in order
	readerDone := make(chan error, 1)
	go func() {
		for n := 0; ; n++ {
			reader.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, p, err := reader.ReadMessage()
			if err != nil {
				readerDone <- err
				return
			}
			if !bytes.Equal(p[4:], msg[4:]) || int(p[0])|int(p[1])<<8|int(p[2])<<16 != n {
				readerDone <- fmt.Errorf("message %d out of order or corrupted", n)
				return
			}
			got.Add(1)
		}
	}()
	// Send until the stalled client is closed, and then some more. The sender keeps at most
	// a window ahead of the reader (which the socket buffers absorb), so the reader is never
	// slow itself, however slowly the race detector lets it run; the stalled client gets the
	// same messages and is never waited for.
	const window = 32
	sent, after := 0, -1
	start := time.Now()
	for after < 100 && sent < 20000 {
		for wait := time.Now(); int64(sent)-got.Load() > window; time.Sleep(time.Millisecond) {
			if time.Since(wait) > 5*time.Second {
				t.Fatalf("the reader is stuck at %d of %d messages", got.Load(), sent)
			}
		}
		msg[0], msg[1], msg[2] = byte(sent), byte(sent>>8), byte(sent>>16)
		if err := sender.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			t.Fatal(err)
		}
		sent++
		if after < 0 && srv.Stats().SlowClosed.Load() > 0 {
			after = 0
		}
		if after >= 0 {
			after++
		}
	}
	if after < 0 {
		t.Fatalf("stalled client not closed after %d messages of %d bytes", sent, size)
	}
	// The reader gets everything.
	waitFor(t, "reader caught up", func() bool { return got.Load() == int64(sent) })
	reader.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
	if err := <-readerDone; !websocket.IsCloseError(err, 1000) {
		t.Fatalf("reader after %d of %d messages: %v", got.Load(), sent, err)
	}
	t.Logf("%d messages of %d bytes in %v; the stalled client was closed after %d", sent, size, time.Since(start), sent-after)

	code, seen, err := stalled.ReadUntilClose(5 * time.Second)
	if err != nil || code != 1008 {
		t.Fatalf("stalled client: close %d, %v after %v", code, err, seen)
	}
	if seen[0x2] == 0 || seen[0x2] >= sent {
		t.Fatalf("stalled client received %d messages of %d before its close", seen[0x2], sent)
	}
	if got := srv.Stats().SlowClosed.Load(); got != 1 {
		t.Fatalf("slow closes %d, want 1", got)
	}
}

// pushApp is an application that writes to its connections from its own goroutine, as a
// backend feed would.
type pushApp struct {
	apps.Base
	size     int
	accepted atomic.Int64 // bytes WriteMessage took before it failed
	stopped  chan error   // the writer's last error
	closed   chan apps.CloseCode
}

func newPushApp(size int) *pushApp {
	return &pushApp{size: size, stopped: make(chan error, 1), closed: make(chan apps.CloseCode, 1)}
}

func (p *pushApp) OnOpen(c apps.Conn) {
	go func() {
		msg := bytes.Repeat([]byte("p"), p.size)
		for p.accepted.Load() < 256<<20 {
			if err := c.WriteMessage(apps.Binary, msg); err != nil {
				p.stopped <- err
				return
			}
			p.accepted.Add(int64(len(msg)))
		}
		p.stopped <- nil
	}()
}

func (p *pushApp) OnClose(_ apps.Conn, code apps.CloseCode, _ string) { p.closed <- code }

// TestOutputBoundForGoroutineWrites: writes from an application's own goroutine to a client
// that does not read stop with an error after a bounded amount, and the client is closed
// with 1008; nothing grows without bound.
func TestOutputBoundForGoroutineWrites(t *testing.T) {
	const max = 64 << 10
	opt := testOptions()
	opt.MaxPendingBytes = max
	opt.CloseTimeout = 300 * time.Millisecond
	app := newPushApp(4 << 10)
	srv := startServer(t, opt, withApp(t, apps.Spec{Name: "push", Path: "/push"}, app))
	dialRaw(t, srv.Addr("ws"), "/push", 4096) // never reads
	select {
	case err := <-app.stopped:
		if !errors.Is(err, apps.ErrClosed) {
			t.Fatalf("writer stopped with %v after %d bytes", err, app.accepted.Load())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("writes to a stalled client never failed (%d bytes taken)", app.accepted.Load())
	}
	// What was taken is what the kernel's socket buffers hold (a few MiB on loopback), plus
	// gnet's buffer (the bound, plus what one flush wrote: at most the transit bound) and the
	// transit queue (the transit bound plus one message).
	took := app.accepted.Load()
	t.Logf("writer stopped after %d bytes", took)
	if limit := int64(4<<20 + max + 2*srv.transitBound() + 2*app.size); took > limit {
		t.Fatalf("writer stopped after %d bytes, over %d", took, limit)
	}
	select {
	case code := <-app.closed:
		if code != apps.ClosePolicy {
			t.Fatalf("OnClose code %d, want 1008", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stalled connection never closed")
	}
}

// TestSlowCloseKeepsControlFrames: when a connection is closed for its output bound, the
// data queued behind the bound is dropped, but a pong already queued is not, and the close
// frame follows it.
func TestSlowCloseKeepsControlFrames(t *testing.T) {
	const max = 32 << 10
	opt := testOptions()
	opt.MaxPendingBytes = max
	opt.CloseTimeout = 10 * time.Second
	srv := startServer(t, opt, func(s *Server) {
		// "fill" queues far more than the bound from the loop, in one dispatch, and within
		// the transit bound; a small server send buffer leaves nearly all of it in gnet.
		err := s.Register(apps.Spec{Name: "fill", Path: "/fill"}, apps.Funcs{
			Open: func(c apps.Conn) { c.(*conn).gc.SetWriteBuffer(4096) },
			Message: func(c apps.Conn, _ apps.MessageType, data []byte) {
				msg := bytes.Repeat([]byte("f"), 16<<10)
				for range 32 {
					if err := c.WriteMessage(apps.Binary, msg); err != nil {
						t.Errorf("fill: %v", err)
					}
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	rc := dialRaw(t, srv.Addr("ws"), "/fill", 4096)
	if err := rc.Send(0x1, []byte("fill")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the fill is written and backs up in the server
	if err := rc.Send(0x9, []byte("are you there")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "slow close", func() bool { return srv.Stats().SlowClosed.Load() == 1 })
	code, seen, err := rc.ReadUntilClose(10 * time.Second)
	if err != nil || code != 1008 {
		t.Fatalf("close %d, %v; frames %v", code, err, seen)
	}
	if seen[0xA] != 1 || seen[0x2] != 32 {
		t.Fatalf("want the 32 messages written before the verdict, the pong, then the close: frames %v", seen)
	}
}

// TestUpgradeBurstNeverOverLimit: many upgrades at once, on both listeners and two
// applications, never admit more than max_connections in total or an application's own limit.
func TestUpgradeBurstNeverOverLimit(t *testing.T) {
	const total, appLimit, tries = 30, 10, 60
	opt := testOptions()
	opt.MaxConnections = total
	var open, peak, limitedOpen, limitedPeak atomic.Int64
	gauge := func(n, peak *atomic.Int64, d int64) {
		v := n.Add(d)
		for p := peak.Load(); v > p && !peak.CompareAndSwap(p, v); p = peak.Load() {
		}
	}
	srv := startServer(t, opt, func(s *Server) {
		for _, a := range []struct {
			name string
			max  int
			n, p *atomic.Int64
		}{{"limited", appLimit, &limitedOpen, &limitedPeak}, {"free", 0, nil, nil}} {
			err := s.Register(apps.Spec{Name: a.name, Path: "/" + a.name, MaxConnections: a.max}, apps.Funcs{
				Open: func(apps.Conn) {
					gauge(&open, &peak, 1)
					if a.n != nil {
						gauge(a.n, a.p, 1)
					}
				},
				Close: func(apps.Conn, apps.CloseCode, string) {
					gauge(&open, &peak, -1)
					if a.n != nil {
						gauge(a.n, a.p, -1)
					}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	gate := make(chan struct{})
	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		ok, refused, other = map[string]int{}, 0, []error(nil)
	)
	for i := range 2 * tries {
		path := []string{"/limited", "/free"}[i%2]
		addr := srv.Addr([]string{"http", "ws"}[(i/2)%2])
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			rc, err := wstest.Dial(addr, path, wstest.Options{Timeout: 5 * time.Second})
			mu.Lock()
			defer mu.Unlock()
			var se *wstest.StatusError
			switch {
			case err == nil:
				ok[path]++
				t.Cleanup(func() { rc.Close() })
			case errors.As(err, &se) && se.Status == 503:
				refused++
			default:
				other = append(other, err)
			}
		}()
	}
	close(gate)
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("%d upgrades failed otherwise than 503: %v", len(other), other[0])
	}
	n := ok["/limited"] + ok["/free"]
	t.Logf("admitted %v, refused %d", ok, refused)
	if n > total || ok["/limited"] > appLimit || peak.Load() > total || limitedPeak.Load() > appLimit {
		t.Fatalf("over a limit: admitted %v (peak %d total, %d limited)", ok, peak.Load(), limitedPeak.Load())
	}
	// A refusal for the total happens only when it is full but for the slots the upgrades in
	// flight on the other loops hold a moment for an application that then refuses.
	if n < total-srv.opt().EventLoops {
		t.Fatalf("admitted %d of %d slots", n, total)
	}
	if n+refused != 2*tries || srv.Connections() != int64(n) {
		t.Fatalf("admitted %d + refused %d of %d; server counts %d", n, refused, 2*tries, srv.Connections())
	}
}

// TestApplicationPanicIsolated: a panic in any callback is recovered, logged once with its
// stack, and closes only its own connection (1011, or 500 in the handshake); other clients
// and the loop go on.
func TestApplicationPanicIsolated(t *testing.T) {
	rec := &logRecorder{}
	srv := startServer(t, nil, withApp(t, apps.Spec{Name: "fragile", Path: "/fragile"}, apps.Funcs{
		Handshake: func(h *apps.Handshake) error {
			if string(h.Query) == "in=handshake" {
				panic("handshake boom")
			}
			return nil
		},
		Open: func(c apps.Conn) {
			if c.Listener() == "http" {
				panic("open boom")
			}
		},
		Message: func(c apps.Conn, t apps.MessageType, data []byte) {
			switch string(data) {
			case "panic":
				panic("message boom")
			case "panic on close":
				c.SetValue("panic")
			}
			c.WriteMessage(t, data)
		},
		Close: func(c apps.Conn, _ apps.CloseCode, _ string) {
			if c.Value() == "panic" {
				panic("close boom")
			}
		},
	}), withLogger(rec.logger()))
	bystander, _ := dial(t, srv.Addr("ws"), "/fragile", nil)
	echo := func(what string) {
		t.Helper()
		if err := bystander.WriteMessage(websocket.TextMessage, []byte(what)); err != nil {
			t.Fatalf("bystander after %s: %v", what, err)
		}
		if _, got, err := bystander.ReadMessage(); err != nil || string(got) != what {
			t.Fatalf("bystander after %s: %q %v", what, got, err)
		}
	}
	closeCode := func(c *websocket.Conn) int {
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("want a close frame, got %v", err)
		}
		return ce.Code
	}
	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"OnHandshake", func(t *testing.T) {
			if r := roundTrip(t, srv.Addr("ws"), upgradeRequest("/fragile?in=handshake"), 0); r.status != 500 || !r.closed {
				t.Fatalf("status %d closed %v, want 500 and a close", r.status, r.closed)
			}
		}},
		{"OnOpen", func(t *testing.T) {
			c, _ := dial(t, srv.Addr("http"), "/fragile", nil)
			if code := closeCode(c); code != 1011 {
				t.Fatalf("close %d, want 1011", code)
			}
		}},
		{"OnMessage", func(t *testing.T) {
			c, _ := dial(t, srv.Addr("ws"), "/fragile", nil)
			c.WriteMessage(websocket.TextMessage, []byte("panic"))
			if code := closeCode(c); code != 1011 {
				t.Fatalf("close %d, want 1011", code)
			}
		}},
		{"OnClose", func(t *testing.T) {
			c, _ := dial(t, srv.Addr("ws"), "/fragile", nil)
			c.WriteMessage(websocket.TextMessage, []byte("panic on close"))
			c.ReadMessage()
			c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
			if code := closeCode(c); code != 1000 {
				t.Fatalf("close %d, want 1000", code)
			}
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t)
			waitFor(t, "panic logged", func() bool { return len(rec.find("application panic")) >= i+1 })
			logged := rec.find("application panic")
			if len(logged) != i+1 || srv.Stats().AppPanics.Load() != int64(i+1) {
				t.Fatalf("%d panics counted, %d logged, after %d: %q", srv.Stats().AppPanics.Load(), len(logged), i+1, logged)
			}
			if last := logged[i]; !bytes.Contains([]byte(last), []byte("callback="+tc.name)) ||
				!bytes.Contains([]byte(last), []byte("robust_test.go")) {
				t.Fatalf("panic record without its callback or stack: %.300q", last)
			}
			echo("after a panic in " + tc.name)
		})
	}
}

// TestKeepControlFrames: the slow-close path keeps exactly the control frames of a queue of
// whole frames, in order, whatever the length encoding of the data frames around them.
func TestKeepControlFrames(t *testing.T) {
	data := func(n int) []byte {
		return wsproto.AppendFrame(nil, wsproto.OpBinary, false, bytes.Repeat([]byte("d"), n))
	}
	pong := wsproto.AppendFrame(nil, wsproto.OpPong, false, []byte("p1"))
	ping := wsproto.AppendFrame(nil, wsproto.OpPing, false, nil)
	closeFrame := wsproto.AppendClose(nil, 1000, "bye")
	cat := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }
	cases := []struct {
		name     string
		in, want []byte
	}{
		{name: "empty", in: nil, want: nil},
		{name: "data only", in: cat(data(10), data(200), data(70000)), want: nil},
		{name: "control only", in: cat(pong, ping), want: cat(pong, ping)},
		{name: "between every length encoding", in: cat(data(125), pong, data(126), ping, data(65536), closeFrame, data(0)),
			want: cat(pong, ping, closeFrame)},
		{name: "deflated data", in: cat(wsproto.AppendFrame(nil, wsproto.OpText, true, []byte("zz")), pong), want: pong},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := keepControlFrames(bytes.Clone(tc.in))
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %x, want %x", got, tc.want)
			}
		})
	}
}

// TestSlowCallbackLogged: a callback that holds its loop past the threshold is logged with
// its application and duration; one that blocks longer is reported while it still blocks;
// fast ones are not logged.
func TestSlowCallbackLogged(t *testing.T) {
	rec := &logRecorder{}
	srv := startServer(t, nil, func(s *Server) {
		s.g.slowCallback = 100 * time.Millisecond
		s.g.stuckLoop = 300 * time.Millisecond
		err := s.Register(apps.Spec{Name: "sleepy", Path: "/sleepy"}, apps.Funcs{
			Message: func(c apps.Conn, t apps.MessageType, data []byte) {
				if d, err := time.ParseDuration(string(data)); err == nil {
					time.Sleep(d)
				}
				c.WriteMessage(t, data)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}, withLogger(rec.logger()))
	c, _ := dial(t, srv.Addr("ws"), "/sleepy", nil)
	send := func(msg string) {
		t.Helper()
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	read := func() {
		t.Helper()
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		send("fast")
		read()
	}
	if got := srv.Stats().SlowCallbacks.Load(); got != 0 {
		t.Fatalf("%d slow callbacks counted for fast ones", got)
	}
	send("250ms")
	read()
	logged := rec.find("slow application callback")
	if srv.Stats().SlowCallbacks.Load() != 1 || len(logged) != 1 {
		t.Fatalf("slow callbacks: counted %d, logged %q", srv.Stats().SlowCallbacks.Load(), logged)
	}
	if !strings.Contains(logged[0], "app=sleepy") || !strings.Contains(logged[0], "callback=OnMessage") {
		t.Fatalf("record %q", logged[0])
	}
	if i := strings.Index(logged[0], "took="); i < 0 {
		t.Fatalf("no duration in %q", logged[0])
	} else if took, err := time.ParseDuration(strings.Fields(logged[0][i+5:])[0]); err != nil ||
		took < 250*time.Millisecond-2*clockInterval || took > 250*time.Millisecond+2*clockInterval+100*time.Millisecond {
		t.Fatalf("took %v (%v), want about 250ms", took, err)
	}

	// A blocked loop is reported before the callback returns.
	send("1500ms")
	waitFor(t, "loop stall reported", func() bool { return srv.Stats().LoopStalls.Load() == 1 })
	if srv.Stats().SlowCallbacks.Load() != 1 {
		t.Fatal("the stall was reported only after the callback returned")
	}
	if got := rec.find("event loop blocked"); len(got) != 1 {
		t.Fatalf("stall records %q", got)
	}
	read()
	waitFor(t, "slow callback counted", func() bool { return srv.Stats().SlowCallbacks.Load() == 2 })
}

// TestPipelinedRequestsNotRead: an HTTP client that pipelines requests without reading the
// responses is closed once its unread output passes max_pending_bytes, instead of having the
// server buffer every response.
func TestPipelinedRequestsNotRead(t *testing.T) {
	opt := testOptions()
	opt.MaxPendingBytes = 64 << 10
	srv := startServer(t, opt, nil)
	d := net.Dialer{}
	nc, err := d.Dial("tcp", srv.Addr("http"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.(*net.TCPConn).SetReadBuffer(4096)
	const n = 20000 // about 24 MiB of responses
	reqs := bytes.Repeat([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), n)
	go nc.Write(reqs) // fails once the server closes
	waitFor(t, "the connection closed at its bound", func() bool { return srv.Stats().SlowClosed.Load() == 1 })
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(nc)
	if isTimeout(err) {
		t.Fatal("the connection stayed open")
	}
	if responses := bytes.Count(got, []byte("HTTP/1.1 200")); responses >= n {
		t.Fatalf("all %d responses were buffered", responses)
	}
	if srv.Stats().HTTPRequests.Load() >= n {
		t.Fatalf("all %d requests were answered", n)
	}
}
