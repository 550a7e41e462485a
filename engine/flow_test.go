package engine

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/internal/wstest"
)

// The flow-control tests (SPEC.md "proxy": the fast side is slowed, not cut). 64 MiB go
// from a fast upstream to a client that stops reading for 3 s, and from a fast client to an
// upstream that stops reading for 3 s. Meanwhile the gateway's memory is sampled: its live
// heap and the process's anonymous RSS may grow by less than 2 × max_pending_bytes for the one pair,
// and every byte must arrive, in order.

const (
	flowPending = 1 << 20 // max_pending_bytes of these tests
	flowPause   = 3 * time.Second
)

func flowTotal() int {
	if testing.Short() {
		return 8 << 20
	}
	return 64 << 20
}

// stream is the test data: a deterministic byte stream that both ends can produce.
func stream() *rand.ChaCha8 { return rand.NewChaCha8([32]byte{'w', 's', 'g', 'a', 't', 'e'}) }

// memSampler tracks the growth of the live heap and of the RSS over a baseline.
type memSampler struct {
	heap0, rss0       uint64
	heapPeak, rssPeak uint64
}

var heapLive = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// liveHeap collects garbage, returns the freed pages to the system (so that the RSS counts
// what is held, not what the runtime has yet to give back) and reads the live heap.
func liveHeap() uint64 {
	debug.FreeOSMemory()
	metrics.Read(heapLive)
	return heapLive[0].Value.Uint64()
}

func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		// The anonymous part: heap and stacks. File-backed pages are the binary's code,
		// mapped in as the test first runs it, and say nothing about the gateway's buffers.
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func newMemSampler() *memSampler {
	m := &memSampler{heap0: liveHeap(), rss0: rss()}
	m.heapPeak, m.rssPeak = m.heap0, m.rss0
	return m
}

// sampleFor samples every 100 ms for d.
func (m *memSampler) sampleFor(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		m.heapPeak = max(m.heapPeak, liveHeap())
		m.rssPeak = max(m.rssPeak, rss())
	}
}

func (m *memSampler) check(t *testing.T, what string) {
	t.Helper()
	heap, rssGrowth := int64(m.heapPeak-m.heap0), int64(m.rssPeak)-int64(m.rss0)
	t.Logf("%s: live heap grew by %d KiB, RSS by %d KiB (bound %d KiB)", what, heap>>10, rssGrowth>>10, 2*flowPending>>10)
	if raceEnabled {
		return // -race changes sync.Pool (it drops items at random) and adds shadow memory
	}
	if heap >= 2*flowPending {
		t.Errorf("%s: the live heap grew by %d bytes, over 2 × max_pending_bytes", what, heap)
	}
	if rssGrowth >= 2*flowPending {
		t.Errorf("%s: RSS grew by %d bytes, over 2 × max_pending_bytes", what, rssGrowth)
	}
}

func flowServer(t *testing.T, upstream string, ping time.Duration) *Server {
	t.Helper()
	opt := testOptions()
	opt.MaxPendingBytes = flowPending
	opt.PingInterval = ping
	px, err := NewProxy(ProxyConfig{Upstream: upstream})
	if err != nil {
		t.Fatal(err)
	}
	echo := echoServer(t, "tcp", "127.0.0.1:0")
	warm, err := NewProxy(ProxyConfig{Upstream: "tcp://" + echo.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, opt, func(s *Server) {
		if err := s.Register(apps.Spec{Name: "p", Path: "/p"}, px); err != nil {
			t.Fatal(err)
		}
		if err := s.Register(apps.Spec{Name: "warm", Path: "/warm"}, warm); err != nil {
			t.Fatal(err)
		}
	})
	// One proxied pair through its paces first, so that what the process sets up once
	// (runtime structures, pools, worker goroutines) is not counted against the pair measured.
	c, _ := dial(t, srv.Addr(HTTPService), "/warm", nil)
	msg := bytes.Repeat([]byte("warm"), 64<<10)
	if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
		t.Fatal(err)
	}
	for got := 0; got < len(msg); {
		_, p, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		got += len(p)
	}
	c.Close()
	return srv
}

