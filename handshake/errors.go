package handshake

import (
	"errors"
	"strconv"
	"strings"
)

// Error is a handshake refusal: everything the engine needs to answer it is in
// the value. Error values are immutable after NewError and safe for concurrent
// use.
type Error struct {
	// Status is the HTTP status code, e.g. 400.
	Status int
	// Reason is the one-line text/plain body, e.g. "Bad Request".
	Reason string
	// Header holds extra header lines, each ending in "\r\n", e.g. "Allow: GET\r\n".
	Header string

	msg  string // Error()'s text, built once
	resp []byte // the complete response, built once
}

// NewError builds an Error and its complete HTTP/1.1 response once, so that
// writing a refusal later allocates nothing. It panics on programmer errors:
// a status outside 100–999, a reason containing CR or LF, or a header that is
// not a sequence of "Name: value\r\n" lines.
func NewError(status int, reason, header string) *Error {
	if status < 100 || status > 999 {
		panic("handshake: NewError: status out of range: " + strconv.Itoa(status))
	}
	if strings.ContainsAny(reason, "\r\n") {
		panic("handshake: NewError: reason must be one line: " + strconv.Quote(reason))
	}
	if !validExtraHeader(header) {
		panic("handshake: NewError: header must be \"Name: value\\r\\n\" lines: " + strconv.Quote(header))
	}
	e := &Error{Status: status, Reason: reason, Header: header}
	e.msg = "handshake: " + strconv.Itoa(status) + " " + reason

	var b []byte
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, statusText(status, reason)...)
	b = append(b, "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(reason)), 10)
	b = append(b, "\r\nConnection: close\r\n"...)
	b = append(b, header...)
	b = append(b, "\r\n"...)
	b = append(b, reason...)
	e.resp = b[:len(b):len(b)] // full slice: an append by a caller cannot write into it
	return e
}

// Error returns "handshake: <status> <reason>", e.g. "handshake: 405 Method Not Allowed".
func (e *Error) Error() string { return e.msg }

// Response returns the complete HTTP/1.1 response for the refusal: status line,
// Content-Type: text/plain; charset=utf-8, Content-Length, Connection: close,
// the extra Header lines, a blank line and Reason as the body (no trailing
// newline). The bytes are shared and must not be modified. The connection is
// to be closed after writing them (docs/routing.md: every refused upgrade is closed).
func (e *Error) Response() []byte { return e.resp }

// validExtraHeader reports whether h is zero or more "Name: value\r\n" lines
// with token names and values free of control characters.
func validExtraHeader(h string) bool {
	for h != "" {
		line, rest, ok := strings.Cut(h, "\r\n")
		if !ok {
			return false
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return false
		}
		for i := 0; i < len(name); i++ {
			if octets[name[i]]&octToken == 0 {
				return false
			}
		}
		for i := 0; i < len(value); i++ {
			if octets[value[i]]&octValue == 0 {
				return false
			}
		}
		h = rest
	}
	return true
}

// statusText returns the standard reason phrase for the status line (RFC 9110
// §15), or reason itself for codes the table does not know.
func statusText(status int, reason string) string {
	switch status {
	case 101:
		return "Switching Protocols"
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 408:
		return "Request Timeout"
	case 409:
		return "Conflict"
	case 413:
		return "Content Too Large"
	case 414:
		return "URI Too Long"
	case 426:
		return "Upgrade Required"
	case 429:
		return "Too Many Requests"
	case 431:
		return "Request Header Fields Too Large"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	case 505:
		return "HTTP Version Not Supported"
	}
	return reason
}

// Errors returned by Parse and Check, and refusals the engine answers with.
// Every *Error carries its complete response (see Error.Response). The
// reason texts are the one-line bodies clients see.
var (
	// ErrNeedMore is returned by Parse while the request head is incomplete
	// and still within the limits: wait for more bytes and call Parse again.
	ErrNeedMore = errors.New("handshake: need more bytes")

	// ErrBadRequest: unparseable request line or headers (docs/routing.md, status row 1).
	ErrBadRequest = NewError(400, "Bad Request", "")
	// ErrHeaderTooLarge: the head is over Limits.MaxHeaderBytes (row 2).
	ErrHeaderTooLarge = NewError(431, "Request Header Fields Too Large", "")
	// ErrURITooLong: the request target is over Limits.MaxTargetBytes (row 3).
	ErrURITooLong = NewError(414, "URI Too Long", "")
	// ErrUpgradeFailed: a standalone server's answer to anything that is not
	// a valid upgrade to one of its applications (rows 4 and 5).
	ErrUpgradeFailed = NewError(404, "Websockets upgrade failed", "")
	// ErrMethod: a matched upgrade whose method is not GET (row 6; RFC 6455 §4.1).
	ErrMethod = NewError(405, "Method Not Allowed", "Allow: GET\r\n")
	// ErrNoHost: an HTTP/1.1 upgrade without Host (row 7; RFC 9112 §3.2).
	ErrNoHost = NewError(400, "Missing Host header", "")
	// ErrBody: an upgrade request that announces a body (row 7).
	ErrBody = NewError(400, "Request body not allowed", "")
	// ErrBadKey: Sec-WebSocket-Key missing, repeated, not base64 or not 16
	// bytes decoded (row 8; RFC 6455 §4.1 item 7).
	ErrBadKey = NewError(400, "Invalid Sec-WebSocket-Key", "")
	// ErrNoVersion: Sec-WebSocket-Version missing (row 9).
	ErrNoVersion = NewError(400, "Missing Sec-WebSocket-Version", "Sec-WebSocket-Version: 13\r\n")
	// ErrBadVersion: Sec-WebSocket-Version is not 13 (row 10; RFC 6455 §4.4).
	ErrBadVersion = NewError(426, "Upgrade Required", "Sec-WebSocket-Version: 13\r\n")
	// ErrForbidden: Origin not allowed or access not permitted (rows 11, 12).
	ErrForbidden = NewError(403, "Forbidden", "")
	// ErrBusy: total or per-application connection limit reached (row 13).
	ErrBusy = NewError(503, "Service Unavailable", "Retry-After: 5\r\n")
	// ErrDeclined: the application declined the connection (row 14).
	ErrDeclined = NewError(503, "Connection declined", "")
	// ErrFailed: the application failed while setting up (row 14).
	ErrFailed = NewError(500, "Internal Server Error", "")
	// ErrNotFound: ordinary HTTP request for a missing resource.
	ErrNotFound = NewError(404, "Not Found", "")
	// ErrTimeout: the head did not arrive in time.
	ErrTimeout = NewError(408, "Request Timeout", "")
)
