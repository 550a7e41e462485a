package engine

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sys/unix"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/tlsconn"
	"github.com/wsgate/wsgate/internal/wstest"
)

// wsUpstream is a real WebSocket server (gorilla) behind the gateway. It echoes every
// message with its type; "close:<code>:<reason>" makes it close with that code and reason;
// "drop" makes it drop the TCP connection without a close frame.
type wsUpstream struct {
	srv      *httptest.Server
	upgrades atomic.Int64
	mu       sync.Mutex
	headers  []http.Header // request headers of every upgrade
	closes   []string      // "code reason" of every close frame received
	status   int           // refuse every upgrade with this status when not 0
	refusal  http.Header   // header lines of that refusal
}

func newWSUpstream(t *testing.T, compress bool) *wsUpstream {
	u := &wsUpstream{}
	up := websocket.Upgrader{Subprotocols: []string{"chat", "superchat"}, EnableCompression: compress,
		CheckOrigin: func(*http.Request) bool { return true }}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.headers = append(u.headers, r.Header.Clone())
		status := u.status
		u.mu.Unlock()
		if status != 0 {
			for k, v := range u.refusal {
				w.Header()[k] = v
			}
			http.Error(w, "no", status)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		u.upgrades.Add(1)
		defer c.Close()
		c.SetCloseHandler(func(code int, text string) error {
			u.mu.Lock()
			u.closes = append(u.closes, fmt.Sprintf("%d %s", code, text))
			u.mu.Unlock()
			return c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
		})
		for {
			t, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			switch s := string(p); {
			case strings.HasPrefix(s, "close:"):
				f := strings.SplitN(s, ":", 3)
				code, _ := strconv.Atoi(f[1])
				_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, f[2]), time.Now().Add(time.Second))
			case s == "drop":
				c.UnderlyingConn().Close()
				return
			default:
				if err := c.WriteMessage(t, p); err != nil {
					return
				}
			}
		}
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// newWSSUpstream is newWSUpstream over TLS; caFile trusts its certificate.
func newWSSUpstream(t *testing.T) (u *wsUpstream, caFile string) {
	u = newWSUpstream(t, false)
	u.srv.Close()
	h := u.srv.Config.Handler
	u.srv = httptest.NewUnstartedServer(h)
	u.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake of a test is expected
	u.srv.StartTLS()
	t.Cleanup(u.srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: u.srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return u, caFile
}

func (u *wsUpstream) url(path string) string {
	return "ws" + strings.TrimPrefix(u.srv.URL, "http") + path
}

func (u *wsUpstream) lastHeader() http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.headers) == 0 {
		return nil
	}
	return u.headers[len(u.headers)-1]
}

