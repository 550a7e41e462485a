package wsproto

import (
	"bytes"
	stdflate "compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	kpflate "github.com/klauspost/compress/flate"
)

// clientDeflater compresses messages the way a client does (RFC 7692
// §7.2.1). With the full window it uses compress/flate, an implementation
// independent of the Reader's decoder; smaller windows need klauspost's
// windowed writer, the only Go one that honours them.
type clientDeflater struct {
	w interface {
		Write([]byte) (int, error)
		Flush() error
		Reset(w io.Writer)
	}
	buf      bytes.Buffer
	takeover bool
}

func newClientDeflater(t testing.TB, bits int, takeover bool) *clientDeflater {
	c := &clientDeflater{takeover: takeover}
	var err error
	if bits == 15 {
		c.w, err = stdflate.NewWriter(&c.buf, stdflate.BestCompression)
	} else {
		c.w, err = kpflate.NewWriterWindow(&c.buf, 1<<bits)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// compress returns one message's compressed payload, sync tail removed.
func (c *clientDeflater) compress(p []byte) []byte {
	c.buf.Reset()
	if !c.takeover {
		c.w.Reset(&c.buf)
	}
	c.w.Write(p)
	c.w.Flush()
	out := bytes.Clone(c.buf.Bytes())
	if !bytes.HasSuffix(out, syncTail[:]) {
		panic("flush did not end with the sync tail")
	}
	return out[:len(out)-4]
}

// deflateRaw compresses one message with compress/flate as a client without
// context takeover does.
func deflateRaw(p []byte) []byte {
	var buf bytes.Buffer
	w, _ := stdflate.NewWriter(&buf, stdflate.BestSpeed)
	w.Write(p)
	w.Flush()
	return buf.Bytes()[:buf.Len()-4]
}

// compressedFrames encodes a compressed message as client frames: RSV1 on
// the first frame only, split into parts frames (RFC 7692 §6.1).
func compressedFrames(op OpCode, z []byte, parts int) []byte {
	if parts <= 1 {
		return clientFrame(true, op, z, rsv(4))
	}
	var out []byte
	step := (len(z) + parts - 1) / parts
	for i := 0; i < parts; i++ {
		lo, hi := min(i*step, len(z)), min((i+1)*step, len(z))
		fop, opts := OpContinuation, []frameOpt(nil)
		if i == 0 {
			fop, opts = op, []frameOpt{rsv(4)}
		}
		out = append(out, clientFrame(i == parts-1, fop, z[lo:hi], opts...)...)
	}
	return out
}

// deflateMessages is a conversation that makes context takeover matter:
// later messages repeat earlier ones from up to 24 KiB back, so a decoder
// that kept too little of the window would produce garbage.
func deflateMessages() [][]byte {
	rng := rand.New(rand.NewPCG(3, 4))
	words := []string{"temperature", "sensor", "κόσμε", "gateway", "value", "\"id\":", "{", "}", "€", "😀"}
	var msgs [][]byte
	for i := range 40 {
		var m []byte
		switch {
		case i == 5:
			m = nil // empty message
		case i == 9:
			m = bytes.Repeat([]byte("long line of JSON-ish text "), 4000) // 108 KB
		case i >= 20:
			m = bytes.Clone(msgs[i-16]) // references far back
		default:
			for len(m) < 1500 {
				m = append(m, words[rng.IntN(len(words))]...)
			}
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// TestReaderInflate feeds compressed conversations for every combination of
// client context takeover and client window, single-frame and fragmented,
// whole and in chunks, and checks every message against the original.
func TestReaderInflate(t *testing.T) {
	msgs := deflateMessages()
	for _, takeover := range []bool{false, true} {
		for _, bits := range []int{8, 9, 12, 15} {
			for _, parts := range []int{1, 3} {
				name := fmt.Sprintf("takeover=%v/bits=%d/frames=%d", takeover, bits, parts)
				t.Run(name, func(t *testing.T) {
					cd := newClientDeflater(t, bits, takeover)
					var input []byte
					var want []string
					for i, m := range msgs {
						op := OpText
						if i%4 == 3 {
							op = OpBinary
						}
						input = append(input, compressedFrames(op, cd.compress(m), parts)...)
						want = append(want, (&recorder{}).eventFor(op, m))
					}
					cfg := &Config{Deflate: &DeflateParams{
						ClientNoContextTakeover: !takeover,
						ClientMaxWindowBits:     bits,
						ServerMaxWindowBits:     15,
					}}
					rng := rand.New(rand.NewPCG(uint64(bits), uint64(parts)))
					for _, cuts := range [][]int{nil, randomCuts(rng, len(input), 200)} {
						var r Reader
						r.Init(cfg)
						h := &recorder{}
						o := feedChunksReader(t, &r, input, cuts, h)
						if o.err != nil || o.consumed != len(input) {
							t.Fatalf("cuts=%d: %v", len(cuts), o.err)
						}
						for i := range want {
							if i >= len(o.events) || o.events[i] != want[i] {
								t.Fatalf("cuts=%d: message %d differs", len(cuts), i)
							}
						}
						if takeover {
							if r.win == nil || cap(*r.win) != historySize(bits) || len(*r.win) != historySize(bits) {
								t.Fatalf("window not kept or too big")
							}
						} else if r.win != nil {
							t.Fatalf("window kept without context takeover")
						}
						if r.msg != nil {
							t.Fatalf("message buffer held after the last message")
						}
						r.Release()
					}
				})
			}
		}
	}
}

// TestReaderInflateZlibWindow8: zlib cannot compress with an 8-bit window and
// uses 9 bits; a client that agreed to client_max_window_bits=8 and refers
// 512 bytes back must still decode.
func TestReaderInflateZlibWindow8(t *testing.T) {
	cd := newClientDeflater(t, 9, true)
	var input []byte
	var want []string
	for _, m := range deflateMessages() {
		input = append(input, compressedFrames(OpBinary, cd.compress(m), 1)...)
		want = append(want, (&recorder{}).eventFor(OpBinary, m))
	}
	var r Reader
	r.Init(&Config{Deflate: &DeflateParams{ClientMaxWindowBits: 8}})
	defer r.Release()
	o := feedChunksReader(t, &r, input, nil, &recorder{})
	if o.err != nil || !slices.Equal(o.events, want) {
		t.Fatalf("err %v, %d of %d messages", o.err, len(o.events), len(want))
	}
}

func randomCuts(rng *rand.Rand, n, count int) []int {
	cuts := make([]int, count)
	for i := range cuts {
		cuts[i] = rng.IntN(n + 1)
	}
	slices.Sort(cuts)
	return cuts
}

var deflateParams = &DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}

// TestReaderDeflateErrors checks the rules RFC 7692 adds and the limits
// applied while inflating.
func TestReaderDeflateErrors(t *testing.T) {
	cd := newClientDeflater(t, 15, false)
	z := cd.compress([]byte("Hello"))
	zBad := cd.compress([]byte("ok \xed\xa0\x80 not ok"))
	z16 := cd.compress(bytes.Repeat([]byte("x"), 16))
	z17 := cd.compress(bytes.Repeat([]byte("x"), 17))
	cfg := &Config{Deflate: deflateParams}
	small := &Config{MaxMessageSize: 16, Deflate: deflateParams}
	tests := []readerCase{
		{name: "compressed text", input: compressedFrames(OpText, z, 1), events: []string{`text "Hello"`}},
		{name: "compressed fragmented", input: compressedFrames(OpText, z, 3), events: []string{`text "Hello"`}},
		{name: "uncompressed message on a deflate connection", input: clientFrame(true, OpText, hello), events: []string{`text "Hello"`}},
		{name: "empty compressed message", input: clientFrame(true, OpBinary, []byte{0x00}, rsv(4)), events: []string{"binary "}},
		{name: "empty compressed payload", input: clientFrame(true, OpBinary, nil, rsv(4)), events: []string{"binary "}},
		{name: "ping inside compressed message", input: frames(
			clientFrame(false, OpText, z[:2], rsv(4)),
			clientFrame(true, OpPing, []byte("p")),
			clientFrame(true, OpContinuation, z[2:]),
		), events: []string{`ping "p"`, `text "Hello"`}},
		{name: "RSV1 on continuation", input: frames(clientFrame(false, OpText, z[:2], rsv(4)), clientFrame(true, OpContinuation, z[2:], rsv(4))), err: ErrReservedBits},
		{name: "RSV1 on ping", input: clientFrame(true, OpPing, nil, rsv(4)), err: ErrReservedBits},
		{name: "RSV1 on close", input: clientFrame(true, OpClose, nil, rsv(4)), err: ErrReservedBits},
		{name: "RSV2 on compressed", input: clientFrame(true, OpText, z, rsv(6)), err: ErrReservedBits},
		{name: "invalid UTF-8 after inflating", input: compressedFrames(OpText, zBad, 1), err: ErrInvalidUTF8},
		{name: "invalid UTF-8 after inflating fragmented", input: compressedFrames(OpText, zBad, 2), err: ErrInvalidUTF8},
		{name: "corrupt deflate data", input: clientFrame(true, OpBinary, []byte{0xff, 0xff, 0xff, 0xff, 0xff}, rsv(4)), err: ErrInvalidDeflate},
		{name: "inflated at the limit", cfg: small, input: compressedFrames(OpText, z16, 1), events: []string{fmt.Sprintf("text %q", bytes.Repeat([]byte("x"), 16))}},
		{name: "inflated past the limit", cfg: small, input: compressedFrames(OpText, z17, 1), err: ErrMessageTooBig},
		{name: "inflated past the limit fragmented", cfg: small, input: compressedFrames(OpText, z17, 2), err: ErrMessageTooBig},
		{name: "compressed payload past its limit", cfg: small, input: clientFrame(true, OpBinary, make([]byte, 100), rsv(4))[:8], err: ErrMessageTooBig},
	}
	for _, c := range tests {
		if c.cfg == nil {
			c.cfg = cfg
		}
		t.Run(c.name, func(t *testing.T) {
			whole := c.run(t, nil)
			if !slices.Equal(whole.events, c.events) || whole.err != c.err {
				t.Fatalf("got %v\nwant events=%q err=%v", whole, c.events, c.err)
			}
			for _, cuts := range everySplit(len(c.input)) {
				got := c.run(t, cuts)
				if !slices.Equal(got.events, whole.events) || got.err != whole.err {
					t.Fatalf("cut at %v:\n got %v\nwhole %v", cuts[:min(len(cuts), 3)], got, whole)
				}
			}
		})
	}
}

// TestReaderZipBomb sends 10 MiB of zeros compressed to about 10 KiB to a
// Reader with a 1 MiB limit: 1009, and no more memory than the limit.
func TestReaderZipBomb(t *testing.T) {
	var buf bytes.Buffer
	w, _ := stdflate.NewWriter(&buf, stdflate.BestCompression)
	w.Write(make([]byte, 10<<20))
	w.Flush()
	z := buf.Bytes()[:buf.Len()-4]
	if len(z) > 20<<10 {
		t.Fatalf("bomb is %d bytes", len(z))
	}
	for _, parts := range []int{1, 4} {
		t.Run(fmt.Sprintf("frames=%d", parts), func(t *testing.T) {
			input := compressedFrames(OpBinary, z, parts)
			var r Reader
			r.Init(&Config{MaxMessageSize: 1 << 20, Deflate: deflateParams})
			defer r.Release()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := r.Feed(input, &recorder{})
			runtime.ReadMemStats(&after)
			if err != ErrMessageTooBig {
				t.Fatalf("err = %v, want %v", err, ErrMessageTooBig)
			}
			// The output buffer grows to the 1 MiB limit by doubling;
			// the flate decoder comes from a pool.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3<<20 {
				t.Fatalf("allocated %d bytes for a 1 MiB limit", alloc)
			}
		})
	}
}

// feedChunksReader is feedChunks with a Reader the caller inspects afterwards.
func feedChunksReader(t testing.TB, r *Reader, input []byte, cuts []int, h *recorder) outcome {
	var (
		pending []byte
		o       outcome
		prev    int
	)
	for _, cut := range append(cuts, len(input)) {
		if cut < prev {
			continue
		}
		pending = append(pending, input[prev:cut]...)
		prev = cut
		n, err := r.Feed(pending, h)
		o.consumed += n
		pending = pending[n:]
		if err != nil {
			o.err = err
			break
		}
	}
	o.events = h.events
	return o
}
