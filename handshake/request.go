package handshake

import (
	"bytes"
	"encoding/binary"
)

// Default limits, used for zero (or negative) Limits fields.
const (
	DefaultMaxHeaderBytes = 8192
	DefaultMaxTargetBytes = 4096
)

// MaxFieldLines is how many Sec-WebSocket-Protocol lines, and separately how
// many Sec-WebSocket-Extensions lines, a request may carry; more is a 400.
// Each line may hold a comma-separated list, so this bounds lines, not values.
const MaxFieldLines = 8

// Limits bounds what Parse accepts. Zero fields take the defaults.
type Limits struct {
	// MaxHeaderBytes bounds the whole head: leading empty lines, request
	// line, header lines and the final empty line. Default
	// DefaultMaxHeaderBytes (8192). Over it: ErrHeaderTooLarge (431).
	MaxHeaderBytes int
	// MaxTargetBytes bounds the request target. Default
	// DefaultMaxTargetBytes (4096). Over it: ErrURITooLong (414).
	MaxTargetBytes int
}

// normalize returns the limits with defaults applied.
func (l Limits) normalize() (head, target int) {
	head, target = l.MaxHeaderBytes, l.MaxTargetBytes
	if head <= 0 {
		head = DefaultMaxHeaderBytes
	}
	if target <= 0 {
		target = DefaultMaxTargetBytes
	}
	return head, target
}

// Request is a parsed request head.
//
// Every []byte field points into the buffer given to Parse (borrowed): it is
// valid until that buffer is discarded or overwritten; copy what must live
// longer. The one exception is Path for an absolute-form target without a
// path ("http://host?x"), which is a shared read-only "/". Parse resets the
// whole Request first. Protocols and Extensions are backed by arrays inside
// the Request, so a Request must not be copied by value while they are used,
// and keeping the Request in long-lived per-connection state (as the engine
// does) avoids the heap allocation its escape would otherwise cost.
//
// A Request is not safe for concurrent use.
type Request struct {
	// Method is the request method, case-sensitive (RFC 9110 §9.1).
	Method []byte
	// Target is the request target as sent. Path is Target up to the first
	// '?', Query what follows it (without the '?'; nil without one). For the
	// asterisk-form ("OPTIONS *") Path is "*". For the absolute-form
	// ("http://host/p?q", schemes http, https, ws, wss) Path and Query come
	// from the part after the authority, and Host from the authority
	// (RFC 9112 §3.2.2).
	Target, Path, Query []byte
	// ProtoMajor and ProtoMinor are the HTTP version; ProtoMajor is always 1.
	ProtoMajor, ProtoMinor int

	// Host is the Host header value, or the authority of an absolute-form
	// target. HasHost reports whether a Host header line was present (an
	// empty value counts, RFC 9112 §3.2); a repeated Host is a 400.
	Host    []byte
	HasHost bool

	// Upgrade reports that an Upgrade header lists the token "websocket".
	Upgrade bool
	// ConnUpgrade, ConnClose and ConnKeepAlive report that a Connection
	// header lists "upgrade", "close" or "keep-alive" (RFC 9110 §7.6.1).
	ConnUpgrade, ConnClose, ConnKeepAlive bool

	// Key is the Sec-WebSocket-Key value, trimmed.
	Key []byte
	// Version is the Sec-WebSocket-Version value; HasVersion reports that the
	// header was present.
	Version    []byte
	HasVersion bool
	// Origin is the first Origin value; HasOrigin reports that one was present.
	Origin    []byte
	HasOrigin bool
	// Authorization is the first Authorization value, nil without one.
	Authorization []byte
	// ContentLength is the Content-Length value, -1 when absent.
	ContentLength int64
	// Chunked reports that a Transfer-Encoding header was present, whatever
	// its value: the request has a body.
	Chunked bool
	// Protocols and Extensions hold the raw, trimmed values of every
	// Sec-WebSocket-Protocol and Sec-WebSocket-Extensions line, in order (at
	// most MaxFieldLines each). See ForEachProtocol.
	Protocols  [][]byte
	Extensions [][]byte
	// IfNoneMatch is the first If-None-Match value, nil without one.
	IfNoneMatch []byte

	hasKey     bool // a Sec-WebSocket-Key line was seen
	dupKey     bool // more than one Sec-WebSocket-Key line (RFC 6455 §11.3.1)
	dupVersion bool // more than one Sec-WebSocket-Version line
	hasLength  bool // a Content-Length line was seen
	absolute   bool // absolute-form target: Host comes from it

	protoBuf [MaxFieldLines][]byte
	extBuf   [MaxFieldLines][]byte
}

