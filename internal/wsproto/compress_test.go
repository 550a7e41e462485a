package wsproto

import (
	"bufio"
	"bytes"
	stdflate "compress/flate"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gorilla/websocket"
)

// serverFrames splits what AppendDeflatedFrame wrote into frames, checking
// each is a FIN frame of op from a server (unmasked).
func serverFrames(t testing.TB, b []byte, op OpCode) []ws.Frame {
	var out []ws.Frame
	r := bytes.NewReader(b)
	for r.Len() > 0 {
		f, err := ws.ReadFrame(r)
		if err != nil {
			t.Fatal(err)
		}
		if !f.Header.Fin || f.Header.OpCode != op || f.Header.Masked || f.Header.Rsv2() || f.Header.Rsv3() {
			t.Fatalf("bad frame header %+v", f.Header)
		}
		out = append(out, f)
	}
	return out
}

// TestCompressor compresses a conversation for every combination of server
// context takeover and server window, and decodes it with compress/flate:
// message by message without takeover, as one continuous stream with it.
func TestCompressor(t *testing.T) {
	msgs := deflateMessages()
	for _, takeover := range []bool{false, true} {
		for _, bits := range []int{8, 9, 12, 15} {
			t.Run(fmt.Sprintf("takeover=%v/bits=%d", takeover, bits), func(t *testing.T) {
				c := NewCompressor(&DeflateParams{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: bits, ClientMaxWindowBits: 15})
				defer c.Release()
				var stream bytes.Buffer // takeover: every message's deflate data, tails restored
				var out []byte
				for i, m := range msgs {
					out = AppendDeflatedFrame(out[:0], OpText, m, c)
					fs := serverFrames(t, out, OpText)
					if len(fs) != 1 {
						t.Fatalf("message %d: %d frames", i, len(fs))
					}
					f := fs[0]
					if !f.Header.Rsv1() {
						if takeover {
							t.Fatalf("message %d: not compressed with context takeover", i)
						}
						if !bytes.Equal(f.Payload, m) {
							t.Fatalf("message %d: uncompressed payload differs", i)
						}
						continue
					}
					if takeover {
						stream.Write(f.Payload)
						stream.Write(syncTail[:])
						continue
					}
					got, err := io.ReadAll(stdflate.NewReader(io.MultiReader(bytes.NewReader(f.Payload), bytes.NewReader(syncTail[:]))))
					if err != io.ErrUnexpectedEOF && err != nil || !bytes.Equal(got, m) {
						t.Fatalf("message %d: inflated %d bytes, err %v", i, len(got), err)
					}
				}
				if takeover {
					zr := stdflate.NewReader(&stream)
					for i, m := range msgs {
						got := make([]byte, len(m))
						if _, err := io.ReadFull(zr, got); err != nil || !bytes.Equal(got, m) {
							t.Fatalf("message %d of the stream differs: %v", i, err)
						}
					}
				}
			})
		}
	}
}

// TestCompressorWindow checks that a small server_max_window_bits is obeyed:
// data that repeats only from 1 KiB back cannot be compressed in a 256-byte
// window, and can in a full one.
func TestCompressorWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	block := make([]byte, 1024)
	for i := range block {
		block[i] = byte(rng.UintN(256))
	}
	data := bytes.Repeat(block, 16)
	tests := []struct {
		name     string
		bits     int
		maxRatio float64 // compressed/original at most
		minRatio float64 // and at least
	}{
		{name: "full window finds the repeats", bits: 15, maxRatio: 0.15},
		{name: "256-byte window cannot", bits: 8, minRatio: 0.9, maxRatio: 1.1},
		{name: "512-byte window cannot", bits: 9, minRatio: 0.9, maxRatio: 1.1},
		{name: "2 KiB window can", bits: 11, maxRatio: 0.15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCompressor(&DeflateParams{ServerNoContextTakeover: false, ServerMaxWindowBits: tt.bits})
			defer c.Release()
			f := serverFrames(t, AppendDeflatedFrame(nil, OpBinary, data, c), OpBinary)[0]
			ratio := float64(len(f.Payload)) / float64(len(data))
			if ratio > tt.maxRatio || ratio < tt.minRatio {
				t.Fatalf("ratio %.3f, want %.2f..%.2f", ratio, tt.minRatio, tt.maxRatio)
			}
		})
	}
}