func (u *wsUpstream) waitClose(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		u.mu.Lock()
		got := slicesContains(u.closes, want)
		u.mu.Unlock()
		if got {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	t.Fatalf("the upstream never got close %q; it got %q", want, u.closes)
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// tokenAuth lets in "Bearer <user>" for the users it lists.
type tokenAuth struct{ users []string }

func (tokenAuth) NeedsSlowCheck([]byte) bool { return false }
func (a tokenAuth) Verify(authorization []byte, _ [][]byte) (string, error) {
	user, ok := strings.CutPrefix(string(authorization), "Bearer ")
	if ok && slicesContains(a.users, user) {
		return user, nil
	}
	return "", handshake.NewError(401, "Unauthorized", "WWW-Authenticate: Bearer\r\n")
}

// startProxy starts a gateway with one proxy application at /p.
func startProxy(t *testing.T, spec apps.Spec, cfg ProxyConfig) *Server {
	t.Helper()
	px, err := NewProxy(cfg)
	if err != nil {
		t.Fatalf("NewProxy: %v", err)
	}
	spec.Name, spec.Path = "p", "/p"
	return startServer(t, nil, withApp(t, spec, px))
}

func TestProxyWebSocketUpstream(t *testing.T) {
	up := newWSUpstream(t, false)
	srv := startProxy(t, apps.Spec{Auth: tokenAuth{users: []string{"alice"}}}, ProxyConfig{Upstream: up.url("/ws")})
	addr := srv.Addr(HTTPService)

	h := http.Header{"Origin": {"https://app.example"}, "Cookie": {"session=42"}, "Authorization": {"Bearer alice"},
		"X-Private": {"not forwarded"}}
	c, resp := dial(t, addr, "/p?room=7", h, "nochat", "chat")
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "chat" {
		t.Fatalf("client got subprotocol %q, want the upstream's choice %q", got, "chat")
	}
	uh := up.lastHeader()
	for name, want := range map[string]string{
		"Origin": "https://app.example", "Cookie": "session=42", "Authorization": "Bearer alice",
		"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "http", "X-Forwarded-Host": addr,
		"X-Wsgate-User": "alice", "Sec-Websocket-Protocol": "nochat, chat", "X-Private": "",
	} {
		if got := uh.Get(name); got != want {
			t.Errorf("upstream header %s = %q, want %q", name, got, want)
		}
	}

	t.Run("messages keep their type", func(t *testing.T) {
		for _, m := range []struct {
			typ  int
			data []byte
		}{
			{websocket.TextMessage, []byte("hello")},
			{websocket.BinaryMessage, []byte{0, 1, 2, 255}},
			{websocket.TextMessage, bytes.Repeat([]byte("x"), 200<<10)},
			{websocket.BinaryMessage, nil},
		} {
			if err := c.WriteMessage(m.typ, m.data); err != nil {
				t.Fatal(err)
			}
			typ, got, err := c.ReadMessage()
			if err != nil || typ != m.typ || !bytes.Equal(got, m.data) {
				t.Fatalf("echo: type %d (want %d), %d bytes (want %d), err %v", typ, m.typ, len(got), len(m.data), err)
			}
		}
	})
	t.Run("pings are answered by the gateway", func(t *testing.T) {
		pongBack := sendPing(t, c, "p1")
		if err := c.WriteMessage(websocket.TextMessage, []byte("after ping")); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.ReadMessage(); err != nil || string(got) != "after ping" {
			t.Fatalf("%q %v", got, err)
		}
		pongBack() // before the next message
	})
	t.Run("upstream close code reaches the client", func(t *testing.T) {
		if err := c.WriteMessage(websocket.TextMessage, []byte("close:4001:upstream says bye")); err != nil {
			t.Fatal(err)
		}
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 4001 || ce.Text != "upstream says bye" {
			t.Fatalf("client read %v, want close 4001", err)
		}
	})

	t.Run("client close code reaches the upstream", func(t *testing.T) {
		c2, _ := dial(t, addr, "/p", http.Header{"Authorization": {"Bearer alice"}})
		msg := websocket.FormatCloseMessage(4002, "client says bye")
		if err := c2.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		up.waitClose(t, "4002 client says bye")
	})

	t.Run("no upstream connection without authentication", func(t *testing.T) {
		before := len(up.headersSnapshot())
		r := roundTrip(t, addr, upgradeRequest("/p"), 0)
		if r.status != 401 {
			t.Fatalf("status %d, want 401", r.status)
		}
		if after := len(up.headersSnapshot()); after != before {
			t.Fatalf("the upstream got %d requests from an unauthenticated client", after-before)
		}
	})
}

func (u *wsUpstream) headersSnapshot() []http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]http.Header(nil), u.headers...)
}

