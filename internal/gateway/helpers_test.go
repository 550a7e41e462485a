package gateway

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/admin"
	"github.com/wsgate/wsgate/internal/cluster"
	"github.com/wsgate/wsgate/internal/wstest"
)

func quiet(o *engine.Options) {
	o.Logger = quietLogger()
	o.EventLoops = 1
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// listeners is the head of the test files: the HTTP service and the standalone server "ws"
// on ephemeral loopback ports.
const listeners = `
[http]
listen = "127.0.0.1:0"
[[standalone]]
name = "ws"
listen = "127.0.0.1:0"
`

// httpOnly is the head of the test files with the HTTP service alone.
const httpOnly = "[http]\nlisten = \"127.0.0.1:0\"\n"

// adminListener is an [admin] table on an ephemeral loopback port.
const adminListener = "[admin]\nlisten = \"127.0.0.1:0\"\n"

// app is one [[app]] table; extra lines are added as they are.
func app(name, kind, path string, extra ...string) string {
	return fmt.Sprintf("[[app]]\nname = %q\nkind = %q\npath = %q\n%s\n", name, kind, path, strings.Join(extra, "\n"))
}

func parse(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return cfg
}

// build builds the gateway of cfg with kinds (nil: the built-in ones) and built (as in
// Build), quiet on two loops unless the file sets event_loops; it is not started.
func build(t *testing.T, cfg *config.Config, kinds Kinds, built func(string, apps.Application)) *Gateway {
	t.Helper()
	g, err := Build(cfg, kinds, func(o *engine.Options) {
		loops := cmp.Or(o.EventLoops, 2)
		quiet(o)
		o.EventLoops = loops
	}, built)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// start starts g; it stops when the test ends.
func start(t *testing.T, g *Gateway) *Gateway {
	t.Helper()
	if err := g.Server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Server.Stop(t.Context()) })
	return g
}

// startWith builds and starts the gateway of cfg (see build); it stops when the test ends.
func startWith(t *testing.T, cfg *config.Config, kinds Kinds, built func(string, apps.Application)) *Gateway {
	t.Helper()
	return start(t, build(t, cfg, kinds, built))
}

// startGateway opens and starts the gateway of text; it stops when the test ends.
func startGateway(t *testing.T, text string) *Gateway {
	t.Helper()
	return startWith(t, parse(t, text), nil, nil)
}

// startAdmin builds the gateway of cfg (built as in Build) and its admin listener (node may
// be nil), then starts both, the listener built before the gateway starts as cmd/wsgate
// does; both stop when the test ends. It returns the gateway and the listener's base URL.
func startAdmin(t *testing.T, cfg *config.Config, node *cluster.Node, built func(string, apps.Application)) (*Gateway, string) {
	t.Helper()
	gw := build(t, cfg, nil, built)
	adm, err := Admin(cfg, gw, node, "v-test", quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	start(t, gw)
	if err := adm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adm.Shutdown(t.Context()) })
	return gw, "http://" + adm.Addr().String()
}

func reload(t *testing.T, g *Gateway, text string) Summary {
	t.Helper()
	sum, err := g.Reload(parse(t, text))
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	return sum
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// echoTCP runs a tcp echo server on loopback until the test ends and returns its address.
func echoTCP(t *testing.T) string {
	t.Helper()
	ln, err := wstest.Serve(func(nc net.Conn) { defer nc.Close(); io.Copy(nc, nc) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

func dial(addr, path string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	c, resp, err := d.Dial("ws://"+addr+path, hdr)
	if err == nil {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
	}
	return c, resp, err
}

func mustDial(t *testing.T, addr, path string, hdr http.Header) *websocket.Conn {
	t.Helper()
	c, _, err := dial(addr, path, hdr)
	if err != nil {
		t.Fatalf("dial %s%s: %v", addr, path, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// upgradeStatus dials and returns the HTTP status of the answer (101 on success).
func upgradeStatus(t *testing.T, addr, path string, hdr http.Header) int {
	t.Helper()
	c, resp, err := dial(addr, path, hdr)
	if err == nil {
		c.Close()
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dial %s%s: %v", addr, path, err)
	}
	return resp.StatusCode
}

// echoes checks one round trip on an echo client.
func echoes(c *websocket.Conn, msg string) error {
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		return err
	}
	_, got, err := c.ReadMessage()
	if err == nil && string(got) != msg {
		err = fmt.Errorf("echo %q, want %q", got, msg)
	}
	return err
}

// closeCode reads until the connection ends and returns the close code the server sent.
func closeCode(c *websocket.Conn) int {
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			return -1
		}
	}
}

// get fetches url and returns the status and the body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	return do(t, http.MethodGet, url, "")
}

// post posts body as text/plain to url and returns the status and the answer.
func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	return do(t, http.MethodPost, url, body)
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	var h http.Header
	if method == http.MethodPost {
		h = http.Header{"Content-Type": {"text/plain"}}
	}
	code, _, answer := wstest.Request(t, method, url, h, body)
	return code, answer
}

func status(t *testing.T, base string) admin.Status {
	t.Helper()
	code, body := get(t, base+"/api/status")
	var st admin.Status
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("status: %d %v %s", code, err, body)
	}
	return st
}

func appOf(t *testing.T, base, name string) admin.App {
	t.Helper()
	for _, a := range status(t, base).Apps {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no application %q", name)
	return admin.App{}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	wstest.WaitFor(t, 10*time.Second, what, cond)
}
