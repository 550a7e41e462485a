package tlsconn

import (
	"bytes"
	"crypto/tls"
	"reflect"
	"unsafe"
)

// keepBuffer is the capacity up to which the Feed that completes the
// handshake keeps crypto/tls's empty read buffers: records of a chatty
// WebSocket connection fit, while the ~2 KiB the ClientHello left behind are
// given back.
const keepBuffer = 1024

// connBuffers locates the three read buffers inside crypto/tls.Conn:
// rawInput (ciphertext, grown to the largest record received, 2 KiB after
// the ClientHello alone), input (a reader over the last record's plaintext,
// which keeps rawInput's array reachable), and hand (handshake messages,
// grown to the ClientHello's size, 1.5 KiB with a post-quantum key share).
// crypto/tls never shrinks them, which makes them more than half of an idle
// TLS 1.3 session's memory (see TestIdleSessionMemory).
//
// Resetting them goes around crypto/tls's API, so it is done only where it
// is plainly safe: when all three are empty, setting them to their zero
// value restores exactly the state tls.Server created them in, and Go's
// garbage collector keeps any memory still referenced elsewhere alive. The
// offsets are looked up by name and type once; if a Go release renames or
// retypes a field, trimming switches itself off (a test reports it) and
// sessions just keep their buffers, as with plain crypto/tls.
var connBuffers = func() (offs struct {
	ok                    bool
	rawInput, input, hand uintptr
}) {
	t := reflect.TypeFor[tls.Conn]()
	field := func(name string, typ reflect.Type) (uintptr, bool) {
		f, ok := t.FieldByName(name)
		return f.Offset, ok && f.Type == typ && len(f.Index) == 1
	}
	var ok1, ok2, ok3 bool
	offs.rawInput, ok1 = field("rawInput", reflect.TypeFor[bytes.Buffer]())
	offs.input, ok2 = field("input", reflect.TypeFor[bytes.Reader]())
	offs.hand, ok3 = field("hand", reflect.TypeFor[bytes.Buffer]())
	offs.ok = ok1 && ok2 && ok3
	return offs
}()

// Shrink gives back the read buffers crypto/tls keeps between records when
// they are empty: up to 2 KiB after small records, 16 to 34 KiB after large
// ones. Call it for connections that have gone quiet (from the engine's
// ping timer, say); the next record allocates what it needs again, so
// calling it on busy connections only adds allocations. It must be called
// on the goroutine that calls Feed, not from within a Feed, and does
// nothing before the handshake has completed or after Release.
func (s *Session) Shrink() {
	if s.established && s.conn != nil {
		s.trimBuffers(0)
	}
}

// trimBuffers drops crypto/tls's read buffers when they hold nothing and
// are larger than keep bytes. It must only run once the handshake is over
// and crypto/tls has returned: a parked handshake is in the middle of
// filling rawInput.
func (s *Session) trimBuffers(keep int) {
	if !connBuffers.ok {
		return
	}
	base := unsafe.Pointer(s.conn)
	raw := (*bytes.Buffer)(unsafe.Add(base, connBuffers.rawInput))
	input := (*bytes.Reader)(unsafe.Add(base, connBuffers.input))
	hand := (*bytes.Buffer)(unsafe.Add(base, connBuffers.hand))
	if raw.Len() != 0 || input.Len() != 0 || hand.Len() != 0 {
		return
	}
	if raw.Cap() > keep {
		*raw = bytes.Buffer{}
		*input = bytes.Reader{}
	}
	if hand.Cap() > keep {
		*hand = bytes.Buffer{}
	}
}
