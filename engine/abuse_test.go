package engine

import (
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
