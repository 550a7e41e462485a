package wsproto

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

var frameCases = []struct {
	name    string
	op      OpCode
	rsv1    bool
	payload []byte
}{
	{name: "empty text", op: OpText},
	{name: "text 64 B", op: OpText, payload: bytes.Repeat([]byte("a"), 64)},
	{name: "binary 125 B", op: OpBinary, payload: bytes.Repeat([]byte{1}, 125)},
	{name: "binary 126 B", op: OpBinary, payload: bytes.Repeat([]byte{2}, 126)},
	{name: "binary 4 KiB", op: OpBinary, payload: bytes.Repeat([]byte{3}, 4096)},
	{name: "binary 65535 B", op: OpBinary, payload: bytes.Repeat([]byte{4}, 65535)},
	{name: "binary 65536 B", op: OpBinary, payload: bytes.Repeat([]byte{5}, 65536)},
	{name: "compressed", op: OpText, rsv1: true, payload: []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}},
	{name: "ping", op: OpPing, payload: []byte("ping")},
}

// TestAppendFrame decodes what AppendFrame writes with gobwas/ws's reader.
func TestAppendFrame(t *testing.T) {
	for _, tt := range frameCases {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("prefix")
			out := AppendFrame(prefix, tt.op, tt.rsv1, tt.payload)
			if !bytes.HasPrefix(out, []byte("prefix")) {
				t.Fatal("dst overwritten")
			}
			if got, want := len(out)-len(prefix), FrameSize(len(tt.payload)); got != want {
				t.Fatalf("frame is %d bytes, FrameSize says %d", got, want)
			}
			f, err := ws.ReadFrame(bytes.NewReader(out[len(prefix):]))
			if err != nil {
				t.Fatal(err)
			}
			h := f.Header
			if !h.Fin || h.OpCode != tt.op || h.Rsv1() != tt.rsv1 || h.Rsv2() || h.Rsv3() || h.Masked || !bytes.Equal(f.Payload, tt.payload) {
				t.Fatalf("decoded %+v, payload %d bytes", h, len(f.Payload))
			}
			if ws.HeaderSize(h) != FrameSize(len(tt.payload))-len(tt.payload) {
				t.Fatalf("header size %d", ws.HeaderSize(h))
			}
		})
	}
}

func TestAppendClose(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes of 2-byte runes
	tests := []struct {
		name   string
		code   uint16
		reason string
		want   []byte // payload
	}{
		{name: "no code", code: 0, reason: "ignored", want: nil},
		{name: "code only", code: 1000, want: []byte{0x03, 0xe8}},
		{name: "code and reason", code: 1002, reason: "bad", want: []byte{0x03, 0xea, 'b', 'a', 'd'}},
		{name: "reason of 123 bytes kept", code: 1001, reason: strings.Repeat("x", 123), want: append([]byte{0x03, 0xe9}, strings.Repeat("x", 123)...)},
		{name: "ASCII reason cut to 123", code: 1001, reason: strings.Repeat("x", 200), want: append([]byte{0x03, 0xe9}, strings.Repeat("x", 123)...)},
		{name: "UTF-8 reason cut on a rune boundary", code: 1011, reason: long, want: append([]byte{0x03, 0xf3}, long[:122]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := AppendClose(nil, tt.code, tt.reason)
			f, err := ws.ReadFrame(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if !f.Header.Fin || f.Header.OpCode != OpClose || !bytes.Equal(f.Payload, tt.want) {
				t.Fatalf("got %+v %q, want payload %q", f.Header, f.Payload, tt.want)
			}
			if len(f.Payload) > 125 || !utf8.Valid(f.Payload[min(2, len(f.Payload)):]) {
				t.Fatalf("invalid close payload %q", f.Payload)
			}
		})
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	for _, tt := range frameCases {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tt.payload)))
			buf := make([]byte, 0, FrameSize(len(tt.payload)))
			for b.Loop() {
				buf = AppendFrame(buf[:0], tt.op, tt.rsv1, tt.payload)
			}
		})
	}
}
