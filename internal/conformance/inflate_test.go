package conformance

import (
	"bytes"
	"compress/flate"
	"errors"
	"math/rand/v2"
	"testing"

	kflate "github.com/klauspost/compress/flate"
)

// deflateMessage compresses p as a permessage-deflate sender does: a sync
// flush, its 00 00 ff ff tail removed. bits < 15 uses klauspost's windowed
// writer; level applies to compress/flate; dict primes the window.
func deflateMessage(t testing.TB, p []byte, level, bits int, dict []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w interface {
		Write([]byte) (int, error)
		Flush() error
	}
	var err error
	switch {
	case bits < 15:
		w, err = kflate.NewWriterWindow(&buf, 1<<bits)
	case dict != nil:
		w, err = flate.NewWriterDict(&buf, level, dict)
	default:
		w, err = flate.NewWriter(&buf, level)
	}
	if err != nil {
		t.Fatal(err)
	}
	w.Write(p)
	w.Flush()
	return bytes.TrimSuffix(buf.Bytes(), syncTail)
}

func withTail(p []byte) []byte { return append(p, syncTail...) }

// inflateCases share the data of TestInflateWindow and BenchmarkInflateWindow.
func inflateCases(t testing.TB) []struct {
	name    string
	in      []byte // compressed, with the tail appended as a receiver does
	hist    []byte
	window  int
	limit   int
	want    []byte
	wantErr error
} {
	r := rand.New(rand.NewPCG(3, 4))
	text := genJSON(r, 64<<10)
	noise := make([]byte, 1000)
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	farRepeat := append(append([]byte(nil), noise...), noise...) // matches 1000 bytes back
	dict := genJSON(r, 4<<10)
	fromDict := dict[len(dict)-300:]
	type tc = struct {
		name    string
		in      []byte
		hist    []byte
		window  int
		limit   int
		want    []byte
		wantErr error
	}
	return []tc{
		{name: "dynamic blocks, full window", in: withTail(deflateMessage(t, text, flate.DefaultCompression, 15, nil)), window: 1 << 15, limit: 1 << 20, want: text},
		{name: "fixed blocks", in: withTail(deflateMessage(t, []byte("Hello, Hello, Hello!"), flate.BestSpeed, 15, nil)), window: 1 << 15, limit: 1 << 20, want: []byte("Hello, Hello, Hello!")},
		{name: "stored blocks", in: withTail(deflateMessage(t, text, flate.NoCompression, 15, nil)), window: 1 << 15, limit: 1 << 20, want: text},
		{name: "Huffman only", in: withTail(deflateMessage(t, text, flate.HuffmanOnly, 15, nil)), window: 1 << 15, limit: 1 << 20, want: text},
		{name: "9-bit window writer", in: withTail(deflateMessage(t, text, 0, 9, nil)), window: 512, limit: 1 << 20, want: text},
		{name: "8-bit window writer", in: withTail(deflateMessage(t, text[:5000], 0, 8, nil)), window: 256, limit: 1 << 20, want: text[:5000]},
		{name: "empty message", in: withTail(deflateMessage(t, nil, flate.DefaultCompression, 15, nil)), window: 512, limit: 1 << 20, want: nil},
		{name: "history from the last message", in: withTail(deflateMessage(t, fromDict, flate.DefaultCompression, 15, dict)), hist: dict, window: 1 << 15, limit: 1 << 20, want: fromDict},
		{name: "distance before the history", in: withTail(deflateMessage(t, fromDict, flate.DefaultCompression, 15, dict)), window: 1 << 15, limit: 1 << 20, wantErr: ErrWindow},
		{name: "distance over the window", in: withTail(deflateMessage(t, farRepeat, flate.DefaultCompression, 15, nil)), window: 512, limit: 1 << 20, wantErr: ErrWindow},
		{name: "same data, window large enough", in: withTail(deflateMessage(t, farRepeat, flate.DefaultCompression, 15, nil)), window: 1024, limit: 1 << 20, want: farRepeat},
		{name: "truncated", in: deflateMessage(t, text, flate.DefaultCompression, 15, nil)[:100], window: 1 << 15, limit: 1 << 20, wantErr: ErrDeflate},
		{name: "block type 3", in: []byte{0x07, 0, 0, 0xff, 0xff}, window: 1 << 15, limit: 1 << 20, wantErr: ErrDeflate},
		{name: "output over the limit", in: withTail(deflateMessage(t, text, flate.DefaultCompression, 15, nil)), window: 1 << 15, limit: 1000, wantErr: ErrDeflate},
	}
}

func TestInflateWindow(t *testing.T) {
	for _, tc := range inflateCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inflateWindow(nil, tc.hist, tc.in, tc.window, tc.limit)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %d bytes %.40q, want %d bytes %.40q", len(got), got, len(tc.want), tc.want)
			}
		})
	}
}

// TestCodecContextTakeover runs messages through a codec pair as both ends of
// a connection would: the client's compressor against compress/flate, and
// the server's messages, compressed with context takeover, through decompress.
func TestCodecContextTakeover(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	data := genJSON(r, 32<<10)
	for _, d := range []Deflate{
		{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
		{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
		{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
	} {
		c := newCodec(d)
		// The server's side: one writer for the connection unless no context takeover.
		var buf bytes.Buffer
		w, _ := kflate.NewWriterWindow(&buf, 1<<d.ServerMaxWindowBits)
		cr := flate.NewReader(bytes.NewReader(nil)) // the server's inflater for the client's messages
		var clientHist []byte
		for i := 0; i < len(data); i += 3000 {
			msg := data[i:min(i+3000, len(data))]
			if d.ServerNoContextTakeover {
				w.Reset(&buf)
			}
			buf.Reset()
			w.Write(msg)
			w.Flush()
			got, err := c.decompress(bytes.TrimSuffix(bytes.Clone(buf.Bytes()), syncTail), 1<<20)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%+v message %d from the server: %d bytes, err %v", d, i/3000, len(got), err)
			}
			comp := append(c.compress(msg), syncTail...)
			if d.ClientNoContextTakeover {
				clientHist = nil
			}
			cr.(flate.Resetter).Reset(bytes.NewReader(comp), clientHist)
			var out bytes.Buffer
			out.ReadFrom(cr)
			if !bytes.Equal(out.Bytes(), msg) {
				t.Fatalf("%+v message %d from the client: got %d bytes", d, i/3000, out.Len())
			}
			clientHist = append(clientHist, msg...)
		}
	}
}

func BenchmarkInflateWindow(b *testing.B) {
	for _, tc := range inflateCases(b) {
		if tc.wantErr != nil {
			continue
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.want)))
			var dst []byte
			for b.Loop() {
				dst, _ = inflateWindow(dst[:0], tc.hist, tc.in, tc.window, tc.limit)
			}
		})
	}
}
