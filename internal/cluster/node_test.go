package cluster

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/wsgate/wsgate/internal/natstest"
	"github.com/wsgate/wsgate/internal/tlsconn"
)

// TestExactlyOnceInOrder: 10,000 messages from one gateway reach two others, each exactly
// once and in order, although the receivers' filters overlap (one message matches several
// of their NATS subscriptions).
func TestExactlyOnceInOrder(t *testing.T) {
	s := natstest.Run(t, 0, nil)
	a, b, c := newNode(t, s, nil), newNode(t, s, nil), newNode(t, s, nil)
	var gotB, gotC collector
	a.Attach("chat", &collector{})
	b.Attach("chat", &gotB)
	c.Attach("chat", &gotC)
	for _, f := range []string{"room/1", "room/+", "room/#", "#"} {
		b.Interest("chat", f, true)
	}
	c.Interest("chat", "room/1", true)
	mustSync(t, a, b, c)

	const total = 10000
	for i := range total {
		topic := "room/1"
		if i%2 == 1 {
			topic = "room" // only b's "room/#" and "#" match
		}
		a.Forward("chat", Message{Topic: topic, Kind: Text, Data: []byte(itoa(i))})
	}
	waitFor(t, "b's messages", func() bool { return gotB.len() >= total })
	waitFor(t, "c's messages", func() bool { return gotC.len() >= total/2 })
	mustSync(t, b, c) // anything late would be in by now
	for i, m := range gotB.all() {
		if string(m.Data) != itoa(i) || m.Kind != Text {
			t.Fatalf("b: message %d = %q (%v), want %q", i, m.Data, m.Kind, itoa(i))
		}
	}
	if n := gotB.len(); n != total {
		t.Fatalf("b got %d messages, want %d", n, total)
	}
	for i, m := range gotC.all() {
		if string(m.Data) != itoa(2*i) || m.Topic != "room/1" {
			t.Fatalf("c: message %d = %q on %q, want %q", i, m.Data, m.Topic, itoa(2*i))
		}
	}
	if n := gotC.len(); n != total/2 {
		t.Fatalf("c got %d messages, want %d", n, total/2)
	}
	if st := b.Status(); st.Deduplicated == 0 || st.Received != total {
		t.Fatalf("b status: received %d deduplicated %d, want %d and > 0", st.Received, st.Deduplicated, total)
	}
	if st := a.Status(); st.Published != total {
		t.Fatalf("a published %d, want %d (drops %v)", st.Published, total, st.Dropped)
	}
}

// TestOrderFromManyPublishers: two gateways publish interleaved to the same topic; a third
// sees each publisher's messages in its order and nothing twice.
func TestOrderFromManyPublishers(t *testing.T) {
	s := natstest.Run(t, 0, nil)
	a, b, c := newNode(t, s, nil), newNode(t, s, nil), newNode(t, s, nil)
	var got collector
	a.Attach("chat", &collector{})
	b.Attach("chat", &collector{})
	c.Attach("chat", &got)
	c.Interest("chat", "t", true)
	c.Interest("chat", "+", true)
	mustSync(t, c)
	const each = 2000
	done := make(chan struct{})
	go func() {
		for i := range each {
			b.Forward("chat", Message{Topic: "t", Data: []byte("b" + itoa(i))})
		}
		close(done)
	}()
	for i := range each {
		a.Forward("chat", Message{Topic: "t", Data: []byte("a" + itoa(i))})
	}
	<-done
	waitFor(t, "all messages", func() bool { return got.len() >= 2*each })
	mustSync(t, c)
	next := map[byte]int{}
	for _, m := range got.all() {
		p := m.Data[0]
		if string(m.Data[1:]) != itoa(next[p]) {
			t.Fatalf("from %c: got %q, want %d", p, m.Data, next[p])
		}
		next[p]++
	}
	if next['a'] != each || next['b'] != each {
		t.Fatalf("got %v, want %d each", next, each)
	}
}

