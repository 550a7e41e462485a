package engine

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/internal/wstest"
)

// testOptions are the default gateway's listeners (the HTTP service and the standalone
// server "ws") on ephemeral loopback ports, with two event loops.
func testOptions() *Options {
	return &Options{
		HTTP:       Listener{Address: "127.0.0.1:0"},
		Standalone: []Listener{{Name: "ws", Address: "127.0.0.1:0"}},
		EventLoops: 2,
	}
}

// defaultSpecs are the applications of the default configuration: echo at /echo
// (subprotocol echo.v1, permessage-deflate) and broadcast at /broadcast, on both servers.
func defaultSpecs() []apps.Spec {
	return []apps.Spec{
		{Name: "echo", Path: "/echo", Scope: []string{"http", "ws"}, Subprotocols: []string{"echo.v1"}, Compression: true},
		{Name: "broadcast", Path: "/broadcast", Scope: []string{"http", "ws"}},
	}
}

// registerDefaults registers the default applications; compressAll offers
// permessage-deflate on both.
func registerDefaults(tb testing.TB, s *Server, compressAll bool) {
	tb.Helper()
	for _, spec := range defaultSpecs() {
		spec.Compression = spec.Compression || compressAll
		app, err := builtin.New(spec.Name)
		if err == nil {
			err = s.Register(spec, app)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// withLogger sets the server's logger.
func withLogger(l *slog.Logger) func(*Options) { return func(o *Options) { o.Logger = l } }

// testLogger writes to the test log at debug level when WSGATE_TEST_LOG is set.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("WSGATE_TEST_LOG") == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startServer starts a server on opt (testOptions when nil) with the default applications,
// after setup registers more; it is stopped when the test ends. tweaks adjust the options
// after the test defaults (the test logger).
func startServer(t testing.TB, opt *Options, setup func(*Server), tweaks ...func(*Options)) *Server {
	t.Helper()
	if opt == nil {
		opt = testOptions()
	}
	o := *opt
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	for _, tw := range tweaks {
		tw(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	registerDefaults(t, srv, false)
	if setup != nil {
		setup(srv)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Stop(ctx)
	})
	return srv
}

// response is an HTTP response read from a raw socket.
type response struct {
	status    int
	header    http.Header
	body      string
	closed    bool // the server closed the connection after the response
	connClose bool // the response said Connection: close (net/http moves it out of header)
}

// roundTrip writes raw bytes to addr (in pieces of at most chunk bytes when chunk > 0) and
// reads one response.
func roundTrip(t testing.TB, addr, raw string, chunk int) response {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if chunk <= 0 {
		chunk = len(raw)
	}
	for i := 0; i < len(raw); i += chunk {
		if _, err := io.WriteString(nc, raw[i:min(i+chunk, len(raw))]); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	br := bufio.NewReader(nc)
	method := strings.SplitN(raw, " ", 2)[0]
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read response to %q: %v", firstLine(raw), err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	r := response{status: resp.StatusCode, header: resp.Header, body: string(body), connClose: resp.Close}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		// A close comes at once after a refusal; a kept-alive connection is given a
		// moment to show that it stays open.
		wait := 300 * time.Millisecond
		if resp.Close {
			wait = 3 * time.Second
		}
		nc.SetReadDeadline(time.Now().Add(wait))
		var one [1]byte
		_, err := br.Read(one[:])
		r.closed = err == io.EOF
	}
	return r
}

func firstLine(s string) string {
	if i := strings.Index(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// upgradeRequest builds an upgrade request for path with extra header lines.
func upgradeRequest(path string, extra ...string) string {
	var b strings.Builder
	b.WriteString("GET " + path + " HTTP/1.1\r\nHost: gw.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// dial opens a WebSocket client connection with gorilla/websocket.
func dial(t testing.TB, addr, path string, header http.Header, protocols ...string) (*websocket.Conn, *http.Response) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 3 * time.Second, Subprotocols: protocols}
	c, resp, err := d.Dial("ws://"+addr+path, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s%s: %v (status %d)", addr, path, err, status)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	return c, resp
}

// withApp is a startServer setup that registers app under spec, failing the test if the
// registry refuses it.
func withApp(t testing.TB, spec apps.Spec, app apps.Application) func(*Server) {
	return func(s *Server) {
		t.Helper()
		if err := s.Register(spec, app); err != nil {
			t.Fatalf("register %s: %v", spec.Name, err)
		}
	}
}

// serveUpstream runs handle for every connection to a loopback listener (wstest.Serve):
// the upstream a proxy test points the gateway at. The listener closes when the test ends.
func serveUpstream(t testing.TB, handle func(nc net.Conn)) net.Listener {
	t.Helper()
	ln, err := wstest.Serve(handle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// dialTCP opens a raw socket to addr with a deadline for all its reads and writes (none
// when 0); it is closed when the test ends.
func dialTCP(t testing.TB, addr string, deadline time.Duration) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	if deadline > 0 {
		nc.SetDeadline(time.Now().Add(deadline))
	}
	return nc
}

// sendPing sends a ping with payload on c and returns a check that fails the test unless its
// pong has come back; gorilla runs the pong handler while the caller reads, so the check
// goes after a read.
func sendPing(t testing.TB, c *websocket.Conn, payload string) (pongBack func()) {
	t.Helper()
	pong := make(chan string, 1)
	c.SetPongHandler(func(s string) error { pong <- s; return nil })
	if err := c.WriteControl(websocket.PingMessage, []byte(payload), time.Now().Add(time.Second)); err != nil {
		t.Fatalf("ping: %v", err)
	}
	return func() {
		t.Helper()
		select {
		case s := <-pong:
			if s != payload {
				t.Fatalf("pong %q, want %q", s, payload)
			}
		default:
			t.Fatal("no pong before the read returned")
		}
	}
}