func TestProxySecureUpstream(t *testing.T) {
	up, ca := newWSSUpstream(t)
	if !strings.HasPrefix(up.url("/"), "wss://") {
		t.Fatalf("upstream URL %s", up.url("/"))
	}
	t.Run("trusted", func(t *testing.T) {
		// httptest's certificate names 127.0.0.1 and example.com.
		srv := startProxy(t, apps.Spec{}, ProxyConfig{Upstream: up.url("/secure"), UpstreamTLSCA: ca})
		c, _ := dial(t, srv.Addr(HTTPService), "/p", nil, "superchat")
		for i := range 20 {
			msg := bytes.Repeat([]byte{byte(i)}, 1000*i)
			if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				t.Fatal(err)
			}
			if _, got, err := c.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("echo over wss: %d bytes, %v", len(got), err)
			}
		}
		if got := up.lastHeader().Get("X-Forwarded-Proto"); got != "http" {
			t.Errorf("X-Forwarded-Proto %q", got)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := startProxy(t, apps.Spec{}, ProxyConfig{Upstream: up.url("/secure")})
		if r := roundTrip(t, srv.Addr(HTTPService), upgradeRequest("/p"), 0); r.status != 502 {
			t.Fatalf("status %d, want 502", r.status)
		}
	})
}

func TestProxyUpstreamFailsDuringSession(t *testing.T) {
	up := newWSUpstream(t, false)
	srv := startProxy(t, apps.Spec{}, ProxyConfig{Upstream: up.url("/")})
	// A raw client: gorilla/websocket v1.5.3 refuses close code 1014 as invalid, though the
	// IANA registry has it (RFC 6455 §11.7) and browsers accept it.
	rc := dialRaw(t, srv.Addr(HTTPService), "/p", 0)
	if err := rc.Send(0x1, []byte("drop")); err != nil {
		t.Fatal(err)
	}
	code, _, err := rc.ReadUntilClose(5 * time.Second)
	if err != nil || code != 1014 {
		t.Fatalf("client got close %d (%v), want 1014", code, err)
	}
	if srv.Stats().UpstreamFailures.Load() == 0 {
		t.Error("UpstreamFailures not counted")
	}
}

func TestProxyCompressionPerSide(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		upstream, app, cli   bool
		wantClientExtensions bool
	}{
		{name: "both sides", upstream: true, app: true, cli: true, wantClientExtensions: true},
		{name: "client side only", upstream: false, app: true, cli: true, wantClientExtensions: true},
		{name: "upstream side only", upstream: true, app: true, cli: false},
		{name: "neither", upstream: true, app: false, cli: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			up := newWSUpstream(t, tt.upstream)
			srv := startProxy(t, apps.Spec{Compression: tt.app}, ProxyConfig{Upstream: up.url("/")})
			d := websocket.Dialer{EnableCompression: tt.cli, HandshakeTimeout: 3 * time.Second}
			c, resp, err := d.Dial("ws://"+srv.Addr(HTTPService)+"/p", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := resp.Header.Get("Sec-WebSocket-Extensions") != ""; got != tt.wantClientExtensions {
				t.Fatalf("client extensions %q", resp.Header.Get("Sec-WebSocket-Extensions"))
			}
			c.EnableWriteCompression(true)
			msg := bytes.Repeat([]byte("compress me, "), 1000)
			for range 3 {
				if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
					t.Fatal(err)
				}
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, got, err := c.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("echo: %d bytes, %v", len(got), err)
				}
			}
			offered := up.lastHeader().Get("Sec-Websocket-Extensions")
			if (offered != "") != tt.app {
				t.Fatalf("upstream offer %q with app compression %v", offered, tt.app)
			}
		})
	}
}

