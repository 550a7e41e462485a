package engine

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/internal/route"
)

// rawClient is a WebSocket client on a plain socket, for what gorilla does not let a test
// do: stop reading, shrink the receive buffer, read frames byte-exact.
type rawClient struct {
	nc net.Conn
	br *bufio.Reader
}

// dialRaw upgrades a raw socket to path on addr. rcvBuf > 0 sets SO_RCVBUF before the
// connect, so a client that stops reading backs the server up after a few KiB instead of
// megabytes of loopback autotuning.
func dialRaw(t testing.TB, addr, path string, rcvBuf int) *rawClient {
	t.Helper()
	rc, err := tryDialRaw(addr, path, rcvBuf, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.nc.Close() })
	return rc
}

// tryDialRaw is dialRaw for callers that count failures (bursts, churn); the caller closes.
func tryDialRaw(addr, path string, rcvBuf int, timeout time.Duration) (*rawClient, error) {
	d := net.Dialer{Timeout: timeout}
	if rcvBuf > 0 {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(nc, upgradeRequest(path)); err != nil {
		nc.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(nc, 4096)
	status, err := readStatus(br)
	if err != nil {
		nc.Close()
		return nil, err
	}
	if status != 101 {
		nc.Close()
		return nil, &statusError{status}
	}
	nc.SetDeadline(time.Time{})
	return &rawClient{nc: nc, br: br}, nil
}

// statusError is an upgrade answered with something other than 101.
type statusError struct{ status int }

func (e *statusError) Error() string { return fmt.Sprintf("upgrade answered %d", e.status) }

// readStatus reads a response head and returns its status code.
func readStatus(br *bufio.Reader) (int, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return 0, err
	}
	var status int
	if _, err := fmt.Sscanf(line, "HTTP/1.1 %d", &status); err != nil {
		return 0, fmt.Errorf("status line %q: %v", line, err)
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return 0, err
		}
		if l == "\r\n" {
			return status, nil
		}
	}
}

// send writes one masked frame.
func (rc *rawClient) send(op byte, payload []byte) error {
	_, err := rc.nc.Write(maskedFrame(op, payload))
	return err
}

// sendClose writes a close frame with code.
func (rc *rawClient) sendClose(code uint16) error {
	return rc.send(0x8, binary.BigEndian.AppendUint16(nil, code))
}

// readFrame reads one unmasked server frame.
func (rc *rawClient) readFrame() (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(rc.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err = io.ReadFull(rc.br, ext[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err = io.ReadFull(rc.br, ext[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	if h[1]&0x80 != 0 || n > 64<<20 {
		return 0, nil, fmt.Errorf("bad server frame header %x len %d", h, n)
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(rc.br, payload)
	return h[0] & 0x0f, payload, err
}

// readUntilClose reads frames until a close frame and returns its code and the opcodes of
// the frames before it, counted by opcode.
func (rc *rawClient) readUntilClose(timeout time.Duration) (code int, seen map[byte]int, err error) {
	rc.nc.SetReadDeadline(time.Now().Add(timeout))
	seen = map[byte]int{}
	for {
		op, p, err := rc.readFrame()
		if err != nil {
			return 0, seen, err
		}
		if op == 0x8 {
			if len(p) < 2 {
				return 1005, seen, nil
			}
			return int(binary.BigEndian.Uint16(p)), seen, nil
		}
		seen[op]++
	}
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
