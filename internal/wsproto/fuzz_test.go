package wsproto

import (
	"bytes"
	stdflate "compress/flate"
	"errors"
	"io"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// fuzzConfigs are the Reader configurations FuzzReader picks from with the
// first input byte: plain, deflate, and a small limit with each.
var fuzzConfigs = []*Config{
	{},
	{Deflate: deflateParams},
	{MaxMessageSize: 40},
	{MaxMessageSize: 40, Deflate: &DeflateParams{ClientMaxWindowBits: 9}},
}

// checkingRecorder records like recorder and checks what every payload
// must satisfy whatever the input.
type checkingRecorder struct {
	recorder
	t     *testing.T
	limit int64
}

func (h *checkingRecorder) OnMessage(op OpCode, p []byte) error {
	if op != OpText && op != OpBinary {
		h.t.Fatalf("message with opcode %v", op)
	}
	if op == OpText && !utf8.Valid(p) {
		h.t.Fatalf("invalid UTF-8 delivered: %q", p)
	}
	if int64(len(p)) > h.limit {
		h.t.Fatalf("%d-byte message past the %d limit", len(p), h.limit)
	}
	return h.recorder.OnMessage(op, p)
}

func (h *checkingRecorder) OnPing(p []byte) error {
	if len(p) > 125 {
		h.t.Fatalf("%d-byte ping", len(p))
	}
	return h.recorder.OnPing(p)
}

func (h *checkingRecorder) OnClose(code uint16, reason []byte) error {
	if code != CloseNoStatus && !validCloseCode(code) || !utf8.Valid(reason) {
		h.t.Fatalf("close %d %q delivered", code, reason)
	}
	return h.recorder.OnClose(code, reason)
}

// FuzzReader feeds arbitrary bytes whole, byte by byte and in uneven
// chunks: the Reader must never panic, must agree with itself however the
// bytes arrive, must parse headers as gobwas/ws does, and must deliver only
// what RFC 6455 allows.
func FuzzReader(f *testing.F) {
	for _, c := range readerCases() {
		if len(c.input) < 1024 {
			f.Add(append([]byte{0}, c.input...))
		}
	}
	cd := newClientDeflater(f, 15, false)
	f.Add(append([]byte{1}, compressedFrames(OpText, cd.compress([]byte("Hello, fuzz")), 2)...))
	f.Add(append([]byte{3}, compressedFrames(OpBinary, cd.compress(make([]byte, 100)), 1)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		cfg := fuzzConfigs[int(data[0])%len(fuzzConfigs)]
		input := data[1:]

		// Oracle for headers: gobwas/ws's reader.
		h, n, err := parseHeader(input)
		wh, werr := ws.ReadHeader(bytes.NewReader(input))
		switch {
		case err != nil:
			if werr != ws.ErrHeaderLengthMSB {
				t.Fatalf("parseHeader: %v, ws.ReadHeader: %v", err, werr)
			}
		case n == 0:
			if werr != io.EOF && werr != io.ErrUnexpectedEOF {
				t.Fatalf("parseHeader wants more, ws.ReadHeader: %+v %v", wh, werr)
			}
		case werr != nil || h != wh:
			t.Fatalf("parseHeader %+v (%d bytes), ws.ReadHeader %+v %v", h, n, wh, werr)
		}

		run := func(cuts []int) outcome {
			return feedChunks(t, cfg, input, cuts, &checkingRecorder{t: t, limit: cfg.maxMessageSize()})
		}
		whole := run(nil)
		if whole.err != nil && closeCode(whole.err) <= 0 {
			t.Fatalf("error without a close code: %v", whole.err)
		}
		var oneByOne, uneven []int
		for i := 1; i < len(input); i++ {
			oneByOne = append(oneByOne, i)
		}
		for i, step := 0, 1; i < len(input); i, step = i+step, step%7+1 {
			uneven = append(uneven, i)
		}
		for _, cuts := range [][]int{oneByOne, uneven} {
			got := run(cuts)
			if !slices.Equal(got.events, whole.events) || got.err != whole.err ||
				(whole.err == nil && got.consumed != whole.consumed) {
				t.Fatalf("chunked: %v\nwhole: %v", got, whole)
			}
		}
	})
}

// FuzzInflate decompresses arbitrary data as a compressed message and checks
// the result against compress/flate: same bytes when both succeed, 1009
// exactly when the output is past the limit, and no panic.
func FuzzInflate(f *testing.F) {
	cd := newClientDeflater(f, 15, false)
	f.Add(cd.compress([]byte("Hello, Hello, Hello")))
	f.Add(cd.compress(bytes.Repeat([]byte{0}, 5000)))
	f.Add(cd.compress([]byte("κόσμε")))
	f.Add([]byte{0x00})
	f.Add([]byte{0x03, 0x00}) // a final empty fixed block
	f.Add([]byte{0xff, 0xff})
	const limit = 1024
	cfg := &Config{MaxMessageSize: limit, Deflate: deflateParams}
	f.Fuzz(func(t *testing.T, z []byte) {
		// The oracle: compress/flate over the same bytes and tail.
		zr := stdflate.NewReader(io.MultiReader(bytes.NewReader(z), bytes.NewReader(syncTail[:])))
		want, oerr := io.ReadAll(io.LimitReader(zr, limit+1))
		oracleOK := oerr == nil || errors.Is(oerr, io.ErrUnexpectedEOF)

		for _, parts := range []int{1, 2} {
			var got []byte
			var r Reader
			r.Init(cfg)
			_, err := r.Feed(compressedFrames(OpBinary, z, parts), handlerFunc(func(p []byte) { got = bytes.Clone(p) }))
			r.Release()
			switch {
			case err == nil:
				if len(want) > limit || !bytes.Equal(got, want) {
					t.Fatalf("inflated %d bytes, compress/flate %d (%v)", len(got), len(want), oerr)
				}
			case err == ErrMessageTooBig:
				if len(want) <= limit && oracleOK {
					t.Fatalf("1009 for %d bytes", len(want))
				}
			case err == ErrInvalidDeflate:
				if oracleOK && len(want) <= limit {
					t.Fatalf("rejected what compress/flate inflates to %d bytes", len(want))
				}
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
	})
}

// handlerFunc is a Handler that hands messages to a function.
type handlerFunc func([]byte)

func (f handlerFunc) OnMessage(_ OpCode, p []byte) error { f(p); return nil }
func (handlerFunc) OnPing([]byte) error                  { return nil }
func (handlerFunc) OnPong([]byte) error                  { return nil }
func (handlerFunc) OnClose(uint16, []byte) error         { return nil }
