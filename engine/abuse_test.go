package engine

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/internal/wstest"
)

// heldCount sums the "..._since_last_line" counts of logged lines.
func heldCount(t *testing.T, lines []string) int {
	t.Helper()
	total := 0
	for _, l := range lines {
		for _, f := range strings.Fields(l) {
			k, v, ok := strings.Cut(f, "=")
			if ok && strings.HasSuffix(k, "_since_last_line") {
				n, err := strconv.Atoi(v)
				if err != nil {
					t.Fatalf("count %q in %q", v, l)
				}
				total += n
			}
		}
	}
	return total
}

// TestLogFloodsRateLimited: a flood of bad requests and of protocol errors costs one line
// per interval each, and a later line says how many it stood for, so no event is lost from
// the count.
func TestLogFloodsRateLimited(t *testing.T) {
	rec := &logRecorder{}
	srv := startServer(t, nil, nil, withLogger(rec.logger()))
	const flood = 200
	badRequest := func() {
		nc, err := net.Dial("tcp", srv.Addr("http"))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(3 * time.Second))
		io.WriteString(nc, "BREW / HTCPCP/1.0\r\n\r\n")
		io.Copy(io.Discard, nc)
	}
	protocolError := func() {
		rc, err := wstest.Dial(srv.Addr("ws"), "/echo", wstest.Options{Timeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		rc.Write([]byte{0x81, 0x01, 'x'}) // unmasked: 1002
		rc.ReadUntilClose(3 * time.Second)
	}
	cases := []struct {
		name, line string
		event      func()
		count      func() int64
	}{
		{"refused", "request refused", badRequest, srv.Stats().Refused.Load},
		{"protocol error", "protocol error", protocolError, srv.Stats().ProtocolErrors.Load},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			for range flood {
				tc.event()
			}
			most := 1 + int(time.Since(start)/logEvery)
			if got := rec.find(tc.line); len(got) > most {
				t.Fatalf("%d events logged in %d lines, want at most %d", flood, len(got), most)
			}
			// One more event after the interval reports what was held back.
			time.Sleep(logEvery + clockInterval*2)
			tc.event()
			waitFor(t, "counted", func() bool { return tc.count() == flood+1 })
			got := rec.find(tc.line)
			if n := len(got) + heldCount(t, got); n != flood+1 {
				t.Fatalf("%d lines standing for %d events, want %d: %q", len(got), n, flood+1, got)
			}
		})
	}
}

// dialFrom connects to addr from the loopback address src (127.0.0.0/8 is all local).
func dialFrom(t testing.TB, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 3 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, src, err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

// TestHandshakingPerSource: stalled connections from one address fill no more than their
// source's share of max_handshaking: past it the newest is closed at once, and a client from
// another address still upgrades.
func TestHandshakingPerSource(t *testing.T) {
	const perSource, flood = 20, 60
	opt := testOptions()
	opt.MaxHandshaking = flood
	opt.MaxHandshakingPerSource = perSource
	srv := startServer(t, opt, nil)
	var stalled []net.Conn
	for range flood {
		stalled = append(stalled, dialFrom(t, "127.0.0.1", srv.Addr("http")))
	}
	waitFor(t, "flood accepted", func() bool { return srv.Stats().Accepted.Load() == flood })
	waitFor(t, "excess closed", func() bool { return srv.inHS.Load() <= perSource })
	closed, open := 0, []net.Conn(nil)
	for _, nc := range stalled {
		nc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := nc.Read(make([]byte, 1)); err == io.EOF {
			closed++
		} else {
			open = append(open, nc)
		}
	}
	if closed != flood-perSource || srv.Stats().SourceRefused.Load() != flood-perSource {
		t.Fatalf("%d closed, %d counted, want %d", closed, srv.Stats().SourceRefused.Load(), flood-perSource)
	}
	nc := dialFrom(t, "127.0.0.2", srv.Addr("ws"))
	nc.SetDeadline(time.Now().Add(3 * time.Second))
	io.WriteString(nc, upgradeRequest("/echo"))
	if status, err := readStatus(nc); status != 101 {
		t.Fatalf("bystander from another address: status %d, %v", status, err)
	}
	// Leaving the HTTP phase frees the slot for the same address.
	open[0].Close()
	waitFor(t, "slot freed", func() bool { return srv.inHS.Load() == perSource-1 })
	again := dialFrom(t, "127.0.0.1", srv.Addr("ws"))
	again.SetDeadline(time.Now().Add(3 * time.Second))
	io.WriteString(again, upgradeRequest("/echo"))
	if status, err := readStatus(again); status != 101 {
		t.Fatalf("same address after a slot freed: status %d, %v", status, err)
	}
}

// TestReloadBudgets: max_handshaking_per_source and max_input_memory, counted beside their
// counters rather than in the settings snapshot, change with a Reconfigure for the
// connections already open as for new ones.
func TestReloadBudgets(t *testing.T) {
	srv := startServer(t, nil, nil)
	opt := srv.opt().Options
	opt.MaxHandshakingPerSource, opt.MaxInputMemory = 3, 256<<10
	if _, err := srv.Reconfigure(opt, currentApps(srv)); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		dialFrom(t, "127.0.0.5", srv.Addr("ws"))
	}
	waitFor(t, "past the reloaded per-source bound, refused", func() bool { return srv.Stats().SourceRefused.Load() == 3 })

	const fragment = 200 << 10 // one fits in 256 KiB, two do not
	var conns []*wstest.Conn
	for range 2 {
		rc := dialRaw(t, srv.Addr("ws"), "/echo", 0)
		if _, err := rc.Write(append(frameHeader(0x2, false, fragment), make([]byte, fragment)...)); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, rc)
	}
	waitFor(t, "past the reloaded input budget, closed", func() bool { return srv.Stats().InputBudgetClosed.Load() == 1 })
	seen := 0
	for _, rc := range conns {
		if code, _, _ := rc.ReadUntilClose(200 * time.Millisecond); code == 1013 {
			seen++
		}
	}
	if seen != 1 {
		t.Fatalf("%d clients got 1013, want 1", seen)
	}
}

