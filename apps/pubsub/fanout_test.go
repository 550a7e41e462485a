package pubsub_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/engine"
)

// A receiver past max_pending_bytes is closed with 1008; the others go on and get every
// message.
func TestSlowReceiver(t *testing.T) {
	g := startGateway(t, pubsub.Options{}, func(o *engine.Options, _ *apps.Spec) {
		o.MaxPendingBytes = 64 << 10
	})
	slow := g.dialRaw(t, "?topic=t", nil)
	good := g.dialRaw(t, "?topic=t", nil)
	g.waitSubscriptions(t, 2)
	payload := bytes.Repeat([]byte("x"), 16*1024)
	// The publisher waits for the good client to read each message, so only the slow one
	// falls behind.
	read := make(chan bool)
	go func() {
		defer close(read)
		good.ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		for {
			_, p, err := good.ws.ReadMessage()
			if err != nil {
				return
			}
			read <- len(p) == len(payload)
		}
	}()
	sent, slowOut := 0, false
	for i := 0; i < 5000 && !slowOut; i++ { // 80 MB at most; the kernel buffers far less
		n, err := g.app.Publish("t", pubsub.Text, payload, false)
		if err != nil {
			t.Fatal(err)
		}
		sent++
		slowOut = n == 1
		if ok := <-read; !ok {
			t.Fatalf("the good receiver lost message %d", i)
		}
	}
	if !slowOut {
		t.Fatalf("the slow receiver was never closed after %d messages", sent)
	}
	g.publish(t, "t", pubsub.Text, "end", false) // the good one goes on
	if ok := <-read; ok {
		t.Fatal("no end message")
	}
	slow.expectClose(1008)
}

// Receivers with permessage-deflate get the same messages, compressed, as those without.
func TestCompressedReceivers(t *testing.T) {
	g := startGateway(t, pubsub.Options{}, func(_ *engine.Options, s *apps.Spec) { s.Compression = true })
	d := websocket.Dialer{EnableCompression: true, Subprotocols: []string{pubsub.Subprotocol}}
	var zs []*client
	for range 2 {
		ws, resp, err := d.Dial("ws://"+g.addr+"/ps?topic=z", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
			t.Fatalf("no permessage-deflate negotiated: %q", ext)
		}
		zs = append(zs, &client{t: t, ws: ws})
	}
	plain := g.dialEnv(t, "?topic=z", nil)
	g.waitSubscriptions(t, 3)
	data := `{"text":"` + strings.Repeat("compressible ", 100) + `"}`
	if n := g.publish(t, "z", pubsub.JSON, data, false); n != 3 {
		t.Errorf("delivered %d, want 3", n)
	}
	want := `{"type":"message","topic":"z","data":` + data + `}`
	for _, c := range append(zs, plain) {
		c.expect(want)
	}
}

// loopBridge connects the pubsub applications of two gateways in the test, the way the
// cluster package does over NATS: Forward queues (never blocks), a goroutine delivers to
// the other side with DeliverRemote.
type loopBridge struct {
	to       *pubsub.App
	queue    chan pubsub.Message
	mu       sync.Mutex
	forwards int
	interest []string
}

func newLoopBridge(t *testing.T, to *pubsub.App) *loopBridge {
	b := &loopBridge{to: to, queue: make(chan pubsub.Message, 64)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m := range b.queue {
			b.to.DeliverRemote(m)
		}
	}()
	t.Cleanup(func() { close(b.queue); <-done })
	return b
}

func (b *loopBridge) Forward(app string, m pubsub.Message) {
	b.mu.Lock()
	b.forwards++
	b.mu.Unlock()
	select {
	case b.queue <- m:
	default: // full: dropped (a real bridge counts it)
	}
}

func (b *loopBridge) Interest(app, filter string, on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := "-" + filter
	if on {
		s = "+" + filter
	}
	b.interest = append(b.interest, app+s)
}

func (b *loopBridge) state() (int, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.forwards, slices.Clone(b.interest)
}

