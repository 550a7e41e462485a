package cluster

import (
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// runServer starts an embedded NATS server on 127.0.0.1 (port 0 = ephemeral) and stops it
// when the test ends.
func runServer(t testing.TB, port int, edit func(*server.Options)) *server.Server {
	t.Helper()
	o := &server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true}
	if port == 0 {
		o.Port = -1
	}
	if edit != nil {
		edit(o)
	}
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(s.Shutdown)
	return s
}

func serverURL(s *server.Server) string {
	return "nats://" + s.Addr().(*net.TCPAddr).String()
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newNode connects a node to s and waits until it is ready.
func newNode(t testing.TB, s *server.Server, edit func(*Options)) *Node {
	t.Helper()
	o := Options{URLs: []string{serverURL(s)}, Name: "gw", Logger: quietLogger(), InboundQueue: 1 << 15, OutboundQueue: 1 << 15}
	if edit != nil {
		edit(&o)
	}
	n, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	waitFor(t, "node ready", func() bool { ok, _ := n.Ready(); return ok })
	return n
}

// waitFor polls cond until it holds, failing the test after 10s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustSync(t testing.TB, nodes ...*Node) {
	t.Helper()
	for _, n := range nodes {
		if err := n.Sync(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
}

// collector is a Receiver that records what it is given.
type collector struct {
	mu   sync.Mutex
	msgs []Message
}

func (c *collector) DeliverRemote(m Message) int {
	m.Data = append([]byte(nil), m.Data...)
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	c.mu.Unlock()
	return 1
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

func (c *collector) all() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.msgs...)
}

func itoa(i int) string { return strconv.Itoa(i) }
