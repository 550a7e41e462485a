package wsproto

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// readerCase is one client byte stream and what the Reader must make of it.
type readerCase struct {
	name   string
	cfg    *Config // nil: defaults
	input  []byte
	events []string
	err    error // nil, a *CloseError of this package, or errHandler
	failOn string
}

var (
	hello   = []byte("Hello")
	kosme   = []byte("κόσμε") // 2-byte sequences
	ping125 = bytes.Repeat([]byte("p"), 125)
	ping126 = bytes.Repeat([]byte("p"), 126)
	bin300  = bytes.Repeat([]byte{0xab}, 300)
	small   = &Config{MaxMessageSize: 16}
)

func closeCase(name string, payload []byte, ev string, err error) readerCase {
	in := clientFrame(true, OpClose, payload)
	var events []string
	if ev != "" {
		events = []string{ev}
	}
	return readerCase{name: name, input: in, events: events, err: err}
}

func readerCases() []readerCase {
	cases := []readerCase{
		// Messages.
		{name: "text", input: clientFrame(true, OpText, hello), events: []string{`text "Hello"`}},
		{name: "binary", input: clientFrame(true, OpBinary, bin300), events: []string{"binary " + fmt.Sprintf("%x", bin300)}},
		{name: "empty text", input: clientFrame(true, OpText, nil), events: []string{`text ""`}},
		{name: "text 16-bit length", input: clientFrame(true, OpText, bytes.Repeat([]byte("a"), 200)), events: []string{fmt.Sprintf("text %q", strings.Repeat("a", 200))}},
		{name: "text 64-bit length", input: clientFrame(true, OpText, bytes.Repeat([]byte("b"), 70000)), events: []string{fmt.Sprintf("text %q", strings.Repeat("b", 70000))}},
		{name: "non-minimal 16-bit length", input: clientFrame(true, OpText, hello, lenForm(16)), events: []string{`text "Hello"`}},
		{name: "non-minimal 64-bit length", input: clientFrame(true, OpText, hello, lenForm(64)), events: []string{`text "Hello"`}},
		{name: "many frames in one buffer", input: frames(
			clientFrame(true, OpText, hello),
			clientFrame(true, OpPing, []byte("p1")),
			clientFrame(true, OpBinary, []byte{1, 2, 3}),
			clientFrame(true, OpPong, nil),
			clientFrame(true, OpText, kosme),
		), events: []string{`text "Hello"`, `ping "p1"`, "binary 010203", `pong ""`, fmt.Sprintf("text %q", kosme)}},
		{name: "fragmented text", input: frames(
			clientFrame(false, OpText, []byte("Hel")),
			clientFrame(false, OpContinuation, nil),
			clientFrame(false, OpContinuation, []byte("l")),
			clientFrame(true, OpContinuation, []byte("o")),
		), events: []string{`text "Hello"`}},
		{name: "fragmented binary then text", input: frames(
			clientFrame(false, OpBinary, []byte{1}),
			clientFrame(true, OpContinuation, []byte{2}),
			clientFrame(true, OpText, hello),
		), events: []string{"binary 0102", `text "Hello"`}},
		{name: "empty fragments", input: frames(
			clientFrame(false, OpText, nil),
			clientFrame(true, OpContinuation, nil),
		), events: []string{`text ""`}},
		{name: "ping inside fragmented message answered at once", input: frames(
			clientFrame(false, OpText, []byte("Hel")),
			clientFrame(true, OpPing, []byte("now")),
			clientFrame(true, OpPong, []byte("pong")),
			clientFrame(true, OpContinuation, []byte("lo")),
		), events: []string{`ping "now"`, `pong "pong"`, `text "Hello"`}},
		{name: "ping 125 bytes", input: clientFrame(true, OpPing, ping125), events: []string{fmt.Sprintf("ping %q", ping125)}},
		{name: "partial header left", input: frames(clientFrame(true, OpText, hello), []byte{0x81}), events: []string{`text "Hello"`}},
		{name: "partial control frame left", input: frames(clientFrame(true, OpText, hello), clientFrame(true, OpPing, hello)[:9]), events: []string{`text "Hello"`}},
		{name: "UTF-8 sequence split across fragments", input: frames(
			clientFrame(false, OpText, kosme[:1]),
			clientFrame(false, OpContinuation, kosme[1:4]),
			clientFrame(true, OpContinuation, kosme[4:]),
		), events: []string{fmt.Sprintf("text %q", kosme)}},
		{name: "4-byte UTF-8 split", input: frames(
			clientFrame(false, OpText, []byte("\xf0\x90")),
			clientFrame(true, OpContinuation, []byte("\x80\x80")),
		), events: []string{`text "𐀀"`}},
		{name: "invalid UTF-8 in binary is fine", input: clientFrame(true, OpBinary, []byte{0xff}), events: []string{"binary ff"}},

		// Size limit (RFC 6455 §10.4), decided from headers.
		{name: "message at the limit", cfg: small, input: clientFrame(true, OpText, bytes.Repeat([]byte("x"), 16)), events: []string{fmt.Sprintf("text %q", strings.Repeat("x", 16))}},
		{name: "message over the limit", cfg: small, input: clientFrame(true, OpText, bytes.Repeat([]byte("x"), 17)), err: ErrMessageTooBig},
		{name: "over the limit from the header alone", cfg: small, input: clientFrame(true, OpBinary, bytes.Repeat([]byte("x"), 1000))[:8], err: ErrMessageTooBig},
		{name: "huge declared length", input: frames([]byte{0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, testMask[:]), err: ErrMessageTooBig},
		{name: "fragments over the limit", cfg: small, input: frames(
			clientFrame(false, OpText, bytes.Repeat([]byte("x"), 10)),
			clientFrame(true, OpContinuation, bytes.Repeat([]byte("x"), 7)),
		), err: ErrMessageTooBig},
		{name: "fragments at the limit", cfg: small, input: frames(
			clientFrame(false, OpText, bytes.Repeat([]byte("x"), 10)),
			clientFrame(true, OpContinuation, bytes.Repeat([]byte("x"), 6)),
		), events: []string{fmt.Sprintf("text %q", strings.Repeat("x", 16))}},
		{name: "control frames do not count", cfg: small, input: frames(
			clientFrame(false, OpText, bytes.Repeat([]byte("x"), 10)),
			clientFrame(true, OpPing, bytes.Repeat([]byte("y"), 100)),
			clientFrame(true, OpContinuation, bytes.Repeat([]byte("x"), 6)),
		), events: []string{fmt.Sprintf("ping %q", strings.Repeat("y", 100)), fmt.Sprintf("text %q", strings.Repeat("x", 16))}},

		// Framing violations (RFC 6455 §5): 1002.
		{name: "unmasked frame", input: clientFrame(true, OpText, hello, unmasked()), err: ErrUnmaskedFrame},
		{name: "unmasked after a good frame", input: frames(clientFrame(true, OpText, hello), clientFrame(true, OpPing, nil, unmasked())), events: []string{`text "Hello"`}, err: ErrUnmaskedFrame},
		{name: "RSV1 without deflate", input: clientFrame(true, OpText, hello, rsv(4)), err: ErrReservedBits},
		{name: "RSV2", input: clientFrame(true, OpText, hello, rsv(2)), err: ErrReservedBits},
		{name: "RSV3", input: clientFrame(true, OpText, hello, rsv(1)), err: ErrReservedBits},
		{name: "RSV on ping", input: clientFrame(true, OpPing, nil, rsv(7)), err: ErrReservedBits},
		{name: "64-bit length MSB", input: frames([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1}, testMask[:]), err: ErrLengthMSB},
		{name: "continuation without message", input: clientFrame(true, OpContinuation, hello), err: ErrUnexpectedContinuation},
		{name: "continuation after complete message", input: frames(clientFrame(true, OpText, hello), clientFrame(true, OpContinuation, hello)), events: []string{`text "Hello"`}, err: ErrUnexpectedContinuation},
		{name: "text inside fragmented message", input: frames(clientFrame(false, OpText, hello), clientFrame(true, OpText, hello)), err: ErrInterleavedMessage},
		{name: "binary inside fragmented message", input: frames(clientFrame(false, OpBinary, hello), clientFrame(false, OpBinary, hello)), err: ErrInterleavedMessage},
		{name: "ping over 125 bytes", input: clientFrame(true, OpPing, ping126), err: ErrControlTooLong},
		{name: "pong over 125 bytes", input: clientFrame(true, OpPong, ping126), err: ErrControlTooLong},
		{name: "close over 125 bytes", input: clientFrame(true, OpClose, append(closePayload(1000, ""), ping125...)), err: ErrControlTooLong},
		{name: "control with non-minimal 16-bit length", input: clientFrame(true, OpPing, hello, lenForm(16)), events: []string{`ping "Hello"`}},
		{name: "control with 64-bit length over 125", input: clientFrame(true, OpPong, ping126, lenForm(64)), err: ErrControlTooLong},
		{name: "fragmented ping", input: clientFrame(false, OpPing, hello), err: ErrControlFragmented},
		{name: "fragmented close", input: clientFrame(false, OpClose, nil), err: ErrControlFragmented},
		{name: "fragmented pong inside message", input: frames(clientFrame(false, OpText, hello), clientFrame(false, OpPong, nil)), err: ErrControlFragmented},

		// UTF-8 (RFC 6455 §8.1): 1007.
		{name: "invalid UTF-8 single frame", input: clientFrame(true, OpText, []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64")), err: ErrInvalidUTF8},
		{name: "invalid UTF-8 in second fragment", input: frames(
			clientFrame(false, OpText, kosme),
			clientFrame(false, OpContinuation, []byte("\xf4\x90\x80\x80")),
			clientFrame(true, OpContinuation, hello),
		), err: ErrInvalidUTF8},
		{name: "invalid UTF-8 fails before the message ends", input: frames(
			clientFrame(false, OpText, []byte("ok\xc0")),
		), err: ErrInvalidUTF8},
		{name: "incomplete UTF-8 at message end", input: clientFrame(true, OpText, []byte("ab\xe2\x82")), err: ErrInvalidUTF8},
		{name: "incomplete UTF-8 at end of fragments", input: frames(
			clientFrame(false, OpText, []byte("ab")),
			clientFrame(true, OpContinuation, []byte("\xf0\x9f\x98")),
		), err: ErrInvalidUTF8},
		{name: "surrogate", input: clientFrame(true, OpText, []byte("\xed\xa0\x80")), err: ErrInvalidUTF8},
		{name: "overlong", input: clientFrame(true, OpText, []byte("\xc0\xaf")), err: ErrInvalidUTF8},
		{name: "past U+10FFFF", input: clientFrame(true, OpText, []byte("\xf4\x90\x80\x80")), err: ErrInvalidUTF8},

		// Close frames (RFC 6455 §5.5.1, §7.4).
		closeCase("close without payload", nil, `close 1005 ""`, nil),
		closeCase("close with code", closePayload(1000, ""), `close 1000 ""`, nil),
		closeCase("close with reason", closePayload(1001, "bye κ"), `close 1001 "bye κ"`, nil),
		closeCase("close with 1-byte payload", []byte{0x03}, "", ErrCloseLength),
		closeCase("close with invalid UTF-8 reason", closePayload(1000, "\xce\xba\xe1\xbd\xb9\xed\xa0\x80"), "", ErrCloseReason),
		closeCase("close with 123-byte reason", closePayload(1000, strings.Repeat("r", 123)), fmt.Sprintf("close 1000 %q", strings.Repeat("r", 123)), nil),
		{name: "nothing after close is consumed", input: frames(clientFrame(true, OpClose, closePayload(1000, "")), clientFrame(true, OpText, hello), []byte{0xff}), events: []string{`close 1000 ""`}},
		{name: "close inside fragmented message", input: frames(clientFrame(false, OpText, hello), clientFrame(true, OpClose, nil)), events: []string{`close 1005 ""`}},

		// Handler errors stop Feed.
		{name: "handler error on message", failOn: "text", input: frames(clientFrame(true, OpText, hello), clientFrame(true, OpText, hello)), events: []string{`text "Hello"`}, err: errHandler},
		{name: "handler error on ping", failOn: "ping", input: frames(clientFrame(true, OpPing, nil), clientFrame(true, OpText, hello)), events: []string{`ping ""`}, err: errHandler},
		{name: "handler error on fragmented message", failOn: "text", input: frames(clientFrame(false, OpText, hello), clientFrame(true, OpContinuation, hello), clientFrame(true, OpPing, nil)), events: []string{`text "HelloHello"`}, err: errHandler},
	}
	// Reserved opcodes (§5.2), alone and inside a fragmented message.
	for _, op := range []OpCode{3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf} {
		cases = append(cases,
			readerCase{name: fmt.Sprintf("reserved opcode %#x", op), input: clientFrame(true, op, nil), err: ErrReservedOpcode},
			readerCase{name: fmt.Sprintf("reserved opcode %#x in message", op), input: frames(clientFrame(false, OpText, hello), clientFrame(true, op, hello)), err: ErrReservedOpcode},
		)
	}
	// Close codes: Autobahn 7.7.x valid ones, IANA's 1012-1014, and the
	// 7.9.x/7.13.x invalid ones.
	for _, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		cases = append(cases, closeCase(fmt.Sprintf("valid close code %d", code), closePayload(code, "r"), fmt.Sprintf(`close %d "r"`, code), nil))
	}
	for _, code := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		cases = append(cases, closeCase(fmt.Sprintf("invalid close code %d", code), closePayload(code, ""), "", ErrCloseCode))
	}
	return cases
}

func (c readerCase) run(t testing.TB, cuts []int) outcome {
	return feedChunks(t, c.cfg, c.input, cuts, &recorder{failOn: c.failOn})
}

// TestReader runs every case whole, one byte at a time and split in two at
// every offset, and requires the same events and the same error each time.
func TestReader(t *testing.T) {
	for _, c := range readerCases() {
		t.Run(c.name, func(t *testing.T) {
			whole := c.run(t, nil)
			if !slices.Equal(whole.events, c.events) || !errors.Is(whole.err, c.err) {
				t.Fatalf("got %v\nwant events=%q err=%v", whole, c.events, c.err)
			}
			if c.err != nil && closeCode(whole.err) != closeCode(c.err) {
				t.Fatalf("close code %d, want %d", closeCode(whole.err), closeCode(c.err))
			}
			splits := everySplit(len(c.input))
			if len(c.input) > 4096 { // keep the big cases quick
				splits = splits[:2]
			}
			for _, cuts := range splits {
				got := c.run(t, cuts)
				if !slices.Equal(got.events, whole.events) || got.err != whole.err ||
					(whole.err == nil && got.consumed != whole.consumed) {
					t.Fatalf("cut at %v:\n got %v\nwhole %v", cuts[:min(len(cuts), 3)], got, whole)
				}
			}
		})
	}
}

// zeroCopyHandler checks where the payload it gets lives.
type zeroCopyHandler struct {
	recorder
	in      []byte
	inInput bool
}

func (h *zeroCopyHandler) OnMessage(op OpCode, p []byte) error {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(h.in)))
	at := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
	h.inInput = at >= start && at < start+uintptr(len(h.in))
	return h.recorder.OnMessage(op, p)
}

