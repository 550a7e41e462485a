package clusterbridge

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/cluster"
	"github.com/wsgate/wsgate/internal/gateway"
	"github.com/wsgate/wsgate/internal/natstest"
	"github.com/wsgate/wsgate/internal/wstest"
)

// runNATS starts an embedded NATS server for the test and returns its URL.
func runNATS(tb testing.TB) string { return natstest.URL(natstest.Run(tb, 0, nil)) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// gw is one whole gateway: the configured server and its cluster node.
type gw struct {
	g    *gateway.Gateway
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
	g, err := gateway.Build(cfg, nil, func(o *engine.Options) { o.Logger = quiet() }, Hook(node))
	if err != nil {
		tb.Fatal(err)
	}
	srv := g.Server
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
	return &gw{g: g, srv: srv, node: node}
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

// settle waits until the gateways' applications hold the given numbers of local members
// (broadcast) or subscriptions (pubsub) — a client's 101 can come before its application
// sees it — and then until the nodes' subscriptions are at the broker.
func settle(tb testing.TB, app string, want map[*gw]int) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for g, n := range want {
		for members(g, app) != n {
			if time.Now().After(deadline) {
				tb.Fatalf("%s has %d members or subscriptions, want %d", app, members(g, app), n)
			}
			time.Sleep(2 * time.Millisecond)
		}
		syncAll(tb, g)
	}
}

// members is the local members of a broadcast application or subscriptions of a pubsub one.
func members(g *gw, app string) int {
	switch a := g.g.Apps[app].(type) {
	case *builtin.Broadcast:
		return a.Members()
	case *pubsub.App:
		_, _, n, _ := a.Stats()
		return n
	}
	return -1
}

func syncAll(tb testing.TB, gws ...*gw) {
	tb.Helper()
	for _, g := range gws {
		if err := g.node.Sync(5 * time.Second); err != nil {
			tb.Fatal(err)
		}
	}
}

// threeGateways starts the gateways gw-a, gw-b and gw-c with the applications apps (TOML),
// bridged by one NATS server.
func threeGateways(t *testing.T, apps string) (a, b, c *gw) {
	natsURL := runNATS(t)
	return startGateway(t, natsURL, "gw-a", apps), startGateway(t, natsURL, "gw-b", apps), startGateway(t, natsURL, "gw-c", apps)
}

// streamInOrder sends the numbers 0 to total-1 as text messages from sender, on a goroutine
// of its own, and checks that each receiver gets exactly those, in order.
func streamInOrder(t *testing.T, sender *websocket.Conn, total int, receivers map[string]*websocket.Conn) {
	t.Helper()
	go func() {
		for i := range total {
			if err := sender.WriteMessage(websocket.TextMessage, []byte(strconv.Itoa(i))); err != nil {
				return
			}
		}
	}()
	for name, r := range receivers {
		r.SetReadDeadline(time.Now().Add(30 * time.Second))
		for i := range total {
			typ, m, err := r.ReadMessage()
			if err != nil {
				t.Fatalf("client on %s, message %d: %v", name, i, err)
			}
			if typ != websocket.TextMessage || string(m) != strconv.Itoa(i) {
				t.Fatalf("client on %s: message %d is %q (type %d)", name, i, m, typ)
			}
		}
	}
}

const broadcastApp = "[[app]]\nname = \"chat\"\nkind = \"broadcast\"\npath = \"/chat\"\n"

// TestBroadcastAcrossGateways: three gateways on one NATS server; 10,000 messages a client
// sends on gateway B reach the clients of gateways A and C exactly once and in order, and
// the local member of B as usual.
func TestBroadcastAcrossGateways(t *testing.T) {
	a, b, c := threeGateways(t, broadcastApp)
	onA, onC := dial(t, a.url("/chat")), dial(t, c.url("/chat"))
	sender, onB := dial(t, b.url("/chat")), dial(t, b.url("/chat"))
	settle(t, "chat", map[*gw]int{a: 1, b: 2, c: 1})

	const total = 10000
	streamInOrder(t, sender, total, map[string]*websocket.Conn{"a": onA, "c": onC, "b": onB})
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
		// The node counts a delivery once DeliverRemote returns, which can be after the
		// client has read the message: wait for the count, then check it is not more.
		wstest.WaitFor(t, 5*time.Second, "the deliveries to be counted", func() bool { return g.node.Status().Delivered >= total+1 })
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
	settle(t, "chat", map[*gw]int{a: 1})
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

// TestReloadDetachesRemovedApp: an application a reload removes is no longer bridged (its
// name is detached from the node, and its subscriptions go with it); added back, it is
// bridged again; given to another kind, it is not.
func TestReloadDetachesRemovedApp(t *testing.T) {
	natsURL := runNATS(t)
	const echoApp = "[[app]]\nname = \"echo\"\nkind = \"echo\"\npath = \"/echo\"\n"
	a := startGateway(t, natsURL, "gw-a", broadcastApp+echoApp)
	reload := func(apps string) {
		t.Helper()
		cfg, err := config.Parse([]byte("[http]\nlisten = \"" + a.srv.Addr(config.HTTPServer) + "\"\n[cluster]\nnats = \"" +
			natsURL + "\"\nname = \"gw-a\"\n" + apps))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.g.Reload(cfg); err != nil {
			t.Fatal(err)
		}
	}
	if got := a.node.Status().Apps; got != 1 {
		t.Fatalf("bridged applications at the start: %d, want 1 (chat)", got)
	}
	c := dial(t, a.url("/chat"))
	settle(t, "chat", map[*gw]int{a: 1})
	base := a.node.Status().Subjects
	reload(echoApp)
	if code := closeCodeOf(c); code != websocket.CloseGoingAway {
		t.Fatalf("member of the removed application: close %d, want 1001", code)
	}
	syncAll(t, a)
	if st := a.node.Status(); st.Apps != 0 || st.Subjects >= base {
		t.Fatalf("after the removal: %d bridged, %d subjects; want 0 and fewer than %d", st.Apps, st.Subjects, base)
	}
	reload(broadcastApp + echoApp)
	if got := a.node.Status().Apps; got != 1 {
		t.Fatalf("added back: %d bridged, want 1", got)
	}
	dial(t, a.url("/chat"))
	settle(t, "chat", map[*gw]int{a: 1})
	if got := a.node.Status().Subjects; got != base {
		t.Fatalf("added back with a member: %d subjects, want %d as before", got, base)
	}
	// The name given to another kind is no longer bridged.
	reload(strings.Replace(broadcastApp, `kind = "broadcast"`, `kind = "echo"`, 1) + echoApp)
	if got := a.node.Status().Apps; got != 0 {
		t.Fatalf("chat now an echo application: %d bridged, want 0", got)
	}
}

// closeCodeOf reads until c closes and returns the close code, 0 for anything else.
func closeCodeOf(c *websocket.Conn) int {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			return 0
		}
	}
}

