package wsproto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wsgate/wsgate/internal/wstest"
)

// testMask is the masking key of every client frame the tests build; it is
// not symmetric so that a wrong key rotation shows.
var testMask = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// frameOpt changes how clientFrame encodes a frame.
type frameOpt func(*wstest.Header)

func rsv(bits byte) frameOpt    { return func(h *wstest.Header) { h.Rsv |= bits } }
func unmasked() frameOpt        { return func(h *wstest.Header) { h.Masked = false } }
func lenForm(bits int) frameOpt { return func(h *wstest.Header) { h.LenForm = bits } }

// clientFrame encodes one masked client frame (RFC 6455 §5.2) with the shared test client,
// which is written independently of this package.
func clientFrame(fin bool, op OpCode, payload []byte, opts ...frameOpt) []byte {
	h := wstest.Header{Fin: fin, Op: byte(op), Masked: true, Mask: testMask}
	for _, o := range opts {
		o(&h)
	}
	return wstest.AppendRaw(nil, h, payload)
}

// frames concatenates encoded frames.
func frames(fs ...[]byte) []byte {
	var out []byte
	for _, f := range fs {
		out = append(out, f...)
	}
	return out
}

func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// recorder is a Handler that writes down what it gets.
type recorder struct {
	events []string
	failOn string // an event prefix whose arrival makes the handler fail
}

var errHandler = errors.New("handler says stop")

func (r *recorder) add(ev string) error {
	r.events = append(r.events, ev)
	if r.failOn != "" && strings.HasPrefix(ev, r.failOn) {
		return errHandler
	}
	return nil
}

func (r *recorder) OnMessage(op OpCode, p []byte) error {
	return r.add(r.eventFor(op, p))
}

func (r *recorder) eventFor(op OpCode, p []byte) string {
	if op == OpText {
		return fmt.Sprintf("text %q", p)
	}
	return fmt.Sprintf("binary %x", p)
}
func (r *recorder) OnPing(p []byte) error { return r.add(fmt.Sprintf("ping %q", p)) }
func (r *recorder) OnPong(p []byte) error { return r.add(fmt.Sprintf("pong %q", p)) }
func (r *recorder) OnClose(code uint16, reason []byte) error {
	return r.add(fmt.Sprintf("close %d %q", code, reason))
}

// outcome is what feeding a stream produced.
type outcome struct {
	events   []string
	err      error
	consumed int // bytes consumed in total
}

func (o outcome) String() string {
	return fmt.Sprintf("events=%q err=%v consumed=%d", o.events, o.err, o.consumed)
}

// feedChunks feeds input to a fresh Reader in the chunks given by cuts (the
// offsets where a new chunk starts), the way the engine does: unconsumed
// bytes stay in front of the next chunk. It checks that Feed never modifies
// the bytes it does not consume.
func feedChunks(t testing.TB, cfg *Config, input []byte, cuts []int, h recordingHandler) outcome {
	var r Reader
	r.Init(cfg)
	defer r.Release()
	var (
		pending []byte // unconsumed bytes followed by the chunk
		base    int    // offset in input of pending[0]
		o       outcome
	)
	prev := 0
	cuts = append(cuts, len(input))
	for _, cut := range cuts {
		if cut < prev {
			continue
		}
		pending = append(pending, input[prev:cut]...)
		prev = cut
		buf := append([]byte(nil), pending...) // Feed unmasks in place: keep pending intact
		n, err := r.Feed(buf, h)
		if n < 0 || n > len(buf) {
			t.Fatalf("Feed consumed %d of %d bytes", n, len(buf))
		}
		if err == nil && string(buf[n:]) != string(input[base+n:base+len(buf)]) {
			t.Fatalf("Feed modified bytes it did not consume")
		}
		o.consumed += n
		base += n
		pending = pending[n:]
		if err != nil {
			o.err = err
			break
		}
		if ev := h.recorded(); len(ev) > 0 && strings.HasPrefix(ev[len(ev)-1], "close ") {
			break // the caller stops reading after a close frame
		}
	}
	o.events = h.recorded()
	return o
}

// recordingHandler is a Handler that can tell what it got.
type recordingHandler interface {
	Handler
	recorded() []string
}

func (r *recorder) recorded() []string { return r.events }

// everySplit returns the chunkings every test case runs under: whole, one
// byte at a time, and cut in two at every offset.
func everySplit(n int) [][]int {
	out := [][]int{nil}
	if n > 1 {
		one := make([]int, 0, n)
		for i := 1; i < n; i++ {
			one = append(one, i)
		}
		out = append(out, one)
	}
	for i := 1; i < n; i++ {
		out = append(out, []int{i})
	}
	return out
}

// closeCode is the close code of err, 0 for nil, -1 for another error.
func closeCode(err error) int {
	if err == nil {
		return 0
	}
	var ce *CloseError
	if errors.As(err, &ce) {
		return int(ce.Code)
	}
	return -1
}

func sizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%dKiB", n/1024)
	}
	return fmt.Sprintf("%dB", n)
}
