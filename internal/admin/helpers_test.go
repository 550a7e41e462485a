package admin

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wsgate/wsgate/internal/auth"
	"github.com/wsgate/wsgate/internal/metrics"
	"github.com/wsgate/wsgate/internal/wstest"
)

// The tokens of the test credentials file.
const (
	opsToken   = "ops-token-8c1d2e"
	otherToken = "other-token-31ab"
)

// gateway is a Source (and Publisher) standing for the engine: what the
// admin reads from it is whatever the test put there.
type gateway struct {
	mu        sync.Mutex
	status    Status
	ready     bool
	reason    string
	handshake *metrics.Histogram

	tick func(*Status) // if set, changes the status before each read

	published []publishCall
	pubStatus int
	pubErr    error
}

type publishCall struct {
	app, topic, ctype, body string
	retain                  bool
}

func newGateway() *gateway {
	g := &gateway{ready: true, handshake: metrics.NewHistogram(nil)}
	g.status = Status{
		Listeners: []Listener{
			{Name: "http", Addr: "127.0.0.1:8080", Kind: "http", Up: true, Connections: 3},
			{Name: "mqtt", Addr: "127.0.0.1:8883", Kind: "standalone", TLS: true, Up: true, Connections: 1},
		},
		Apps: []App{
			{Name: "echo", Path: "/echo", Kind: "echo", Connections: 2, ByListener: map[string]int64{"http": 2},
				Traffic: Traffic{MessagesIn: 1200, MessagesOut: 1200, BytesIn: 64000, BytesOut: 64000}},
			{Name: "chat \"room\"", Path: "/chat", Kind: "broadcast", Connections: 2, ByListener: map[string]int64{"http": 1, "mqtt": 1},
				Traffic: Traffic{MessagesIn: 30, MessagesOut: 90, BytesIn: 900, BytesOut: 2700}},
		},
		Connections: 4,
		Totals:      Traffic{MessagesIn: 1230, MessagesOut: 1290, BytesIn: 64900, BytesOut: 66700},
		Errors:      map[string]uint64{"protocol": 2, "handshake_timeout": 5},
	}
	for _, d := range []time.Duration{300 * time.Microsecond, 2 * time.Millisecond, 40 * time.Millisecond} {
		g.handshake.Observe(d)
	}
	return g
}

func (g *gateway) Status() Status {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tick != nil {
		g.tick(&g.status)
	}
	st := g.status
	st.Apps = append([]App(nil), st.Apps...)
	return st
}

func (g *gateway) Ready() (bool, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ready, g.reason
}

// WritePrometheus writes families the way the engine does: per application
// and listener, with a handshake histogram.
func (g *gateway) WritePrometheus(w *metrics.Writer) {
	st := g.Status()
	w.Family("wsgate_connections", metrics.TypeGauge, "Open WebSocket connections per application and listener.")
	for _, a := range st.Apps {
		for l, n := range a.ByListener {
			w.Int("wsgate_connections", n, metrics.L("app", a.Name), metrics.L("listener", l))
		}
	}
	for _, f := range []struct {
		name string
		v    func(Traffic) uint64
	}{
		{"wsgate_messages_in_total", func(t Traffic) uint64 { return t.MessagesIn }},
		{"wsgate_bytes_out_total", func(t Traffic) uint64 { return t.BytesOut }},
	} {
		w.Family(f.name, metrics.TypeCounter, "Traffic per application.")
		for _, a := range st.Apps {
			w.Uint(f.name, f.v(a.Traffic), metrics.L("app", a.Name))
		}
	}
	w.Family("wsgate_handshake_seconds", metrics.TypeHistogram, "Time from the first request byte to the 101.")
	w.Histogram("wsgate_handshake_seconds", g.handshake.Snapshot(), metrics.L("listener", "http"))
}

func (g *gateway) Publish(app, topic, ctype string, body []byte, retain bool) (int, int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.published = append(g.published, publishCall{app, topic, ctype, string(body), retain})
	if g.pubErr != nil {
		return 0, g.pubStatus, g.pubErr
	}
	return 3, 0, nil
}

// tokenAuth loads an Authenticator of the two test tokens; users narrows it.
func tokenAuth(t testing.TB, users ...string) *auth.Authenticator {
	t.Helper()
	file := filepath.Join(t.TempDir(), "admin.tokens")
	data := "ops:" + auth.HashToken(opsToken) + "\nother:" + auth.HashToken(otherToken) + "\n"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := auth.Load(auth.Token, file, users, "wsgate admin")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// start runs an admin server on an ephemeral loopback port and returns it
// with its base URL and its log.
func start(t testing.TB, o Options) (*Server, string, *wstest.LogBuffer) {
	t.Helper()
	logs := &wstest.LogBuffer{}
	o.Addr = "127.0.0.1:0"
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return s, "http://" + s.Addr().String(), logs
}

// do does one request with a fresh client and returns status, headers and body.
func do(t testing.TB, method, url, token, ctype, body string) (int, http.Header, string) {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	return wstest.Request(t, method, url, h, body)
}
