package soak

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/wsgate/wsgate/internal/wstest"
)

// malformedCase is one hostile client: run does its thing against addr and describes what
// the gateway did; want is what it must do. Frame cases upgrade first.
type malformedCase struct {
	name string
	want string
	run  func(ctx context.Context, addr string) (string, error)
}

// upgrades reports whether the case is served a WebSocket connection before misbehaving.
func (c *malformedCase) upgrades() bool { return strings.HasPrefix(c.want, "close ") }

const upgradeHead = "GET /echo HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

const cutAtTimeout = "cut at the handshake timeout"

var malformedCases = []malformedCase{
	{name: "garbage request line", want: "status 400", run: httpCase("GARBAGE\r\n\r\n")},
	{name: "header block over the limit", want: "status 431",
		run: httpCase("GET /echo HTTP/1.1\r\nHost: soak\r\nX-Big: " + strings.Repeat("b", 9000) + "\r\n\r\n")},
	{name: "request target over the limit", want: "status 414",
		run: httpCase("GET /" + strings.Repeat("t", 5000) + " HTTP/1.1\r\nHost: soak\r\n\r\n")},
	{name: "upgrade without a key", want: "status 400",
		run: httpCase(strings.Replace(upgradeHead, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 1))},
	{name: "pipelined requests never read", want: "closed before all were answered", run: pipelined(20000)},
	{name: "silent connection", want: cutAtTimeout, run: slowloris(0)},
	{name: "head trickled a byte at a time", want: cutAtTimeout, run: slowloris(150 * time.Millisecond)},
	{name: "unmasked frame", want: "close 1002",
		run: frameCase(wstest.AppendRaw(nil, wstest.Header{Fin: true, Op: wstest.OpText}, []byte("not masked")))},
	{name: "reserved opcode", want: "close 1002",
		run: frameCase(wstest.AppendFrame(nil, 0x3, []byte("x"), mask))},
	{name: "reserved bit without an extension", want: "close 1002",
		run: frameCase(wstest.AppendRaw(nil, wstest.Header{Fin: true, Rsv: wstest.RsvDeflate, Op: wstest.OpText, Masked: true, Mask: mask}, []byte("x")))},
	{name: "fragmented ping", want: "close 1002",
		run: frameCase(wstest.AppendRaw(nil, wstest.Header{Op: wstest.OpPing, Masked: true, Mask: mask}, []byte("x")))},
	{name: "invalid close code", want: "close 1002",
		run: frameCase(wstest.AppendFrame(nil, wstest.OpClose, wstest.ClosePayload(nil, 999, ""), mask))},
	{name: "invalid UTF-8 in a text message", want: "close 1007",
		run: frameCase(wstest.AppendFrame(nil, wstest.OpText, []byte{'o', 'k', 0xff, 0xfe}, mask))},
	// Only the header and the first KiB: the gateway decides from the header.
	{name: "message over the limit", want: "close 1009",
		run: frameCase(append(wstest.AppendHeader(nil, wstest.Header{Fin: true, Op: wstest.OpBinary, Masked: true, Mask: mask, Length: 4 * maxMessageSize}), make([]byte, 1024)...))},
}

// mask is the masking key of the hostile frames.
var mask = [4]byte{0x5a, 0x0a, 0x4b, 0x17}

// malformed runs the hostile cases in turn until ctx ends, starting at case i.
func (l *load) malformed(ctx context.Context, i int) {
	for n := i; !over(ctx); n++ {
		tc := malformedCases[n%len(malformedCases)]
		addr := l.addrs[(n/len(malformedCases))%2]
		got, err := tc.run(ctx, addr)
		switch {
		case over(ctx):
			return
		case err != nil:
			l.t.fail("malformed: "+tc.name, err)
		case got != tc.want:
			l.t.fail("malformed: "+tc.name, fmt.Errorf("%w: %s, want %s", ErrUnexpected, got, tc.want))
		default:
			l.t.event("malformed: " + tc.name + " -> " + tc.want)
			if tc.upgrades() {
				l.t.served.Add(1)
			}
		}
		pause(ctx, 20*time.Millisecond)
	}
}

// httpCase sends a raw request and reports the response's status.
func httpCase(raw string) func(context.Context, string) (string, error) {
	return func(ctx context.Context, addr string) (string, error) {
		nc, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return "", err
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(nc, raw); err != nil {
			return "", err
		}
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		return fmt.Sprintf("status %d", resp.StatusCode), nil
	}
}

// slowloris connects and sends the upgrade head a byte per every (never, with every 0),
// and reports how long the gateway took to cut it.
func slowloris(every time.Duration) func(context.Context, string) (string, error) {
	return func(ctx context.Context, addr string) (string, error) {
		nc, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return "", err
		}
		defer nc.Close()
		start := time.Now()
		if every > 0 {
			go func() {
				for i := range len(upgradeHead) - 2 { // never the final CRLF
					if _, err := nc.Write([]byte{upgradeHead[i]}); err != nil {
						return
					}
					time.Sleep(every)
				}
			}()
		}
		nc.SetReadDeadline(time.Now().Add(handshakeTimeout + 5*time.Second))
		_, err = io.Copy(io.Discard, nc)
		took := time.Since(start)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Sprintf("not cut after %v", took.Round(time.Millisecond)), nil
		}
		// The sweep runs every quarter of the shortest timeout, so the cut comes up to that
		// much early or late; scheduling on a busy machine adds a little.
		if took < handshakeTimeout-handshakeTimeout/4-100*time.Millisecond || took > handshakeTimeout+time.Second {
			return fmt.Sprintf("cut after %v", took.Round(time.Millisecond)), nil
		}
		return cutAtTimeout, nil
	}
}

// frameCase upgrades, writes frames, and reports the close code the gateway sent.
func frameCase(frames []byte) func(context.Context, string) (string, error) {
	return func(ctx context.Context, addr string) (string, error) {
		rc, err := wstest.Dial(addr, "/echo", wstest.Options{})
		if err != nil {
			return "", err
		}
		defer rc.Close()
		rc.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := rc.Write(frames); err != nil {
			return "", err
		}
		for {
			op, p, err := rc.ReadFrame()
			if err != nil {
				return "", err
			}
			if op == wstest.OpClose {
				code, _, err := wstest.ParseClose(p)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("close %d", code), nil
			}
		}
	}
}

// pipelined sends n requests in one go without reading the answers (on a small receive
// buffer), then reads what came: the gateway must close the connection once the unread
// answers pass its output bound rather than buffer them all (a standalone server closes
// after its first 404 anyway).
func pipelined(n int) func(context.Context, string) (string, error) {
	return func(ctx context.Context, addr string) (string, error) {
		nc, err := wstest.NetDialer(wstest.Options{Timeout: 5 * time.Second, RcvBuf: 4096}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return "", err
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		go nc.Write([]byte(strings.Repeat("GET / HTTP/1.1\r\nHost: soak\r\n\r\n", n))) // fails once closed
		time.Sleep(200 * time.Millisecond)                                             // the answers pile up unread
		var got strings.Builder
		_, err = io.Copy(&got, io.LimitReader(nc, 64<<20))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "not closed", nil
		}
		// A reset (the gateway closed with requests unread) ends the read early; either way
		// fewer answers than requests is the point.
		if answers := strings.Count(got.String(), "HTTP/1.1 "); answers >= n {
			return fmt.Sprintf("all %d answered", answers), nil
		}
		return "closed before all were answered", nil
	}
}
