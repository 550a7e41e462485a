package wstest

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
)

// maxResponse bounds the handshake response header block.
const maxResponse = 8 << 10

var acceptGUID = []byte("258EAFA5-E914-47DA-95CA-C5AB0DC85B11")

// NewKey encodes 16 nonce bytes as a Sec-WebSocket-Key value into key.
func NewKey(key *[24]byte, nonce [16]byte) {
	base64.StdEncoding.Encode(key[:], nonce[:])
}

// AppendRequest appends the opening handshake request (RFC 6455 §4.1) for
// path on host with the given key and the extra header lines ("Name: value")
// to dst and returns the extended slice. Without extra lines it allocates
// nothing when dst has room.
func AppendRequest(dst []byte, host, path string, key *[24]byte, extra ...string) []byte {
	dst = append(dst, "GET "...)
	dst = append(dst, path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "...)
	dst = append(dst, key[:]...)
	dst = append(dst, "\r\nSec-WebSocket-Version: 13\r\n"...)
	for _, h := range extra {
		dst = append(dst, h...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}

// CheckResponse checks the handshake response at the start of b against key:
// status 101 and the matching Sec-WebSocket-Accept (RFC 6455 §4.2.2). It
// returns the length of the header block, after which frames may follow, or
// ErrNeedMore while the block is incomplete. Another status is a
// *StatusError (which is ErrBadStatus); a status line that is not HTTP/1.1
// and three digits is ErrBadStatus. It does not keep b, and allocates only
// for a *StatusError.
func CheckResponse(b []byte, key *[24]byte) (int, error) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if len(b) > maxResponse {
			return 0, ErrResponseTooLarge
		}
		return 0, ErrNeedMore
	}
	block := b[:end+2]
	line, rest, _ := bytes.Cut(block, []byte("\r\n"))
	status, ok := statusCode(line)
	if !ok {
		return 0, ErrBadStatus
	}
	if status != 101 {
		return 0, &StatusError{Status: status}
	}
	var src [24 + 36]byte
	copy(src[copy(src[:], key[:]):], acceptGUID)
	sum := sha1.Sum(src[:])
	var want [28]byte
	base64.StdEncoding.Encode(want[:], sum[:])
	for len(rest) > 0 {
		var hl []byte
		hl, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(hl, []byte(":"))
		if ok && bytes.EqualFold(bytes.TrimSpace(name), []byte("Sec-WebSocket-Accept")) {
			if bytes.Equal(bytes.TrimSpace(value), want[:]) {
				return end + 4, nil
			}
			return 0, ErrBadAccept
		}
	}
	return 0, ErrBadAccept
}

// statusCode returns the status of an HTTP/1.1 status line.
func statusCode(line []byte) (int, bool) {
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) || (len(line) > 12 && line[12] != ' ') {
		return 0, false
	}
	n := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
