package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/internal/wstest"
)

// registerTestApps adds the applications the status-table rows need.
func registerTestApps(t testing.TB) func(*Server) {
	return func(s *Server) {
		for _, a := range []struct {
			spec apps.Spec
			app  apps.Application
		}{
			{apps.Spec{Name: "declines", Path: "/declines"}, apps.Funcs{Handshake: func(*apps.Handshake) error { return apps.ErrDeclined }}},
			{apps.Spec{Name: "fails", Path: "/fails"}, apps.Funcs{Handshake: func(*apps.Handshake) error { return errors.New("no backend") }}},
			{apps.Spec{Name: "panics", Path: "/panics"}, apps.Funcs{Handshake: func(*apps.Handshake) error { panic("boom") }}},
			{apps.Spec{Name: "origin", Path: "/origin", Origins: []string{"https://good.example", "*.trusted.example"}}, builtin.Echo{}},
			{apps.Spec{Name: "limited", Path: "/limited", MaxConnections: 1}, builtin.Echo{}},
			{apps.Spec{Name: "wsonly", Path: "/wsonly", Scope: []string{"ws"}}, builtin.Echo{}},
			{apps.Spec{Name: "httponly", Path: "/httponly", Scope: []string{"http"}}, builtin.Echo{}},
		} {
			if err := s.Register(a.spec, a.app); err != nil {
				t.Fatalf("register %s: %v", a.spec.Name, err)
			}
		}
	}
}

