//go:build !race

package engine

import (
	"testing"

	"github.com/wsgate/wsgate/internal/wstest"
)

// TestProxyRelayAllocs asserts that relaying a message either way through a proxied pair
// allocates nothing in steady state: decode, masking or framing, the write to the other side.
func TestProxyRelayAllocs(t *testing.T) {
	msg := letters(4096)
	for _, kind := range []string{"ws", "tcp"} {
		t.Run(kind, func(t *testing.T) {
			p := newMemPair(t, kind)
			frames := wstest.Masked(0x2, msg)
			scratch := make([]byte, len(frames))
			up := msg
			if kind == "ws" {
				up = serverFrame(0x2, msg)
			}
			turn := func() {
				p.fromClient(frames, scratch)
				p.fromUpstream(up)
			}
			turn() // warm the pools
			c0, u0 := p.client.written, p.upstream.written
			const runs = 1000
			if allocs := testing.AllocsPerRun(runs, turn); allocs != 0 {
				t.Fatalf("%v allocs per message each way", allocs)
			}
			if p.client.written-c0 < (runs+1)*len(msg) || p.upstream.written-u0 < (runs+1)*len(msg) {
				t.Fatalf("relayed %d bytes to the client and %d upstream in %d turns", p.client.written-c0, p.upstream.written-u0, runs+1)
			}
		})
	}
}