const pubsubApp = "[[app]]\nname = \"ps\"\nkind = \"pubsub\"\npath = \"/ps\"\nclient_publish = true\nmax_message_rate = 20000\n"

// TestPubSubAcrossGateways: three gateways with a pubsub application on one NATS server.
// 10,000 messages a raw client publishes on gateway B reach a raw subscriber on A and a
// subscriber on C whose two filters both match (one NATS copy per filter), exactly once and
// in order; the server's publish on one gateway reaches the clients of the others; a
// retained value set on B is served to a client subscribing on C later.
func TestPubSubAcrossGateways(t *testing.T) {
	a, b, c := threeGateways(t, pubsubApp)
	onA := dial(t, a.url("/ps?topic=room/1"))
	onC := dial(t, c.url("/ps?topic=room/%2B&topic=room/%23")) // room/+ and room/#
	pub := dial(t, b.url("/ps?topic=room/1"))
	settle(t, "ps", map[*gw]int{a: 1, b: 1, c: 2})

	const total = 10000
	streamInOrder(t, pub, total, map[string]*websocket.Conn{"a": onA, "c": onC, "b (the publisher, subscribed)": pub})
	if st := c.node.Status(); st.Deduplicated == 0 {
		t.Fatalf("gateway c deduplicated nothing, though two of its subscriptions match: %+v", st)
	}

	// The server's publish (the admin API's path) on A reaches B and C, and is next after
	// the 10,000 everywhere: nothing came twice.
	syncAll(t, b)
	if n, err := a.g.Publish("ps", "room/1", pubsub.Binary, []byte("from the server"), false); err != nil || n != 1 {
		t.Fatalf("Publish on a: %d local receivers, %v", n, err)
	}
	for name, r := range map[string]*websocket.Conn{"a": onA, "b": pub, "c": onC} {
		typ, m, err := r.ReadMessage()
		if err != nil || typ != websocket.BinaryMessage || string(m) != "from the server" {
			t.Fatalf("client on %s: got %q (type %d) %v, want the server's binary publish", name, m, typ, err)
		}
	}

	// Retained on B, served on C to a client that subscribes afterwards.
	if _, err := b.g.Publish("ps", "cfg/x", pubsub.Text, []byte("v1"), true); err != nil {
		t.Fatal(err)
	}
	syncAll(t, b)
	waitUntil(t, "the retained value to reach gateway c", func() bool { return c.node.Status().Retained == 1 })
	late := dial(t, c.url("/ps?topic=cfg/%2B"))
	late.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, m, err := late.ReadMessage(); err != nil || string(m) != "v1" {
		t.Fatalf("late subscriber on c: %q %v, want the retained v1", m, err)
	}
}

