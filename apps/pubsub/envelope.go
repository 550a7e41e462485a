package pubsub

import (
	"encoding/base64"
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wsgate/wsgate/internal/topic"
)

// Subprotocol is the name of the envelope protocol. A client that offers it speaks JSON
// envelopes; a client that negotiates no subprotocol is in raw mode.
const Subprotocol = "wsgate.pubsub.v1"

// op is the type of a client request.
type op uint8

const (
	opNone op = iota
	opSubscribe
	opUnsubscribe
	opPublish
)

// request is one decoded client envelope. Its slices are borrowed from the frame or from
// the decoder's scratch and valid until the next decode.
type request struct {
	op       op
	topic    []byte // decoded; nil when absent
	topicErr error  // the topic string could not be decoded as a topic (too long, bad UTF-8)
	data     []byte // the raw JSON value of "data"; nil when absent
	retain   bool
	id       []byte // the raw JSON number or string of "id"; nil when absent
}

// The error answers of the envelope protocol; each is sent as {"type":"error","error":...}.
var (
	errMalformed    error = answerError("malformed JSON")
	errNotObject          = answerError("a request must be a JSON object")
	errMissingType        = answerError("missing type")
	errUnknownType        = answerError("unknown type")
	errMissingTopic       = answerError("missing topic")
	errTopicString        = answerError("topic must be a string")
	errBadRetain          = answerError("retain must be true or false")
	errBadID              = answerError("id must be a number or a string")
	errBinaryFrame        = answerError("binary frames are not part of " + Subprotocol)
	errNoPublish          = answerError("publishing is not allowed")
	errACL                = answerError("not allowed")
	errTooManySubs        = answerError("subscription limit reached")
)

// answerError is an error whose text is sent to the client as it is.
type answerError string

func (e answerError) Error() string { return string(e) }

// decoder decodes client envelopes without allocating: strings are unescaped into its
// fixed scratch (topics are at most topic.MaxLen bytes), data stays a subslice of the frame.
type decoder struct {
	topicBuf [topic.MaxLen]byte
	typeBuf  [16]byte
	keyBuf   [16]byte
}

// decode parses p, a whole text frame, into r. It returns an answerError for input that is
// not a request; r.id is set whenever the frame is JSON with an id, so the answer can carry
// it. Its cost is linear in len(p): one validation pass by encoding/json (which bounds the
// nesting depth) and one scanning pass.
func (d *decoder) decode(p []byte, r *request) error {
	*r = request{}
	if !json.Valid(p) {
		return errMalformed
	}
	i := skipWS(p, 0)
	if p[i] != '{' {
		return errNotObject
	}
	var typ []byte
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
		}
	}
	i = skipWS(p, i+1)
	for i < len(p) && p[i] == '"' {
		key, next, kerr := unquote(p, i, d.keyBuf[:0], len(d.keyBuf), false)
		if kerr != nil {
			key = nil // longer than any key we know
		}
		i = skipWS(p, next)
		i = skipWS(p, i+1) // ':'
		end := skipValue(p, i)
		v := p[i:end]
		switch string(key) {
		case "type":
			if v[0] != '"' {
				typ = nil
				fail(errUnknownType)
				break
			}
			var terr error
			if typ, _, terr = unquote(p, i, d.typeBuf[:0], len(d.typeBuf), false); terr != nil {
				typ = []byte("?") // longer than any type we know
			}
		case "topic":
			if v[0] != '"' {
				fail(errTopicString)
				break
			}
			r.topic, _, r.topicErr = unquote(p, i, d.topicBuf[:0], len(d.topicBuf), true)
		case "data":
			r.data = v
		case "retain":
			switch string(v) {
			case "true":
				r.retain = true
			case "false", "null":
				r.retain = false
			default:
				fail(errBadRetain)
			}
		case "id":
			switch {
			case v[0] == '"' || v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
				r.id = v
			case string(v) == "null":
				r.id = nil
			default:
				r.id = nil
				fail(errBadID)
			}
		}
		i = skipWS(p, end)
		if i < len(p) && p[i] == ',' {
			i = skipWS(p, i+1)
		}
	}
	switch string(typ) {
	case "subscribe":
		r.op = opSubscribe
	case "unsubscribe":
		r.op = opUnsubscribe
	case "publish":
		r.op = opPublish
	case "":
		if typ == nil {
			fail(errMissingType)
		} else {
			fail(errUnknownType)
		}
	default:
		fail(errUnknownType)
	}
	return first
}

