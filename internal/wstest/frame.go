package wstest

import (
	"encoding/binary"
	"unicode/utf8"

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

// RsvDeflate is the reserved bit RSV1 in Header.Rsv: a compressed message
// under permessage-deflate (RFC 7692 §6).
const RsvDeflate byte = 0x4

// MaxFrame is the largest frame payload ParseHeader accepts.
const MaxFrame = 64 << 20

// MaxHeader is the largest frame header: 2 bytes, 8 bytes of length, 4 of mask.
const MaxHeader = 14

// Header is a frame header (RFC 6455 §5.2).
type Header struct {
	Fin    bool
	Rsv    byte // the three reserved bits as a number 0-7; RSV1 is RsvDeflate
	Op     byte
	Masked bool
	Mask   [4]byte
	Length int // payload length in bytes
	Size   int // header length in bytes; set by ParseHeader, ignored by AppendHeader
	// LenForm forces AppendHeader's length encoding: 16 or 64 for the 16-bit
	// or 64-bit form, 0 for the shortest (which RFC 6455 §5.2 asks for; a test
	// of a reader's leniency writes the others). ParseHeader leaves it 0.
	LenForm int
}

// AppendHeader appends h to dst in the shortest length encoding and returns
// the extended slice. It writes any header, legal or not (a test of the
// server's checks sends unmasked frames, reserved bits and lengths it never
// sends the payload of).
func AppendHeader(dst []byte, h Header) []byte {
	b0 := h.Op&0x0F | (h.Rsv&7)<<4
	if h.Fin {
		b0 |= 0x80
	}
	var m byte
	if h.Masked {
		m = 0x80
	}
	switch n := h.Length; {
	case n < 126 && h.LenForm == 0:
		dst = append(dst, b0, m|byte(n))
	case n <= 0xFFFF && h.LenForm != 64:
		dst = append(dst, b0, m|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b0, m|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if h.Masked {
		dst = append(dst, h.Mask[:]...)
	}
	return dst
}

// AppendFrame appends one masked client frame with FIN set (RFC 6455 §5.2,
// §5.3) carrying payload to dst and returns the extended slice. payload is
// only read; the masked copy lives in dst. It allocates nothing when dst has
// room for MaxHeader+len(payload) more bytes.
func AppendFrame(dst []byte, op byte, payload []byte, mask [4]byte) []byte {
	return AppendRaw(dst, Header{Fin: true, Op: op, Masked: true, Mask: mask}, payload)
}

// AppendRaw appends a frame with header h, its Length set to len(payload),
// and payload, masked with h.Mask when h.Masked, to dst. Like AppendHeader
// it writes any frame, legal or not.
func AppendRaw(dst []byte, h Header, payload []byte) []byte {
	h.Length = len(payload)
	dst = AppendHeader(dst, h)
	start := len(dst)
	dst = append(dst, payload...)
	if h.Masked {
		ws.Cipher(dst[start:], h.Mask, 0)
	}
	return dst
}

// testMask is the masking key of Masked: fixed, so that a failing test
// shows the same bytes every run.
var testMask = [4]byte{0x11, 0x22, 0x33, 0x44}

// Masked returns one masked client frame with FIN set in a new slice, for
// tests that write frames by hand.
func Masked(op byte, payload []byte) []byte {
	return AppendFrame(make([]byte, 0, MaxHeader+len(payload)), op, payload, testMask)
}

// ParseHeader parses the frame header at the start of b, any header the
// wire format allows. It returns ErrNeedMore while b holds less than the
// whole header, ErrProtocol for a 64-bit length with its most significant bit
// set (RFC 6455 §5.2), and ErrFrameTooLarge past MaxFrame. Whether the header
// may come from a server is CheckServer's question. It does not keep b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < 2 {
		return Header{}, ErrNeedMore
	}
	h := Header{Fin: b[0]&0x80 != 0, Rsv: b[0] >> 4 & 7, Op: b[0] & 0x0F, Masked: b[1]&0x80 != 0, Size: 2}
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
		if v>>63 != 0 {
			return h, ErrProtocol
		}
		if v > MaxFrame {
			return h, ErrFrameTooLarge
		}
		h.Length, h.Size = int(v), 10
	default:
		h.Length = l
	}
	if h.Masked {
		if len(b) < h.Size+4 {
			return h, ErrNeedMore
		}
		copy(h.Mask[:], b[h.Size:])
		h.Size += 4
	}
	if h.Length > MaxFrame {
		return h, ErrFrameTooLarge
	}
	return h, nil
}

// CheckServer returns ErrProtocol for a header a server must not send on a
// connection whose extensions allow the reserved bits rsv (0 without
// extensions, RsvDeflate with permessage-deflate): a masked frame (RFC 6455
// §5.1), other reserved bits or any on a control or continuation frame
// (§5.2, RFC 7692 §6.1), a reserved opcode (§5.2), a fragmented control frame
// or one over 125 bytes (§5.5).
func (h Header) CheckServer(rsv byte) error {
	switch {
	case h.Masked, h.Rsv&^rsv != 0:
		return ErrProtocol
	}
	switch h.Op {
	case OpText, OpBinary:
		return nil
	case OpContinuation:
		if h.Rsv != 0 {
			return ErrProtocol
		}
		return nil
	case OpClose, OpPing, OpPong:
		if !h.Fin || h.Length > 125 || h.Rsv != 0 {
			return ErrProtocol
		}
		return nil
	}
	return ErrProtocol
}

// ParseClose returns the code and reason of a close frame's payload (RFC
// 6455 §5.5.1): CloseNoStatus for an empty payload, ErrProtocol for a
// 1-byte payload, a code no endpoint may send (§7.4) or a reason that is not
// UTF-8. reason aliases p.
func ParseClose(p []byte) (code uint16, reason []byte, err error) {
	switch len(p) {
	case 0:
		return CloseNoStatus, nil, nil
	case 1:
		return 0, nil, ErrProtocol
	}
	code = binary.BigEndian.Uint16(p)
	if !(code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999) {
		return code, nil, ErrProtocol
	}
	if !utf8.Valid(p[2:]) {
		return code, nil, ErrProtocol
	}
	return code, p[2:], nil
}

// ClosePayload appends a close frame's payload, code and reason, to dst.
func ClosePayload(dst []byte, code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(dst, code), reason...)
}

// CloseNoStatus is what ParseClose reports for a close frame without a
// code (RFC 6455 §7.1.5); it is never on the wire.
const CloseNoStatus uint16 = 1005
