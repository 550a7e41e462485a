package load

import (
	"encoding/binary"

	"github.com/gobwas/ws"
)

// WebSocket opcodes (RFC 6455 §5.2).
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xA
)

// MaxFrame is the largest server frame payload the reader accepts.
const MaxFrame = 16 << 20

// MaxHeader is the largest frame header: 2 bytes, 8 bytes of length, 4 of mask.
const MaxHeader = 14

// Header is a parsed server frame header.
type Header struct {
	Fin    bool
	Op     byte
	Length int // payload length in bytes
	Size   int // header length in bytes
}

// AppendFrame appends one masked client frame with FIN set (RFC 6455 §5.2,
// §5.3) carrying payload to dst and returns the extended slice. payload is
// only read; the masked copy lives in dst.
func AppendFrame(dst []byte, op byte, payload []byte, mask [4]byte) []byte {
	n := len(payload)
	switch {
	case n < 126:
		dst = append(dst, 0x80|op, 0x80|byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x80|op, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|op, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	dst = append(dst, mask[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	ws.Cipher(dst[start:], mask, 0)
	return dst
}

// ParseHeader parses the server frame header at the start of b. It returns
// ErrNeedMore while b holds less than the whole header, ErrProtocol for a
// masked frame, reserved bits (no extension is negotiated), an unknown opcode
// or a fragmented or oversized control frame (§5.5), and ErrFrameTooLarge
// past MaxFrame. It does not keep b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < 2 {
		return Header{}, ErrNeedMore
	}
	h := Header{Fin: b[0]&0x80 != 0, Op: b[0] & 0x0F, Size: 2}
	if b[0]&0x70 != 0 || b[1]&0x80 != 0 {
		return h, ErrProtocol
	}
	switch h.Op {
	case OpContinuation, OpText, OpBinary:
	case OpClose, OpPing, OpPong:
		if !h.Fin || b[1]&0x7F > 125 {
			return h, ErrProtocol
		}
	default:
		return h, ErrProtocol
	}
	switch l := int(b[1] & 0x7F); l {
	case 126:
		if len(b) < 4 {
			return h, ErrNeedMore
		}
		h.Length, h.Size = int(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return h, ErrNeedMore
		}
		v := binary.BigEndian.Uint64(b[2:])
		if v > MaxFrame {
			return h, ErrFrameTooLarge
		}
		h.Length, h.Size = int(v), 10
	default:
		h.Length = l
	}
	if h.Length > MaxFrame {
		return h, ErrFrameTooLarge
	}
	return h, nil
}
