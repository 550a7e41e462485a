package wsproto

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

// The client side of a connection: masked frames out (AppendMaskedFrame), a server's
// unmasked frames in (Config.Client).

func TestAppendMaskedFrameReadByServer(t *testing.T) {
	key := [4]byte{0x11, 0x22, 0x33, 0x44}
	for _, n := range []int{0, 1, 125, 126, 0xffff, 0x10000} {
		t.Run(sizeName(n), func(t *testing.T) {
			payload := bytes.Repeat([]byte("abcdefgh"), n/8+1)[:n]
			frame := AppendMaskedFrame(nil, OpBinary, payload, key)
			if len(frame) != MaskedFrameSize(n) {
				t.Fatalf("frame is %d bytes, MaskedFrameSize says %d", len(frame), MaskedFrameSize(n))
			}
			// gobwas/ws as the oracle: header fields and the unmasked payload.
			hdr, err := ws.ReadHeader(bytes.NewReader(frame))
			if err != nil {
				t.Fatal(err)
			}
			if !hdr.Masked || hdr.Mask != key || hdr.Length != int64(n) || !hdr.Fin || hdr.OpCode != ws.OpBinary {
				t.Fatalf("header %+v", hdr)
			}
			// And our server Reader, which insists on masking.
			rec := &recorder{}
			o := feedChunks(t, nil, frame, nil, rec)
			want := fmt.Sprintf("binary %x", payload)
			if o.err != nil || len(o.events) != 1 || o.events[0] != want {
				t.Fatalf("server read %v", o)
			}
		})
	}
}

func TestAppendMaskedClose(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	tests := []struct {
		name   string
		code   uint16
		reason string
		want   string
	}{
		{name: "code and reason", code: 4000, reason: "bye", want: `close 4000 "bye"`},
		{name: "empty", code: 0, want: `close 1005 ""`},
		{name: "long reason cut", code: 1000, reason: strings.Repeat("x", 200), want: fmt.Sprintf("close 1000 %q", strings.Repeat("x", 123))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			o := feedChunks(t, nil, AppendMaskedClose(nil, tt.code, tt.reason, key), nil, rec)
			if o.err != nil || len(o.events) != 1 || o.events[0] != tt.want {
				t.Fatalf("got %v, want %s", o, tt.want)
			}
		})
	}
}

func TestClientReader(t *testing.T) {
	client := &Config{Client: true}
	tests := []struct {
		name  string
		input []byte
		want  []string
		err   error
	}{
		{
			name:  "server frames",
			input: frames(AppendFrame(nil, OpText, false, []byte("hi")), AppendFrame(nil, OpPing, false, []byte("p")), AppendClose(nil, 1000, "done")),
			want:  []string{`text "hi"`, `ping "p"`, `close 1000 "done"`},
		},
		{
			name:  "masked server frame",
			input: AppendMaskedFrame(nil, OpText, []byte("hi"), [4]byte{1, 2, 3, 4}),
			err:   ErrMaskedFrame,
		},
		{
			name:  "fragmented",
			input: frames(clientFrame(false, OpBinary, []byte{1, 2}, unmasked()), clientFrame(true, OpContinuation, []byte{3}, unmasked())),
			want:  []string{"binary 010203"},
		},
	}
	for _, tt := range tests {
		for _, cuts := range everySplit(len(tt.input)) {
			t.Run(tt.name, func(t *testing.T) {
				o := feedChunks(t, client, tt.input, cuts, &recorder{})
				if !errors.Is(o.err, tt.err) || fmt.Sprint(o.events) != fmt.Sprint(tt.want) {
					t.Fatalf("cuts %v: got %v, want %q err %v", cuts, o, tt.want, tt.err)
				}
			})
		}
	}
}

func TestClientReaderInflatesServerMessages(t *testing.T) {
	// The server compresses without context takeover; the client reads with the
	// server's parameters.
	params := &DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true}
	cfg := &Config{Client: true, Deflate: params}
	msg := bytes.Repeat([]byte("compressible text "), 100)
	input := frames(
		AppendDeflatedFrame(nil, OpText, msg, NewCompressor(params)),
		AppendDeflatedFrame(nil, OpText, msg, NewCompressor(params)),
	)
	if input[0]&bitRsv1 == 0 {
		t.Fatal("the test message was not compressed")
	}
	o := feedChunks(t, cfg, input, nil, &recorder{})
	want := fmt.Sprintf("text %q", msg)
	if o.err != nil || len(o.events) != 2 || o.events[0] != want || o.events[1] != want {
		t.Fatalf("got %v", o)
	}
}
