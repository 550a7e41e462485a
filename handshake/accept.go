package handshake

import (
	"crypto/sha1"
	"encoding/base64"
)

// acceptGUID is appended to the client's key (RFC 6455 §1.3, §4.2.2 item 5.4).
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptLen is the length of a Sec-WebSocket-Accept value: base64 of a SHA-1.
const AcceptLen = 28

// AppendAccept appends the Sec-WebSocket-Accept value for key, that is
// base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2 item 5.4), and returns the
// extended slice. It does not allocate unless dst must grow (or key is longer
// than a valid key could be).
func AppendAccept(dst, key []byte) []byte {
	var scratch [64 + len(acceptGUID)]byte // does not escape
	in := scratch[:0]
	if len(key) > 64 {
		in = make([]byte, 0, len(key)+len(acceptGUID))
	}
	in = append(append(in, key...), acceptGUID...)
	sum := sha1.Sum(in)
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// AppendSwitching appends the complete 101 response accepting the upgrade of
// a request with Sec-WebSocket-Key key (RFC 6455 §4.2.2): status line,
// Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Accept, then
// Sec-WebSocket-Protocol only when protocol is not empty and
// Sec-WebSocket-Extensions only when extensions is not empty, and the blank
// line. protocol and extensions are written as given: they must be valid
// field values chosen by the server (a token the client offered, extension
// parameters the server accepted), never unchecked client bytes. It does not
// allocate when dst has room.
func AppendSwitching(dst, key, protocol, extensions []byte) []byte {
	dst = append(dst, "HTTP/1.1 101 Switching Protocols\r\n"+
		"Upgrade: websocket\r\n"+
		"Connection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: "...)
	dst = AppendAccept(dst, key)
	dst = append(dst, "\r\n"...)
	if len(protocol) > 0 {
		dst = append(dst, "Sec-WebSocket-Protocol: "...)
		dst = append(dst, protocol...)
		dst = append(dst, "\r\n"...)
	}
	if len(extensions) > 0 {
		dst = append(dst, "Sec-WebSocket-Extensions: "...)
		dst = append(dst, extensions...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}