// rootPath is Path for an absolute-form target with an empty path
// (RFC 9110 §4.2.3: an empty path is equivalent to "/").
var rootPath = []byte("/")

// Parse parses the request head at the start of buf into r. It returns n, the
// length of the head including its final empty line; bytes after it (a body,
// a pipelined request) are not looked at.
//
// While the head is incomplete Parse returns ErrNeedMore: call it again with
// the grown buffer (it starts over, so it is correct however the bytes are
// split). Limits are enforced while scanning: as soon as the target is over
// MaxTargetBytes it returns ErrURITooLong (414), and once len(buf) reaches
// MaxHeaderBytes without a complete head ErrHeaderTooLarge (431). A malformed
// request line or header is ErrBadRequest (400). The first problem met,
// scanning from the start, decides, so the answer does not depend on how the
// bytes arrived.
//
// Parse follows RFC 9112 strictly, with these documented leniencies: empty
// lines before the request line are skipped (§2.2) and a bare LF ends a line
// like CRLF does (§2.2: a recipient MAY); a CR not followed by LF is a 400.
// It rejects with 400: anything but single SP between method, target and
// version; a version other than HTTP/1.x; header lines starting with
// whitespace (obs-fold, §5.2), whitespace before the colon (§5.1), non-token
// header names, control characters in values, a repeated Host, a
// Content-Length that is not digits, overflows int64 or repeats with another
// value, more than MaxFieldLines Sec-WebSocket-Protocol or -Extensions lines, a
// target that is neither origin-form ("/..."), absolute-form (http, https,
// ws, wss), nor "*" with OPTIONS.
//
// On an error r holds whatever was parsed before it and must not be used.
// Parse never allocates and never panics; n <= len(buf).
func Parse(buf []byte, r *Request, lim Limits) (n int, err error) {
	maxHead, maxTarget := lim.normalize()
	*r = Request{ContentLength: -1}
	r.Protocols = r.protoBuf[:0]
	r.Extensions = r.extBuf[:0]

	b, short := window(buf, maxHead)

	i := 0
	// RFC 9112 §2.2: a server SHOULD ignore at least one empty line before
	// the request line.
	for i < len(b) && (b[i] == '\r' || b[i] == '\n') {
		var ok bool
		if i, ok = lineEnd(b, i); !ok {
			return 0, short
		}
		if i < 0 {
			return 0, ErrBadRequest
		}
	}

	// method SP
	start := i
	for i < len(b) && octets[b[i]]&octToken != 0 {
		i++
	}
	if i == len(b) {
		return 0, short
	}
	if b[i] != ' ' || i == start {
		return 0, ErrBadRequest
	}
	r.Method = b[start:i]
	i++

	// request-target SP
	start = i
	for i < len(b) && octets[b[i]]&octTarget != 0 {
		if i-start == maxTarget {
			return 0, ErrURITooLong
		}
		i++
	}
	if i == len(b) {
		return 0, short
	}
	if b[i] != ' ' || i == start {
		return 0, ErrBadRequest
	}
	if !r.setTarget(b[start:i]) {
		return 0, ErrBadRequest
	}
	i++

	// HTTP-version CRLF (RFC 9112 §2.3: "HTTP/" DIGIT "." DIGIT, case-sensitive)
	if len(b)-i < len("HTTP/1.1") {
		return 0, short
	}
	v := b[i : i+len("HTTP/1.1")]
	if string(v[:len("HTTP/")]) != "HTTP/" || v[5] != '1' || v[6] != '.' || v[7] < '0' || v[7] > '9' {
		return 0, ErrBadRequest // includes HTTP/0.9 and HTTP/2 and up
	}
	r.ProtoMajor, r.ProtoMinor = 1, int(v[7]-'0')
	i += len(v)
	i, ok := lineEnd(b, i)
	if !ok {
		return 0, short
	}
	if i < 0 {
		return 0, ErrBadRequest
	}

	// *( field-line CRLF ) CRLF
	return headLength(scanFields(b, i, r.setField), short, ErrBadRequest)
}

// window returns the part of buf a parser scans, at most maxHead bytes, and what running
// out of it means: ErrNeedMore while buf is shorter than the limit, ErrHeaderTooLarge once
// it is not.
func window(buf []byte, maxHead int) ([]byte, error) {
	if len(buf) >= maxHead {
		return buf[:maxHead], ErrHeaderTooLarge
	}
	return buf, ErrNeedMore
}

