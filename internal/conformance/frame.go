package conformance

import (
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf8"
)

// Opcodes of RFC 6455 §5.2. They are plain bytes here, not wsproto's type:
// the client is written independently of the server code it checks.
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xa
)

// Close codes the cases expect (RFC 6455 §7.4.1). CloseNoStatus stands for a
// close frame without payload; it is never on the wire.
const (
	CloseNormal         uint16 = 1000
	CloseGoingAway      uint16 = 1001
	CloseProtocolError  uint16 = 1002
	CloseNoStatus       uint16 = 1005
	CloseInvalidPayload uint16 = 1007
	CloseTooBig         uint16 = 1009
)

// Frame is one client frame as Autobahn's sendFrame builds it: any opcode,
// FIN, reserved bits and length, masked with a fresh key unless Unmasked.
// The zero value is a continuation frame without FIN; build frames with F.
type Frame struct {
	Op       byte
	Fin      bool
	Rsv      byte   // the three reserved bits as a number, 0-7 (4 is RSV1)
	Payload  []byte // the payload before masking
	Len      int    // > 0: send Payload repeated (and cut) to Len bytes, Autobahn's payload_len
	Chop     int    // > 0: write the frame in pieces of Chop bytes, pausing between them
	Sync     bool   // write the frame on its own and pause, so that it travels alone
	Unmasked bool   // omit the mask (a client must mask: RFC 6455 §5.1)
}

// F returns a frame with FIN set.
func F(op byte, payload string) Frame { return Frame{Op: op, Fin: true, Payload: []byte(payload)} }

// NoFin returns f without FIN (a fragment, or an illegal fragmented control frame).
func (f Frame) NoFin() Frame { f.Fin = false; return f }

// WithRsv returns f with the reserved bits set to rsv (0-7).
func (f Frame) WithRsv(rsv byte) Frame { f.Rsv = rsv; return f }

// Chopped returns f written in pieces of n bytes.
func (f Frame) Chopped(n int) Frame { f.Chop = n; return f }

// Synced returns f written on its own.
func (f Frame) Synced() Frame { f.Sync = true; return f }

// Repeat returns f with its payload repeated and cut to n bytes (n > 0).
func (f Frame) Repeat(n int) Frame { f.Len = n; return f }

// payload returns the payload to send: Payload, or Payload repeated to Len.
func (f *Frame) payload() []byte {
	if f.Len <= 0 || len(f.Payload) == 0 {
		return f.Payload
	}
	p := make([]byte, f.Len)
	for i := 0; i < f.Len; i += copy(p[i:], f.Payload) {
	}
	return p
}

// appendFrame appends f encoded with the masking key to dst.
func appendFrame(dst []byte, f *Frame, key [4]byte) []byte {
	p := f.payload()
	b0 := f.Op&0x0f | (f.Rsv&7)<<4
	if f.Fin {
		b0 |= 0x80
	}
	var mb byte = 0x80
	if f.Unmasked {
		mb = 0
	}
	switch n := len(p); {
	case n <= 125:
		dst = append(dst, b0, mb|byte(n))
	case n <= 0xffff:
		dst = append(dst, b0, mb|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b0, mb|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if f.Unmasked {
		return append(dst, p...)
	}
	dst = append(dst, key[:]...)
	for i, c := range p {
		dst = append(dst, c^key[i&3])
	}
	return dst
}

// ClosePayload builds a close frame's payload the way Autobahn's
// sendCloseFrame does: the code as two bytes when code >= 0, then the reason
// bytes as they are (valid or not). A negative code and a nil reason give an
// empty payload.
func ClosePayload(code int, reason []byte) []byte {
	var p []byte
	if code >= 0 {
		p = binary.BigEndian.AppendUint16(p, uint16(code))
	}
	return append(p, reason...)
}

// serverFrame is one frame as the server sent it.
type serverFrame struct {
	fin     bool
	rsv     byte
	op      byte
	payload []byte
}

// maxServerFrame bounds a server frame the client accepts: more than any case sends.
const maxServerFrame = 64 << 20

// readFrame reads and checks the framing of one server frame (RFC 6455 §5.1,
// §5.2, §5.5). It leaves the rules that need connection state (RSV1,
// fragmentation order, UTF-8, close payloads) to the caller.
func readFrame(r io.Reader, hdr *[14]byte) (serverFrame, error) {
	var f serverFrame
	if _, err := io.ReadFull(r, hdr[:2]); err != nil {
		return f, err
	}
	b0, b1 := hdr[0], hdr[1]
	f.fin, f.rsv, f.op = b0&0x80 != 0, (b0>>4)&7, b0&0x0f
	if b1&0x80 != 0 {
		return f, fmt.Errorf("%w: masked server frame (RFC 6455 §5.1)", ErrViolation)
	}
	n := uint64(b1 & 0x7f)
	switch n {
	case 126:
		if _, err := io.ReadFull(r, hdr[2:4]); err != nil {
			return f, unexpectedEOF(err)
		}
		n = uint64(binary.BigEndian.Uint16(hdr[2:4]))
		if n <= 125 {
			return f, fmt.Errorf("%w: length %d not in its minimal encoding (RFC 6455 §5.2)", ErrViolation, n)
		}
	case 127:
		if _, err := io.ReadFull(r, hdr[2:10]); err != nil {
			return f, unexpectedEOF(err)
		}
		n = binary.BigEndian.Uint64(hdr[2:10])
		if n <= 0xffff {
			return f, fmt.Errorf("%w: length %d not in its minimal encoding (RFC 6455 §5.2)", ErrViolation, n)
		}
	}
	switch {
	case f.op >= 0x3 && f.op <= 0x7 || f.op >= 0xb:
		return f, fmt.Errorf("%w: reserved opcode %#x (RFC 6455 §5.2)", ErrViolation, f.op)
	case f.op >= 0x8 && (!f.fin || n > 125):
		return f, fmt.Errorf("%w: control frame %#x fragmented or over 125 bytes (RFC 6455 §5.5)", ErrViolation, f.op)
	case f.rsv&3 != 0:
		return f, fmt.Errorf("%w: RSV2/RSV3 set (RFC 6455 §5.2)", ErrViolation)
	case n > maxServerFrame:
		return f, fmt.Errorf("%w: frame of %d bytes", ErrViolation, n)
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return f, unexpectedEOF(err)
	}
	return f, nil
}

// unexpectedEOF reports the end of the stream inside a frame as an error.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// checkClose validates a server close frame's payload (RFC 6455 §5.5.1,
// §7.4) and returns its code (CloseNoStatus when empty) and reason.
func checkClose(p []byte) (uint16, []byte, error) {
	switch {
	case len(p) == 0:
		return CloseNoStatus, nil, nil
	case len(p) == 1:
		return 0, nil, fmt.Errorf("%w: close frame with a 1-byte payload (RFC 6455 §5.5.1)", ErrViolation)
	}
	code := binary.BigEndian.Uint16(p)
	if !sendableCloseCode(code) {
		return 0, nil, fmt.Errorf("%w: close code %d must not be sent (RFC 6455 §7.4)", ErrViolation, code)
	}
	if !utf8.Valid(p[2:]) {
		return 0, nil, fmt.Errorf("%w: close reason is not UTF-8 (RFC 6455 §5.5.1)", ErrViolation)
	}
	return code, p[2:], nil
}

// sendableCloseCode reports whether an endpoint may put code in a close frame:
// the codes RFC 6455 §7.4.1 defines for use, the IANA registry's 1012-1014,
// and the ranges for libraries and applications (§7.4.2).
func sendableCloseCode(code uint16) bool {
	return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999
}
