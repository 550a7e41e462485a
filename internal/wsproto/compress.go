package wsproto

import (
	"sync"

	"github.com/klauspost/compress/flate"
)

// compressionLevel is the flate level for the full 15-bit window. A gateway
// spends its CPU on many small messages: on JSON-like text BestSpeed comes
// within 8% of level 5's ratio in 60% of its time (BenchmarkFlate in
// flate_compare_test.go).
const compressionLevel = flate.BestSpeed

// minDeflateSize is the smallest payload a stateless Compressor deflates:
// below it the DEFLATE block overhead eats the gain (64 bytes of JSON come
// out 9% bigger, see BenchmarkFlate) and the work is wasted.
const minDeflateSize = 64

// deflater is a flate writer that appends to a byte slice.
type deflater struct {
	w    *flate.Writer
	sink appendWriter
}

// appendWriter is the io.Writer a deflater writes into: it appends to b.
type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// deflaters pools stateless writers by server window bits (8..15).
var deflaters [8]sync.Pool

func getDeflater(bits int) *deflater {
	if d, _ := deflaters[bits-8].Get().(*deflater); d != nil {
		return d
	}
	return newDeflater(bits)
}

func newDeflater(bits int) *deflater {
	d := &deflater{}
	if bits == 15 {
		d.w, _ = flate.NewWriter(&d.sink, compressionLevel)
	} else {
		// server_max_window_bits below 15 (RFC 7692 §7.1.2.1): the
		// compressor must not refer further back than 2^bits bytes, which
		// klauspost's windowed writer guarantees and compress/flate cannot.
		d.w, _ = flate.NewWriterWindow(&d.sink, 1<<bits)
	}
	return d
}

func putDeflater(d *deflater, bits int) {
	d.sink.b = nil
	deflaters[bits-8].Put(d)
}

// Compressor compresses the server's messages of one connection, or with
// server_no_context_takeover of any number of connections.
//
// With server context takeover a Compressor holds its own flate writer for
// the life of the connection — about 830 KB with the full window, 1.1 MB
// with a smaller one (BenchmarkCodecMemory), which is why
// DefaultDeflatePolicy asks for server_no_context_takeover — and is not safe
// for concurrent use. A stateless one (server no context takeover) borrows a
// pooled writer for each call, holds nothing and is safe for concurrent use;
// its frames can be sent to every connection that negotiated
// server_no_context_takeover and the same ServerMaxWindowBits (a frame made
// for a smaller window is valid for any bigger one).
type Compressor struct {
	d    *deflater // the connection's own writer (context takeover), nil when stateless
	bits int       // server window bits, 8..15
}

// NewCompressor returns a Compressor for the negotiated parameters p. A nil p,
// like a nil *Compressor, means no context takeover and the full window.
func NewCompressor(p *DeflateParams) *Compressor {
	c := &Compressor{bits: 15}
	if p != nil {
		c.bits = windowBits(p.ServerMaxWindowBits)
		if !p.ServerNoContextTakeover {
			c.d = getDeflater(c.bits)
			c.d.w.Reset(&c.d.sink)
		}
	}
	return c
}

// Release returns the Compressor's flate writer, if it holds one. The
// Compressor must not be used afterwards. Release of nil is a no-op.
func (c *Compressor) Release() {
	if c != nil && c.d != nil {
		putDeflater(c.d, c.bits)
		c.d = nil
	}
}

// AppendDeflatedFrame compresses payload with c and appends one complete
// server frame to dst: FIN and RSV1 set, the trailing 0x00 0x00 0xff 0xff of
// the sync flush removed (RFC 7692 §7.2.1). A nil c compresses without context
// takeover with the full window: its frames suit exactly the connections whose
// DeflateParams are Shareable.
//
// A stateless Compressor appends an uncompressed frame (RSV1 clear) instead
// when the payload is under 64 bytes or compression would not make it
// smaller, which RFC 7692 §6 allows; a Compressor with context takeover always compresses, since the
// client's window must see every message. payload is only read.
func AppendDeflatedFrame(dst []byte, op OpCode, payload []byte, c *Compressor) []byte {
	bits, d := 15, (*deflater)(nil)
	if c != nil {
		bits, d = c.bits, c.d
	}
	stateless := d == nil
	if stateless && len(payload) < minDeflateSize {
		return AppendFrame(dst, op, false, payload)
	}
	if stateless {
		d = getDeflater(bits)
		defer putDeflater(d, bits)
		d.w.Reset(&d.sink)
	}
	// Compress behind room for the largest header, then move the payload
	// down once its length, and so the header's, is known.
	start := len(dst)
	const room = 10
	d.sink.b = append(dst, make([]byte, room)...)
	_, _ = d.w.Write(payload) // appendWriter never fails, nor then does flate
	_ = d.w.Flush()
	out := d.sink.b
	d.sink.b = nil
	body := out[start+room:]
	if n := len(body); n >= 4 && [4]byte(body[n-4:]) == syncTail {
		body = body[:n-4]
	}
	if stateless && len(body) >= len(payload) {
		return AppendFrame(out[:start], op, false, payload)
	}
	n := len(body)
	out = appendHeader(out[:start], op, true, n) // hs <= room: body is untouched
	return out[:len(out)+copy(out[len(out):cap(out)], body)]
}