// TestInterestFollowsSubscriptions reads the server's subscription count as local interest
// comes and goes, and checks that a gateway without interest gets nothing.
func TestInterestFollowsSubscriptions(t *testing.T) {
	s := natstest.Run(t, 0, nil)
	a, b := newNode(t, s, nil), newNode(t, s, nil)
	var got collector
	a.Attach("chat", &collector{})
	b.Attach("chat", &got)
	mustSync(t, a, b)
	base := s.NumSubscriptions()

	steps := []struct {
		filter string
		on     bool
		want   uint32 // server subscriptions above base
	}{
		{"x/+", true, 1},
		{"x/+", true, 1},  // a second local subscriber: no new subject
		{"x/#", true, 3},  // "x" and "x.>"
		{"x", true, 3},    // shares "x" with x/#
		{"x/#", false, 2}, // "x.>" goes, "x" stays for "x"
		{"x/+", false, 2}, // one reference left
		{"x/+", false, 1},
		{"x", false, 0},
		{"x", false, 0}, // more offs than ons: ignored
	}
	for i, st := range steps {
		b.Interest("chat", st.filter, st.on)
		mustSync(t, b)
		if got := s.NumSubscriptions() - base; got != st.want {
			t.Fatalf("step %d (%q %v): %d subscriptions above base, want %d", i, st.filter, st.on, got, st.want)
		}
		if got := b.Status().Subjects; got != 3+int(st.want) { // reply, $retain, $snapshot
			t.Fatalf("step %d: status shows %d subjects, want %d", i, got, 3+int(st.want))
		}
	}

	a.Forward("chat", Message{Topic: "x/1", Data: []byte("nobody")})
	mustSync(t, a) // at the broker before b's interest
	b.Interest("chat", "x/1", true)
	mustSync(t, b)
	a.Forward("chat", Message{Topic: "x/1", Data: []byte("b")})
	waitFor(t, "the message", func() bool { return got.len() == 1 })
	mustSync(t, a, b)
	if m := got.all(); len(m) != 1 || string(m[0].Data) != "b" {
		t.Fatalf("got %+v, want only the message published after the interest", m)
	}
	b.Detach("chat")
	mustSync(t, b)
	if got := s.NumSubscriptions(); got != base-2 { // x/1, $retain and $snapshot gone; the reply stays
		t.Fatalf("after detach: %d subscriptions, want %d", got, base-2)
	}
}

// TestBroadcastAcrossNodes: the broadcast application's one topic reaches every gateway but
// the sender, once.
func TestBroadcastAcrossNodes(t *testing.T) {
	s := natstest.Run(t, 0, nil)
	nodes := []*Node{newNode(t, s, nil), newNode(t, s, nil), newNode(t, s, nil)}
	got := make([]collector, len(nodes))
	for i, n := range nodes {
		n.Attach("room", &got[i])
		n.Interest("room", BroadcastTopic, true)
	}
	mustSync(t, nodes...)
	nodes[0].Forward("room", Message{Topic: BroadcastTopic, Kind: Binary, Data: []byte{1, 2, 3}})
	nodes[1].Forward("room", Message{Topic: BroadcastTopic, Kind: Text, Data: []byte("hi")})
	waitFor(t, "deliveries", func() bool { return got[0].len() == 1 && got[1].len() == 1 && got[2].len() == 2 })
	mustSync(t, nodes...)
	if m := got[0].all(); len(m) != 1 || string(m[0].Data) != "hi" || m[0].Kind != Text {
		t.Fatalf("node 0 got %v", m)
	}
	if m := got[1].all(); len(m) != 1 || string(m[0].Data) != "\x01\x02\x03" || m[0].Kind != Binary {
		t.Fatalf("node 1 got %v", m)
	}
	if n := got[2].len(); n != 2 {
		t.Fatalf("node 2 got %d messages, want 2", n)
	}
}

// TestOutageAndRecovery: the broker goes away and comes back on the same port. Nodes report
// not ready with the reason, count what was published meanwhile as not delivered remotely,
// reconnect by themselves and restore their subscriptions.
func TestOutageAndRecovery(t *testing.T) {
	s := natstest.Run(t, 0, nil)
	port := s.Addr().(*net.TCPAddr).Port
	fast := func(o *Options) { o.ReconnectWait, o.MaxReconnectWait = 20*time.Millisecond, 100*time.Millisecond }
	a, b := newNode(t, s, fast), newNode(t, s, fast)
	var got collector
	a.Attach("chat", &collector{})
	b.Attach("chat", &got)
	b.Interest("chat", "t/#", true)
	mustSync(t, a, b)
	a.Forward("chat", Message{Topic: "t/1", Data: []byte("before")})
	waitFor(t, "first message", func() bool { return got.len() == 1 })

	s.Shutdown()
	s.WaitForShutdown()
	for _, n := range []*Node{a, b} {
		waitFor(t, "not ready", func() bool { ok, _ := n.Ready(); return !ok })
		if _, why := n.Ready(); !strings.Contains(why, "disconnected") {
			t.Fatalf("reason %q, want it to say disconnected", why)
		}
		if st := n.Status(); st.Connected || st.Reason == "" {
			t.Fatalf("status during outage: %+v", st)
		}
	}
	for range 5 {
		a.Forward("chat", Message{Topic: "t/1", Data: []byte("during")})
	}
	if d := a.Status().Dropped["disconnected"]; d != 5 {
		t.Fatalf("dropped disconnected = %d, want 5", d)
	}

	s2 := natstest.Run(t, port, nil)
	for _, n := range []*Node{a, b} {
		waitFor(t, "ready again", func() bool { ok, _ := n.Ready(); return ok })
	}
	mustSync(t, a, b)
	if s2.NumSubscriptions() < 7 { // each node: reply, $retain, $snapshot; b: t and t.>
		t.Fatalf("subscriptions not restored: %d", s2.NumSubscriptions())
	}
	a.Forward("chat", Message{Topic: "t/2", Data: []byte("after")})
	waitFor(t, "message after recovery", func() bool { return got.len() == 2 })
	mustSync(t, a, b)
	m := got.all()
	if len(m) != 2 || string(m[0].Data) != "before" || string(m[1].Data) != "after" {
		t.Fatalf("got %+v, want before and after only", m)
	}
	if r := b.Status().Reconnects; r != 1 {
		t.Fatalf("reconnects = %d, want 1", r)
	}
}