func TestReaderZeroCopy(t *testing.T) {
	tests := []struct {
		name   string
		input  []byte
		inline bool
	}{
		{name: "single frame", input: clientFrame(true, OpText, hello), inline: true},
		{name: "single frame after others", input: frames(clientFrame(true, OpPing, nil), clientFrame(true, OpBinary, bin300)), inline: true},
		{name: "fragmented", input: frames(clientFrame(false, OpText, hello), clientFrame(true, OpContinuation, hello)), inline: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Reader
			r.Init(nil)
			h := &zeroCopyHandler{in: tt.input}
			n, err := r.Feed(tt.input, h)
			if err != nil || n != len(tt.input) {
				t.Fatalf("Feed = %d, %v", n, err)
			}
			if h.inInput != tt.inline {
				t.Fatalf("payload in the input buffer: %v, want %v", h.inInput, tt.inline)
			}
		})
	}
}

// TestReaderFailFast feeds a text frame whose bad byte arrives long before
// the frame ends: the Reader must fail on the chunk that carries it.
func TestReaderFailFast(t *testing.T) {
	payload := append([]byte("valid κόσμε "), 0xff)
	payload = append(payload, bytes.Repeat([]byte("x"), 1000)...)
	tests := []struct {
		name  string
		input []byte
	}{
		{name: "single frame", input: clientFrame(true, OpText, payload)},
		{name: "second fragment", input: frames(clientFrame(false, OpText, hello), clientFrame(true, OpContinuation, payload))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := bytes.IndexByte(tt.input, 0xff^testMask[(len("valid κόσμε "))%4])
			// Everything up to the bad byte: no error.
			var r Reader
			r.Init(nil)
			in := append([]byte(nil), tt.input...)
			n, err := r.Feed(in[:bad], &recorder{})
			if err != nil || n != bad {
				t.Fatalf("before the bad byte: Feed = %d, %v", n, err)
			}
			// The bad byte alone: 1007 at once, 1000 bytes before the frame ends.
			if _, err := r.Feed(in[bad:bad+1], &recorder{}); err != ErrInvalidUTF8 {
				t.Fatalf("bad byte: err = %v, want %v", err, ErrInvalidUTF8)
			}
			if _, err := r.Feed(in[bad+1:], &recorder{}); err != ErrClosed {
				t.Fatalf("after the error: err = %v, want ErrClosed", err)
			}
		})
	}
}

