package admin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsgate/wsgate/internal/metrics"
	"github.com/wsgate/wsgate/internal/metrics/metricstest"
	"github.com/wsgate/wsgate/internal/wstest"
)

// TestRoutes: each route with and without a token, on a protected and an
// open listener.
func TestRoutes(t *testing.T) {
	g := newGateway()
	_, protected, _ := start(t, Options{Source: g, Publisher: g, Auth: tokenAuth(t)})
	_, narrowed, _ := start(t, Options{Source: g, Auth: tokenAuth(t, "ops")})
	_, open, _ := start(t, Options{Source: g})
	tests := []struct {
		name, base, method, path, token string
		status                          int
		ctype, body                     string // prefix of Content-Type, substring of the body
	}{
		{"healthz open", protected, "GET", "/healthz", "", 200, "text/plain", "ok"},
		{"readyz open", protected, "GET", "/readyz", "", 200, "text/plain", "ready"},
		{"page open", protected, "GET", "/", "", 200, "text/html", "<title>wsgate admin</title>"},
		{"page script", protected, "GET", "/admin.js", "", 200, "text/javascript", "api/status"},
		{"page style", protected, "GET", "/admin.css", "", 200, "text/css", ".card"},
		{"metrics without token", protected, "GET", "/metrics", "", 401, "application/json", `"error":"admin: missing or wrong bearer token"`},
		{"metrics wrong token", protected, "GET", "/metrics", "nope", 401, "application/json", "bearer token"},
		{"metrics", protected, "GET", "/metrics", opsToken, 200, "text/plain; version=0.0.4", "wsgate_build_info"},
		{"status without token", protected, "GET", "/api/status", "", 401, "application/json", "bearer token"},
		{"status", protected, "GET", "/api/status", otherToken, 200, "application/json", `"applications"`},
		{"user not permitted", narrowed, "GET", "/api/status", otherToken, 403, "application/json", "not permitted"},
		{"user permitted", narrowed, "GET", "/api/status", opsToken, 200, "application/json", `"listeners"`},
		{"publish without token", protected, "POST", "/api/apps/echo/publish?topic=t", "", 401, "application/json", "bearer token"},
		{"unknown API", protected, "GET", "/api/nope", opsToken, 404, "application/json", "no such API endpoint"},
		{"unknown API unauthenticated", protected, "GET", "/api/nope", "", 401, "application/json", "bearer token"},
		{"wrong method", protected, "POST", "/metrics", opsToken, 405, "text/plain", ""},
		{"unknown page", protected, "GET", "/nope", "", 404, "text/plain", "not found"},
		{"open metrics", open, "GET", "/metrics", "", 200, "text/plain", "wsgate_ready 1"},
		{"open status", open, "GET", "/api/status", "", 200, "application/json", `"version":"devel"`},
		{"no publisher", open, "POST", "/api/apps/echo/publish?topic=t", "", 501, "application/json", "not available"},
		{"publish with GET", protected, "GET", "/api/apps/echo/publish?topic=t", opsToken, 405, "application/json", "POST"},
		{"publish with GET unauthenticated", protected, "GET", "/api/apps/echo/publish?topic=t", "", 401, "application/json", "bearer token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := do(t, tc.method, tc.base+tc.path, tc.token, "", "")
			if status != tc.status || !strings.HasPrefix(h.Get("Content-Type"), tc.ctype) || !strings.Contains(body, tc.body) {
				t.Fatalf("%d %q %q, want %d %q containing %q", status, h.Get("Content-Type"), body, tc.status, tc.ctype, tc.body)
			}
			if status == 401 && h.Get("WWW-Authenticate") != `Bearer realm="wsgate admin"` {
				t.Errorf("WWW-Authenticate: %q", h.Get("WWW-Authenticate"))
			}
			if tc.path == "/" && !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("page without a strict CSP: %q", h.Get("Content-Security-Policy"))
			}
			if strings.Contains(body, opsToken) || strings.Contains(body, otherToken) {
				t.Errorf("a token is in the answer")
			}
		})
	}
}

