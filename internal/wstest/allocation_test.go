//go:build !race

package wstest

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
)

// TestHotPathsDoNotAllocate covers what the load generator runs per message
// and per handshake.
func TestHotPathsDoNotAllocate(t *testing.T) {
	var resp bytes.Buffer
	_, _ = ws.Upgrader{}.Upgrade(rw{bytes.NewReader(AppendRequest(nil, "h", "/", testKey)), &resp})
	in := resp.Bytes()
	p := payloadOf(4096)
	dst := make([]byte, 0, 8192)
	frame := AppendFrame(nil, OpBinary, p, [4]byte{})
	req := make([]byte, 0, 512)
	closeFrame := ClosePayload(nil, 1000, "bye")
	tests := []struct {
		name string
		f    func()
	}{
		{"AppendFrame", func() { dst = AppendFrame(dst[:0], OpBinary, p, [4]byte{9, 8, 7, 6}) }},
		{"ParseHeader", func() { _, _ = ParseHeader(frame) }},
		{"CheckServer", func() { _ = Header{Fin: true, Op: OpPing}.CheckServer(0) }},
		{"ParseClose", func() { _, _, _ = ParseClose(closeFrame) }},
		{"AppendRequest", func() { req = AppendRequest(req[:0], "127.0.0.1:1", "/echo", testKey) }},
		{"CheckResponse", func() { _, _ = CheckResponse(in, testKey) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tc.f); n != 0 {
				t.Fatalf("%v allocations", n)
			}
		})
	}
}
