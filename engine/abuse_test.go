package engine

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
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
	srv := startServer(t, nil, nil, WithLogger(rec.logger()))
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
		rc, err := tryDialRaw(srv.Addr("ws"), "/echo", 0, 3*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.nc.Close()
		rc.nc.Write([]byte{0x81, 0x01, 'x'}) // unmasked: 1002
		rc.readUntilClose(3 * time.Second)
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
	cfg := testConfig()
	cfg.WebSocket.MaxHandshaking = flood
	srv := startServer(t, cfg, nil, func(s *Server) { s.adm.max = perSource })
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
	if status, err := readStatus(bufio.NewReader(nc)); status != 101 {
		t.Fatalf("bystander from another address: status %d, %v", status, err)
	}
	// Leaving the HTTP phase frees the slot for the same address.
	open[0].Close()
	waitFor(t, "slot freed", func() bool { return srv.inHS.Load() == perSource-1 })
	again := dialFrom(t, "127.0.0.1", srv.Addr("ws"))
	again.SetDeadline(time.Now().Add(3 * time.Second))
	io.WriteString(again, upgradeRequest("/echo"))
	if status, err := readStatus(bufio.NewReader(again)); status != 101 {
		t.Fatalf("same address after a slot freed: status %d, %v", status, err)
	}
}