// TestMetricsExposition reads /metrics with Prometheus' text parser and the
// strict linter, and checks the admin's own families and the Source's.
func TestMetricsExposition(t *testing.T) {
	g := newGateway()
	_, base, _ := start(t, Options{Source: g, Auth: tokenAuth(t), Version: "v1.2.3"})
	status, _, body := do(t, "GET", base+"/metrics", opsToken, "", "")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	fams := metricstest.Parse(t, []byte(body), metrics.Lint)
	bi := fams["wsgate_build_info"]
	if bi == nil || len(bi.Metric) != 1 || bi.Metric[0].Gauge.GetValue() != 1 {
		t.Fatalf("wsgate_build_info: %v", bi)
	}
	labels := map[string]string{}
	for _, l := range bi.Metric[0].Label {
		labels[l.GetName()] = l.GetValue()
	}
	if labels["version"] != "v1.2.3" || !strings.HasPrefix(labels["goversion"], "go1.") {
		t.Errorf("build_info labels %v", labels)
	}
	for _, name := range []string{"wsgate_start_time_seconds", "wsgate_ready", "wsgate_admin_connections", "wsgate_admin_refused_total",
		"wsgate_connections", "wsgate_messages_in_total", "wsgate_bytes_out_total", "wsgate_handshake_seconds"} {
		if fams[name] == nil {
			t.Errorf("family %s missing", name)
		}
	}
	h := fams["wsgate_handshake_seconds"].Metric[0].Histogram
	if h.GetSampleCount() != 3 {
		t.Errorf("handshake histogram count %d, want 3", h.GetSampleCount())
	}
	if got := fams["wsgate_messages_in_total"].Metric[1].Counter.GetValue(); got != 30 {
		t.Errorf(`messages_in{app="chat \"room\""} = %v, want 30`, got)
	}
}

// TestStatusJSON: /api/status carries the Source's state plus what the admin adds.
func TestStatusJSON(t *testing.T) {
	g := newGateway()
	g.status.Cluster = &Cluster{Broker: "nats://127.0.0.1:4222", Connected: true}
	started := time.Now().Add(-90 * time.Second)
	_, base, _ := start(t, Options{Source: g, Version: "v9", Started: started})
	_, _, body := do(t, "GET", base+"/api/status", "", "", "")
	var st Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	want := g.Status()
	if st.Version != "v9" || !st.Ready || st.UptimeSeconds < 90 || !st.Started.Equal(started.Round(0)) {
		t.Errorf("version %q ready %v uptime %v started %v", st.Version, st.Ready, st.UptimeSeconds, st.Started)
	}
	if len(st.Apps) != 2 || st.Apps[1].Name != want.Apps[1].Name || st.Apps[1].ByListener["mqtt"] != 1 || st.Apps[0].Traffic != want.Apps[0].Traffic {
		t.Errorf("applications %+v", st.Apps)
	}
	if len(st.Listeners) != 2 || st.Listeners[1] != want.Listeners[1] || st.Totals != want.Totals || st.Connections != 4 {
		t.Errorf("listeners %+v totals %+v", st.Listeners, st.Totals)
	}
	if st.Errors["handshake_timeout"] != 5 || st.Cluster == nil || !st.Cluster.Connected {
		t.Errorf("errors %v cluster %v", st.Errors, st.Cluster)
	}

	// An empty gateway still gives arrays and objects, never null.
	_, base, _ = start(t, Options{Source: &gateway{ready: true, handshake: metrics.NewHistogram(nil)}})
	_, _, body = do(t, "GET", base+"/api/status", "", "", "")
	for _, s := range []string{`"listeners":[]`, `"applications":[]`, `"errors":{}`} {
		if !strings.Contains(body, s) {
			t.Errorf("empty status lacks %s: %s", s, body)
		}
	}
}

// TestReadyz: not ready answers 503 with the reason, on one line.
func TestReadyz(t *testing.T) {
	g := newGateway()
	_, base, _ := start(t, Options{Source: g, Auth: tokenAuth(t)})
	g.mu.Lock()
	g.ready, g.reason = false, "cluster broker nats://127.0.0.1:4222 not connected\nsince 3s"
	g.mu.Unlock()
	status, _, body := do(t, "GET", base+"/readyz", "", "", "")
	if status != 503 || body != "not ready: cluster broker nats://127.0.0.1:4222 not connected since 3s\n" {
		t.Errorf("%d %q", status, body)
	}
	if status, _, _ := do(t, "GET", base+"/healthz", "", "", ""); status != 200 {
		t.Errorf("healthz %d while not ready, want 200", status)
	}
	_, _, body = do(t, "GET", base+"/metrics", opsToken, "", "")
	if !strings.Contains(body, "\nwsgate_ready 0\n") {
		t.Errorf("metrics while not ready lack wsgate_ready 0")
	}
}

