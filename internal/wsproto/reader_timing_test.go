package wsproto

import "testing"

// feedBench is one workload of BenchmarkFeed and TestFeedAllocs.
type feedBench struct {
	name    string
	cfg     *Config
	input   []byte // one message as client frames, masked with a zero key (see benchInput)
	segment int    // 0: the whole input in one Feed; else fed in segments of this size
	allocs  bool   // allocations allowed (compressed paths)
}

// benchFrame builds a client frame masked with an all-zero key. The XOR
// work is the same as with any key, and since unmasking is then the identity
// the same input can be fed again on every iteration without copying.
func benchFrame(fin bool, op OpCode, payload []byte, opts ...frameOpt) []byte {
	f := clientFrame(fin, op, payload, opts...)
	var hn int
	switch f[1] & 0x7f {
	case 126:
		hn = 8
	case 127:
		hn = 14
	default:
		hn = 6
	}
	copy(f[hn-4:hn], []byte{0, 0, 0, 0})
	copy(f[hn:], payload)
	return f
}

func feedBenches() []feedBench {
	text64 := []byte(`{"device":"sensor-042","temp":21.5,"state":"ok","unit":"°C","n":1}`)[:64]
	text4k := telemetry(4096)
	z := deflateRaw(text4k)
	deflate := &Config{Deflate: deflateParams}
	frag := frames(
		benchFrame(false, OpText, text4k[:1024]),
		benchFrame(false, OpContinuation, text4k[1024:2048]),
		benchFrame(false, OpContinuation, text4k[2048:3072]),
		benchFrame(true, OpContinuation, text4k[3072:]),
	)
	return []feedBench{
		{name: "text 64B", input: benchFrame(true, OpText, text64)},
		{name: "text 4KiB", input: benchFrame(true, OpText, text4k)},
		{name: "binary 4KiB", input: benchFrame(true, OpBinary, text4k)},
		{name: "ping 16B", input: benchFrame(true, OpPing, text64[:16])},
		{name: "text 4KiB in 4 fragments", input: frag},
		{name: "text 4KiB in 1460B segments", input: benchFrame(true, OpText, text4k), segment: 1460},
		{name: "text 4KiB byte by byte", input: benchFrame(true, OpText, text4k), segment: 1},
		{name: "compressed text 4KiB", cfg: deflate, input: benchFrame(true, OpText, z, rsv(4)), allocs: true},
		{name: "compressed text 4KiB in 1460B segments", cfg: deflate, input: benchFrame(true, OpText, z, rsv(4)), segment: 1460, allocs: true},
	}
}

// countHandler counts what it gets and checks nothing: the benchmarks'
// inputs are checked by TestFeedBenches.
type countHandler struct{ n, bytes int }

func (h *countHandler) OnMessage(_ OpCode, p []byte) error { h.n++; h.bytes += len(p); return nil }
func (h *countHandler) OnPing(p []byte) error              { h.n++; h.bytes += len(p); return nil }
func (h *countHandler) OnPong([]byte) error                { h.n++; return nil }
func (h *countHandler) OnClose(uint16, []byte) error       { h.n++; return nil }

// feeder is a Reader set up for one workload, with the handler that counts its events
// and the buffer feedOnce reuses.
type feeder struct {
	fb      *feedBench
	r       Reader
	h       countHandler
	pending []byte
}

// feeder sets up a Reader for fb; it is released when tb ends.
func (fb *feedBench) feeder(tb testing.TB) *feeder {
	f := &feeder{fb: fb, pending: make([]byte, 0, len(fb.input))}
	f.r.Init(fb.cfg)
	tb.Cleanup(f.r.Release)
	return f
}

// once feeds the workload's input once (feedOnce).
func (f *feeder) once() error { return f.fb.feedOnce(&f.r, &f.h, f.pending) }

// feedOnce feeds one workload's input to r, in segments through pending
// (a buffer of capacity len(input), as the engine's inbound buffer).
func (fb *feedBench) feedOnce(r *Reader, h Handler, pending []byte) error {
	if fb.segment == 0 {
		n, err := r.Feed(fb.input, h)
		if err == nil && n != len(fb.input) {
			panic("input not consumed")
		}
		return err
	}
	pending = pending[:0]
	for off := 0; off < len(fb.input); off += fb.segment {
		pending = append(pending, fb.input[off:min(off+fb.segment, len(fb.input))]...)
		n, err := r.Feed(pending, h)
		if err != nil {
			return err
		}
		pending = pending[:copy(pending, pending[n:])]
	}
	if len(pending) != 0 {
		panic("input not consumed")
	}
	return nil
}

// TestFeedBenches checks that every benchmark workload decodes to one
// message of the right size, fed any number of times.
func TestFeedBenches(t *testing.T) {
	for _, fb := range feedBenches() {
		t.Run(fb.name, func(t *testing.T) {
			f := fb.feeder(t)
			for range 3 {
				if err := f.once(); err != nil {
					t.Fatal(err)
				}
			}
			if f.h.n != 3 || f.h.bytes%3 != 0 || f.h.bytes == 0 {
				t.Fatalf("got %d events, %d bytes", f.h.n, f.h.bytes)
			}
		})
	}
}

func BenchmarkFeed(b *testing.B) {
	for _, fb := range feedBenches() {
		b.Run(fb.name, func(b *testing.B) {
			f := fb.feeder(b)
			b.ReportAllocs()
			b.SetBytes(int64(len(fb.input)))
			for b.Loop() {
				if err := f.once(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseHeader measures decoding a frame header of each length form.
func BenchmarkParseHeader(b *testing.B) {
	for _, n := range []int{64, 4096, 70000} {
		hdr := clientFrame(true, OpText, make([]byte, n))[:FrameSize(n)-n+4]
		b.Run(sizeName(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, hn, _ := parseHeader(hdr); hn == 0 {
					b.Fatal("short header")
				}
			}
		})
	}
}

// BenchmarkCompressedRoundTrip compresses a 4 KiB message as the server and
// inflates it as the Reader would a client's.
func BenchmarkCompressedRoundTrip(b *testing.B) {
	msg := telemetry(4096)
	var r Reader
	r.Init(&Config{Deflate: deflateParams})
	defer r.Release()
	h := &countHandler{}
	out := make([]byte, 0, 8192)
	in := make([]byte, 0, 8192)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		out = AppendDeflatedFrame(out[:0], OpText, msg, nil)
		// Turn the server frame into a client one: mask bit, zero key.
		in = append(in[:0], out[0], out[1]|bitMask)
		ext := 0
		switch out[1] & 0x7f {
		case 126:
			ext = 2
		case 127:
			ext = 8
		}
		in = append(in, out[2:2+ext]...)
		in = append(in, 0, 0, 0, 0)
		in = append(in, out[2+ext:]...)
		if _, err := r.Feed(in, h); err != nil {
			b.Fatal(err)
		}
	}
}