// rssBytes is the process's resident set (VmRSS in /proc/self/status).
func rssBytes(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q", rest)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// heapBytes is the Go heap in use, as the gateway's heap_objects_bytes gauge reports it.
func heapBytes() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// staticSite writes a root with a file of size bytes at /big.bin and returns the options.
func staticSite(t testing.TB, size int) (*Options, []byte) {
	t.Helper()
	root := t.TempDir()
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(filepath.Join(root, "big.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	opt := testOptions()
	opt.StaticRoot = root
	return opt, data
}

// TestStaticFileUnderOutputBound: clients that ask for a large file and do not read cost
// about max_pending_bytes each, not the file: the body is sent at their pace. A client that
// reads gets the whole file, byte-exact.
func TestStaticFileUnderOutputBound(t *testing.T) {
	const size, clients, bound = 5 << 20, 40, 64 << 10
	cfg, data := staticSite(t, size)
	cfg.MaxPendingBytes = bound
	cfg.HandshakeTimeout = 20 * time.Second
	srv := startServer(t, cfg, nil)
	get := "GET /big.bin HTTP/1.1\r\nHost: gw.test\r\n\r\n"

	runtime.GC()
	heap0, rss0 := heapBytes(), rssBytes(t)
	var conns []net.Conn
	for range clients {
		rc, err := wstest.NetDialer(wstest.Options{Timeout: 3 * time.Second, RcvBuf: 4096}).Dial("tcp", srv.Addr("http"))
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		io.WriteString(rc, get)
		conns = append(conns, rc)
	}
	waitFor(t, "requests answered", func() bool { return srv.Stats().HTTPRequests.Load() == clients })
	// Each stalled client holds its bound in gnet plus what the kernel took; give the
	// loops a few ticks to fill what they may.
	time.Sleep(20 * clockInterval)
	heap, rss := heapBytes()-heap0, rssBytes(t)-rss0
	t.Logf("%d clients stalled on a %d MiB file: heap +%d KiB, RSS +%d KiB (bound %d KiB each)",
		clients, size>>20, heap>>10, rss>>10, bound>>10)
	if most := int64(clients) * 4 * bound; heap > most || (!raceEnabled && rss > most) {
		t.Fatalf("heap +%d, RSS +%d for %d stalled clients: over %d (%d per client)", heap, rss, clients, most, 4*bound)
	}

	// A reader gets the whole body, and a pipelined request after it.
	nc := dialFrom(t, "127.0.0.1", srv.Addr("http"))
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(nc, get+get)
	br := bufio.NewReader(nc)
	for i := range 2 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil || !bytes.Equal(body, data) {
			t.Fatalf("response %d: %d bytes, %v; want the file's %d", i, len(body), err, len(data))
		}
	}
}

// TestPipelinedRequestsShareTheLoop: thousands of pipelined HEAD and conditional GET
// requests for a file too large to cache read nothing of it, and they give their loop back
// every requestsPerWake requests: a WebSocket client on the same loop is answered while the
// pipeline is still being served.
func TestPipelinedRequestsShareTheLoop(t *testing.T) {
	const size, pipelined = 2 << 20, 4000
	cfg, _ := staticSite(t, size)
	srv := startServer(t, cfg, nil, func(o *Options) { o.EventLoops = 1 })
	head := roundTrip(t, srv.Addr("http"), "HEAD /big.bin HTTP/1.1\r\nHost: gw.test\r\n\r\n", 0)
	etag := head.header.Get("ETag")
	if head.status != 200 || etag == "" || head.header.Get("Content-Length") != strconv.Itoa(size) {
		t.Fatalf("HEAD: %d %v", head.status, head.header)
	}
	bystander, _ := dial(t, srv.Addr("http"), "/echo", nil)

	var b strings.Builder
	for i := range pipelined {
		if i%2 == 0 {
			b.WriteString("HEAD /big.bin HTTP/1.1\r\nHost: gw.test\r\n\r\n")
		} else {
			b.WriteString("GET /big.bin HTTP/1.1\r\nHost: gw.test\r\nIf-None-Match: " + etag + "\r\n\r\n")
		}
	}
	nc := dialFrom(t, "127.0.0.1", srv.Addr("http"))
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	answered := make(chan error, 1)
	go func() {
		br := bufio.NewReader(nc)
		for i := range pipelined {
			resp, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
			if err != nil {
				answered <- err
				return
			}
			if want := []int{200, 304}[i%2]; resp.StatusCode != want {
				answered <- fmt.Errorf("response %d: %d, want %d", i, resp.StatusCode, want)
				return
			}
		}
		answered <- nil
	}()
	base := srv.Stats().HTTPRequests.Load()
	io.WriteString(nc, b.String())
	waitFor(t, "pipeline started", func() bool { return srv.Stats().HTTPRequests.Load() > base })
	if err := bystander.WriteMessage(websocket.TextMessage, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := bystander.ReadMessage(); err != nil || string(msg) != "ping" {
		t.Fatalf("bystander: %q %v", msg, err)
	}
	during := srv.Stats().HTTPRequests.Load() - base
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	t.Logf("bystander answered after %d of %d pipelined requests; %d yields; %d bytes read from the file",
		during, pipelined, srv.Stats().HTTPYields.Load(), srv.staticRead())
	if during >= pipelined {
		t.Errorf("the bystander waited for the whole pipeline (%d requests)", during)
	}
	if n := srv.staticRead(); n != 0 {
		t.Errorf("HEAD and 304 read %d bytes of the file, want 0", n)
	}
	if srv.Stats().HTTPYields.Load() < 1 {
		t.Errorf("no yield in %d pipelined requests", pipelined)
	}
}

// TestBroadcastSharesFrames: a sender of 1 MiB messages to many subscribers that do not
// read costs about one copy of each message, not one per subscriber: the receivers' queues
// hold references to one frame. Each non-reader is judged before its next message is
// queued and closed with 1008; a reading subscriber gets every message whole.
func TestBroadcastSharesFrames(t *testing.T) {
	const subscribers, messages, size = 100, 8, 1 << 20
	opt := testOptions()
	opt.CloseTimeout = 30 * time.Second // the non-reader reads its 1008 only at the end
	srv := startServer(t, opt, nil)
	rt := srv.reg.Table().Lookup([]byte("/broadcast"), 0)
	reader := dialRaw(t, srv.Addr("http"), "/broadcast", 0)
	var stalled []*wstest.Conn
	for range subscribers {
		stalled = append(stalled, dialRaw(t, srv.Addr("http"), "/broadcast", 4096))
	}
	sender := dialRaw(t, srv.Addr("http"), "/broadcast", 0)
	waitFor(t, "members joined", func() bool { return broadcastMembers(rt) == subscribers+2 })

	runtime.GC()
	heap0, rss0 := heapBytes(), rssBytes(t)
	got := make(chan error, 1)
	go func() {
		reader.SetReadDeadline(time.Now().Add(20 * time.Second))
		for i := range messages {
			op, p, err := reader.ReadFrame()
			if err != nil || op != 0x2 || len(p) != size || p[0] != byte(i) {
				got <- fmt.Errorf("message %d: op %#x, %d bytes, %v", i, op, len(p), err)
				return
			}
		}
		got <- nil
	}()
	payload := make([]byte, size)
	var peakHeap, peakRSS int64
	for i := range messages {
		payload[0] = byte(i)
		if err := sender.Send(0x2, payload); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "message delivered", func() bool { return srv.Totals().MessagesIn == uint64(i+1) })
		time.Sleep(5 * clockInterval)
		runtime.GC() // the live heap: what the queues hold, not garbage a later cycle takes
		peakHeap, peakRSS = max(peakHeap, heapBytes()-heap0), max(peakRSS, rssBytes(t)-rss0)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "non-readers closed", func() bool { return srv.Stats().SlowClosed.Load() == subscribers })
	t.Logf("%d x %d KiB to %d non-readers: heap peak +%d KiB, RSS peak +%d KiB, %d closed 1008",
		messages, size>>10, subscribers, peakHeap>>10, peakRSS>>10, srv.Stats().SlowClosed.Load())
	// A copy per receiver would be subscribers x size (100 MiB); allow the messages
	// themselves (sender's read, reader's frames) several times over. The heap is the
	// gateway's heap_objects_bytes; RSS, which the race detector's shadow inflates, is
	// logged.
	if most := int64(4 * messages * size); peakHeap > most {
		t.Fatalf("heap +%d, RSS +%d: over %d for %d MiB broadcast to %d non-readers", peakHeap, peakRSS, most, messages, subscribers)
	}
	code, _, err := stalled[0].ReadUntilClose(5 * time.Second)
	if code != 1008 {
		t.Fatalf("non-reader: close %d, %v; want 1008", code, err)
	}
}

// TestOutputMemoryBudget: past max_output_memory, the connections with the largest backlogs
// are closed first until queued output is back under it; clients with little or nothing
// queued, and a client that reads, are not touched.
func TestOutputMemoryBudget(t *testing.T) {
	const hogs, light, messages, size, budget = 4, 6, 6, 1 << 20, 4 << 20
	opt := testOptions()
	opt.MaxPendingBytes = 32 << 20 // no client reaches its own bound
	opt.MaxOutputMemory = budget
	srv := startServer(t, opt, nil)
	bystander, _ := dial(t, srv.Addr("ws"), "/echo", nil)
	payload := make([]byte, size)
	var lights []*wstest.Conn
	for range light { // 256 KiB echoed each, which the kernel takes: nothing queued
		rc := dialRaw(t, srv.Addr("ws"), "/echo", 4096)
		if err := rc.Send(0x2, payload[:size/4]); err != nil {
			t.Fatal(err)
		}
		lights = append(lights, rc)
	}
	waitFor(t, "light echoes", func() bool { return srv.Totals().MessagesIn == light })
	for range hogs { // 6 MiB echoed each: more than the kernel takes
		rc := dialRaw(t, srv.Addr("ws"), "/echo", 4096)
		go func() {
			for range messages {
				if rc.Send(0x2, payload) != nil {
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for !(srv.Stats().BudgetClosed.Load() > 0 && srv.outMem.Load() <= budget+hogs*size) {
		if time.Now().After(deadline) {
			t.Fatalf("budget not enforced: %d closed, %d open, %d queued", srv.Stats().BudgetClosed.Load(),
				srv.Connections(), srv.outMem.Load())
		}
		time.Sleep(clockInterval)
	}
	time.Sleep(10 * clockInterval)
	closed := srv.Stats().BudgetClosed.Load()
	t.Logf("%d clients not reading %d x %d KiB: %d closed over the %d MiB budget, %d KiB still queued",
		hogs, messages, size>>10, closed, budget>>20, srv.outMem.Load()>>10)
	// The ticker enforces the budget every clockInterval: what the remaining hogs queue
	// in between may pass it, by about a message each.
	if closed > hogs || srv.outMem.Load() > budget+hogs*size {
		t.Fatalf("%d closed, %d queued: want only hogs closed and at most %d queued",
			closed, srv.outMem.Load(), budget+hogs*size)
	}
	for i, rc := range lights { // their echo whole, and no close
		rc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if op, p, err := rc.ReadFrame(); err != nil || op != 0x2 || len(p) != size/4 {
			t.Fatalf("light client %d: op %#x, %d bytes, %v", i, op, len(p), err)
		}
		rc.SetReadDeadline(time.Now().Add(2 * clockInterval))
		if _, _, err := rc.ReadFrame(); !isTimeout(err) {
			t.Fatalf("light client %d: %v after its echo, want nothing", i, err)
		}
	}
	if err := bystander.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := bystander.ReadMessage(); err != nil || string(p) != "still here" {
		t.Fatalf("bystander: %q %v", p, err)
	}
}

// frameHeader is a masked client frame header announcing length bytes, with the mask key
// 0 so that payload bytes go as they are.
func frameHeader(op byte, fin bool, length int) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	h := []byte{b0, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(h[2:], uint64(length))
	return append(h, 0, 0, 0, 0)
}

// TestInputReservation: a frame header announcing 1 MiB, followed by a few bytes, makes the
// gateway hold a buffer for the bytes that came, not for the announcement.
func TestInputReservation(t *testing.T) {
	const clients = 300
	srv := startServer(t, nil, nil)
	var conns []*wstest.Conn
	for range clients {
		conns = append(conns, dialRaw(t, srv.Addr("ws"), "/echo", 0))
	}
	runtime.GC()
	heap0 := heapBytes()
	for _, rc := range conns {
		if _, err := rc.Write(append(frameHeader(0x2, true, 1<<20), "0123456789"...)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(10 * clockInterval) // the loops read what was sent
	grown := heapBytes() - heap0
	t.Logf("%d headers announcing 1 MiB with 10 bytes each: heap +%d KiB", clients, grown>>10)
	if most := int64(clients) * 8 << 10; grown > most {
		t.Fatalf("heap +%d for %d announced messages of 10 bytes: over %d", grown, clients, most)
	}
}

// TestInputMemoryBudget: the message buffers of all connections together stay within
// max_input_memory; the connection whose buffer would pass it is closed with 1013, and
// the others, and a new small message, go on.
func TestInputMemoryBudget(t *testing.T) {
	const clients, fragment, budget = 12, 200 << 10, 1 << 20
	srv := startServer(t, nil, nil, func(o *Options) { o.MaxInputMemory = budget })
	bystander, _ := dial(t, srv.Addr("ws"), "/echo", nil)
	var conns []*wstest.Conn
	for range clients {
		rc := dialRaw(t, srv.Addr("ws"), "/echo", 0)
		msg := append(frameHeader(0x2, false, fragment), make([]byte, fragment)...)
		if _, err := rc.Write(msg); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, rc)
	}
	waitFor(t, "budget enforced", func() bool { return srv.Stats().InputBudgetClosed.Load() > 0 })
	time.Sleep(10 * clockInterval)
	closed := srv.Stats().InputBudgetClosed.Load()
	t.Logf("%d fragments of %d KiB held open: %d closed, %d KiB buffered (budget %d KiB)",
		clients, fragment>>10, closed, srv.inMem.Used.Load()>>10, budget>>10)
	if used := srv.inMem.Used.Load(); used > budget || closed >= clients {
		t.Fatalf("%d buffered, %d closed: want at most %d and some open", used, closed, budget)
	}
	seen := 0
	for _, rc := range conns {
		rc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if code, _, _ := rc.ReadUntilClose(50 * time.Millisecond); code == 1013 {
			seen++
		}
	}
	if int64(seen) != closed {
		t.Fatalf("%d clients got 1013, %d counted", seen, closed)
	}
	if err := bystander.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := bystander.ReadMessage(); err != nil || string(p) != "still here" {
		t.Fatalf("bystander: %q %v", p, err)
	}
}

// readStatus reads a response head from nc and returns its status code.
func readStatus(nc net.Conn) (int, error) {
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// TestAuthFloodKeepsValidUsers: hundreds of upgrades with a wrong password from one address
// do not lock a valid user from another address out: the flood's source is throttled (429)
// and held to its share of the queue (503) once its checks fail, and workers are kept for
// sources that have not failed.
func TestAuthFloodKeepsValidUsers(t *testing.T) {
	const flood = 300
	opt := testOptions()
	opt.MaxHandshakingPerSource = -1   // the auth rules alone
	opt.HandshakeTimeout = time.Minute // bcrypt under the race detector is slow
	srv := startServer(t, opt, authApps(t))
	statuses := make(chan int, flood)
	for range flood {
		go func() {
			nc, err := net.DialTimeout("tcp", srv.Addr("ws"), 5*time.Second)
			if err != nil {
				statuses <- 0
				return
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(20 * time.Second))
			io.WriteString(nc, upgradeRequest("/basic", basicHeader("alice", "wrong")))
			status, _ := readStatus(nc)
			statuses <- status
		}()
	}
	waitFor(t, "flood under way", func() bool { return srv.Stats().Accepted.Load() >= flood/2 })
	for i := range 3 {
		nc := dialFrom(t, "127.0.0.2", srv.Addr("ws"))
		nc.SetDeadline(time.Now().Add(time.Minute))
		io.WriteString(nc, upgradeRequest("/basic", basicHeader("alice", "pw-alice")))
		if status, err := readStatus(nc); status != 101 {
			t.Fatalf("valid user, attempt %d during the flood: status %d, %v", i, status, err)
		}
	}
	count := map[int]int{}
	for range flood {
		count[<-statuses]++
	}
	t.Logf("flood of %d wrong passwords answered %v; %d refused for their source", flood, count, srv.Stats().AuthThrottled.Load())
	// 0: the connection failed before an answer (a dial timeout on a loaded machine).
	if count[0]+count[401]+count[429]+count[503] != flood || count[401] > flood/4 {
		t.Fatalf("flood answered %v: want 401, 429 or 503 each, few of them checked (401)", count)
	}
}

// TestPlainHTTPVersionAndHost: the ordinary HTTP path answers a version it does not speak
// with 505 and an HTTP/1.1 request without Host with 400, as the upgrade path does, and
// closes; HTTP/1.0 without Host is served.
func TestPlainHTTPVersionAndHost(t *testing.T) {
	srv := startServer(t, nil, nil)
	tests := []struct {
		name, req string
		status    int
	}{
		{name: "1.1 without host", req: "GET / HTTP/1.1\r\n\r\n", status: 400},
		{name: "1.2", req: "GET / HTTP/1.2\r\nHost: h\r\n\r\n", status: 505},
		{name: "2.0", req: "GET / HTTP/2.0\r\nHost: h\r\n\r\n", status: 400},
		{name: "1.2 upgrade", req: strings.Replace(upgradeRequest("/echo"), "HTTP/1.1", "HTTP/1.2", 1), status: 505},
		{name: "1.0 without host", req: "GET / HTTP/1.0\r\n\r\n", status: 200},
		{name: "1.1 empty host", req: "GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n", status: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := roundTrip(t, srv.Addr("http"), tc.req, 0)
			if r.status != tc.status || (tc.status >= 400 && !r.closed) {
				t.Fatalf("status %d closed %v, want %d", r.status, r.closed, tc.status)
			}
		})
	}
}

// TestDribbledHeadParsedOnce: a request head sent a byte at a time is parsed a bounded
// number of times (handshake.Scanner), not once per segment, and still upgrades.
func TestDribbledHeadParsedOnce(t *testing.T) {
	srv := startServer(t, nil, nil)
	nc := dialFrom(t, "127.0.0.1", srv.Addr("ws"))
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	req := upgradeRequest("/echo", "User-Agent: "+strings.Repeat("u", 200))
	base := srv.Stats().HeadParses.Load()
	for i := range len(req) {
		if _, err := nc.Write([]byte{req[i]}); err != nil {
			t.Fatal(err)
		}
		if i%8 == 0 {
			time.Sleep(time.Millisecond) // separate segments
		}
	}
	if status, err := readStatus(nc); status != 101 {
		t.Fatalf("status %d, %v", status, err)
	}
	if n := srv.Stats().HeadParses.Load() - base; n > 4 {
		t.Fatalf("a %d-byte head sent a byte at a time was parsed %d times", len(req), n)
	}
}
