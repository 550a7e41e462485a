package wsproto

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// OpCode is a frame opcode (RFC 6455 §5.2); it is gobwas/ws's type, so its
// IsControl, IsData and IsReserved methods apply.
type OpCode = ws.OpCode

// Opcodes of RFC 6455 §5.2.
const (
	OpContinuation = ws.OpContinuation
	OpText         = ws.OpText
	OpBinary       = ws.OpBinary
	OpClose        = ws.OpClose
	OpPing         = ws.OpPing
	OpPong         = ws.OpPong
)

// Frame header bits (RFC 6455 §5.2).
const (
	bitFin    = 0x80
	bitRsv1   = 0x40
	bitRsv2   = 0x20
	bitRsv3   = 0x10
	bitMask   = 0x80
	maxHeader = ws.MaxHeaderSize
	// maxControlPayload is the largest payload of a control frame (§5.5).
	maxControlPayload = ws.MaxControlFramePayloadSize
)

// FrameSize returns the encoded size of an unmasked frame with n payload bytes
// (for preallocation).
func FrameSize(n int) int {
	switch {
	case n < 126:
		return 2 + n
	case n <= 0xffff:
		return 4 + n
	default:
		return 10 + n
	}
}

// AppendFrame appends one unmasked server frame with FIN set to dst and returns
// the extended slice. rsv1 marks the frame of a compressed message (RFC 7692
// §6); payload is copied and may be reused when AppendFrame returns. It does not
// check that a control payload fits 125 bytes: that is the caller's contract.
func AppendFrame(dst []byte, op OpCode, rsv1 bool, payload []byte) []byte {
	dst = appendHeader(dst, op, rsv1, len(payload))
	return append(dst, payload...)
}

// appendHeader appends the header of an unmasked FIN frame with n payload bytes.
func appendHeader(dst []byte, op OpCode, rsv1 bool, n int) []byte {
	b0 := bitFin | byte(op)
	if rsv1 {
		b0 |= bitRsv1
	}
	switch {
	case n < 126:
		return append(dst, b0, byte(n))
	case n <= 0xffff:
		return append(dst, b0, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b0, 127)
		return binary.BigEndian.AppendUint64(dst, uint64(n))
	}
}

// AppendClose appends a close frame with code and reason to dst (RFC 6455
// §5.5.1). The reason is cut to the 123 bytes that fit, on a UTF-8 boundary.
// Code 0 appends a close frame with an empty payload (and no reason).
func AppendClose(dst []byte, code uint16, reason string) []byte {
	if code == 0 {
		return append(dst, bitFin|byte(OpClose), 0)
	}
	if len(reason) > maxCloseReasonLength {
		n := maxCloseReasonLength
		// Step back over continuation bytes so that no rune is cut in two.
		for n > 0 && !utf8.RuneStart(reason[n]) {
			n--
		}
		reason = reason[:n]
	}
	dst = append(dst, bitFin|byte(OpClose), byte(2+len(reason)), byte(code>>8), byte(code))
	return append(dst, reason...)
}

// validCloseCode reports whether a peer may send code in a close frame
// (RFC 6455 §7.4; the IANA registry adds 1012-1014, which Autobahn's
// cases 7.7.x and 7.9.x leave to the implementation and we accept).
func validCloseCode(code uint16) bool {
	switch {
	case code >= 3000 && code <= 4999:
		return true
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	}
	return false
}