func TestPublish(t *testing.T) {
	g := newGateway()
	_, base, _ := start(t, Options{Source: g, Publisher: g, Auth: tokenAuth(t), MaxPublishBytes: 16})
	tests := []struct {
		name, path, ctype, body string
		pubStatus               int
		pubErr                  error
		status                  int
		answer                  string
		call                    *publishCall
	}{
		{"delivered", "/api/apps/chat/publish?topic=news", "application/json", `{"a":1}`, 0, nil, 200, `{"delivered":3}` + "\n",
			&publishCall{"chat", "news", "application/json", `{"a":1}`, false}},
		{"retained", "/api/apps/chat/publish?topic=a/b&retain=1", "text/plain", "hi", 0, nil, 200, `{"delivered":3}` + "\n",
			&publishCall{"chat", "a/b", "text/plain", "hi", true}},
		{"+ is the wildcard, not a space", "/api/apps/chat/publish?topic=a/+/b+c%20d", "text/plain", "hi", 0, nil, 200, `{"delivered":3}` + "\n",
			&publishCall{"chat", "a/+/b+c d", "text/plain", "hi", false}},
		{"no topic", "/api/apps/chat/publish", "", "x", 0, nil, 400, `{"error":"admin: missing topic parameter"}` + "\n", nil},
		{"bad retain", "/api/apps/chat/publish?topic=t&retain=maybe", "", "x", 0, nil, 400, `{"error":"admin: retain must be 1, 0, true or false"}` + "\n", nil},
		{"too large", "/api/apps/chat/publish?topic=t", "", strings.Repeat("x", 17), 0, nil, 413, `{"error":"admin: body larger than 16 bytes"}` + "\n", nil},
		{"unknown app", "/api/apps/nope/publish?topic=t", "", "x", 404, errors.New("pubsub: no application \"nope\"\nat all"), 404,
			`{"error":"pubsub: no application \"nope\" at all"}` + "\n", &publishCall{"nope", "t", "", "x", false}},
		{"error without status", "/api/apps/chat/publish?topic=t", "", "x", 0, errors.New("boom"), 500, `{"error":"boom"}` + "\n",
			&publishCall{"chat", "t", "", "x", false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g.mu.Lock()
			g.published, g.pubStatus, g.pubErr = nil, tc.pubStatus, tc.pubErr
			g.mu.Unlock()
			status, h, body := do(t, "POST", base+tc.path, opsToken, tc.ctype, tc.body)
			if status != tc.status || body != tc.answer || h.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %q %q, want %d %q", status, h.Get("Content-Type"), body, tc.status, tc.answer)
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			switch {
			case tc.call == nil && len(g.published) != 0:
				t.Errorf("publisher called: %+v", g.published)
			case tc.call != nil && (len(g.published) != 1 || g.published[0] != *tc.call):
				t.Errorf("publisher got %+v, want %+v", g.published, *tc.call)
			}
		})
	}
}

