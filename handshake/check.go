package handshake

import (
	"encoding/base64"

	"github.com/gobwas/httphead"
)

// IsUpgrade reports whether r asks for a WebSocket upgrade (docs/routing.md, status row 4):
// HTTP/1.1 or later, an Upgrade header listing "websocket" and a Connection
// header listing "upgrade" (RFC 6455 §4.2.1 items 1, 3 and 4).
func (r *Request) IsUpgrade() bool {
	return r.ProtoMajor == 1 && r.ProtoMinor >= 1 && r.Upgrade && r.ConnUpgrade
}

// HasBody reports whether r announces a body: Content-Length over 0 or any
// Transfer-Encoding.
func (r *Request) HasBody() bool { return r.ContentLength > 0 || r.Chunked }

// KeepAlive reports whether the connection may stay open after the response
// to r, by its version and Connection header (RFC 9112 §9.3): HTTP/1.1
// without "close", or HTTP/1.0 with "keep-alive".
func (r *Request) KeepAlive() bool {
	if r.ConnClose {
		return false
	}
	return r.ProtoMinor >= 1 || r.ConnKeepAlive
}

// Check validates an upgrade request that matched an application: rows 6–10
// of docs/routing.md, in order, the first failing check deciding:
//
//   - the method is GET (RFC 6455 §4.1 item 2), else ErrMethod (405, Allow: GET);
//   - an HTTP/1.1 request has a non-empty Host (RFC 9112 §3.2; RFC 6455
//     §4.1 item 4: the server's authority), else ErrNoHost (400);
//   - no body is announced, else ErrBody (400);
//   - Sec-WebSocket-Key is present once and is the base64 of 16 bytes
//     (RFC 6455 §4.2.1 item 5), else ErrBadKey (400);
//   - Sec-WebSocket-Version is present, else ErrNoVersion (400), and is
//     exactly 13 (§4.2.2, §4.4), else ErrBadVersion (426).
//
// Both version errors carry "Sec-WebSocket-Version: 13". Check returns nil or
// one of those *Error values and never allocates.
func Check(r *Request) error {
	switch {
	case string(r.Method) != "GET":
		return ErrMethod
	case r.ProtoMinor >= 1 && (!r.HasHost || len(r.Host) == 0):
		return ErrNoHost
	case r.HasBody():
		return ErrBody
	case !r.hasKey || r.dupKey || !validKey(r.Key):
		return ErrBadKey
	case !r.HasVersion:
		return ErrNoVersion
	case r.dupVersion || string(r.Version) != "13":
		return ErrBadVersion
	}
	return nil
}

// validKey reports whether key is base64 (with padding) of exactly 16 bytes.
func validKey(key []byte) bool {
	if len(key) != 24 {
		return false
	}
	var dst [18]byte // base64.StdEncoding.DecodedLen(24); does not escape
	n, err := base64.StdEncoding.Decode(dst[:], key)
	return err == nil && n == 16
}

// ForEachProtocol calls fn with every subprotocol token the client offered,
// in order, across all Sec-WebSocket-Protocol lines (each a comma-separated
// token list, RFC 6455 §11.3.4), until fn returns false. A line that is not a
// valid token list yields its tokens up to the first error. p borrows the
// buffer given to Parse: it is only valid until the callback returns.
func (r *Request) ForEachProtocol(fn func(p []byte) bool) {
	for _, line := range r.Protocols {
		stop := false
		httphead.ScanTokens(line, func(p []byte) bool {
			if !fn(p) {
				stop = true
			}
			return !stop
		})
		if stop {
			return
		}
	}
}
