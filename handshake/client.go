package handshake

import (
	"crypto/subtle"
	"errors"
	"sync"
)

// The client side of the opening handshake (RFC 6455 §4.1), for the gateway's connections to
// WebSocket upstreams: the request it sends and the response it parses. Like the server side
// it only handles bytes.

// Errors of the client side.
var (
	// ErrBadResponse: the upstream's answer is not an HTTP/1.1 response head, or a 101 that
	// fails the checks of RFC 6455 §4.1 (the proxy answers its client 502).
	ErrBadResponse = errors.New("handshake: invalid upgrade response")
	// ErrBadGateway: the upstream could not be reached or gave an invalid answer.
	ErrBadGateway = NewError(502, "Bad Gateway", "")
	// ErrGatewayTimeout: the upstream did not answer within the timeout.
	ErrGatewayTimeout = NewError(504, "Gateway Timeout", "")
)

// Response is a parsed response head to an upgrade request. Its []byte fields borrow the
// buffer given to ParseResponse, like Request's.
type Response struct {
	// Status is the status code, 100-999.
	Status int
	// Upgrade reports that an Upgrade header lists "websocket"; ConnUpgrade that a
	// Connection header lists "upgrade".
	Upgrade, ConnUpgrade bool
	// Accept is the Sec-WebSocket-Accept value.
	Accept []byte
	// Protocol is the Sec-WebSocket-Protocol value, nil without one; a second line is an
	// error (a server chooses one subprotocol, RFC 6455 §4.2.2).
	Protocol []byte
	// Extensions holds the raw values of every Sec-WebSocket-Extensions line.
	Extensions [][]byte
	// Authenticate holds the values of the WWW-Authenticate lines (the challenges of a
	// 401), at most MaxFieldLines of them; RetryAfter is the Retry-After value, nil
	// without one. A refusal relays them to the client (UpstreamRefusal).
	Authenticate [][]byte
	RetryAfter   []byte

	extBuf  [MaxFieldLines][]byte
	authBuf [MaxFieldLines][]byte
}

// ParseResponse parses the response head at the start of buf into r and returns its length.
// Like Parse it is resumable: ErrNeedMore until the head is complete (call again with the
// grown buffer), ErrHeaderTooLarge once lim.MaxHeaderBytes pass without one, ErrBadResponse
// for anything that is not an HTTP/1.x status line followed by valid header lines. It never
// allocates and never panics.
func ParseResponse(buf []byte, r *Response, lim Limits) (n int, err error) {
	maxHead, _ := lim.normalize()
	*r = Response{}
	r.Extensions = r.extBuf[:0]
	r.Authenticate = r.authBuf[:0]
	b, short := window(buf, maxHead)
	// HTTP-version SP 3DIGIT SP [reason-phrase] CRLF (RFC 9112 §4).
	const prefix = len("HTTP/1.1 200 ")
	if len(b) < prefix {
		return 0, short
	}
	if string(b[:7]) != "HTTP/1." || b[7] < '0' || b[7] > '9' || b[8] != ' ' {
		return 0, ErrBadResponse
	}
	for _, c := range b[9:12] {
		if c < '0' || c > '9' {
			return 0, ErrBadResponse
		}
		r.Status = r.Status*10 + int(c-'0')
	}
	if r.Status < 100 {
		return 0, ErrBadResponse
	}
	var i int
	switch b[12] {
	case ' ':
		_, i = scanValue(b, prefix)
	case '\r', '\n': // no reason phrase and no space before it: accepted, as browsers do
		var ok bool
		if i, ok = lineEnd(b, 12); !ok {
			i = 0
		}
	default:
		return 0, ErrBadResponse
	}
	switch {
	case i == 0:
		return 0, short
	case i < 0:
		return 0, ErrBadResponse
	}
	return headLength(scanFields(b, i, r.setField), short, ErrBadResponse)
}

