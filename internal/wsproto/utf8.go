package wsproto

import "unicode/utf8"

// utf8State is the state of an incremental UTF-8 validation (RFC 3629, which
// RFC 6455 §8.1 requires of text messages): 0 at a sequence boundary,
// otherwise the number of continuation bytes still expected (bits 0-1) and the
// range the next one must fall in (lo in bits 8-15, hi in bits 16-23). It
// carries validation across frames and across chunks of one frame, so that a
// bad byte fails the message as soon as it arrives.
type utf8State uint32

const (
	utf8Accept utf8State = 0
	utf8Reject utf8State = 0xffffffff
)

// utf8Need builds the state after a lead byte: need continuation bytes still
// to come, the first of them in lo..hi.
func utf8Need(need, lo, hi byte) utf8State {
	return utf8State(need) | utf8State(lo)<<8 | utf8State(hi)<<16
}

// utf8Lead is the state after each possible first byte of a sequence.
var utf8Lead = func() (t [256]utf8State) {
	for b := range 256 {
		switch {
		case b < 0x80:
			t[b] = utf8Accept
		case b < 0xc2: // continuation bytes, and C0/C1 (overlong)
			t[b] = utf8Reject
		case b < 0xe0:
			t[b] = utf8Need(1, 0x80, 0xbf)
		case b == 0xe0: // excludes overlong three-byte forms
			t[b] = utf8Need(2, 0xa0, 0xbf)
		case b == 0xed: // excludes the surrogates U+D800-U+DFFF
			t[b] = utf8Need(2, 0x80, 0x9f)
		case b < 0xf0:
			t[b] = utf8Need(2, 0x80, 0xbf)
		case b == 0xf0: // excludes overlong four-byte forms
			t[b] = utf8Need(3, 0x90, 0xbf)
		case b < 0xf4:
			t[b] = utf8Need(3, 0x80, 0xbf)
		case b == 0xf4: // excludes code points past U+10FFFF
			t[b] = utf8Need(3, 0x80, 0x8f)
		default:
			t[b] = utf8Reject
		}
	}
	return t
}()

// step advances s by one byte; it returns utf8Reject on an invalid byte.
func (s utf8State) step(b byte) utf8State {
	if s == utf8Accept {
		return utf8Lead[b]
	}
	if b < byte(s>>8) || b > byte(s>>16) {
		return utf8Reject
	}
	if need := byte(s) - 1; need > 0 {
		return utf8Need(need, 0x80, 0xbf)
	}
	return utf8Accept
}

// validate advances s over p. It returns utf8Reject as soon as p holds a
// byte that cannot continue valid UTF-8, including a sequence that is
// incomplete at the end of p but already wrong (F4 90 is past U+10FFFF).
//
// Only the sequence pending from the previous chunk and the last, possibly
// incomplete one run through the byte-wise state machine; everything between
// goes to utf8.Valid, which skips ASCII a word at a time. Splitting there is
// sound because the split points are sequence boundaries.
func (s utf8State) validate(p []byte) utf8State {
	for s != utf8Accept {
		if len(p) == 0 {
			return s
		}
		if s = s.step(p[0]); s == utf8Reject {
			return s
		}
		p = p[1:]
	}
	cut := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-3; i-- {
		b := p[i]
		if b < 0x80 {
			break
		}
		if b >= 0xc0 { // lead byte: is its sequence complete?
			n := 2
			if b >= 0xf0 {
				n = 4
			} else if b >= 0xe0 {
				n = 3
			}
			if i+n > len(p) {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(p[:cut]) {
		return utf8Reject
	}
	for _, b := range p[cut:] {
		if s = s.step(b); s == utf8Reject {
			return s
		}
	}
	return s
}
