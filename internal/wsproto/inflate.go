package wsproto

import (
	"github.com/wsgate/wsgate/internal/bufpool"

	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// syncTail is the empty stored block that ends every compressed message: the
// sender strips it and the receiver appends it again (RFC 7692 §7.2.2).
var syncTail = [4]byte{0x00, 0x00, 0xff, 0xff}

// inflateSource reads a compressed message and then syncTail. It is an
// io.ByteReader so that the flate decoder reads it directly instead of
// wrapping it in a bufio.Reader (which would allocate and read ahead).
type inflateSource struct {
	p    []byte
	tail int // bytes of syncTail already read
}

func (s *inflateSource) Read(b []byte) (int, error) {
	if len(s.p) > 0 {
		n := copy(b, s.p)
		s.p = s.p[n:]
		return n, nil
	}
	if s.tail == len(syncTail) {
		return 0, io.EOF
	}
	n := copy(b, syncTail[s.tail:])
	s.tail += n
	return n, nil
}

func (s *inflateSource) ReadByte() (byte, error) {
	if len(s.p) > 0 {
		c := s.p[0]
		s.p = s.p[1:]
		return c, nil
	}
	if s.tail == len(syncTail) {
		return 0, io.EOF
	}
	c := syncTail[s.tail]
	s.tail++
	return c, nil
}

// exhausted reports whether the decoder read the whole message and the tail.
func (s *inflateSource) exhausted() bool {
	return len(s.p) == 0 && s.tail == len(syncTail)
}

// inflater is a flate decoder with its source. Decoders are big (a 32 KiB
// window and Huffman tables) so Readers borrow one only while they inflate.
type inflater struct {
	src inflateSource
	fr  io.ReadCloser
	rs  flate.Resetter
}

var inflaters = sync.Pool{New: func() any {
	f := &inflater{}
	f.fr = flate.NewReader(&f.src)
	f.rs = f.fr.(flate.Resetter)
	return f
}}

// windowBits normalises negotiated window bits: 0 (not negotiated) is 15.
func windowBits(b int) int {
	if b == 0 {
		return 15
	}
	return min(max(b, 8), 15)
}

// inflate decompresses one complete message p (the syncTail not included),
// checks its size while inflating — a bomb is stopped at the first byte past
// MaxMessageSize and costs no more than a buffer of that size — and its UTF-8
// as the bytes come out, then delivers it.
func (r *Reader) inflate(p []byte, h Handler) error {
	f := inflaters.Get().(*inflater)
	defer inflaters.Put(f)
	f.src = inflateSource{p: p}
	var dict []byte
	if r.win != nil {
		dict = *r.win
	}
	if err := f.rs.Reset(&f.src, dict); err != nil {
		return ErrInvalidDeflate
	}

	limit := int(min(r.cfg.maxMessageSize(), maxInt))
	out := bufpool.GetPtr(min(limit, max(4*len(p), 512)))
	defer func() { bufpool.PutPtr(out) }()
	text := r.op == OpText
	st := utf8Accept
	for {
		b := *out
		if len(b) == limit {
			// Full: one more byte of output is one too many. Ask for
			// it in a scratch byte rather than holding a buffer of
			// limit+1 (which would double the size class).
			var probe [1]byte
			n, err := f.fr.Read(probe[:])
			if n > 0 {
				return ErrMessageTooBig
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF && f.src.exhausted() {
				break
			}
			if err == nil {
				continue // the decoder ended a block without output
			}
			return ErrInvalidDeflate
		}
		if len(b) == cap(b) {
			nb := bufpool.GetPtr(min(2*cap(b), limit))
			*nb = append(*nb, b...)
			bufpool.PutPtr(out)
			out, b = nb, *nb
		}
		room := b[len(b):min(cap(b), limit)]
		n, err := f.fr.Read(room)
		*out = b[:len(b)+n]
		if text {
			if st = st.validate(room[:n]); st == utf8Reject {
				return ErrInvalidUTF8
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF && f.src.exhausted() {
			// The decoder stops at the end of the input after the
			// appended empty stored block (or at a final block).
			break
		}
		if err != nil {
			return ErrInvalidDeflate
		}
	}
	if st != utf8Accept {
		return ErrInvalidUTF8
	}
	if noCtx, bits := r.peerDeflate(); !noCtx {
		r.keepWindow(*out, historySize(bits))
	}
	return h.OnMessage(r.op, *out)
}

const maxInt = int64(^uint(0) >> 1)

// peerDeflate returns the sender's side of the negotiated parameters: the
// client's on a server connection, the server's with Config.Client.
func (r *Reader) peerDeflate() (noContextTakeover bool, windowBits int) {
	d := r.cfg.Deflate
	if r.cfg.Client {
		return d.ServerNoContextTakeover, d.ServerMaxWindowBits
	}
	return d.ClientNoContextTakeover, d.ClientMaxWindowBits
}

// historySize is how much of the client's output the Reader keeps for
// context takeover: the negotiated window, but at least 512 bytes. zlib
// cannot deflate with an 8-bit window and uses 9 bits instead (zlib 1.2.9
// and later refuse 8 for raw deflate), so a zlib-based client that agreed to
// client_max_window_bits=8 may refer 512 bytes back. The smallest pooled
// buffer holds 512 bytes anyway.
func historySize(bits int) int {
	return max(1<<windowBits(bits), 512)
}

// keepWindow keeps the last size bytes of the inflated stream as the
// dictionary for the client's next message (context takeover, RFC 7692 §7.1.1).
func (r *Reader) keepWindow(out []byte, size int) {
	if r.win == nil {
		r.win = bufpool.GetPtr(size)
	}
	w := *r.win
	if len(out) >= size {
		w = append(w[:0], out[len(out)-size:]...)
	} else {
		if drop := len(w) + len(out) - size; drop > 0 {
			w = w[:copy(w, w[drop:])]
		}
		w = append(w, out...)
	}
	*r.win = w
}
