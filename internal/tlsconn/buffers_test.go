package tlsconn

import (
	"bytes"
	"testing"
	"unsafe"
)

// TestTrimSupported fails when a Go release changed crypto/tls.Conn so that
// its read buffers can no longer be found: sessions still work then, but
// idle ones keep 2-34 KiB more (TestIdleSessionMemory). Check the field
// names and types in crypto/tls/conn.go and update connBuffers.
func TestTrimSupported(t *testing.T) {
	if !connBuffers.ok {
		t.Fatal("crypto/tls.Conn has no rawInput/input/hand fields of the expected types any more")
	}
}

func readBufferCaps(s *Session) (raw, hand int) {
	base := unsafe.Pointer(s.conn)
	return (*bytes.Buffer)(unsafe.Add(base, connBuffers.rawInput)).Cap(),
		(*bytes.Buffer)(unsafe.Add(base, connBuffers.hand)).Cap()
}

// TestShrink: buffers are given back only when empty, and the session
// decrypts correctly across Shrinks, including with a record split around
// one.
func TestShrink(t *testing.T) {
	cfg := testConfig(t, "ecdsa-p256")
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			p := established(t, cfg, clientConfig(cfg, v.v))
			if raw, hand := readBufferCaps(p.server); raw > keepBuffer || hand > keepBuffer {
				t.Errorf("after the handshake: rawInput %d, hand %d bytes; want them trimmed", raw, hand)
			}
			for i, size := range []int{64, 40000, 10, 20000} {
				msg := bytes.Repeat([]byte{byte(i + 1)}, size)
				sealed, err := p.client.Seal(nil, msg)
				if err != nil {
					t.Fatal(err)
				}
				// Feed all but the last 3 bytes, Shrink with a partial
				// record pending, then the rest.
				_, got, err := p.server.Feed(sealed[:len(sealed)-3], nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				p.server.Shrink()
				if raw, _ := readBufferCaps(p.server); raw == 0 {
					t.Fatal("Shrink dropped a buffer holding a partial record")
				}
				_, got, err = p.server.Feed(sealed[len(sealed)-3:], nil, got)
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("message %d: got %d bytes (equal %v), %v", i, len(got), bytes.Equal(got, msg), err)
				}
				p.server.Shrink()
				if raw, hand := readBufferCaps(p.server); raw != 0 || hand != 0 {
					t.Fatalf("after Shrink: rawInput %d, hand %d bytes", raw, hand)
				}
			}
		})
	}
}
