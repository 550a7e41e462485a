package handshake

import "bytes"

// Octet classes of RFC 9110 §5.6 and RFC 9112 §3, as bit flags in one table so
// that every check on the hot path is a single indexed load.
const (
	octToken  = 1 << iota // tchar: header names, methods (RFC 9110 §5.6.2)
	octValue              // field-content octet: HTAB, SP, VCHAR, obs-text (RFC 9110 §5.5)
	octTarget             // request-target octet: VCHAR and obs-text, no SP or CTL
	octHost               // Host octet, the same lenient set net/http accepts
	octScheme             // URI scheme octet after the first (RFC 3986 §3.1)
)

// octets classifies every byte.
var octets = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		var f uint8
		isAlnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if isAlnum || c != 0 && c < 0x80 && contains("!#$%&'*+-.^_`|~", byte(c)) {
			f |= octToken
		}
		if c == '\t' || c >= 0x20 && c != 0x7f {
			f |= octValue
		}
		if c > 0x20 && c != 0x7f {
			f |= octTarget
		}
		if isAlnum || c != 0 && c < 0x80 && contains("!$%&'()*+,-.:;=[]_~", byte(c)) {
			f |= octHost
		}
		if isAlnum || c == '+' || c == '-' || c == '.' {
			f |= octScheme
		}
		t[c] = f
	}
	return t
}()

func contains(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// lower maps ASCII upper-case letters to lower case and every other byte to
// itself, for case-insensitive comparison without allocation.
var lower = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return t
}()

// equalFold reports whether b equals the lower-case ASCII string s, ignoring
// ASCII case in b.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower[b[i]] != s[i] {
			return false
		}
	}
	return true
}

// trimOWS removes optional whitespace (SP, HTAB; RFC 9110 §5.6.3) from both
// ends of b.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// NextElement splits the first element off a comma-separated field value
// (RFC 9110 §5.6.1) and returns it with optional whitespace trimmed, and the
// rest after the comma (nil after the last element). Empty elements come back
// as empty slices: recipients must accept and skip them. Quoted strings are
// not interpreted, so a comma inside one splits it. Both results are
// subslices of list.
func NextElement(list []byte) (elem, rest []byte) {
	for i := 0; i < len(list); i++ {
		if list[i] == ',' {
			return trimOWS(list[:i]), list[i+1:]
		}
	}
	return trimOWS(list), nil
}

// listHas reports whether the comma-separated list has an element equal to
// the lower-case token tok, ignoring case.
func listHas(list []byte, tok string) bool {
	for len(list) > 0 {
		var e []byte
		e, list = NextElement(list)
		if equalFold(e, tok) {
			return true
		}
	}
	return false
}

// HeaderValue returns the value of the first header line named name (case-insensitive) in a
// request head that Parse accepted, with surrounding whitespace trimmed, or nil. The result
// is a subslice of head. It scans the head, so it is for occasional look-ups (an
// application's handshake callback), not for the fields Request already holds.
func HeaderValue(head []byte, name string) []byte {
	var v []byte
	ForEachHeaderValue(head, name, func(b []byte) bool { v = b; return false })
	return v
}

// ForEachHeaderValue calls f with the value of every header line named name
// (case-insensitive) in a request head that Parse accepted, in order, trimmed as HeaderValue
// trims it, until f returns false. The values are subslices of head.
func ForEachHeaderValue(head []byte, name string, f func(value []byte) bool) {
	for line, rest := nextLine(head); len(rest) > 0; {
		line, rest = nextLine(rest)
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue // the blank line that ends the head
		}
		if foldEqual(line[:colon], name) && !f(trimOWS(line[colon+1:])) {
			return
		}
	}
}

// nextLine splits off the first line of b without its CRLF (or bare LF).
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// foldEqual reports whether b and s are equal ignoring ASCII case in both.
func foldEqual(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower[b[i]] != lower[s[i]] {
			return false
		}
	}
	return true
}