func TestProxyFlowControlSlowClient(t *testing.T) {
	total := flowTotal()
	sent := make(chan error, 1)
	ln := serveUpstream(t, func(nc net.Conn) { // the fast upstream: writes as fast as the gateway takes
		defer nc.Close()
		src, buf := stream(), make([]byte, 64<<10)
		for n := 0; n < total; n += len(buf) {
			src.Read(buf)
			if _, err := nc.Write(buf); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	})
	// A client that reads nothing does not answer pings either: the interval outlasts the pause.
	srv := flowServer(t, "tcp://"+ln.Addr().String(), 30*time.Second)
	mem := newMemSampler()
	c, _ := dial(t, srv.Addr(HTTPService), "/p", nil)
	mem.sampleFor(flowPause) // the client reads nothing meanwhile
	mem.check(t, "upstream to a paused client")
	if srv.Stats().FlowPauses.Load() == 0 {
		t.Error("the upstream was never paused")
	}

	c.SetReadDeadline(time.Now().Add(60 * time.Second))
	start := time.Now()
	want, wbuf := stream(), make([]byte, 64<<10)
	got := 0
	for got < total {
		_, p, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("after %d of %d bytes: %v", got, total, err)
		}
		for len(p) > 0 {
			chunk := wbuf[:min(len(p), len(wbuf))]
			want.Read(chunk)
			if !bytes.Equal(p[:len(chunk)], chunk) {
				t.Fatalf("bytes %d-%d differ from what the upstream sent", got, got+len(chunk))
			}
			p, got = p[len(chunk):], got+len(chunk)
		}
	}
	if err := <-sent; err != nil {
		t.Fatalf("upstream: %v", err)
	}
	d := time.Since(start)
	t.Logf("%d MiB relayed in %v after the pause (%.0f MiB/s), %d pauses", total>>20, d.Round(time.Millisecond),
		float64(total>>20)/d.Seconds(), srv.Stats().FlowPauses.Load())
}

func TestProxyFlowControlSlowUpstream(t *testing.T) {
	total := flowTotal()
	accepted := make(chan net.Conn, 1)
	ln := serveUpstream(t, func(nc net.Conn) { accepted <- nc })
	// A client the gateway stopped reading is not idle: a ping interval shorter than the
	// pause must not close it.
	srv := flowServer(t, "tcp://"+ln.Addr().String(), time.Second)
	mem := newMemSampler()
	c, _ := dial(t, srv.Addr(HTTPService), "/p", nil)
	var up net.Conn
	select {
	case up = <-accepted:
		defer up.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("the gateway did not connect the upstream")
	}
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() { // the fast client: writes as fast as the gateway takes
		defer wg.Done()
		src, buf := stream(), make([]byte, 64<<10)
		for n := 0; n < total; n += len(buf) {
			src.Read(buf)
			c.SetWriteDeadline(time.Now().Add(60 * time.Second))
			if werr = c.WriteMessage(websocket.BinaryMessage, buf); werr != nil {
				return
			}
		}
	}()
	mem.sampleFor(flowPause) // the upstream reads nothing meanwhile
	mem.check(t, "client to a paused upstream")

	up.SetReadDeadline(time.Now().Add(60 * time.Second))
	start := time.Now()
	want, got := stream(), make([]byte, 64<<10)
	wantBuf := make([]byte, 64<<10)
	br := bufio.NewReaderSize(up, 64<<10)
	for n := 0; n < total; n += len(got) {
		if _, err := io.ReadFull(br, got); err != nil {
			t.Fatalf("upstream read after %d of %d bytes: %v", n, total, err)
		}
		want.Read(wantBuf)
		if !bytes.Equal(got, wantBuf) {
			t.Fatalf("bytes %d-%d differ from what the client sent", n, n+len(got))
		}
	}
	wg.Wait()
	if werr != nil {
		t.Fatalf("client: %v", werr)
	}
	if srv.Stats().FlowPauses.Load() == 0 {
		t.Error("the client was never paused")
	}
	d := time.Since(start)
	t.Logf("%d MiB relayed in %v after the pause (%.0f MiB/s), %d pauses", total>>20, d.Round(time.Millisecond),
		float64(total>>20)/d.Seconds(), srv.Stats().FlowPauses.Load())
}

// TestSlowConsumerPause: an echo client that sends without reading its echoes, on an
// application with slow_consumer = "pause", is slowed down instead of closed with 1008, and
// gets every echo once it reads.
func TestSlowConsumerPause(t *testing.T) {
	opt := testOptions()
	opt.MaxPendingBytes = 64 << 10
	srv := startServer(t, opt, func(s *Server) {
		echo, err := builtin.New("echo")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Register(apps.Spec{Name: "held", Path: "/held", PauseSlowConsumers: true}, echo); err != nil {
			t.Fatal(err)
		}
	})
	rc := dialRaw(t, srv.Addr(HTTPService), "/held", 16<<10)
	const total = 8 << 20
	msg := letters(4096)
	frame := wstest.Masked(0x2, msg)
	sent := make(chan error, 1)
	go func() {
		rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		for n := 0; n < total; n += len(msg) {
			if _, err := rc.Write(frame); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	time.Sleep(time.Second) // not reading: the server's backlog passes the bound
	if srv.Stats().FlowPauses.Load() == 0 {
		t.Fatal("the client was not paused")
	}
	rc.SetReadDeadline(time.Now().Add(30 * time.Second))
	for got := 0; got < total; {
		op, p, err := rc.ReadFrame()
		if err != nil {
			t.Fatalf("after %d of %d bytes: %v", got, total, err)
		}
		if op != 0x2 || !bytes.Equal(p, msg) {
			t.Fatalf("frame op %d with %d bytes: not the echo", op, len(p))
		}
		got += len(p)
	}
	if err := <-sent; err != nil {
		t.Fatalf("client write: %v", err)
	}
	if n := srv.Stats().SlowClosed.Load(); n != 0 {
		t.Fatalf("%d connections closed as slow", n)
	}
}