func TestProxyRefusals(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			nc, err := silent.Accept()
			if err != nil {
				return
			}
			defer nc.Close()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	notWS := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	defer notWS.Close()

	tests := []struct {
		name     string
		upstream func(t *testing.T) string
		status   int
		header   http.Header // lines the client's answer must carry
	}{
		{name: "upstream 401 with its challenges", upstream: func(t *testing.T) string {
			u := newWSUpstream(t, false)
			u.status, u.refusal = 401, http.Header{"Www-Authenticate": {`Basic realm="devices"`, "Bearer"}}
			return u.url("/")
		}, status: 401, header: http.Header{"Www-Authenticate": {`Basic realm="devices"`, "Bearer"}}},
		{name: "upstream 429 with Retry-After", upstream: func(t *testing.T) string {
			u := newWSUpstream(t, false)
			u.status, u.refusal = 429, http.Header{"Retry-After": {"30"}}
			return u.url("/")
		}, status: 429, header: http.Header{"Retry-After": {"30"}}},
		{name: "upstream 403", upstream: func(t *testing.T) string { u := newWSUpstream(t, false); u.status = 403; return u.url("/") }, status: 403},
		{name: "upstream 404", upstream: func(t *testing.T) string { u := newWSUpstream(t, false); u.status = 404; return u.url("/") }, status: 404},
		{name: "upstream 500", upstream: func(t *testing.T) string { u := newWSUpstream(t, false); u.status = 500; return u.url("/") }, status: 502},
		{name: "upstream 200, not an upgrade", upstream: func(*testing.T) string { return "ws" + strings.TrimPrefix(notWS.URL, "http") }, status: 502},
		{name: "unreachable ws", upstream: func(*testing.T) string { return "ws://" + closedAddr + "/" }, status: 502},
		{name: "unreachable tcp", upstream: func(*testing.T) string { return "tcp://" + closedAddr }, status: 502},
		{name: "unreachable unix", upstream: func(t *testing.T) string { return "unix://" + filepath.Join(t.TempDir(), "none.sock") }, status: 502},
		{name: "no answer", upstream: func(*testing.T) string { return "ws://" + silent.Addr().String() + "/" }, status: 504},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startProxy(t, apps.Spec{}, ProxyConfig{Upstream: tt.upstream(t), ConnectTimeout: 300 * time.Millisecond})
			r := roundTrip(t, srv.Addr(HTTPService), upgradeRequest("/p"), 0)
			if r.status != tt.status || !r.closed {
				t.Fatalf("status %d closed %v, want %d and closed", r.status, r.closed, tt.status)
			}
			for k, v := range tt.header {
				if got := r.header[k]; !slices.Equal(got, v) {
					t.Fatalf("%s %q, want %q", k, got, v)
				}
			}
			if srv.Connections() != 0 {
				t.Fatalf("%d connections left counted", srv.Connections())
			}
			for _, a := range srv.Applications() {
				if a.Name == "p" && a.Connections != 0 {
					t.Fatalf("the application's slot was not released: %d", a.Connections)
				}
			}
		})
	}
}

// echoServer is a byte-stream echo upstream on network ("tcp" or "unix").
func echoServer(t *testing.T, network, address string) net.Listener {
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				_, _ = io.Copy(nc, nc)
			}()
		}
	}()
	return ln
}

func TestProxyByteStreamUpstreams(t *testing.T) {
	tcp := echoServer(t, "tcp", "127.0.0.1:0")
	unixPath := filepath.Join(t.TempDir(), "echo.sock")
	echoServer(t, "unix", unixPath)
	for _, tt := range []struct {
		name     string
		upstream string
		messages apps.MessageType
		want     int
	}{
		{name: "tcp binary", upstream: "tcp://" + tcp.Addr().String(), want: websocket.BinaryMessage},
		{name: "unix binary", upstream: "unix://" + unixPath, want: websocket.BinaryMessage},
		{name: "tcp text", upstream: "tcp://" + tcp.Addr().String(), messages: apps.Text, want: websocket.TextMessage},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startProxy(t, apps.Spec{Subprotocols: []string{"mqtt"}}, ProxyConfig{Upstream: tt.upstream, StreamMessages: tt.messages})
			c, resp := dial(t, srv.Addr(HTTPService), "/p", nil, "mqtt")
			if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "mqtt" {
				t.Fatalf("subprotocol %q", got)
			}
			// Text and binary messages both become bytes; what comes back is the same bytes,
			// cut into messages as the upstream's reads fall. "é" tests a rune across messages.
			var sent bytes.Buffer
			for i := range 200 {
				m := []byte(fmt.Sprintf("message %d é ", i))
				typ := websocket.BinaryMessage
				if i%2 == 0 {
					typ = websocket.TextMessage
				}
				if err := c.WriteMessage(typ, m); err != nil {
					t.Fatal(err)
				}
				sent.Write(m)
			}
			big := bytes.Repeat([]byte("0123456789"), 100<<10)
			if err := c.WriteMessage(websocket.BinaryMessage, big); err != nil {
				t.Fatal(err)
			}
			sent.Write(big)
			var got bytes.Buffer
			for got.Len() < sent.Len() {
				typ, p, err := c.ReadMessage()
				if err != nil {
					t.Fatalf("after %d of %d bytes: %v", got.Len(), sent.Len(), err)
				}
				if typ != tt.want {
					t.Fatalf("message type %d, want %d", typ, tt.want)
				}
				got.Write(p)
			}
			if !bytes.Equal(got.Bytes(), sent.Bytes()) {
				t.Fatal("the bytes that came back differ from those sent")
			}
		})
	}
}