// TestPubSubRetainedSnapshot: a gateway that starts after a retained value was set gets it
// from its peers and serves it.
func TestPubSubRetainedSnapshot(t *testing.T) {
	natsURL := runNATS(t)
	a := startGateway(t, natsURL, "gw-a", pubsubApp)
	if _, err := a.g.Publish("ps", "state", pubsub.JSON, []byte(`{"on":true}`), true); err != nil {
		t.Fatal(err)
	}
	// The publish is at the broker before b subscribes, so b can only have it from a's
	// snapshot (else it may arrive live, and no snapshot entry is newer).
	if err := a.node.Sync(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	b := startGateway(t, natsURL, "gw-b", pubsubApp)
	deadline := time.Now().Add(10 * time.Second)
	for b.node.Status().SnapshotEntries != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot applied: %+v", b.node.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cl := dial(t, b.url("/ps?topic=state"))
	cl.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, m, err := cl.ReadMessage(); err != nil || string(m) != `{"on":true}` {
		t.Fatalf("got %q %v, want the retained value set on a before b started", m, err)
	}
}

// TestBrokerOutage: with the NATS server gone, a gateway's own clients still reach each
// other, the node says why it is not ready and counts what it could not forward; when a
// server is back on the same address, the gateways reconnect by themselves and messages
// cross again, the ones published meanwhile never.
func TestBrokerOutage(t *testing.T) {
	s := natstest.Run(t, 0, nil)
	natsURL, port := natstest.URL(s), s.Addr().(*net.TCPAddr).Port
	a := startGateway(t, natsURL, "gw-a", broadcastApp)
	b := startGateway(t, natsURL, "gw-b", broadcastApp)
	onA := dial(t, a.url("/chat"))
	sender, onB := dial(t, b.url("/chat")), dial(t, b.url("/chat"))
	settle(t, "chat", map[*gw]int{a: 1, b: 2})
	read := func(c *websocket.Conn, want string) {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, m, err := c.ReadMessage(); err != nil || string(m) != want {
			t.Fatalf("got %q %v, want %q", m, err, want)
		}
	}
	sender.WriteMessage(websocket.TextMessage, []byte("before"))
	read(onB, "before")
	read(onA, "before")

	s.Shutdown()
	s.WaitForShutdown()
	for _, g := range []*gw{a, b} {
		waitUntil(t, "not ready", func() bool { ok, _ := g.node.Ready(); return !ok })
	}
	if _, why := b.node.Ready(); !strings.Contains(why, "disconnected") {
		t.Fatalf("reason %q", why)
	}
	sender.WriteMessage(websocket.TextMessage, []byte("during"))
	read(onB, "during") // local delivery goes on
	waitUntil(t, "the drop counted", func() bool { return b.node.Status().Dropped["disconnected"] == 1 })

	natstest.Run(t, port, nil) // back on the same address
	for _, g := range []*gw{a, b} {
		waitUntil(t, "ready again", func() bool { ok, _ := g.node.Ready(); return ok })
	}
	syncAll(t, a, b)
	sender.WriteMessage(websocket.TextMessage, []byte("after"))
	read(onB, "after")
	read(onA, "after") // not "during": it was never forwarded
}

func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	wstest.WaitFor(t, 15*time.Second, what, cond)
}