// Local publishes go to local subscribers and to the bridge once; what comes from the
// bridge reaches local subscribers only and is never forwarded again. Interest reports the
// first and the last local subscription of each filter.
func TestBridge(t *testing.T) {
	g1 := startGateway(t, pubsub.Options{Name: "ps", ClientPublish: true})
	g2 := startGateway(t, pubsub.Options{Name: "ps"})
	b12, b21 := newLoopBridge(t, g2.app), newLoopBridge(t, g1.app)
	g1.app.SetBridge(b12)
	g2.app.SetBridge(b21)

	s1 := g1.dialEnv(t, "?topic=a/%2B", nil)
	s2 := g2.dialEnv(t, "?topic=a/%2B", nil)
	s2b := g2.dialEnv(t, "?topic=a/%2B", nil)
	s1.sync()
	s2.sync()
	s2b.sync()
	pub := g1.dialEnv(t, "", nil)
	pub.request(`{"type":"publish","topic":"a/1","data":"from a client","id":1}`, `{"type":"ack","id":1}`)
	g1.publish(t, "a/2", pubsub.JSON, `"from Go"`, false)
	g2.publish(t, "a/3", pubsub.JSON, `"from g2"`, true)
	for _, c := range []*client{s1, s2, s2b} {
		// Each publisher's messages keep their order; between publishers on two gateways
		// there is no order to keep.
		got := []string{c.readText(), c.readText(), c.readText()}
		slices.Sort(got)
		want := []string{
			`{"type":"message","topic":"a/1","data":"from a client"}`,
			`{"type":"message","topic":"a/2","data":"from Go"}`,
			`{"type":"message","topic":"a/3","data":"from g2"}`,
		}
		if !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	// A retained value from the other gateway is kept locally too.
	late := g1.dialEnv(t, "?topic=a/3", nil)
	late.expect(`{"type":"message","topic":"a/3","data":"from g2","retained":true}`)

	f12, i12 := b12.state()
	f21, i21 := b21.state()
	if f12 != 2 || f21 != 1 {
		t.Errorf("forwards %d and %d, want 2 and 1 (remote messages are not forwarded again)", f12, f21)
	}
	if !slices.Equal(i21, []string{"ps+a/+"}) { // s2b's subscription was not the first
		t.Errorf("g2 interest %v", i21)
	}
	s2.ws.Close()
	s2b.ws.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, i21 = b21.state(); len(i21) == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !slices.Equal(i21, []string{"ps+a/+", "ps-a/+"}) {
		t.Errorf("g2 interest after both closed: %v", i21)
	}
	if !slices.Contains(i12, "ps+a/+") || !slices.Contains(i12, "ps+a/3") {
		t.Errorf("g1 interest %v", i12)
	}
}

// Go subscribers get the retained values first, then every matching publish once, until
// they cancel.
func TestGoSubscribe(t *testing.T) {
	g := startGateway(t, pubsub.Options{ClientPublish: true})
	g.publish(t, "k/1", pubsub.Text, "kept", true)
	var mu sync.Mutex
	var got []string
	cancel, err := g.app.Subscribe("k/#", func(m pubsub.Message) {
		mu.Lock()
		got = append(got, m.Topic+"="+string(m.Data)+"/"+m.Kind.String()+map[bool]string{true: "/retained"}[m.Retain])
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	c := g.dialEnv(t, "", nil)
	c.request(`{"type":"publish","topic":"k/2","data":{"x":1},"id":1}`, `{"type":"ack","id":1}`)
	if n := g.publish(t, "k/3", pubsub.Binary, "\x01", false); n != 1 {
		t.Errorf("delivered %d", n)
	}
	cancel()
	g.publish(t, "k/4", pubsub.Text, "after", false)
	mu.Lock()
	defer mu.Unlock()
	want := []string{"k/1=kept/text/retained", `k/2={"x":1}/json`, "k/3=\x01/binary"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := g.app.Subscribe("a/#/b", func(pubsub.Message) {}); err == nil {
		t.Error("bad filter accepted")
	}
}

var _ = http.Header{}
