//go:build !race

package engine

import (
	"testing"

	"github.com/wsgate/wsgate/internal/wsproto"
	"github.com/wsgate/wsgate/internal/wstest"
)

// TestConnAllocs asserts that the uncompressed paths through the connection code allocate
// nothing per message in steady state: frame parse, unmask, UTF-8 check, dispatch to the
// echo application, encode and flush, for whole and fragmented messages and for pings.
func TestConnAllocs(t *testing.T) {
	fragment := func(op byte, fin bool, p []byte) []byte {
		f := wstest.Masked(op, p)
		if !fin {
			f[0] &^= 0x80
		}
		return f
	}
	text := letters(4096)
	tests := []struct {
		name  string
		input []byte
		out   int // bytes written per turn
	}{
		{name: "echo 64 B text", input: wstest.Masked(0x1, text[:64]), out: wsproto.FrameSize(64)},
		{name: "echo 4 KiB text", input: wstest.Masked(0x1, text), out: wsproto.FrameSize(4096)},
		{name: "echo 4 KiB binary", input: wstest.Masked(0x2, text), out: wsproto.FrameSize(4096)},
		{name: "echo 4 KiB text in 3 fragments", out: wsproto.FrameSize(4096),
			input: append(append(fragment(0x1, false, text[:1000]), fragment(0x0, false, text[1000:3000])...), fragment(0x0, true, text[3000:])...)},
		{name: "ping", input: wstest.Masked(0x9, []byte("are you there?")), out: wsproto.FrameSize(14)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEchoConn(t, tc.input)
			e.turn() // warm the pools
			start := e.fc.written
			const runs = 1000
			if allocs := testing.AllocsPerRun(runs, e.turn); allocs != 0 {
				t.Fatalf("%v allocs per turn", allocs)
			}
			if got := e.fc.written - start; got != (runs+1)*tc.out {
				t.Fatalf("wrote %d bytes in %d turns, want %d each", got, runs+1, tc.out)
			}
		})
	}
}