func TestProxyStreamUpstreamCloses(t *testing.T) {
	ln := serveUpstream(t, func(nc net.Conn) {
		nc.Write([]byte("bye"))
		nc.Close()
	})
	srv := startProxy(t, apps.Spec{}, ProxyConfig{Upstream: "tcp://" + ln.Addr().String()})
	c, _ := dial(t, srv.Addr(HTTPService), "/p", nil)
	if _, p, err := c.ReadMessage(); err != nil || string(p) != "bye" {
		t.Fatalf("%q %v", p, err)
	}
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 1000 {
		t.Fatalf("client read %v, want close 1000", err)
	}
}

func TestProxyClientLeavingClosesUpstream(t *testing.T) {
	eof := make(chan error, 1)
	ln := serveUpstream(t, func(nc net.Conn) {
		defer nc.Close()
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := io.Copy(io.Discard, nc)
		eof <- err
	})
	srv := startProxy(t, apps.Spec{}, ProxyConfig{Upstream: "tcp://" + ln.Addr().String()})
	c, _ := dial(t, srv.Addr(HTTPService), "/p", nil)
	c.WriteMessage(websocket.BinaryMessage, []byte("x"))
	c.UnderlyingConn().Close() // no close frame: the connection is lost
	select {
	case err := <-eof:
		if err != nil {
			t.Fatalf("upstream read: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream connection stayed open after the client left")
	}
}

func TestProxyConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		cfg  ProxyConfig
		want string
	}{
		{ProxyConfig{Upstream: "http://x"}, "scheme"},
		{ProxyConfig{Upstream: "tcp://host"}, "tcp://host:port"},
		{ProxyConfig{Upstream: "unix://relative"}, "unix:///path"},
		{ProxyConfig{Upstream: "ws://"}, "no host"},
		{ProxyConfig{Upstream: "tcp://h:1", UpstreamTLSInsecure: true}, "wss://"},
		{ProxyConfig{Upstream: "wss://h", UpstreamTLSCA: "/nonexistent.pem"}, "upstream_tls_ca"},
		{ProxyConfig{Upstream: "ws://h", ForwardHeaders: []string{"Bad Name"}}, "forward_headers"},
		{ProxyConfig{Upstream: "ws://h", StreamMessages: 9}, "stream_messages"},
	} {
		_, err := NewProxy(tt.cfg)
		if err == nil || !errors.Is(err, ErrProxyConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewProxy(%+v) = %v, want an error naming %q", tt.cfg, err, tt.want)
		}
	}
}