// TestCredentialsRefused: a wrong token is a clear error from New, not a silent retry loop;
// the right one connects.
func TestCredentialsRefused(t *testing.T) {
	s := natstest.Run(t, 0, func(o *server.Options) { o.Authorization = "s3cret" })
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, err := New(Options{URLs: []string{natstest.URL(s)}, Credentials: write("bad", "wrong\n"), Logger: quietLogger()})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "uthorization") {
		t.Fatalf("New with a wrong token: %v, want ErrRefused naming authorization", err)
	}
	_, err = New(Options{URLs: []string{natstest.URL(s)}, Logger: quietLogger()})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("New without a token: %v, want ErrRefused", err)
	}
	n := newNode(t, s, func(o *Options) { o.Credentials = write("good", "s3cret\n") })
	if st := n.Status(); !st.Connected {
		t.Fatalf("status %+v", st)
	}
}

func TestOptionsErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no url", Options{}, "no server URL"},
		{"bad scheme", Options{URLs: []string{"http://x:1"}}, "scheme"},
		{"missing creds", Options{URLs: []string{"nats://x:1"}, Credentials: "/nonexistent.creds"}, "credentials"},
		{"cert without key", Options{URLs: []string{"nats://x:1"}, TLSCert: "/dev/null"}, "tls_cert and tls_key"},
		{"bad prefix", Options{URLs: []string{"nats://x:1"}, SubjectPrefix: "a.*"}, "subject_prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrConfig mentioning %q", err, tt.want)
			}
		})
	}
}

// TestRetainedClusterWide: a retained value set on one gateway reaches a gateway without
// interest (kept, not delivered to anyone) and one that joins later (by snapshot); a clear
// propagates; the later of two writers wins everywhere.
func TestRetainedClusterWide(t *testing.T) {
	s := natstest.Run(t, 0, nil)
	a, b := newNode(t, s, nil), newNode(t, s, nil)
	var gotA, gotB collector
	a.Attach("cfg", &gotA)
	b.Attach("cfg", &gotB)
	mustSync(t, a, b)
	a.Forward("cfg", Message{Topic: "k/1", Kind: JSON, Data: []byte(`{"v":1}`), Retain: true})
	a.Forward("cfg", Message{Topic: "k/2", Kind: Text, Data: []byte("two"), Retain: true})
	a.Forward("cfg", Message{Topic: "k/2", Data: nil, Retain: true}) // cleared
	waitFor(t, "b's retained", func() bool { return gotB.len() == 3 })
	if m := gotB.all(); !m[0].Retain || m[0].Kind != JSON || string(m[0].Data) != `{"v":1}` {
		t.Fatalf("b got %+v", m[0])
	}
	if n := b.Status().Retained; n != 1 {
		t.Fatalf("b keeps %d retained values, want 1", n)
	}

	c := newNode(t, s, nil)
	var gotC collector
	c.Attach("cfg", &gotC)
	// Two peers answer; the entries are the same version, so each applies once.
	waitFor(t, "c's snapshot", func() bool { return c.Status().SnapshotEntries == 2 })
	mustSync(t, a, b, c)
	byTopic := map[string]Message{}
	for _, m := range gotC.all() {
		if !m.Retain {
			t.Fatalf("snapshot entry not retained: %+v", m)
		}
		byTopic[m.Topic] = m
	}
	if m := byTopic["k/1"]; string(m.Data) != `{"v":1}` || m.Kind != JSON {
		t.Fatalf("c: k/1 = %+v", m)
	}
	if m, ok := byTopic["k/2"]; !ok || len(m.Data) != 0 {
		t.Fatalf("c: k/2 = %+v, want the clear", m)
	}
	if n := c.Status().Retained; n != 1 {
		t.Fatalf("c keeps %d, want 1", n)
	}
	if st := c.Status(); st.SnapshotEntries != 2 {
		t.Fatalf("c applied %d entries, want 2", st.SnapshotEntries)
	}
}