// headLength maps scanFields' result to what Parse and ParseResponse return: the head's
// length n, short (ErrNeedMore or ErrHeaderTooLarge) when n is 0, bad when n is negative.
func headLength(n int, short, bad error) (int, error) {
	switch {
	case n == 0:
		return 0, short
	case n < 0:
		return 0, bad
	}
	return n, nil
}

// scanFields scans the field lines from b[i] through the empty line that ends the head
// (RFC 9112 §2.1: *( field-line CRLF ) CRLF), hands each name and value to set, and returns
// the head's length: 0 when b ends first, negative when a line is not a field line (see
// scanField; a line that starts with whitespace, an obs-fold (RFC 9112 §5.2) or whitespace
// after the start line (§2.2), is one) or set refuses it. The request and the response
// parsers both use it.
func scanFields(b []byte, i int, set func(name, value []byte) bool) int {
	for {
		if i == len(b) {
			return 0
		}
		if b[i] == '\r' || b[i] == '\n' {
			next, ok := lineEnd(b, i)
			if !ok {
				return 0
			}
			return next
		}
		name, value, next := scanField(b, i)
		if next <= 0 {
			return next
		}
		if !set(name, value) {
			return -1
		}
		i = next
	}
}

// scanField scans the field line starting at b[i] (RFC 9112 §5: field-name ":" OWS
// field-value OWS, then CRLF or LF) and returns its name, its value without the OWS, and the
// index after the line end; next is 0 when b ends first and negative when the line is not a
// field line: an empty name, whitespace before the colon (RFC 9112 §5.1), or a CTL, DEL or
// bare CR in the value (RFC 9110 §5.5). The request and the response parsers both use it.
func scanField(b []byte, i int) (name, value []byte, next int) {
	start := i
	for i < len(b) && octets[b[i]]&octToken != 0 {
		i++
	}
	if i == len(b) {
		return nil, nil, 0
	}
	if b[i] != ':' || i == start {
		return nil, nil, -1
	}
	end, next := scanValue(b, i+1)
	if next <= 0 {
		return nil, nil, next
	}
	return b[start:i], trimOWS(b[i+1 : end]), next
}

// scanValue scans the field value starting at b[i] to the end of its line,
// checking each octet is field-content (RFC 9110 §5.5): HTAB, SP, VCHAR or
// obs-text. It returns the end of the value (before CRLF or LF) and the index
// after the line end; next is 0 when b ends first and negative at a CTL, DEL
// or a CR not followed by LF.
//
// It checks eight octets at a time: a word without an octet below 0x20 or
// equal to 0x7f (the tests of "Bit Twiddling Hacks": exact for whether such an
// octet exists) needs no closer look; HTAB, CR and LF all fall below 0x20.
func scanValue(b []byte, i int) (end, next int) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for {
		for len(b)-i >= 8 {
			x := binary.LittleEndian.Uint64(b[i:])
			del := x ^ (ones * 0x7f)
			if (x-ones*0x20)&^x&highs != 0 || (del-ones)&^del&highs != 0 {
				break
			}
			i += 8
		}
		if i == len(b) {
			return 0, 0
		}
		switch c := b[i]; {
		case c == '\n':
			return i, i + 1
		case c == '\r':
			if i+1 == len(b) {
				return 0, 0
			}
			if b[i+1] == '\n' {
				return i, i + 2
			}
			return 0, -1
		case octets[c]&octValue == 0:
			return 0, -1
		}
		i++
	}
}

// lineEnd consumes the line terminator at b[i]: CRLF or a bare LF. It returns
// ok false when b ends before the terminator is complete, and i < 0 when b[i]
// is not a terminator.
func lineEnd(b []byte, i int) (next int, ok bool) {
	if i == len(b) {
		return 0, false
	}
	switch b[i] {
	case '\n':
		return i + 1, true
	case '\r':
		if i+1 == len(b) {
			return 0, false
		}
		if b[i+1] == '\n' {
			return i + 2, true
		}
	}
	return -1, true
}

// setTarget classifies the request target (RFC 9112 §3.2) and sets Target,
// Path, Query and, for the absolute-form, Host. It reports false for a form
// wsgate does not serve.
func (r *Request) setTarget(t []byte) bool {
	r.Target = t
	switch {
	case t[0] == '/':
		// origin-form
	case len(t) == 1 && t[0] == '*':
		// asterisk-form, only for a server-wide OPTIONS (RFC 9112 §3.2.4)
		r.Path = t
		return string(r.Method) == "OPTIONS"
	default:
		// absolute-form; the authority-form of CONNECT is not served.
		host, rest, ok := splitAbsolute(t)
		if !ok {
			return false
		}
		r.Host, r.absolute = host, true
		t = rest
	}
	if q := bytes.IndexByte(t, '?'); q >= 0 {
		r.Path, r.Query = t[:q], t[q+1:]
	} else {
		r.Path = t
	}
	if len(r.Path) == 0 {
		r.Path = rootPath
	}
	return true
}