// TestStatusTable probes every row of the status table (docs/routing.md) over raw sockets, on the HTTP
// service and on a standalone server, asserting status, headers, body and the close.
func TestStatusTable(t *testing.T) {
	srv := startServer(t, nil, registerTestApps(t))
	const wuf = "Websockets upgrade failed"
	long := strings.Repeat("a", 5000)
	type want struct {
		status int
		body   string            // exact body; "" = not checked
		header map[string]string // exact header values
	}
	cases := []struct {
		name     string
		req      string
		http, ws want
		ordinary bool // the HTTP service answers as an ordinary HTTP server (rows 4, 5)
	}{
		{name: "1 unparseable request line", req: "GARBAGE\r\n\r\n",
			http: want{status: 400}, ws: want{status: 400}},
		{name: "1 bad header line", req: "GET /echo HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
			http: want{status: 400}, ws: want{status: 400}},
		{name: "2 header block over 8 KiB", req: "GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 9000) + "\r\n\r\n",
			http: want{status: 431}, ws: want{status: 431}},
		{name: "3 request target over the limit", req: "GET /" + long + " HTTP/1.1\r\nHost: x\r\n\r\n",
			http: want{status: 414}, ws: want{status: 414}},
		{name: "4 no upgrade headers", ordinary: true, req: "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			http: want{status: 404}, ws: want{status: 404, body: wuf}},
		{name: "4 HTTP/1.0 upgrade", ordinary: true, req: strings.Replace(upgradeRequest("/echo"), "HTTP/1.1", "HTTP/1.0", 1),
			http: want{status: 404}, ws: want{status: 404, body: wuf}},
		{name: "4 only Upgrade header", ordinary: true, req: "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: close\r\n\r\n",
			http: want{status: 404}, ws: want{status: 404, body: wuf}},
		{name: "4 only Connection header", ordinary: true, req: "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n\r\n",
			http: want{status: 404}, ws: want{status: 404, body: wuf}},
		{name: "4 resource on the HTTP service", ordinary: true, req: "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			http: want{status: 200}, ws: want{status: 404, body: wuf}},
		{name: "4 method a resource does not allow", ordinary: true, req: "DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			http: want{status: 405, header: map[string]string{"Allow": "GET, HEAD"}}, ws: want{status: 404, body: wuf}},
		{name: "5 unknown path", ordinary: true, req: upgradeRequest("/nowhere"),
			http: want{status: 404}, ws: want{status: 404, body: wuf}},
		{name: "5 upgrade to a path with a resource", ordinary: true, req: upgradeRequest("/"),
			http: want{status: 200}, ws: want{status: 404, body: wuf}},
		{name: "5 out of scope on http", ordinary: true, req: upgradeRequest("/wsonly"),
			http: want{status: 404}, ws: want{status: 101}},
		{name: "5 out of scope on ws", ordinary: true, req: upgradeRequest("/httponly"),
			http: want{status: 101}, ws: want{status: 404, body: wuf}},
		{name: "6 not GET", req: strings.Replace(upgradeRequest("/echo"), "GET", "POST", 1),
			http: want{status: 405, header: map[string]string{"Allow": "GET"}}, ws: want{status: 405, header: map[string]string{"Allow": "GET"}}},
		{name: "7 no Host", req: strings.Replace(upgradeRequest("/echo"), "Host: gw.test\r\n", "", 1),
			http: want{status: 400}, ws: want{status: 400}},
		{name: "7 request body", req: strings.Replace(upgradeRequest("/echo"), "\r\n\r\n", "\r\nContent-Length: 5\r\n\r\nhello", 1),
			http: want{status: 400}, ws: want{status: 400}},
		{name: "8 key missing", req: strings.Replace(upgradeRequest("/echo"), "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 1),
			http: want{status: 400}, ws: want{status: 400}},
		{name: "8 key not base64", req: strings.Replace(upgradeRequest("/echo"), "dGhlIHNhbXBsZSBub25jZQ==", "not base64 at all!!!!!!", 1),
			http: want{status: 400}, ws: want{status: 400}},
		{name: "8 key not 16 bytes", req: strings.Replace(upgradeRequest("/echo"), "dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ=", 1),
			http: want{status: 400}, ws: want{status: 400}},
		{name: "9 version missing", req: strings.Replace(upgradeRequest("/echo"), "Sec-WebSocket-Version: 13\r\n", "", 1),
			http: want{status: 400, header: map[string]string{"Sec-WebSocket-Version": "13"}}, ws: want{status: 400, header: map[string]string{"Sec-WebSocket-Version": "13"}}},
		{name: "10 version not 13", req: strings.Replace(upgradeRequest("/echo"), "Version: 13", "Version: 8", 1),
			http: want{status: 426, header: map[string]string{"Sec-WebSocket-Version": "13"}}, ws: want{status: 426, header: map[string]string{"Sec-WebSocket-Version": "13"}}},
		{name: "11 origin not allowed", req: upgradeRequest("/origin", "Origin: https://evil.example"),
			http: want{status: 403}, ws: want{status: 403}},
		{name: "11 origin allowed exactly", req: upgradeRequest("/origin", "Origin: https://good.example"),
			http: want{status: 101}, ws: want{status: 101}},
		{name: "11 origin allowed by wildcard", req: upgradeRequest("/origin", "Origin: https://a.trusted.example"),
			http: want{status: 101}, ws: want{status: 101}},
		{name: "11 wildcard needs a subdomain", req: upgradeRequest("/origin", "Origin: https://trusted.example"),
			http: want{status: 403}, ws: want{status: 403}},
		{name: "11 a path is not a subdomain", req: upgradeRequest("/origin", "Origin: https://evil.com/.trusted.example"),
			http: want{status: 403}, ws: want{status: 403}},
		{name: "11 user information is not a subdomain", req: upgradeRequest("/origin", "Origin: https://a.trusted.example@evil.com"),
			http: want{status: 403}, ws: want{status: 403}},
		{name: "14 declined", req: upgradeRequest("/declines"),
			http: want{status: 503}, ws: want{status: 503}},
		{name: "14 failed", req: upgradeRequest("/fails"),
			http: want{status: 500}, ws: want{status: 500}},
		{name: "14 panicked", req: upgradeRequest("/panics"),
			http: want{status: 500}, ws: want{status: 500}},
		{name: "15 valid", req: upgradeRequest("/echo"),
			http: want{status: 101, header: map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}},
			ws:   want{status: 101, header: map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}}},
		{name: "15 supported subprotocol answered", req: upgradeRequest("/echo", "Sec-WebSocket-Protocol: chat, echo.v1"),
			http: want{status: 101, header: map[string]string{"Sec-WebSocket-Protocol": "echo.v1"}}, ws: want{status: 101, header: map[string]string{"Sec-WebSocket-Protocol": "echo.v1"}}},
		{name: "15 unknown subprotocol and extension ignored", req: upgradeRequest("/echo", "Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Extensions: x-unknown"),
			http: want{status: 101, header: map[string]string{"Sec-WebSocket-Protocol": "", "Sec-WebSocket-Extensions": ""}},
			ws:   want{status: 101, header: map[string]string{"Sec-WebSocket-Protocol": "", "Sec-WebSocket-Extensions": ""}}},
	}
	for _, tc := range cases {
		for _, side := range []struct {
			listener string
			want     want
		}{{"http", tc.http}, {"ws", tc.ws}} {
			t.Run(side.listener+"/"+tc.name, func(t *testing.T) {
				r := roundTrip(t, srv.Addr(side.listener), tc.req, 0)
				w := side.want
				if r.status != w.status {
					t.Fatalf("status %d, want %d (body %q)", r.status, w.status, r.body)
				}
				if w.body != "" && r.body != w.body {
					t.Errorf("body %q, want %q", r.body, w.body)
				}
				for k, v := range w.header {
					if got := r.header.Get(k); got != v {
						t.Errorf("header %s = %q, want %q", k, got, v)
					}
				}
				if r.status >= 400 {
					if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
						t.Errorf("Content-Type %q", ct)
					}
					if strings.Contains(strings.TrimSuffix(r.body, "\n"), "\n") || r.body == "" {
						t.Errorf("body %q is not one line", r.body)
					}
				}
				// Every refused upgrade, and every answer of a standalone server, closes;
				// ordinary HTTP answers on the HTTP service keep the connection alive
				// unless the request asked otherwise.
				ordinary := side.listener == "http" && tc.ordinary
				mustClose := r.status >= 400 && !ordinary || strings.Contains(tc.req, "Connection: close") ||
					ordinary && strings.Contains(firstLine(tc.req), "HTTP/1.0")
				if mustClose && (!r.connClose || !r.closed) {
					t.Errorf("refusal: Connection: close %v, connection closed %v; want both", r.connClose, r.closed)
				}
				if ordinary && !mustClose && (r.connClose || r.closed) {
					t.Errorf("ordinary HTTP answer closed the keep-alive connection")
				}
			})
		}
	}
}

// TestConnectionLimits covers row 13: per application and in total, 503 + Retry-After,
// and the slot comes back when a client leaves.
func TestConnectionLimits(t *testing.T) {
	t.Run("per application", func(t *testing.T) {
		srv := startServer(t, nil, registerTestApps(t))
		c, _ := dial(t, srv.Addr("ws"), "/limited", nil)
		r := roundTrip(t, srv.Addr("http"), upgradeRequest("/limited"), 0)
		if r.status != 503 || r.header.Get("Retry-After") == "" || !r.closed {
			t.Fatalf("second connection: status %d Retry-After %q closed %v", r.status, r.header.Get("Retry-After"), r.closed)
		}
		if r := roundTrip(t, srv.Addr("http"), upgradeRequest("/echo"), 0); r.status != 101 {
			t.Fatalf("another application is not limited: %d", r.status)
		}
		c.Close()
		waitFor(t, "slot released", func() bool { return srv.reg.Table().Lookup([]byte("/limited"), 0).Connections() == 0 })
		dial(t, srv.Addr("ws"), "/limited", nil)
	})
	type target struct{ listener, path string }
	for _, tc := range []struct {
		name    string
		limit   func(*Options)
		open    []target // the connections that reach the limit
		refused target   // the next one: 503 + Retry-After
		other   *target  // still served after the refusal (another application), if any
	}{
		{"server per-application limit is the lower", func(o *Options) { o.MaxConnectionsPerApp = 2 },
			[]target{{"ws", "/echo"}, {"ws", "/echo"}}, target{"ws", "/echo"}, &target{"ws", "/broadcast"}},
		{"total", func(o *Options) { o.MaxConnections = 2 },
			[]target{{"ws", "/echo"}, {"http", "/broadcast"}}, target{"http", "/echo"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := testOptions()
			tc.limit(opt)
			srv := startServer(t, opt, nil)
			for _, o := range tc.open {
				dial(t, srv.Addr(o.listener), o.path, nil)
			}
			r := roundTrip(t, srv.Addr(tc.refused.listener), upgradeRequest(tc.refused.path), 0)
			if r.status != 503 || r.header.Get("Retry-After") == "" {
				t.Fatalf("over the limit: %d %v, want 503 with Retry-After", r.status, r.header)
			}
			if tc.other != nil {
				dial(t, srv.Addr(tc.other.listener), tc.other.path, nil)
			}
		})
	}
}

// TestWebSocketDisabled: with the protocol handler unregistered, upgrades on the HTTP
// service get ordinary HTTP answers, while standalone servers keep serving.
func TestWebSocketDisabled(t *testing.T) {
	opt := testOptions()
	opt.NoHTTPUpgrades = true
	srv := startServer(t, opt, nil)
	if r := roundTrip(t, srv.Addr("http"), upgradeRequest("/echo"), 0); r.status != 404 {
		t.Fatalf("http: %d, want 404", r.status)
	}
	if r := roundTrip(t, srv.Addr("http"), upgradeRequest("/"), 0); r.status != 200 {
		t.Fatalf("http resource: %d, want 200", r.status)
	}
	if r := roundTrip(t, srv.Addr("ws"), upgradeRequest("/echo"), 0); r.status != 101 {
		t.Fatalf("ws: %d, want 101", r.status)
	}
}

// TestSplitHandshake sends the upgrade one byte at a time, and with the first frame in the
// same segment as the head.
func TestSplitHandshake(t *testing.T) {
	srv := startServer(t, nil, nil)
	for _, listener := range []string{"http", "ws"} {
		if r := roundTrip(t, srv.Addr(listener), upgradeRequest("/echo", "Sec-WebSocket-Protocol: echo.v1"), 1); r.status != 101 || r.header.Get("Sec-WebSocket-Protocol") != "echo.v1" {
			t.Fatalf("%s: byte-at-a-time upgrade: %d %v", listener, r.status, r.header)
		}
	}
	t.Run("pipelined frame", func(t *testing.T) {
		nc := dialTCP(t, srv.Addr("ws"), 5*time.Second)
		frame := wstest.Masked(0x1, []byte("hi there"))
		if _, err := nc.Write(append([]byte(upgradeRequest("/echo")), frame...)); err != nil {
			t.Fatal(err)
		}
		head, rest := readHead(t, nc)
		if !strings.HasPrefix(head, "HTTP/1.1 101") {
			t.Fatalf("head %q", head)
		}
		got := readN(t, nc, rest, 2+len("hi there"))
		if want := "\x81\x08hi there"; string(got) != want {
			t.Fatalf("echo %q, want %q", got, want)
		}
	})
}

// TestKeepAliveHTTP answers several ordinary requests on one connection, pipelined.
func TestKeepAliveHTTP(t *testing.T) {
	srv := startServer(t, nil, nil)
	nc := dialTCP(t, srv.Addr("http"), 5*time.Second)
	req := "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	head, rest := readHead(t, nc)
	if !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Fatalf("first: %q", head)
	}
	// HEAD has no body: the next response follows at once.
	second := string(rest)
	if len(second) == 0 {
		second = string(readSome(t, nc))
	}
	if !strings.HasPrefix(second, "HTTP/1.1 404") {
		t.Fatalf("second: %q", second)
	}
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	wstest.WaitFor(t, 5*time.Second, what, cond)
}
