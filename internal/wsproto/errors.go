package wsproto

import (
	"errors"
	"strconv"
)

// Close codes of RFC 6455 §7.4.1 (and the IANA registry) that a server sends or
// receives.
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001
	CloseProtocolError   = 1002
	CloseUnsupported     = 1003
	CloseNoStatus        = 1005 // never on the wire: a close frame without payload
	CloseAbnormal        = 1006 // never on the wire: the connection dropped
	CloseInvalidPayload  = 1007
	ClosePolicy          = 1008
	CloseTooBig          = 1009
	CloseMandatoryExt    = 1010
	CloseInternal        = 1011
	CloseServiceRestart  = 1012
	CloseTryAgain        = 1013
	CloseBadGateway      = 1014
	closeReservedTLS     = 1015
	maxCloseReasonLength = 123 // 125 bytes of control payload minus the code
)

// CloseError ends a connection with a close code. Feed returns one (always one of
// the values in the var block below) for every protocol violation; the engine
// answers with AppendClose(dst, e.Code, e.Reason) and closes.
type CloseError struct {
	Code   uint16
	Reason string // sent to the peer: short, ASCII, never peer data
}

// Error implements error.
func (e *CloseError) Error() string {
	return "wsproto: close " + strconv.Itoa(int(e.Code)) + ": " + e.Reason
}

// Errors returned by Feed. The *CloseError values are compared by identity
// (errors.Is); their Code is what the server sends before closing.
var (
	// ErrInputBudget: the message buffer would pass the Config's Budget shared by
	// all connections; the server is short of memory, the client may retry.
	ErrInputBudget = &CloseError{CloseTryAgain, "server input memory full"}
	// ErrUnmaskedFrame: a client frame without the mask bit (RFC 6455 §5.1).
	ErrUnmaskedFrame = &CloseError{CloseProtocolError, "unmasked client frame"}
	// ErrMaskedFrame: a server frame with the mask bit, read by a Reader in
	// client mode (RFC 6455 §5.1).
	ErrMaskedFrame = &CloseError{CloseProtocolError, "masked server frame"}
	// ErrReservedBits: RSV2 or RSV3 set, or RSV1 set without a negotiated
	// extension, on a control frame or on a continuation frame (§5.2, RFC 7692 §6).
	ErrReservedBits = &CloseError{CloseProtocolError, "reserved bits set"}
	// ErrReservedOpcode: opcode 0x3-0x7 or 0xB-0xF (§5.2).
	ErrReservedOpcode = &CloseError{CloseProtocolError, "reserved opcode"}
	// ErrLengthMSB: a 64-bit payload length with the most significant bit set (§5.2).
	ErrLengthMSB = &CloseError{CloseProtocolError, "payload length with MSB set"}
	// ErrUnexpectedContinuation: a continuation frame with no message in progress (§5.4).
	ErrUnexpectedContinuation = &CloseError{CloseProtocolError, "continuation without a message in progress"}
	// ErrInterleavedMessage: a text or binary frame while a fragmented message is in progress (§5.4).
	ErrInterleavedMessage = &CloseError{CloseProtocolError, "new message inside a fragmented message"}
	// ErrControlTooLong: a control frame with more than 125 bytes of payload (§5.5).
	ErrControlTooLong = &CloseError{CloseProtocolError, "control frame payload over 125 bytes"}
	// ErrControlFragmented: a control frame without FIN (§5.5).
	ErrControlFragmented = &CloseError{CloseProtocolError, "fragmented control frame"}
	// ErrCloseLength: a close frame with a 1-byte payload (§5.5.1).
	ErrCloseLength = &CloseError{CloseProtocolError, "close frame with 1-byte payload"}
	// ErrCloseCode: a close code that must not be sent (§7.4).
	ErrCloseCode = &CloseError{CloseProtocolError, "invalid close code"}
	// ErrCloseReason: a close reason that is not valid UTF-8 (§5.5.1).
	ErrCloseReason = &CloseError{CloseInvalidPayload, "invalid UTF-8 in close reason"}
	// ErrInvalidUTF8: a text message that is not valid UTF-8 (§8.1).
	ErrInvalidUTF8 = &CloseError{CloseInvalidPayload, "invalid UTF-8 in text message"}
	// ErrInvalidDeflate: a compressed message that does not inflate (RFC 7692 §7.2.2).
	ErrInvalidDeflate = &CloseError{CloseInvalidPayload, "invalid compressed data"}
	// ErrMessageTooBig: a message past Config.MaxMessageSize (§10.4).
	ErrMessageTooBig = &CloseError{CloseTooBig, "message too big"}

	// ErrClosed: Feed called after the close frame was delivered or after an error.
	ErrClosed = errors.New("wsproto: reader is closed")
)
