package wsproto

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// unmask64 is the portable alternative to ws.Cipher that BenchmarkUnmask
// measures it against: the key widened to 64 bits, eight bytes per step.
func unmask64(p []byte, key [4]byte) {
	k := uint64(binary.LittleEndian.Uint32(key[:]))
	k |= k << 32
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)^k)
		p = p[8:]
	}
	for i := range p {
		p[i] ^= key[i&3]
	}
}

var maskSizes = []int{0, 1, 3, 7, 15, 16, 17, 63, 64, 65, 4096, 4099}

// TestUnmask checks unmask and the key rotation against the definition of
// RFC 6455 §5.3 for every way of cutting a payload in two.
func TestUnmask(t *testing.T) {
	for _, n := range maskSizes {
		orig := make([]byte, n)
		for i := range orig {
			orig[i] = byte(i * 7)
		}
		want := make([]byte, n)
		for i := range want {
			want[i] = orig[i] ^ testMask[i%4]
		}
		for cut := 0; cut <= n; cut += max(1, n/64) {
			p := bytes.Clone(orig)
			unmask(p[:cut], testMask)
			unmask(p[cut:], rotateMask(testMask, cut))
			if !bytes.Equal(p, want) {
				t.Fatalf("n=%d cut=%d: wrong result", n, cut)
			}
			q := bytes.Clone(orig)
			unmask64(q[:cut], testMask)
			unmask64(q[cut:], rotateMask(testMask, cut))
			if !bytes.Equal(q, want) {
				t.Fatalf("unmask64 n=%d cut=%d: wrong result", n, cut)
			}
		}
	}
}

// BenchmarkUnmask compares ws.Cipher (what unmask uses) with unmask64.
func BenchmarkUnmask(b *testing.B) {
	impls := []struct {
		name string
		fn   func([]byte, [4]byte)
	}{
		{"wsCipher", unmask},
		{"unmask64", unmask64},
	}
	for _, n := range []int{64, 4096} {
		p := make([]byte, n)
		for _, impl := range impls {
			b.Run(impl.name+"/"+sizeName(n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(n))
				for b.Loop() {
					impl.fn(p, testMask)
				}
			})
		}
	}
}