// TestCompressorNil checks that a nil Compressor is a stateless one, that a
// stateless one is safe for concurrent use, and that tiny messages go out
// uncompressed.
func TestCompressorNil(t *testing.T) {
	msg := bytes.Repeat([]byte("shared broadcast "), 100)
	want := AppendDeflatedFrame(nil, OpText, msg, NewCompressor(nil))
	if !bytes.Equal(AppendDeflatedFrame(nil, OpText, msg, nil), want) {
		t.Fatal("nil Compressor differs from NewCompressor(nil)")
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if got := AppendDeflatedFrame(nil, OpText, msg, nil); !bytes.Equal(got, want) {
					t.Error("concurrent stateless compression differs")
					return
				}
			}
		})
	}
	wg.Wait()
	if f := AppendDeflatedFrame(nil, OpText, []byte("hi"), nil); f[0]&bitRsv1 != 0 || !bytes.Equal(f, AppendFrame(nil, OpText, false, []byte("hi"))) {
		t.Fatalf("tiny message compressed: %x", f)
	}
	var nilC *Compressor
	nilC.Release()
}

// TestGorillaInterop runs a gorilla/websocket client with compression
// against a Reader and a Compressor over an in-memory pipe: gorilla's
// compressed messages must decode, and our compressed echoes must decode in
// gorilla.
func TestGorillaInterop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	clientConn, serverConn := net.Pipe()
	defer clientConn.Close()
	serverErr := make(chan error, 1)
	go func() { serverErr <- echoServer(serverConn) }()

	d := websocket.Dialer{
		NetDialContext:    func(context.Context, string, string) (net.Conn, error) { return clientConn, nil },
		EnableCompression: true,
	}
	conn, resp, err := d.DialContext(ctx, "ws://gateway.test/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != "permessage-deflate; server_no_context_takeover; client_no_context_takeover" {
		t.Fatalf("extension response %q", got)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	for i, m := range deflateMessages() {
		typ := websocket.TextMessage
		if i%4 == 3 {
			typ = websocket.BinaryMessage
		}
		conn.EnableWriteCompression(i%5 != 4) // some messages uncompressed
		if err := conn.WriteMessage(typ, m); err != nil {
			t.Fatalf("message %d (%d bytes): %v; server: %v", i, len(m), err, <-serverErr)
		}
		gotTyp, got, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if gotTyp != typ || !bytes.Equal(got, m) {
			t.Fatalf("message %d: echo differs", i)
		}
	}
	conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "done"))
	if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, 1000) {
		t.Fatalf("close: %v", err)
	}
	if err := <-serverErr; err != nil {
		t.Fatal(err)
	}
}

// echoServer is the server side of TestGorillaInterop: a minimal RFC 6455
// handshake, then Feed and echo every message compressed.
func echoServer(conn net.Conn) error {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	if err != nil {
		return err
	}
	var offers [][]byte
	for _, v := range req.Header.Values("Sec-WebSocket-Extensions") {
		offers = append(offers, []byte(v))
	}
	ext, params, ok := Negotiate(nil, offers, DefaultDeflatePolicy)
	if !ok {
		return fmt.Errorf("no deflate offer in %q", offers)
	}
	sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	fmt.Fprintf(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nSec-WebSocket-Extensions: %s\r\n\r\n",
		base64.StdEncoding.EncodeToString(sum[:]), ext)

	var r Reader
	r.Init(&Config{Deflate: &params})
	defer r.Release()
	h := &echoHandler{c: NewCompressor(&params)}
	var pending []byte
	buf := make([]byte, 4096)
	for !h.closed {
		n, err := br.Read(buf)
		if err != nil {
			return err
		}
		pending = append(pending, buf[:n]...)
		used, err := r.Feed(pending, h)
		if err != nil {
			return err
		}
		pending = pending[used:]
		if len(h.out) == 0 {
			continue // a pipe blocks even on an empty write
		}
		if _, err := conn.Write(h.out); err != nil {
			return err
		}
		h.out = h.out[:0]
	}
	return nil
}

type echoHandler struct {
	c      *Compressor
	out    []byte
	closed bool
}

func (h *echoHandler) OnMessage(op OpCode, p []byte) error {
	h.out = AppendDeflatedFrame(h.out, op, p, h.c)
	return nil
}
func (h *echoHandler) OnPing(p []byte) error {
	h.out = AppendFrame(h.out, OpPong, false, p)
	return nil
}
func (h *echoHandler) OnPong([]byte) error { return nil }
func (h *echoHandler) OnClose(code uint16, _ []byte) error {
	h.out, h.closed = AppendClose(h.out, code, ""), true
	return nil
}

// BenchmarkCodecMemory reports, as B/op, the memory of the flate state the
// package holds: a decoder (borrowed by a Reader while it inflates) and a
// writer per window size (held per connection by a Compressor with context
// takeover, borrowed per message otherwise).
func BenchmarkCodecMemory(b *testing.B) {
	b.Run("inflater", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			inflaters.New()
		}
	})
	msg := telemetry(4096)
	sink := make([]byte, 0, 8192)
	for _, bits := range []int{8, 12, 15} {
		b.Run(fmt.Sprintf("deflater/bits=%d", bits), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d := newDeflater(bits)
				// Count the writer's lazily allocated state too.
				d.sink.b = sink[:0]
				d.w.Write(msg)
				d.w.Flush()
			}
		})
	}
}
