package cluster

import (
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/wsgate/wsgate/internal/natstest"
	"github.com/wsgate/wsgate/internal/wstest"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newNode connects a node to s and waits until it is ready.
func newNode(t testing.TB, s *server.Server, edit func(*Options)) *Node {
	t.Helper()
	o := Options{URLs: []string{natstest.URL(s)}, Name: "gw", Logger: quietLogger(), InboundQueue: 1 << 15, OutboundQueue: 1 << 15}
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

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	wstest.WaitFor(t, 10*time.Second, what, cond)
}
