package conformance_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/conformance"
	"github.com/wsgate/wsgate/internal/gateway"
	"github.com/wsgate/wsgate/internal/tlsconn"
)

// startGateway starts wsgate on the embedded default configuration, on
// ephemeral loopback ports, with a TLS standalone server "wss" (a new
// self-signed certificate, whose pool it returns) and one more application
// on every listener: the echo with permessage-deflate at /echoz, as the
// external Autobahn run configures it.
func startGateway(t *testing.T, maxMessage int) (srv *engine.Server, cfg *config.Config, roots *x509.CertPool) {
	t.Helper()
	cfg = config.Default()
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Standalone[0].Listen = "127.0.0.1:0"
	if maxMessage > 0 {
		cfg.WebSocket.MaxMessageSize = config.Size(maxMessage)
	}
	certFile, keyFile, err := tlsconn.GenerateSelfSigned(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Standalone = append(cfg.Standalone, config.Listener{Name: "wss", Listen: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile})
	cfg.Apps = append(cfg.Apps, config.App{Name: "echoz", Kind: "echo", Path: "/echoz",
		Scope: []string{"http", cfg.Standalone[0].Name, "wss"}, Compression: true, Auth: "none"})
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("WSGATE_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err = gateway.New(cfg, nil, func(o *engine.Options) { o.Logger, o.EventLoops = logger, 2 })
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Stop(ctx)
	})
	return srv, cfg, roots
}

// target is where a run of cases goes.
type target struct {
	name     string // subtest name
	listener string
	path     string
	tls      bool
	sections []string // nil: all
}

// TestAutobahn runs the scenario table against a real gateway: every case on
// the standalone server's compressing echo (what the external Autobahn run
// drives); the cheap, compression-free sections once more on the HTTP
// service's plain echo, whose upgrade path differs; and those and section 13
// over TLS, where every chop of the client is a TLS record of its own.
//
// WSGATE_AUTOBAHN_SCALE=1 runs section 9 at Autobahn's own sizes (up to 16 MiB, with
// max_message_size raised to fit) and sections 12 and 13 with its 1000 messages per
// case, as the external run does; it takes many minutes.
func TestAutobahn(t *testing.T) {
	var limits conformance.Limits
	maxMessage := 0
	if v := os.Getenv("WSGATE_AUTOBAHN_SCALE"); v != "" {
		limits.Scale, _ = strconv.Atoi(v)
		if limits.Scale > 0 && limits.Scale < 16 {
			maxMessage = 16 << 20 / limits.Scale
		}
		if limits.Scale == 1 {
			limits.DeflateBudget, limits.DeflateCount = 1000*131072, 1000
		}
	}
	srv, cfg, roots := startGateway(t, maxMessage)
	limits.MaxMessageSize = int(cfg.WebSocket.MaxMessageSize)
	cases := conformance.Cases(limits)
	cheap := []string{"1", "2", "3", "4", "5", "6", "7", "10", "x5", "x9"}
	targets := []target{
		{name: "standalone", listener: cfg.Standalone[0].Name, path: "/echoz"},
		{name: "http", listener: engine.HTTPService, path: "/echo", sections: cheap},
		{name: "wss", listener: "wss", path: "/echoz", tls: true, sections: append(cheap, "13")},
	}
	if testing.Short() {
		targets[0].sections = cheap
	}
	for _, tg := range targets {
		addr := srv.Addr(tg.listener)
		var opts conformance.Options
		if tg.tls {
			opts.TLS = &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}
		}
		tally := newTally()
		t.Run(tg.name, func(t *testing.T) {
			for _, c := range cases {
				section := c.Section()
				if strings.HasPrefix(c.ID, "x") {
					section = "x" + section
				}
				if tg.sections != nil && !slices.Contains(tg.sections, section) {
					continue
				}
				t.Run(c.ID, func(t *testing.T) {
					t.Parallel()
					err := c.Run(addr, tg.path, opts)
					tally.add(section, err == nil)
					if err != nil {
						t.Errorf("%s (%s): %v", c.ID, c.Title, err)
					}
				})
			}
		})
		t.Logf("%s %s:\n%s", tg.name, tg.path, tally)
	}
}

// tally counts cases passed and failed per section.
type tally struct {
	mu   sync.Mutex
	pass map[string]int
	fail map[string]int
}

func newTally() *tally { return &tally{pass: map[string]int{}, fail: map[string]int{}} }

func (t *tally) add(section string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ok {
		t.pass[section]++
	} else {
		t.fail[section]++
	}
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var keys []string
	for k := range t.pass {
		keys = append(keys, k)
	}
	for k := range t.fail {
		if _, ok := t.pass[k]; !ok {
			keys = append(keys, k)
		}
	}
	num := func(k string) float64 {
		f, _ := strconv.ParseFloat(strings.TrimPrefix(k, "x"), 64)
		if strings.HasPrefix(k, "x") {
			f += 100
		}
		return f
	}
	sort.Slice(keys, func(i, j int) bool { return num(keys[i]) < num(keys[j]) })
	var b strings.Builder
	b.WriteString("| section | cases | passed | failed |\n|---|---|---|---|\n")
	var tp, tf int
	for _, k := range keys {
		p, f := t.pass[k], t.fail[k]
		tp, tf = tp+p, tf+f
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", k, p+f, p, f)
	}
	fmt.Fprintf(&b, "| all | %d | %d | %d |\n", tp+tf, tp, tf)
	return b.String()
}
