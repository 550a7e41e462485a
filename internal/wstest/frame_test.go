package wstest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gobwas/ws"
)

var frameCases = []struct {
	name string
	op   byte
	size int
}{
	{"empty text", OpText, 0},
	{"small binary", OpBinary, 64},
	{"7-bit max", OpBinary, 125},
	{"16-bit min", OpBinary, 126},
	{"4 KiB", OpBinary, 4096},
	{"16-bit max", OpBinary, 0xFFFF},
	{"64-bit min", OpBinary, 0x10000},
	{"close", OpClose, 2},
}

func payloadOf(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + 3)
	}
	return p
}

// TestAppendFrame reads every frame back with gobwas/ws as the oracle.
func TestAppendFrame(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			p := payloadOf(tc.size)
			mask := [4]byte{1, 2, 3, 0xF0}
			b := AppendFrame([]byte("prefix"), tc.op, p, mask)
			if !bytes.HasPrefix(b, []byte("prefix")) {
				t.Fatal("dst prefix lost")
			}
			f, err := ws.ReadFrame(bytes.NewReader(b[6:]))
			if err != nil {
				t.Fatal(err)
			}
			if !f.Header.Fin || byte(f.Header.OpCode) != tc.op || !f.Header.Masked || f.Header.Mask != mask {
				t.Fatalf("header %+v", f.Header)
			}
			if int(f.Header.Length) != tc.size {
				t.Fatalf("length %d, want %d", f.Header.Length, tc.size)
			}
			ws.Cipher(f.Payload, f.Header.Mask, 0)
			if !bytes.Equal(f.Payload, p) {
				t.Fatal("payload differs after unmasking")
			}
		})
	}
}

// TestParseHeader parses server frames written by gobwas/ws.
func TestParseHeader(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := ws.WriteFrame(&buf, ws.NewFrame(ws.OpCode(tc.op), true, payloadOf(tc.size))); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			h, err := ParseHeader(b)
			if err != nil {
				t.Fatal(err)
			}
			if !h.Fin || h.Op != tc.op || h.Length != tc.size || h.Size+h.Length != len(b) {
				t.Fatalf("got %+v for %d bytes", h, len(b))
			}
			for i := 0; i < h.Size; i++ {
				if _, err := ParseHeader(b[:i]); !errors.Is(err, ErrNeedMore) {
					t.Fatalf("prefix %d: %v, want ErrNeedMore", i, err)
				}
			}
		})
	}
}

func TestParseHeaderAndCheckServer(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		rsv   byte  // reserved bits the extensions allow
		parse error // from ParseHeader
		check error // from CheckServer, when ParseHeader succeeds
	}{
		{name: "binary", in: []byte{0x82, 0x00}},
		{name: "continuation", in: []byte{0x00, 0x01}},
		{name: "masked server frame", in: []byte{0x82, 0x80, 0, 0, 0, 0}, check: ErrProtocol},
		{name: "masked, mask incomplete", in: []byte{0x82, 0x80, 0, 0}, parse: ErrNeedMore},
		{name: "reserved bit", in: []byte{0xC2, 0x00}, check: ErrProtocol},
		{name: "RSV1 with deflate", in: []byte{0xC2, 0x00}, rsv: RsvDeflate},
		{name: "RSV2 with deflate", in: []byte{0xA2, 0x00}, rsv: RsvDeflate, check: ErrProtocol},
		{name: "RSV1 on a continuation", in: []byte{0xC0, 0x00}, rsv: RsvDeflate, check: ErrProtocol},
		{name: "RSV1 on a ping", in: []byte{0xC9, 0x00}, rsv: RsvDeflate, check: ErrProtocol},
		{name: "reserved opcode", in: []byte{0x83, 0x00}, check: ErrProtocol},
		{name: "fragmented ping", in: []byte{0x09, 0x00}, check: ErrProtocol},
		{name: "long close", in: []byte{0x88, 126, 0, 200}, check: ErrProtocol},
		{name: "too large", in: []byte{0x82, 127, 0, 0, 0, 0, 0x10, 0, 0, 0}, parse: ErrFrameTooLarge},
		{name: "length MSB set", in: []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, parse: ErrProtocol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseHeader(tc.in)
			if !errors.Is(err, tc.parse) {
				t.Fatalf("ParseHeader: %v, want %v", err, tc.parse)
			}
			if err != nil {
				return
			}
			if h.Size != len(tc.in) {
				t.Fatalf("size %d, want %d", h.Size, len(tc.in))
			}
			if err := h.CheckServer(tc.rsv); !errors.Is(err, tc.check) {
				t.Fatalf("CheckServer: %v, want %v", err, tc.check)
			}
		})
	}
}

