package handshake

import (
	"strings"
	"testing"
)

// TestScannerDribbled: a head fed a few bytes at a time makes Parse run a bounded number of
// times, and the outcome is Parse's on the whole head, whatever the split.
func TestScannerDribbled(t *testing.T) {
	long := "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		strings.Repeat("X-Filler: "+strings.Repeat("f", 60)+"\r\n", 40) + "\r\n"
	tests := []struct {
		name string
		in   string
	}{
		{name: "upgrade", in: long},
		{name: "bare LF", in: strings.ReplaceAll(long, "\r\n", "\n")},
		{name: "leading empty lines", in: "\r\n\r\n" + long},
		{name: "broken request line", in: "GET  / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "broken header", in: "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n"},
		{name: "over the limit", in: "GET / HTTP/1.1\r\n" + strings.Repeat("X: y\r\n", 2000)},
		{name: "pipelined", in: "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"},
	}
	for _, tc := range tests {
		var want Request
		wantN, wantErr := Parse([]byte(tc.in), &want, Limits{})
		for _, step := range []int{1, 2, 3, 7, 64} {
			var s Scanner
			var r Request
			parses, n, err := 0, 0, ErrNeedMore
			for end := step; err == ErrNeedMore; end += step {
				buf := []byte(tc.in[:min(end, len(tc.in))])
				if !s.Ready(buf, Limits{}) {
					if end >= len(tc.in) {
						break
					}
					continue
				}
				parses++
				n, err = Parse(buf, &r, Limits{})
				if end >= len(tc.in) && err == ErrNeedMore {
					break
				}
			}
			if n != wantN || err != wantErr || (err == nil && string(r.Path) != string(want.Path)) {
				t.Errorf("%s, %d bytes at a time: %d, %v; want %d, %v", tc.name, step, n, err, wantN, wantErr)
			}
			if parses > 4 {
				t.Errorf("%s, %d bytes at a time: Parse ran %d times", tc.name, step, parses)
			}
		}
	}
}