func (r *Response) setField(name, value []byte) bool {
	switch {
	case equalFold(name, "upgrade"):
		r.Upgrade = r.Upgrade || listHas(value, "websocket")
	case equalFold(name, "connection"):
		r.ConnUpgrade = r.ConnUpgrade || listHas(value, "upgrade")
	case equalFold(name, "sec-websocket-accept"):
		r.Accept = value
	case equalFold(name, "sec-websocket-protocol"):
		if r.Protocol != nil {
			return false
		}
		r.Protocol = value
	case equalFold(name, "sec-websocket-extensions"):
		if len(r.Extensions) == MaxFieldLines {
			return false
		}
		r.Extensions = append(r.Extensions, value)
	case equalFold(name, "www-authenticate"):
		if len(r.Authenticate) < MaxFieldLines { // more challenges than that are dropped, not fatal
			r.Authenticate = append(r.Authenticate, value)
		}
	case equalFold(name, "retry-after"):
		r.RetryAfter = value
	}
	return true
}

// CheckResponse checks a 101 answer to a request sent with Sec-WebSocket-Key key
// (RFC 6455 §4.1, the client's checks 1-4): Upgrade: websocket, Connection: upgrade, and the
// accept value derived from key. The subprotocol and extensions are the caller's to check
// against what it offered. It returns ErrBadResponse when a check fails.
func CheckResponse(r *Response, key []byte) error {
	if r.Status != 101 || !r.Upgrade || !r.ConnUpgrade {
		return ErrBadResponse
	}
	var want [AcceptLen]byte // does not escape
	if subtle.ConstantTimeCompare(AppendAccept(want[:0], key), r.Accept) != 1 {
		return ErrBadResponse
	}
	return nil
}

// AppendUpgradeRequest appends the request line and the fixed header lines of an upgrade
// request (RFC 6455 §4.1) to dst: GET target, Host, Upgrade, Connection, Sec-WebSocket-Key,
// Sec-WebSocket-Version: 13, then Sec-WebSocket-Protocol with the protocols joined by ", "
// when there are any, and Sec-WebSocket-Extensions when extensions is not empty. The head is
// left open: add lines with AppendHeader, then end it with "\r\n". Every argument must be a
// valid field value or request target (no CR, LF or other control characters).
func AppendUpgradeRequest(dst, target, host, key []byte, protocols [][]byte, extensions string) []byte {
	dst = append(dst, "GET "...)
	dst = append(dst, target...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "...)
	dst = append(dst, key...)
	dst = append(dst, "\r\nSec-WebSocket-Version: 13\r\n"...)
	if len(protocols) > 0 {
		dst = append(dst, "Sec-WebSocket-Protocol: "...)
		for i, p := range protocols {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = append(dst, p...)
		}
		dst = append(dst, "\r\n"...)
	}
	if extensions != "" {
		dst = append(dst, "Sec-WebSocket-Extensions: "...)
		dst = append(dst, extensions...)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// AppendHeader appends the header line "name: value\r\n" to dst. A name that is not a token
// or a value with a control character other than HTAB is not appended, so that bytes from
// elsewhere can never split the head.
func AppendHeader(dst []byte, name string, value []byte) []byte {
	if name == "" {
		return dst
	}
	for i := 0; i < len(name); i++ {
		if octets[name[i]]&octToken == 0 {
			return dst
		}
	}
	for _, c := range value {
		if octets[c]&octValue == 0 {
			return dst
		}
	}
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// UpstreamRefusal is the answer to a client whose upgrade the upstream refused with r: r's
// status for a 4xx (the client's request was at fault, or its credentials), else
// ErrBadGateway. A 401 carries the upstream's WWW-Authenticate challenges, which RFC 9110
// §11.6.1 requires of it and without which the client cannot answer it, and a 429 its
// Retry-After (§10.2.3); those answers are built for the occasion (a refusal is not a hot
// path). The plain *Error of each 4xx status is built once.
func UpstreamRefusal(r *Response) *Error {
	status := r.Status
	if status < 400 || status > 499 {
		return ErrBadGateway
	}
	var header []byte
	switch status {
	case 401:
		for _, v := range r.Authenticate {
			header = AppendHeader(header, "WWW-Authenticate", v)
		}
	case 429:
		if r.RetryAfter != nil {
			header = AppendHeader(header, "Retry-After", r.RetryAfter)
		}
	}
	if len(header) > 0 {
		return NewError(status, upstreamRefused, string(header))
	}
	refusals[status-400].once.Do(func() {
		refusals[status-400].err = NewError(status, upstreamRefused, "")
	})
	return refusals[status-400].err
}

const upstreamRefused = "Refused by the upstream server"

var refusals [100]struct {
	once sync.Once
	err  *Error
}