// splitAbsolute splits an absolute-form target "scheme://authority[/path][?query]"
// into the authority and the rest. Only http, https, ws and wss are accepted;
// userinfo is an error (RFC 9110 §4.2.4) and so is an empty authority.
func splitAbsolute(t []byte) (host, rest []byte, ok bool) {
	i := bytes.Index(t, []byte("://"))
	if i < 0 {
		return nil, nil, false
	}
	scheme := t[:i]
	if !equalFold(scheme, "http") && !equalFold(scheme, "https") &&
		!equalFold(scheme, "ws") && !equalFold(scheme, "wss") {
		return nil, nil, false
	}
	t = t[i+len("://"):]
	j := 0
	for j < len(t) && t[j] != '/' && t[j] != '?' {
		if octets[t[j]]&octHost == 0 {
			return nil, nil, false // includes '@' of userinfo
		}
		j++
	}
	if j == 0 {
		return nil, nil, false
	}
	return t[:j], t[j:], true
}

// setField records the header fields wsgate uses and ignores the rest. name
// is a valid token and value trimmed field content. It reports false for a
// field that makes the request malformed.
func (r *Request) setField(name, value []byte) bool {
	switch len(name) {
	case len("host"):
		if !equalFold(name, "host") {
			return true
		}
		// RFC 9112 §3.2: more than one Host, or an invalid value, is a 400.
		if r.HasHost {
			return false
		}
		for _, c := range value {
			if octets[c]&octHost == 0 {
				return false
			}
		}
		r.HasHost = true
		if !r.absolute {
			r.Host = value
		}
	case len("origin"):
		if equalFold(name, "origin") && !r.HasOrigin {
			r.Origin, r.HasOrigin = value, true
		}
	case len("upgrade"):
		if equalFold(name, "upgrade") && !r.Upgrade {
			r.Upgrade = listHas(value, "websocket")
		}
	case len("connection"):
		if equalFold(name, "connection") {
			for len(value) > 0 {
				var e []byte
				e, value = NextElement(value)
				switch {
				case equalFold(e, "upgrade"):
					r.ConnUpgrade = true
				case equalFold(e, "close"):
					r.ConnClose = true
				case equalFold(e, "keep-alive"):
					r.ConnKeepAlive = true
				}
			}
		}
	case len("authorization"): // == len("if-none-match")
		switch {
		case equalFold(name, "authorization"):
			if r.Authorization == nil {
				r.Authorization = value
			}
		case equalFold(name, "if-none-match"):
			if r.IfNoneMatch == nil {
				r.IfNoneMatch = value
			}
		}
	case len("content-length"):
		if equalFold(name, "content-length") {
			n, ok := parseLength(value)
			// RFC 9112 §6.3: an invalid Content-Length, or differing
			// repeated ones, is unrecoverable.
			if !ok || r.hasLength && n != r.ContentLength {
				return false
			}
			r.ContentLength, r.hasLength = n, true
		}
	case len("transfer-encoding"): // == len("sec-websocket-key")
		switch {
		case equalFold(name, "transfer-encoding"):
			r.Chunked = true
		case equalFold(name, "sec-websocket-key"):
			if r.hasKey {
				r.dupKey = true
				return true
			}
			r.Key, r.hasKey = value, true
		}
	case len("sec-websocket-version"):
		if equalFold(name, "sec-websocket-version") {
			if r.HasVersion {
				r.dupVersion = true
				return true
			}
			r.Version, r.HasVersion = value, true
		}
	case len("sec-websocket-protocol"):
		if equalFold(name, "sec-websocket-protocol") {
			if len(r.Protocols) == MaxFieldLines {
				return false
			}
			r.Protocols = append(r.Protocols, value)
		}
	case len("sec-websocket-extensions"):
		if equalFold(name, "sec-websocket-extensions") {
			if len(r.Extensions) == MaxFieldLines {
				return false
			}
			r.Extensions = append(r.Extensions, value)
		}
	}
	return true
}

// parseLength parses a Content-Length value: 1*DIGIT (RFC 9110 §8.6) that
// fits an int64.
func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (1<<63-1-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