// TestProxySecureClient: a wss:// client of a secure listener proxied to a wss:// upstream,
// TLS on both sides of the pair on one loop; the upstream is told the client came by https.
func TestProxySecureClient(t *testing.T) {
	up, ca := newWSSUpstream(t)
	px, err := NewProxy(ProxyConfig{Upstream: up.url("/"), UpstreamTLSCA: ca})
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := tlsconn.GenerateSelfSigned(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opt := testOptions()
	opt.Standalone[0].TLSCert, opt.Standalone[0].TLSKey = certFile, keyFile
	srv := startServer(t, opt, withApp(t, apps.Spec{Name: "p", Path: "/p", Scope: []string{"ws"}}, px))
	c := dialTLS(t, srv.Addr("ws"), "/p", certPool(t, certFile), tls.VersionTLS13)
	for i := range 10 {
		msg := bytes.Repeat([]byte{'a' + byte(i)}, 50000*i+1)
		if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
			t.Fatal(err)
		}
		if typ, got, err := c.ReadMessage(); err != nil || typ != websocket.TextMessage || !bytes.Equal(got, msg) {
			t.Fatalf("echo %d: %d bytes, %v", i, len(got), err)
		}
	}
	if got := up.lastHeader().Get("X-Forwarded-Proto"); got != "https" {
		t.Errorf("X-Forwarded-Proto %q, want https", got)
	}
}

// TestProxyForwardedLines: a header in forward_headers reaches the upstream with every line
// the client sent, in order; an X-Forwarded-For chain the client's request carried (it came
// through proxies) is kept, with the client's address appended; headers the gateway writes
// itself cannot be listed.
func TestProxyForwardedLines(t *testing.T) {
	up := newWSUpstream(t, false)
	srv := startProxy(t, apps.Spec{}, ProxyConfig{Upstream: up.url("/"), ForwardHeaders: []string{"X-Trace"}})
	dial(t, srv.Addr(HTTPService), "/p", http.Header{"X-Trace": {"a", "b"}, "X-Forwarded-For": {"203.0.113.7, 10.0.0.1"}})
	uh := up.lastHeader()
	if got := uh.Values("X-Trace"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("X-Trace lines %q, want [a b]", got)
	}
	if got := uh.Values("X-Forwarded-For"); !slices.Equal(got, []string{"203.0.113.7, 10.0.0.1, 127.0.0.1"}) {
		t.Errorf("X-Forwarded-For %q, want the chain and the client", got)
	}
	for _, name := range []string{"X-Forwarded-For", "x-wsgate-user", "Host", "Sec-WebSocket-Key"} {
		if _, err := NewProxy(ProxyConfig{Upstream: up.url("/"), ForwardHeaders: []string{name}}); !errors.Is(err, ErrProxyConfig) {
			t.Errorf("forward_headers [%q]: %v, want ErrProxyConfig", name, err)
		}
	}
}

// TestProxyUpstreamPings: the gateway pings a WebSocket upstream as it pings its clients. An
// upstream that still holds its TCP connection but answers nothing (a hung process) ends the
// pair with 1014 within two intervals; one that answers keeps it through many.
func TestProxyUpstreamPings(t *testing.T) {
	const interval = 300 * time.Millisecond
	hung := serveUpstream(t, func(nc net.Conn) {
		req, err := http.ReadRequest(bufio.NewReader(nc))
		if err != nil {
			return
		}
		accept := handshake.AppendAccept(nil, []byte(req.Header.Get("Sec-WebSocket-Key")))
		fmt.Fprintf(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept)
		_, _ = io.Copy(io.Discard, nc) // reads the pings, answers none
	})
	answering := newWSUpstream(t, false)
	cases := []struct {
		name     string
		upstream string
		want     int // close code the client gets; 0: still open after 5 intervals
	}{
		{name: "hung upstream", upstream: "ws://" + hung.Addr().String() + "/", want: int(closeBadGateway)},
		{name: "answering upstream", upstream: answering.url("/"), want: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			px, err := NewProxy(ProxyConfig{Upstream: tc.upstream})
			if err != nil {
				t.Fatal(err)
			}
			srv := startServer(t, nil, withApp(t, apps.Spec{Name: "p", Path: "/p"}, px), func(o *Options) { o.PingInterval = interval })
			rc := dialRaw(t, srv.Addr(HTTPService), "/p", 0)
			start := time.Now()
			code := readAnsweringPings(t, rc, start.Add(5*interval))
			switch {
			case code != tc.want:
				t.Fatalf("after %v: close %d, want %d (0: still open)", time.Since(start), code, tc.want)
			case tc.want != 0 && srv.Stats().UpstreamFailures.Load() != 1:
				t.Fatalf("upstream failures %d, want 1", srv.Stats().UpstreamFailures.Load())
			case tc.want == 0:
				rc.SetReadDeadline(time.Now().Add(5 * time.Second))
				if err := rc.Send(wstest.OpText, []byte("still here")); err != nil {
					t.Fatal(err)
				}
				if op, p, err := rc.ReadFrame(); err != nil || op != wstest.OpText || string(p) != "still here" {
					t.Fatalf("echo through the kept pair: %#x %q %v", op, p, err)
				}
			}
		})
	}
}

