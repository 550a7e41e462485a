package handshake

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