// TestInboundFloodIsBounded: a receiver that stalls while the broker floods it makes the node
// drop past the bounded inbound queue, in messages (16, and the hand-off from nats.go as
// many at most) or in bytes (64 KiB of 4 KiB messages, never the 8192 messages of the count
// bound); every message is either delivered or counted, and what is delivered is in order.
func TestInboundFloodIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name         string
		count, bytes int // the node's bounds
		total, size  int // the flood
		check        func(st Status) error
	}{
		{"messages", 16, 0, 1000, 8, func(st Status) error {
			if st.InboundQueued > 2*16 {
				return fmt.Errorf("inbound queue holds %d, bound 16 and a hand-off of 16", st.InboundQueued)
			}
			return nil
		}},
		{"bytes", 8192, 64 << 10, 300, 4 << 10, func(st Status) error {
			if st.InboundBytes > 64<<10 || st.InboundBytes == 0 {
				return fmt.Errorf("inbound queue holds %d messages, %d bytes; bound 64 KiB", st.InboundQueued, st.InboundBytes)
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := natstest.Run(t, 0, nil)
			a := newNode(t, s, nil)
			b := newNode(t, s, func(o *Options) { o.InboundQueue, o.InboundBytes = tc.count, tc.bytes })
			release := make(chan struct{})
			var releaseOnce sync.Once
			unstall := func() { releaseOnce.Do(func() { close(release) }) }
			t.Cleanup(unstall) // before the nodes close, on a failure too: b's consumer waits on it
			var got collector
			a.Attach("chat", &collector{})
			b.Attach("chat", ReceiverFunc(func(m Message) int {
				<-release
				return got.DeliverRemote(m)
			}))
			b.Interest("chat", "t", true)
			mustSync(t, a, b)
			pad := make([]byte, tc.size)
			for i := range tc.total {
				num := itoa(i) + " "
				a.Forward("chat", Message{Topic: "t", Data: append([]byte(num), pad[:max(0, tc.size-len(num))]...)})
			}
			waitFor(t, "a to publish", func() bool { return a.Status().Published == uint64(tc.total) })
			if err := a.Sync(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "b to drop", func() bool { return b.Status().Dropped["slow_consumer"] > 0 })
			if err := tc.check(b.Status()); err != nil {
				t.Fatal(err)
			}
			unstall()
			waitFor(t, "every message delivered or counted", func() bool {
				st := b.Status()
				return st.Received+st.Dropped["slow_consumer"] == uint64(tc.total)
			})
			prev := -1
			for _, m := range got.all() {
				num, _, _ := strings.Cut(string(m.Data), " ")
				i := atoiT(t, num)
				if i <= prev {
					t.Fatalf("out of order: %d after %d", i, prev)
				}
				prev = i
			}
			if prev < 0 {
				t.Fatal("nothing was delivered")
			}
		})
	}
}

func atoiT(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// TestTLS: a broker with a self-signed certificate is reached when its certificate is the
// configured CA, and refused with a clear error when it is not.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key, err := tlsconn.GenerateSelfSigned(dir)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cert, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	s := natstest.Run(t, 0, func(o *server.Options) { o.TLSConfig = tc; o.TLS = true })
	url := "tls://" + s.Addr().(*net.TCPAddr).String()
	_, err = New(Options{URLs: []string{url}, Logger: quietLogger()})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("unknown CA: %v, want ErrRefused", err)
	}
	n, err := New(Options{URLs: []string{url}, TLSCA: cert, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	waitFor(t, "ready over TLS", func() bool { ok, _ := n.Ready(); return ok })
}

// TestReattachReplaysRetained: a new instance of an application (a reload) attached under
// the same name gets the retained values the node holds.
func TestReattachReplaysRetained(t *testing.T) {
	s := natstest.Run(t, 0, nil)
	a, b := newNode(t, s, nil), newNode(t, s, nil)
	a.Attach("cfg", &collector{})
	var first collector
	b.Attach("cfg", &first)
	mustSync(t, a, b)
	a.Forward("cfg", Message{Topic: "k", Kind: Text, Data: []byte("v"), Retain: true})
	waitFor(t, "the retained value", func() bool { return first.len() == 1 })
	var second collector
	b.Attach("cfg", &second)
	if m := second.all(); len(m) != 1 || m[0].Topic != "k" || string(m[0].Data) != "v" || !m[0].Retain {
		t.Fatalf("new instance got %+v, want the retained k=v", m)
	}
}
