package tlsconn

import (
	"bytes"
	"crypto/tls"
	"reflect"
	"unsafe"
)

// maxCiphertext is the longest record body crypto/tls accepts (TLS 1.2's
// 2^14 + 2048). A header announcing more is an error crypto/tls reports
// without waiting for the body.
const maxCiphertext = 1<<14 + 2048

// keepBuffer is the capacity up to which the Feed that completes the
// handshake keeps crypto/tls's empty read buffers: records of a chatty
// WebSocket connection fit, while the ~2 KiB the ClientHello left behind are
// given back.
const keepBuffer = 1024

// connBuffers locates the three read buffers inside crypto/tls.Conn:
// rawInput (ciphertext, starting with a record header, grown to the largest
// record received: 2 KiB after the ClientHello alone), input (a reader over
// the last record's plaintext, which keeps rawInput's array reachable), and
// hand (handshake messages, grown to the ClientHello's size, 1.5 KiB with a
// post-quantum key share). crypto/tls never shrinks them, which makes them
// more than half of an idle TLS 1.3 session's memory (see
// TestIdleSessionMemory), and it fills rawInput through a reader it
// allocates on every call (see recordReady).
//
// Touching them goes around crypto/tls's API, so it is done only in ways
// that are plainly safe, after the handshake and while no crypto/tls call
// runs: appending ciphertext, as crypto/tls's own read does, and, when all
// three are empty, setting them to their zero value, the state tls.Server
// created them in (Go's garbage collector keeps any memory still referenced
// elsewhere alive). The offsets are looked up by name and type once; if a
// Go release renames or retypes a field, all of this switches itself off
// (TestTrimSupported reports it) and sessions behave like plain crypto/tls:
// they keep their buffers and allocate a little per Feed.
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

// recordReady tops up crypto/tls's record buffer from the input of the
// current Feed until it holds one complete record, and reports whether
// crypto/tls has something to decrypt or deliver. crypto/tls then finds
// the record already buffered and does not read from the transport, which
// it does through a small heap-allocated reader each time; and Feed does
// not make the one extra Read per call that would fail with errWouldBlock.
// Writing into the buffer is what crypto/tls's own read does: append
// ciphertext after what is pending, which always starts with a record
// header. Only called after the handshake, when no crypto/tls call is
// running. Without connBuffers it reports true and readPlain reads until
// the transport runs dry.
func (s *Session) recordReady() bool {
	if !connBuffers.ok {
		return true
	}
	base := unsafe.Pointer(s.conn)
	if (*bytes.Reader)(unsafe.Add(base, connBuffers.input)).Len() > 0 {
		return true // plaintext of a record not delivered yet
	}
	raw := (*bytes.Buffer)(unsafe.Add(base, connBuffers.rawInput))
	for {
		need := recordNeed(raw.Bytes())
		if need == 0 {
			return true
		}
		if len(s.tr.in) == 0 {
			return false
		}
		k := min(need, len(s.tr.in))
		raw.Write(s.tr.in[:k])
		s.tr.in = s.tr.in[k:]
	}
}

// recordNeed returns how many more bytes b, starting with a record header,
// needs to hold the whole record: 0 when it does, or when the header is
// one crypto/tls rejects on sight.
func recordNeed(b []byte) int {
	if len(b) < 5 {
		return 5 - len(b)
	}
	n := int(b[3])<<8 | int(b[4])
	if n > maxCiphertext {
		return 0
	}
	return max(0, 5+n-len(b))
}

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
