package load

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

func TestParseHeaderErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"masked server frame", []byte{0x82, 0x80, 0, 0, 0, 0}, ErrProtocol},
		{"reserved bit", []byte{0xC2, 0x00}, ErrProtocol},
		{"reserved opcode", []byte{0x83, 0x00}, ErrProtocol},
		{"fragmented ping", []byte{0x09, 0x00}, ErrProtocol},
		{"long close", []byte{0x88, 126, 0, 200}, ErrProtocol},
		{"too large", []byte{0x82, 127, 0, 0, 0, 0, 0x10, 0, 0, 0}, ErrFrameTooLarge},
		{"continuation ok", []byte{0x00, 0x01}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseHeader(tc.in); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
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
