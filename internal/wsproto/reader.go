package wsproto

import (
	"github.com/wsgate/wsgate/internal/bufpool"

	"encoding/binary"
	"math"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// DefaultMaxMessageSize is the message size limit when Config.MaxMessageSize is 0.
const DefaultMaxMessageSize = 1 << 20

// Handler receives what Feed decodes. Its methods run on the caller's
// goroutine before Feed returns. Payloads are borrowed: valid only until the
// method returns (they point into the caller's input buffer or into the
// Reader's pooled message buffer); a handler that keeps data copies it.
// Returning a non-nil error stops Feed, which returns that error.
type Handler interface {
	// OnMessage gets one complete message: op is OpText or OpBinary, a text
	// payload is already UTF-8-validated, a compressed one already inflated.
	OnMessage(op OpCode, payload []byte) error
	// OnPing gets a ping's payload (at most 125 bytes); the caller answers with
	// a pong carrying the same payload (RFC 6455 §5.5.2).
	OnPing(payload []byte) error
	// OnPong gets a pong's payload (at most 125 bytes).
	OnPong(payload []byte) error
	// OnClose gets a validated close frame: code 1005 (CloseNoStatus) and an
	// empty reason when the payload was empty; otherwise a code a peer may
	// send (1000-1003, 1007-1014, 3000-4999) and a UTF-8 reason. Feed returns right after the close frame (consumed counts
	// it); the caller stops reading and answers with its own close frame.
	OnClose(code uint16, reason []byte) error
}

// Config configures Readers. One Config is shared by many Readers and must not
// be modified after the first Init that uses it.
type Config struct {
	// MaxMessageSize is the largest message in bytes after reassembly and
	// inflation; a bigger one ends the connection with 1009. 0 (or less)
	// means DefaultMaxMessageSize (1 MiB).
	MaxMessageSize int64
	// Deflate holds the permessage-deflate parameters negotiated for the
	// connection; nil means no compression (RSV1 is then a protocol error).
	Deflate *DeflateParams
	// Budget, when set, bounds the message buffers of all Readers using it
	// together (see Budget); nil means no common bound.
	Budget *Budget
	// Client makes the Readers decode a server's frames, for the client side
	// of a connection (the gateway's upstream connections): frames must be
	// unmasked and a masked one is a protocol error (RFC 6455 §5.1), and
	// compressed messages are inflated with the server's parameters
	// (ServerNoContextTakeover, ServerMaxWindowBits) instead of the client's.
	Client bool
}

// maxMessageSize is the normalised MaxMessageSize.
func (c *Config) maxMessageSize() int64 {
	if c.MaxMessageSize <= 0 {
		return DefaultMaxMessageSize
	}
	return c.MaxMessageSize
}

// maxCompressedSize bounds the compressed bytes of one message buffered before
// inflation: the limit after inflation plus what DEFLATE may add to
// incompressible data (stored blocks add 5 bytes per 64 KiB, a fixed-Huffman
// block at most 1/8), so that no message that fits after inflation is refused.
func (c *Config) maxCompressedSize() int64 {
	m := c.maxMessageSize()
	if m > math.MaxInt64/2 {
		return m
	}
	return m + m/8 + 64
}

var defaultConfig Config

// Reader state flags.
const (
	flagPayload    = 1 << iota // inside a data frame's payload: remain bytes to come
	flagFin                    // the current data frame has FIN
	flagMessage                // a message is in progress (first frame seen, FIN not yet)
	flagCompressed             // the message in progress has RSV1 (RFC 7692 §6)
	flagDone                   // a close frame or an error ended the stream
)

// Reader decodes the client-to-server frames of one connection (or, with
// Config.Client, the server-to-client frames of a client connection).
//
// The zero value is not ready: call Init. A Reader is not safe for concurrent
// use (one per connection, used on its event loop). It is 56 bytes and holds
// no buffer while no message is in progress: a pooled buffer is taken for a
// fragmented or split message and returned when it completes.
//
// With permessage-deflate a flate decoder (36 KiB) is borrowed from a pool
// only while a message is inflated. With client context takeover the Reader
// also keeps the client's LZ77 window, the last 2^ClientMaxWindowBits bytes
// of its messages (32 KiB at most, 512 bytes at least: zlib-based clients
// cannot keep to an 8-bit window), from the first compressed message until
// Release: that is the per-connection memory cost of compression, bounded by
// DeflatePolicy.ClientMaxWindowBits.
type Reader struct {
	cfg    *Config
	msg    *[]byte // pooled buffer of the message in progress (compressed bytes when compressed)
	win    *[]byte // client LZ77 window kept for context takeover, nil otherwise
	remain int64   // payload bytes of the current data frame still to come
	size   int64   // payload bytes of the message so far, from the frame headers
	utf8   utf8State
	mask   [4]byte // masking key of the current frame, rotated to the next byte
	op     OpCode  // opcode of the message in progress
	flags  uint8
}

// Init prepares r for a new connection with cfg (nil means the defaults). cfg
// is retained and must not be modified afterwards. It releases what r held.
func (r *Reader) Init(cfg *Config) {
	r.Release()
	if cfg == nil {
		cfg = &defaultConfig
	}
	*r = Reader{cfg: cfg}
}

// Release returns pooled buffers and the compression window (call when the
// connection closes). Feed then returns ErrClosed until the next Init.
func (r *Reader) Release() {
	r.dropMessage()
	if r.win != nil {
		bufpool.PutPtr(r.win)
	}
	*r = Reader{flags: flagDone}
}

// dropMessage returns the message buffer, if any.
// With a Budget, the capacity of msg is what the Reader has counted in it: growth is judged
// before it is made and counted after.
func (r *Reader) dropMessage() {
	if r.msg != nil {
		if b := r.cfg.Budget; b != nil {
			b.Used.Add(-int64(cap(*r.msg)))
		}
		bufpool.PutPtr(r.msg)
		r.msg = nil
	}
}

// Feed decodes as much of in as possible, calling h for every complete message
// and control frame, and returns how many bytes of in it consumed (the caller
// discards them and passes the rest again, with more bytes appended, next time).
//
// in is mutable: masked payload is unmasked in place. Bytes it did not consume
// are unmodified: a partial frame header, or a control frame whose payload is
// not complete yet (at most 14+125 bytes), is left for the next call. Partial
// payload bytes of a data frame are consumed: copied, unmasked, into the
// message buffer, with the UTF-8 check run on them at once. A complete
// single-frame uncompressed message fully inside in is delivered zero-copy
// from in.
//
// Errors: one of the *CloseError values of this package for a violation (the
// caller sends that close code and closes; consumed then tells nothing
// useful), or the Handler's error (consumed then counts the frame that was
// delivered). After any error or a close frame
// the Reader is done: it has returned its buffers and further calls return
// ErrClosed.
func (r *Reader) Feed(in []byte, h Handler) (consumed int, err error) {
	if r.flags&flagDone != 0 || r.cfg == nil {
		return 0, ErrClosed
	}
	pos := 0
	for {
		if r.flags&flagPayload != 0 {
			n := len(in) - pos
			if int64(n) > r.remain {
				n = int(r.remain)
			}
			if err = r.payload(in[pos : pos+n]); err != nil {
				return pos, r.fail(err)
			}
			pos += n
			if r.remain -= int64(n); r.remain > 0 {
				return pos, nil
			}
			r.flags &^= flagPayload
			if r.flags&flagFin != 0 {
				if err = r.finish(h); err != nil {
					return pos, r.fail(err)
				}
			}
			continue
		}
		n, err := r.frame(in[pos:], h)
		pos += n
		if err != nil {
			return pos, r.fail(err)
		}
		if n == 0 || r.flags&flagDone != 0 {
			return pos, nil
		}
	}
}

// fail ends the stream: no more input is decoded and buffers go back.
func (r *Reader) fail(err error) error {
	r.flags |= flagDone
	r.dropMessage()
	return err
}

// frame decodes the frame at the start of p. It returns 0 when p does not
// hold enough of it yet; otherwise the bytes it consumed (a whole control
// frame, a whole single-frame message, or a data frame's header when its
// payload is to be streamed into the message buffer).
func (r *Reader) frame(p []byte, h Handler) (int, error) {
	if len(p) < 2 {
		return 0, nil
	}
	// The first two bytes decide most rules: check them before waiting
	// for the rest of the header (RFC 6455 §5.2).
	b0, b1 := p[0], p[1]
	op := OpCode(b0 & 0x0f)
	fin := b0&bitFin != 0
	rsv1 := b0&bitRsv1 != 0
	switch {
	case b1&bitMask == 0 && !r.cfg.Client: // §5.1: a server must close on an unmasked frame
		return 0, ErrUnmaskedFrame
	case b1&bitMask != 0 && r.cfg.Client: // §5.1: a client must close on a masked frame
		return 0, ErrMaskedFrame
	case b0&(bitRsv2|bitRsv3) != 0:
		return 0, ErrReservedBits
	case op.IsReserved():
		return 0, ErrReservedOpcode
	case op.IsControl(): // §5.5
		if !fin {
			return 0, ErrControlFragmented
		}
		if rsv1 {
			return 0, ErrReservedBits
		}
	case op == OpContinuation: // §5.4
		if r.flags&flagMessage == 0 {
			return 0, ErrUnexpectedContinuation
		}
		if rsv1 { // RFC 7692 §6.1: RSV1 only on the first frame
			return 0, ErrReservedBits
		}
	default:
		if r.flags&flagMessage != 0 {
			return 0, ErrInterleavedMessage
		}
		if rsv1 && r.cfg.Deflate == nil {
			return 0, ErrReservedBits
		}
	}

	hdr, hn, err := parseHeader(p)
	if hn == 0 {
		return 0, err
	}
	length, key := hdr.Length, hdr.Mask

	if op.IsControl() {
		// §5.5 bounds the payload length, whatever its encoding.
		if length > maxControlPayload {
			return 0, ErrControlTooLong
		}
		end := hn + int(length)
		if len(p) < end {
			return 0, nil // control frames are small: wait for all of it
		}
		payload := p[hn:end]
		unmask(payload, key)
		return end, r.control(op, payload, h)
	}

	limit := r.cfg.maxMessageSize()
	if op != OpContinuation {
		r.op, r.size, r.utf8 = op, 0, utf8Accept
		r.flags &^= flagCompressed
		if rsv1 {
			r.flags |= flagCompressed
			limit = r.cfg.maxCompressedSize()
		}
	} else if r.flags&flagCompressed != 0 {
		limit = r.cfg.maxCompressedSize()
	}
	// §10.4: the size is decided from the headers before any payload is
	// buffered, so a peer cannot make us hold more than the limit.
	if length > limit-r.size {
		return 0, ErrMessageTooBig
	}
	r.size += length

	if fin && op != OpContinuation && int64(len(p)-hn) >= length {
		// The whole message is in p: deliver it from p, no copy.
		end := hn + int(length)
		payload := p[hn:end]
		unmask(payload, key)
		if rsv1 {
			return end, r.inflate(payload, h)
		}
		if op == OpText && !utf8.Valid(payload) {
			return 0, ErrInvalidUTF8
		}
		return end, h.OnMessage(op, payload)
	}

	r.flags |= flagMessage
	r.flags &^= flagFin
	if fin {
		r.flags |= flagFin
	}
	r.remain, r.mask = length, key
	if length > 0 {
		r.flags |= flagPayload
		if r.msg == nil {
			// What arrived, not what the header announced: the peer may never send it.
			n := int(min(length, int64(len(p)-hn), preallocLimit))
			if b := r.cfg.Budget; b != nil && !b.fits(int64(max(n, 512))) {
				return 0, ErrInputBudget
			}
			r.msg = bufpool.GetPtr(n)
			if b := r.cfg.Budget; b != nil {
				b.Used.Add(int64(cap(*r.msg)))
			}
		}
	} else if fin {
		return hn, r.finish(h)
	}
	return hn, nil
}

// parseHeader decodes the frame header at the start of p (RFC 6455 §5.2).
// n is the header's size, 0 when p does not hold all of it yet. It rejects
// only a 64-bit length with the most significant bit set; the other rules
// are the caller's. Non-minimal encodings of the length are accepted, as
// Autobahn and most servers do: they are unambiguous.
func parseHeader(p []byte) (h ws.Header, n int, err error) {
	if len(p) < 2 {
		return h, 0, nil
	}
	b0, b1 := p[0], p[1]
	h.Fin = b0&bitFin != 0
	h.Rsv = (b0 >> 4) & 0x7
	h.OpCode = OpCode(b0 & 0x0f)
	h.Masked = b1&bitMask != 0
	n = 2
	switch l := b1 & 0x7f; l {
	case 126:
		n += 2
	case 127:
		n += 8
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		n += 4
	}
	if len(p) < n {
		return h, 0, nil
	}
	switch b1 & 0x7f {
	case 126:
		h.Length = int64(binary.BigEndian.Uint16(p[2:]))
	case 127:
		u := binary.BigEndian.Uint64(p[2:])
		if u>>63 != 0 {
			return h, 0, ErrLengthMSB
		}
		h.Length = int64(u)
	}
	if h.Masked {
		h.Mask = [4]byte(p[n-4 : n])
	}
	return h, n, nil
}

// payload takes the next chunk of the current data frame's payload: it
// unmasks it in place, checks text at once, and appends it to the message.
func (r *Reader) payload(p []byte) error {
	unmask(p, r.mask)
	r.mask = rotateMask(r.mask, len(p))
	if r.op == OpText && r.flags&flagCompressed == 0 {
		if r.utf8 = r.utf8.validate(p); r.utf8 == utf8Reject {
			return ErrInvalidUTF8
		}
	}
	b := r.cfg.Budget
	if b == nil {
		bufpool.AppendPtr(&r.msg, p)
		return nil
	}
	old := int64(cap(*r.msg))
	if need := int64(len(*r.msg) + len(p)); need > old && !b.fits(max(need, 2*old)-old) {
		return ErrInputBudget // judged before growing: AppendPtr doubles
	}
	bufpool.AppendPtr(&r.msg, p)
	if grown := int64(cap(*r.msg)) - old; grown != 0 {
		b.Used.Add(grown)
	}
	return nil
}

// finish delivers the message in progress after its last frame.
func (r *Reader) finish(h Handler) error {
	r.flags &^= flagMessage | flagFin
	var p []byte
	if r.msg != nil {
		p = *r.msg
	}
	var err error
	switch {
	case r.flags&flagCompressed != 0:
		err = r.inflate(p, h)
	case r.op == OpText && r.utf8 != utf8Accept:
		err = ErrInvalidUTF8 // a sequence cut by the end of the message
	default:
		err = h.OnMessage(r.op, p)
	}
	r.dropMessage()
	return err
}

// control handles a complete, unmasked control frame (RFC 6455 §5.5).
func (r *Reader) control(op OpCode, p []byte, h Handler) error {
	switch op {
	case OpPing:
		return h.OnPing(p)
	case OpPong:
		return h.OnPong(p)
	}
	// §5.5.1: a close frame, after which the peer sends nothing more.
	r.flags |= flagDone
	r.dropMessage()
	switch {
	case len(p) == 0:
		return h.OnClose(CloseNoStatus, nil)
	case len(p) == 1:
		return ErrCloseLength
	}
	code := binary.BigEndian.Uint16(p)
	if !validCloseCode(code) {
		return ErrCloseCode
	}
	if !utf8.Valid(p[2:]) {
		return ErrCloseReason
	}
	return h.OnClose(code, p[2:])
}
