package engine

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/internal/route"
	"github.com/wsgate/wsgate/internal/wstest"
)

// dialRaw upgrades a raw socket to path on addr with the shared test client
// (internal/wstest), for what gorilla does not let a test do: stop reading, shrink the
// receive buffer, write any frame, read frames byte-exact. rcvBuf > 0 sets SO_RCVBUF before
// the connect, so a client that stops reading backs the server up after a few KiB instead
// of megabytes of loopback autotuning. The connection is closed when the test ends.
func dialRaw(t testing.TB, addr, path string, rcvBuf int) *wstest.Conn {
	t.Helper()
	rc, err := wstest.Dial(addr, path, wstest.Options{RcvBuf: rcvBuf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

// readHead reads until the end of an HTTP head and returns it with the bytes after it.
func readHead(t testing.TB, nc net.Conn) (string, []byte) {
	t.Helper()
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
			return string(buf[:i+4]), buf[i+4:]
		}
		n, err := nc.Read(tmp)
		if err != nil {
			t.Fatalf("reading head: %v (have %q)", err, buf)
		}
		buf = append(buf, tmp[:n]...)
	}
}

// readN returns exactly n bytes, starting with have.
func readN(t testing.TB, nc net.Conn, have []byte, n int) []byte {
	t.Helper()
	buf := append([]byte(nil), have...)
	tmp := make([]byte, 4096)
	for len(buf) < n {
		m, err := nc.Read(tmp)
		if err != nil {
			t.Fatalf("read: %v (have %q)", err, buf)
		}
		buf = append(buf, tmp[:m]...)
	}
	return buf
}

// readSome returns what one read gets.
func readSome(t testing.TB, nc net.Conn) []byte {
	t.Helper()
	tmp := make([]byte, 4096)
	n, err := nc.Read(tmp)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return tmp[:n]
}

// logRecorder is a slog handler that keeps every record at Info and above, for tests that
// assert what was logged and how often.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *logRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler           { return r }
func (r *logRecorder) WithGroup(string) slog.Handler                { return r }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.recs = append(r.recs, rec.Clone())
	r.mu.Unlock()
	return nil
}

// logger is a logger writing to r.
func (r *logRecorder) logger() *slog.Logger { return slog.New(r) }

// find returns the records whose message starts with prefix, as "msg k=v ..." lines.
func (r *logRecorder) find(prefix string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		if !strings.HasPrefix(rec.Message, prefix) {
			continue
		}
		var b strings.Builder
		b.WriteString(rec.Message)
		rec.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
			return true
		})
		out = append(out, b.String())
	}
	return out
}

// broadcastMembers is the number of members of the built-in broadcast application on rt.
// Tests wait on it rather than on rt.Connections(): a slot is taken before the 101 and the
// member joins in OnOpen after it, so a client can hold its 101 before it is a member.
func broadcastMembers(rt *route.Route) int { return rt.App.(*builtin.Broadcast).Members() }