// TestAppendHeaderRoundTrip writes headers legal or not and reads them back
// with ParseHeader and with gobwas/ws.
func TestAppendHeaderRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		h    Header
	}{
		{"unmasked text", Header{Fin: true, Op: OpText, Length: 10}},
		{"RSV1 masked", Header{Fin: true, Rsv: RsvDeflate, Op: OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 200}},
		{"all reserved bits, no FIN", Header{Rsv: 7, Op: 0x3, Length: 0}},
		{"64-bit length", Header{Fin: true, Op: OpBinary, Masked: true, Mask: [4]byte{9, 9, 9, 9}, Length: 1 << 20}},
		{"16-bit form of a short length", Header{Fin: true, Op: OpText, Length: 5, LenForm: 16}},
		{"64-bit form of a short length", Header{Fin: true, Op: OpText, Length: 5, LenForm: 64}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := AppendHeader(nil, tc.h)
			h, err := ParseHeader(b)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.h
			want.Size, want.LenForm = len(b), 0
			if h != want {
				t.Fatalf("got %+v, want %+v", h, want)
			}
			o, err := ws.ReadHeader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if !sameAsGobwas(h, o) {
				t.Fatalf("gobwas reads %+v", o)
			}
		})
	}
}

func TestParseClose(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		code   uint16
		reason string
		err    error
	}{
		{name: "empty", in: nil, code: CloseNoStatus},
		{name: "normal", in: ClosePayload(nil, 1000, ""), code: 1000},
		{name: "with reason", in: ClosePayload(nil, 1008, "policy"), code: 1008, reason: "policy"},
		{name: "application code", in: ClosePayload(nil, 4000, ""), code: 4000},
		{name: "one byte", in: []byte{3}, err: ErrProtocol},
		{name: "1005 on the wire", in: ClosePayload(nil, 1005, ""), err: ErrProtocol},
		{name: "999", in: ClosePayload(nil, 999, ""), err: ErrProtocol},
		{name: "reason not UTF-8", in: append(ClosePayload(nil, 1000, ""), 0xff), err: ErrProtocol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, reason, err := ParseClose(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err == nil && (code != tc.code || string(reason) != tc.reason) {
				t.Fatalf("got %d %q, want %d %q", code, reason, tc.code, tc.reason)
			}
		})
	}
}

func TestMasked(t *testing.T) {
	b := Masked(OpText, []byte("hello"))
	f, err := ws.ReadFrame(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	ws.Cipher(f.Payload, f.Header.Mask, 0)
	if !f.Header.Fin || f.Header.OpCode != ws.OpText || !f.Header.Masked || string(f.Payload) != "hello" {
		t.Fatalf("frame %+v %q", f.Header, f.Payload)
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	for _, tc := range frameCases {
		b.Run(tc.name, func(b *testing.B) {
			p := payloadOf(tc.size)
			dst := make([]byte, 0, tc.size+MaxHeader)
			b.ReportAllocs()
			b.SetBytes(int64(tc.size))
			for b.Loop() {
				dst = AppendFrame(dst[:0], tc.op, p, [4]byte{1, 2, 3, 4})
			}
		})
	}
}

func BenchmarkParseHeader(b *testing.B) {
	for _, tc := range frameCases {
		b.Run(tc.name, func(b *testing.B) {
			var buf bytes.Buffer
			_ = ws.WriteFrame(&buf, ws.NewFrame(ws.OpCode(tc.op), true, payloadOf(tc.size)))
			in := buf.Bytes()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseHeader(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// sameAsGobwas reports whether h says what gobwas/ws's header o says.
func sameAsGobwas(h Header, o ws.Header) bool {
	return h.Fin == o.Fin && h.Rsv == o.Rsv && h.Op == byte(o.OpCode) && h.Masked == o.Masked &&
		h.Mask == o.Mask && int64(h.Length) == o.Length
}

// TestAppendRaw writes frames legal or not and reads them back with gobwas/ws.
func TestAppendRaw(t *testing.T) {
	tests := []struct {
		name string
		h    Header
	}{
		{"unmasked", Header{Fin: true, Op: OpText}},
		{"masked RSV1", Header{Fin: true, Rsv: RsvDeflate, Op: OpBinary, Masked: true, Mask: [4]byte{7, 6, 5, 4}}},
		{"fragmented ping", Header{Op: OpPing, Masked: true, Mask: [4]byte{1, 1, 1, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := payloadOf(300)
			f, err := ws.ReadFrame(bytes.NewReader(AppendRaw(nil, tc.h, p)))
			if err != nil {
				t.Fatal(err)
			}
			if f.Header.Masked {
				ws.Cipher(f.Payload, f.Header.Mask, 0)
			}
			want := tc.h
			want.Length = len(p)
			if !sameAsGobwas(want, f.Header) || !bytes.Equal(f.Payload, p) {
				t.Fatalf("read %+v", f.Header)
			}
		})
	}
}