// TestTokenNotLogged: refused requests are logged (at a bounded rate) by
// remote address and path, never with the token, the query or the header.
func TestTokenNotLogged(t *testing.T) {
	_, base, logs := start(t, Options{Source: newGateway(), Auth: tokenAuth(t, "ops")})
	do(t, "GET", base+"/metrics?token="+opsToken, "wrong-secret-value", "", "")
	do(t, "GET", base+"/api/status", otherToken, "", "")
	if !strings.Contains(logs.String(), "admin: request refused") {
		t.Fatalf("refusal not logged: %s", logs)
	}
	for _, secret := range []string{opsToken, otherToken, "wrong-secret-value", "token="} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

// rawRequest writes a keep-alive GET on c and reads one response.
func rawRequest(t *testing.T, c net.Conn, r *bufio.Reader, path string) *http.Response {
	t.Helper()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: admin\r\n\r\n", path)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// TestIdleKeepAliveClosed: a keep-alive connection that stays quiet is
// closed by the server after IdleTimeout; one that keeps asking is served.
func TestIdleKeepAliveClosed(t *testing.T) {
	s, base, _ := start(t, Options{Source: newGateway(), IdleTimeout: 300 * time.Millisecond})
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for range 3 {
		if res := rawRequest(t, c, r, "/healthz"); res.StatusCode != 200 || res.Close {
			t.Fatalf("keep-alive request: %d close=%v", res.StatusCode, res.Close)
		}
	}
	// Now quiet: the server must close it (EOF), well before our own deadline.
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := r.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("idle connection: read %d, %v; want EOF from the server", n, err)
	}
	waitFor(t, "connection count back to 0", func() bool { return s.Connections() == 0 })
}

// TestConnectionCap: past MaxConnections a connection gets 503 and is
// closed; when one closes, a new one is served again.
func TestConnectionCap(t *testing.T) {
	const max = 3
	s, base, _ := start(t, Options{Source: newGateway(), MaxConnections: max, IdleTimeout: time.Minute})
	addr := strings.TrimPrefix(base, "http://")
	var held []net.Conn
	for i := range max {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if res := rawRequest(t, c, bufio.NewReader(c), "/healthz"); res.StatusCode != 200 {
			t.Fatalf("connection %d: %d", i, res.StatusCode)
		}
		held = append(held, c)
	}
	if n := s.Connections(); n != max {
		t.Fatalf("Connections() = %d, want %d", n, max)
	}
	refusedOnce := func() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		res := rawRequest(t, c, r, "/healthz")
		if res.StatusCode != 503 || !res.Close {
			t.Fatalf("connection past the cap: %d close=%v, want 503 and close", res.StatusCode, res.Close)
		}
		if _, err := r.ReadByte(); err != io.EOF {
			t.Fatalf("refused connection not closed: %v", err)
		}
	}
	refusedOnce()
	refusedOnce()
	held[0].Close()
	waitFor(t, "a slot to free", func() bool { return s.Connections() == max-1 })
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if res := rawRequest(t, c, bufio.NewReader(c), "/metrics"); res.StatusCode != 200 {
		t.Fatalf("after a slot freed: %d", res.StatusCode)
	}
	if status, _, _ := do(t, "GET", base+"/metrics", "", "", ""); status != 503 {
		t.Fatalf("a fourth connection: %d, want 503 (the cap is full again)", status)
	}
	held[1].Close()
	waitFor(t, "a slot to free", func() bool { return s.Connections() == max-1 })
	_, _, body := do(t, "GET", base+"/metrics", "", "", "")
	if !strings.Contains(body, "wsgate_admin_refused_total 3\n") {
		t.Errorf("refusals not counted:\n%s", body)
	}
}

func TestNewRefuses(t *testing.T) {
	g := newGateway()
	tests := []struct {
		name string
		o    Options
		want error
	}{
		{"no source", Options{}, ErrNoSource},
		{"negative cap", Options{Source: g, MaxConnections: -1}, ErrBadSettings},
		{"negative idle", Options{Source: g, IdleTimeout: -1}, ErrBadSettings},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.o); !errors.Is(err, tc.want) {
				t.Fatalf("New: %v, want %v", err, tc.want)
			}
		})
	}
	s, err := New(Options{Source: g})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); !errors.Is(err, ErrNoAddr) {
		t.Errorf("Start without Addr: %v", err)
	}
	// A taken port: the bind error names the address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, _ = New(Options{Source: g, Addr: ln.Addr().String()})
	if err := s.Start(); err == nil || !strings.Contains(err.Error(), ln.Addr().String()) || !strings.HasPrefix(err.Error(), "admin: ") {
		t.Errorf("Start on a taken port: %v", err)
	}
}

// TestHandle: a mounted handler sits behind the same token check.
func TestHandle(t *testing.T) {
	s, err := New(Options{Source: newGateway(), Auth: tokenAuth(t), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	s.Handle("POST /api/apps/{app}/kick", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "kicked "+r.PathValue("app"))
	}))
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(t.Context())
	base := "http://" + s.Addr().String()
	if status, _, _ := do(t, "POST", base+"/api/apps/echo/kick", "", "", ""); status != 401 {
		t.Errorf("without a token: %d", status)
	}
	if status, _, body := do(t, "POST", base+"/api/apps/echo/kick", opsToken, "", ""); status != 200 || !bytes.Equal([]byte(body), []byte("kicked echo")) {
		t.Errorf("with a token: %d %q", status, body)
	}
}

// waitFor polls cond (the server closes connections on its own goroutines).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	wstest.WaitFor(t, 10*time.Second, what, cond)
}
