package load

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
// path on host with the given key to dst and returns the extended slice.
func AppendRequest(dst []byte, host, path string, key *[24]byte) []byte {
	dst = append(dst, "GET "...)
	dst = append(dst, path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "...)
	dst = append(dst, key[:]...)
	dst = append(dst, "\r\nSec-WebSocket-Version: 13\r\n\r\n"...)
	return dst
}

// CheckResponse checks the handshake response at the start of b against key:
// status 101 and the matching Sec-WebSocket-Accept (RFC 6455 §4.2.2). It
// returns the length of the header block, after which frames may follow, or
// ErrNeedMore while the block is incomplete. It does not keep b.
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
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 101")) || (len(line) > 12 && line[12] != ' ') {
		return 0, ErrBadStatus
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
