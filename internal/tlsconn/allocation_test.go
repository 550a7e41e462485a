//go:build !race

package tlsconn

import (
	"testing"
)

// TestAllocations: once the caller's buffers have grown, the steady state
// of a connection, one record in and one out, allocates nothing.
func TestAllocations(t *testing.T) {
	const runs = 100
	cfg := testConfig(t, "ecdsa-p256")
	eachSize(t, cfg, func(t *testing.T, p *memPair, msg []byte) {
		// Warm up: Feed once so crypto/tls's record buffer has
		// grown to this record size.
		warm, _ := p.client.Seal(nil, msg)
		if _, _, err := p.server.Feed(warm, nil, nil); err != nil {
			t.Fatal(err)
		}
		// AllocsPerRun calls f once more than runs; each record
		// can be fed once only, in sequence.
		records := make([][]byte, runs+1)
		for i := range records {
			records[i], _ = p.client.Seal(nil, msg)
		}
		out, plain := make([]byte, 0, 1024), make([]byte, 0, 2*len(msg)+plainGrow)
		sealed := make([]byte, 0, 2*len(msg))
		i := 0
		if n := testing.AllocsPerRun(runs, func() {
			var err error
			out, plain, err = p.server.Feed(records[i], out[:0], plain[:0])
			if err != nil || len(plain) != len(msg) {
				t.Fatalf("%d bytes, %v", len(plain), err)
			}
			i++
		}); n != 0 {
			t.Errorf("Feed: %v allocations per record", n)
		}
		if n := testing.AllocsPerRun(runs, func() {
			sealed, _ = p.server.Seal(sealed[:0], msg)
		}); n != 0 {
			t.Errorf("Seal: %v allocations per record", n)
		}
		if n := testing.AllocsPerRun(runs, p.server.Shrink); n != 0 {
			t.Errorf("Shrink: %v allocations", n)
		}
	})
	hello := []byte("\x16\x03\x01\x02\x00\x01")
	if n := testing.AllocsPerRun(runs, func() { LooksLikeTLS(hello) }); n != 0 {
		t.Errorf("LooksLikeTLS: %v allocations", n)
	}
}