// readAnsweringPings reads frames until deadline, answering every ping with its pong as a
// live client does, and returns the close code received; 0 when the deadline came first.
func readAnsweringPings(t *testing.T, rc *wstest.Conn, deadline time.Time) int {
	t.Helper()
	rc.SetReadDeadline(deadline)
	for {
		op, p, err := rc.ReadFrame()
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			return 0
		case err != nil:
			t.Fatalf("read: %v", err)
		case op == wstest.OpPing:
			if err := rc.Send(wstest.OpPong, p); err != nil {
				t.Fatal(err)
			}
		case op == wstest.OpClose && len(p) >= 2:
			return int(p[0])<<8 | int(p[1])
		case op == wstest.OpClose:
			return 1005
		}
	}
}

// TestProxyStreamKeepAlive: the gateway's socket to a tcp:// upstream carries TCP keep-alive
// and TCP_USER_TIMEOUT set from ping_interval (4 s: probes after 4 s of silence, every 2 s,
// two unanswered end it; unacknowledged data is given 8 s), so that an upstream host that
// vanishes without a FIN ends the pair with 1014 in about two intervals. A vanished host
// cannot be staged on loopback, whose kernel answers every probe, so the test reads the
// options off the socket, found among the process's descriptors by its peer address.
func TestProxyStreamKeepAlive(t *testing.T) {
	ln := serveUpstream(t, func(nc net.Conn) {
		defer nc.Close()
		_, _ = io.Copy(nc, nc)
	})
	px, err := NewProxy(ProxyConfig{Upstream: "tcp://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, nil, withApp(t, apps.Spec{Name: "p", Path: "/p"}, px), func(o *Options) {
		o.PingInterval = 4 * time.Second
	})
	c, _ := dial(t, srv.Addr(HTTPService), "/p", nil)
	if err := c.WriteMessage(websocket.BinaryMessage, []byte("up")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.ReadMessage(); err != nil || string(p) != "up" {
		t.Fatalf("echo through the upstream: %q %v", p, err)
	}
	fd := socketTo(t, ln.Addr().(*net.TCPAddr))
	for _, o := range []struct {
		name       string
		level, opt int
		want       int
	}{
		{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
		{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 4},
		{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 2},
		{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 2},
		{"TCP_USER_TIMEOUT", unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, 8000},
	} {
		if got, err := unix.GetsockoptInt(fd, o.level, o.opt); err != nil || got != o.want {
			t.Errorf("%s on the upstream socket: %d %v, want %d", o.name, got, err, o.want)
		}
	}
}

// socketTo returns a descriptor of this process connected to peer: the gateway's side of an
// upstream connection, when the upstream is the test's own listener.
func socketTo(t *testing.T, peer *net.TCPAddr) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		sa, err := unix.Getpeername(fd)
		if in4, ok := sa.(*unix.SockaddrInet4); err == nil && ok && in4.Port == peer.Port && net.IP(in4.Addr[:]).Equal(peer.IP) {
			return fd
		}
	}
	t.Fatalf("no socket connected to %v", peer)
	return -1
}
