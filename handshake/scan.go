package handshake

import "bytes"

// Scanner is the resumable part of reading a request head. Parse starts over on every call
// (its slices point into the buffer, which may move between reads), so calling it on every
// segment of a head that arrives a few bytes at a time would scan the head once per segment:
// quadratic in its length. A Scanner remembers how far it has looked for the end of the head
// and tells the caller when a Parse can decide something: on the first bytes (a client that
// is not speaking HTTP/1, TLS on a plain port say, is answered at once), when the request
// line is complete, when the head is complete, and when the buffer reaches MaxHeaderBytes
// (431). Each byte is looked at about once, and Parse runs at most four times per head. A
// complete head, or one at the limit, gets Parse's answer on the same bytes, however they
// arrived; a head that breaks after the first segment (and after its request line) is
// answered when it ends or reaches the limit, or not at all if it does neither: the
// caller's timeout ends it. The zero value is
// ready; Reset it for the next head on a connection.
type Scanner struct {
	off      int  // bytes of the buffer already scanned for line ends
	first    bool // Parse has had the first segment
	started  bool // the request line started (empty lines before it are skipped)
	begin    int  // where it starts
	lineSeen bool // the first line end was seen
	done     bool // the end of the head was seen
}

// Reset prepares s for the next head (after the caller consumed the previous one).
func (s *Scanner) Reset() { *s = Scanner{} }

// Ready reports whether Parse should run on buf, the unconsumed bytes starting at the head,
// which grows between calls. It does not allocate.
func (s *Scanner) Ready(buf []byte, lim Limits) bool {
	if s.done {
		return true
	}
	maxHead, _ := lim.normalize()
	if len(buf) >= maxHead {
		return true
	}
	if !s.first && len(buf) > 0 {
		s.first = true
		return true
	}
	from := max(0, s.off-2)
	if !s.started {
		// Empty lines before the request line are skipped (RFC 9112 §2.2): they end nothing.
		for from = s.off; from < len(buf) && (buf[from] == '\r' || buf[from] == '\n'); from++ {
		}
		s.off = from
		if from == len(buf) {
			return false
		}
		s.started, s.begin = true, from
	}
	from = max(from, s.begin)
	for i := from; i < len(buf); {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			break
		}
		i += j
		if !s.lineSeen {
			s.lineSeen, s.off = true, i+1
			return true
		}
		// An empty line ends the head: LF LF, or LF CR LF (RFC 9112 §2.2).
		switch {
		case i+1 < len(buf) && buf[i+1] == '\n', i+2 < len(buf) && buf[i+1] == '\r' && buf[i+2] == '\n':
			s.done = true
			return true
		case i+2 >= len(buf):
			s.off = i // look at this line end again when more bytes came
			return false
		}
		i++
	}
	s.off = len(buf)
	return false
}
