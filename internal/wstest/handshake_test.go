package wstest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

var testKey = func() *[24]byte {
	var k [24]byte
	NewKey(&k, [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	return &k
}()

// rw lets gobwas/ws's server upgrader read our request and write its answer.
type rw struct {
	io.Reader
	io.Writer
}

// TestHandshakeAgainstGobwas upgrades our request with gobwas/ws's server and
// checks its answer with CheckResponse.
func TestHandshakeAgainstGobwas(t *testing.T) {
	req := AppendRequest(nil, "127.0.0.1:1", "/echo?x=1", testKey)
	var resp bytes.Buffer
	var path string
	u := ws.Upgrader{OnRequest: func(uri []byte) error { path = string(uri); return nil }}
	if _, err := u.Upgrade(rw{bytes.NewReader(req), &resp}); err != nil {
		t.Fatalf("gobwas rejected our request: %v\n%s", err, req)
	}
	if path != "/echo?x=1" {
		t.Fatalf("path %q", path)
	}
	withFrame := append(resp.Bytes(), 0x82, 0x00)
	n, err := CheckResponse(withFrame, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if n != resp.Len() {
		t.Fatalf("header block %d bytes, want %d", n, resp.Len())
	}
	// Every strict prefix of the header block needs more.
	for i := 0; i < resp.Len(); i++ {
		if _, err := CheckResponse(resp.Bytes()[:i], testKey); !errors.Is(err, ErrNeedMore) {
			t.Fatalf("prefix %d: %v", i, err)
		}
	}
}

func TestCheckResponse(t *testing.T) {
	var good bytes.Buffer
	_, _ = ws.Upgrader{}.Upgrade(rw{bytes.NewReader(AppendRequest(nil, "h", "/", testKey)), &good})
	accept := ""
	for _, l := range strings.Split(good.String(), "\r\n") {
		if strings.HasPrefix(l, "Sec-Websocket-Accept: ") || strings.HasPrefix(l, "Sec-WebSocket-Accept: ") {
			accept = l[len("Sec-WebSocket-Accept: "):]
		}
	}
	if accept == "" {
		t.Fatalf("no accept in %q", good.String())
	}
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"ok", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nsec-websocket-accept:  " + accept + " \r\n\r\n", nil},
		{"404", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", ErrBadStatus},
		{"1010", "HTTP/1.1 1010 X\r\n\r\n", ErrBadStatus},
		{"no accept", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", ErrBadAccept},
		{"wrong accept", "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n", ErrBadAccept},
		{"incomplete", "HTTP/1.1 101 Switching Protocols\r\n", ErrNeedMore},
		{"too large", "HTTP/1.1 101 Switching Protocols\r\nX: " + strings.Repeat("a", maxResponse), ErrResponseTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckResponse([]byte(tc.in), testKey)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func BenchmarkCheckResponse(b *testing.B) {
	var resp bytes.Buffer
	_, _ = ws.Upgrader{}.Upgrade(rw{bytes.NewReader(AppendRequest(nil, "h", "/", testKey)), &resp})
	in := resp.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CheckResponse(in, testKey); err != nil {
			b.Fatal(err)
		}
	}
}
