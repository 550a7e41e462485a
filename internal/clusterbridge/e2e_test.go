package clusterbridge

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/cluster"
	"github.com/wsgate/wsgate/internal/gateway"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func runNATS(tb testing.TB) string {
	tb.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		tb.Fatal("nats server not ready")
	}
	tb.Cleanup(s.Shutdown)
	return "nats://" + s.Addr().(*net.TCPAddr).String()
}

// gw is one whole gateway: the configured server and its cluster node.
type gw struct {
	srv  *engine.Server
	node *cluster.Node
}

func (g *gw) url(path string) string { return "ws://" + g.srv.Addr(config.HTTPServer) + path }

// startGateway builds a gateway from a configuration file's text plus a [cluster] table
// for natsURL, as cmd/wsgate does, on an ephemeral port.
func startGateway(tb testing.TB, natsURL, name, apps string) *gw {
	tb.Helper()
	cfg, err := config.Parse([]byte("[http]\nlisten = \"127.0.0.1:0\"\n[cluster]\nnats = \"" + natsURL +
		"\"\nname = \"" + name + "\"\n" + apps))
	if err != nil {
		tb.Fatal(err)
	}
	o := gateway.ClusterOptions(&cfg.Cluster, quiet())
	o.OutboundQueue, o.InboundQueue = 1<<15, 1<<15 // 10,000 messages at once, unpaced
	node, err := cluster.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { node.Close() })
	srv, err := gateway.NewWithHook(cfg, nil, func(o *engine.Options) { o.Logger = quiet(); o.EventLoops = 1 }, Hook(node))
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Stop(context.Background()) })
	deadline := time.Now().Add(10 * time.Second)
	for ok, _ := node.Ready(); !ok; ok, _ = node.Ready() {
		if time.Now().After(deadline) {
			tb.Fatal("cluster node not ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return &gw{srv: srv, node: node}
}

func dial(tb testing.TB, url string) *websocket.Conn {
	tb.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func syncAll(tb testing.TB, gws ...*gw) {
	tb.Helper()
	for _, g := range gws {
		if err := g.node.Sync(5 * time.Second); err != nil {
			tb.Fatal(err)
		}
	}
}

const broadcastApp = "[[app]]\nname = \"chat\"\nkind = \"broadcast\"\npath = \"/chat\"\n"

// TestBroadcastAcrossGateways: three gateways on one NATS server; 10,000 messages a client
// sends on gateway B reach the clients of gateways A and C exactly once and in order, and
// the local member of B as usual.
func TestBroadcastAcrossGateways(t *testing.T) {
	natsURL := runNATS(t)
	a := startGateway(t, natsURL, "gw-a", broadcastApp)
	b := startGateway(t, natsURL, "gw-b", broadcastApp)
	c := startGateway(t, natsURL, "gw-c", broadcastApp)
	onA, onC := dial(t, a.url("/chat")), dial(t, c.url("/chat"))
	sender, onB := dial(t, b.url("/chat")), dial(t, b.url("/chat"))
	syncAll(t, a, b, c)

	const total = 10000
	go func() {
		for i := range total {
			if err := sender.WriteMessage(websocket.TextMessage, []byte(strconv.Itoa(i))); err != nil {
				return
			}
		}
	}()
	for _, r := range []struct {
		name string
		c    *websocket.Conn
	}{{"a", onA}, {"c", onC}, {"b", onB}} {
		r.c.SetReadDeadline(time.Now().Add(30 * time.Second))
		for i := range total {
			typ, m, err := r.c.ReadMessage()
			if err != nil {
				t.Fatalf("client on %s, message %d: %v", r.name, i, err)
			}
			if typ != websocket.TextMessage || string(m) != strconv.Itoa(i) {
				t.Fatalf("client on %s: message %d is %q (type %d)", r.name, i, m, typ)
			}
		}
	}
	// Nothing twice: a last message from B comes right after the 10,000 everywhere.
	syncAll(t, b)
	if err := sender.WriteMessage(websocket.BinaryMessage, []byte("end")); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*websocket.Conn{"a": onA, "b": onB, "c": onC} {
		typ, m, err := r.ReadMessage()
		if err != nil || typ != websocket.BinaryMessage || string(m) != "end" {
			t.Fatalf("client on %s: after the 10,000 got %q (type %d) %v, want binary \"end\"", name, m, typ, err)
		}
	}
	if st := b.node.Status(); st.Published != total+1 {
		t.Fatalf("gateway b published %d, want %d (dropped %v)", st.Published, total+1, st.Dropped)
	}
	for _, g := range []*gw{a, c} {
		if st := g.node.Status(); st.Received != total+1 || st.Delivered != total+1 {
			t.Fatalf("received %d, delivered %d, want %d", st.Received, st.Delivered, total+1)
		}
	}
}

// TestBroadcastInterestFollowsMembers: a gateway holds its broadcast subscription only
// while the application has members there.
func TestBroadcastInterestFollowsMembers(t *testing.T) {
	natsURL := runNATS(t)
	a := startGateway(t, natsURL, "gw-a", broadcastApp)
	syncAll(t, a)
	base := a.node.Status().Subjects
	c := dial(t, a.url("/chat"))
	syncAll(t, a)
	if got := a.node.Status().Subjects; got != base+1 {
		t.Fatalf("with a member: %d subjects, want %d", got, base+1)
	}
	c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		syncAll(t, a)
		if a.node.Status().Subjects == base {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the last member left: %d subjects, want %d", a.node.Status().Subjects, base)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