// TestReaderBuffers checks that the message buffer is held only while a
// message is in progress.
func TestReaderBuffers(t *testing.T) {
	var r Reader
	r.Init(nil)
	defer r.Release()
	h := &recorder{}
	in := frames(clientFrame(false, OpText, hello), clientFrame(true, OpContinuation, hello))
	split := len(clientFrame(false, OpText, hello))
	if _, err := r.Feed(in[:split], h); err != nil {
		t.Fatal(err)
	}
	if r.msg == nil {
		t.Fatal("no buffer while a fragmented message is in progress")
	}
	if _, err := r.Feed(in[split:], h); err != nil {
		t.Fatal(err)
	}
	if r.msg != nil {
		t.Fatal("buffer still held after the message completed")
	}
	if size := unsafe.Sizeof(r); size > 56 {
		t.Fatalf("Reader is %d bytes", size)
	}
}

func TestReaderNotReady(t *testing.T) {
	var r Reader
	if _, err := r.Feed(clientFrame(true, OpText, hello), &recorder{}); err != ErrClosed {
		t.Fatalf("Feed before Init: err = %v, want ErrClosed", err)
	}
	r.Init(nil)
	r.Release()
	if _, err := r.Feed(clientFrame(true, OpText, hello), &recorder{}); err != ErrClosed {
		t.Fatalf("Feed after Release: err = %v, want ErrClosed", err)
	}
}