func skipWS(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at p[i]; p is valid JSON.
func skipValue(p []byte, i int) int {
	if i >= len(p) {
		return i
	}
	switch p[i] {
	case '"':
		return skipString(p, i)
	case '{', '[':
		depth := 0
		for i < len(p) {
			switch p[i] {
			case '"':
				i = skipString(p, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(p) {
		switch p[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// skipString returns the index after the string starting with the quote at p[i].
func skipString(p []byte, i int) int {
	for i++; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// unquote appends the JSON string starting with the quote at p[i] to dst, up to limit
// bytes (0: no limit), and returns it with the index after the string. A string that does
// not fit reports topic.ErrTooLong (the result is then not the string: never use it). A
// lone surrogate escape becomes U+FFFD, as in encoding/json, and with strict (topics) also
// reports topic.ErrNotUTF8.
func unquote(p []byte, i int, dst []byte, limit int, strict bool) ([]byte, int, error) {
	bounded := limit > 0
	var err error
	add := func(b ...byte) {
		if bounded && len(dst)+len(b) > limit {
			if err == nil {
				err = topic.ErrTooLong
			}
			return
		}
		dst = append(dst, b...)
	}
	i++
	for i < len(p) {
		c := p[i]
		switch {
		case c == '"':
			return dst, i + 1, err
		case c != '\\':
			// Copy the run up to the next quote or backslash at once.
			j := i
			for j < len(p) && p[j] != '"' && p[j] != '\\' {
				j++
			}
			add(p[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(p) {
			return dst, len(p), err
		}
		i++
		switch p[i] {
		case 'b':
			add('\b')
		case 'f':
			add('\f')
		case 'n':
			add('\n')
		case 'r':
			add('\r')
		case 't':
			add('\t')
		case 'u':
			r, n := hex4(p[i+1:])
			i += n
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+2 < len(p) && p[i+1] == '\\' && p[i+2] == 'u' {
					var n2 int
					r2, n2 = hex4(p[i+3:])
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						i += 2 + n2
						r = d
						r2 = 0
					}
				}
				if r2 != 0 {
					if strict && err == nil {
						err = topic.ErrNotUTF8
					}
					r = utf8.RuneError
				}
			}
			var buf [4]byte
			add(buf[:utf8.EncodeRune(buf[:], r)]...)
		default: // '"', '\\', '/'
			add(p[i])
		}
		i++
	}
	return dst, i, err
}

// hex4 decodes the four hex digits of a \u escape (valid JSON guarantees them).
func hex4(p []byte) (rune, int) {
	if len(p) < 4 {
		return utf8.RuneError, len(p)
	}
	var r rune
	for _, c := range p[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r, 4
}

// appendString appends s as a JSON string. s is valid UTF-8 (text frames, topics).
func appendString(dst []byte, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i, c := range s {
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendData appends a payload of kind k as the JSON value D.
func appendData(dst []byte, k Kind, data []byte) []byte {
	switch {
	case k == JSON && len(data) > 0:
		return append(dst, data...)
	case k == Binary:
		dst = append(dst, `{"base64":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, data)
		return append(dst, `"}`...)
	}
	return appendString(dst, data)
}

// appendMessage appends the message envelope of one publish.
func appendMessage(dst []byte, t string, k Kind, data []byte, retained bool) []byte {
	dst = append(dst, `{"type":"message","topic":`...)
	dst = appendString(dst, []byte(t)) // does not allocate: the conversion does not escape
	dst = append(dst, `,"data":`...)
	dst = appendData(dst, k, data)
	if retained {
		dst = append(dst, `,"retained":true`...)
	}
	return append(dst, '}')
}

// appendAck appends {"type":"ack","id":N}; the id is left out when the request had none.
func appendAck(dst, id []byte) []byte {
	dst = append(dst, `{"type":"ack"`...)
	if id != nil {
		dst = append(append(dst, `,"id":`...), id...)
	}
	return append(dst, '}')
}

// appendError appends {"type":"error","id":N,"error":"..."}.
func appendError(dst, id []byte, msg string) []byte {
	dst = append(dst, `{"type":"error"`...)
	if id != nil {
		dst = append(append(dst, `,"id":`...), id...)
	}
	dst = append(dst, `,"error":`...)
	dst = appendString(dst, []byte(msg))
	return append(dst, '}')
}
