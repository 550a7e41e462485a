package wstest

import (
	"errors"
	"fmt"
)

// Errors returned by this package.
var (
	// ErrNeedMore reports that a handshake response or frame header is not
	// complete yet; the caller reads more and tries again.
	ErrNeedMore = errors.New("wstest: need more data")
	// ErrBadStatus reports a handshake response whose status is not 101; a
	// well-formed one comes as a *StatusError, which matches it.
	ErrBadStatus = errors.New("wstest: handshake answered without 101 Switching Protocols")
	// ErrBadAccept reports a missing or wrong Sec-WebSocket-Accept header.
	ErrBadAccept = errors.New("wstest: handshake answered with a wrong Sec-WebSocket-Accept")
	// ErrResponseTooLarge reports a handshake response header block over 8 KiB.
	ErrResponseTooLarge = errors.New("wstest: handshake response too large")
	// ErrProtocol reports a frame or close payload that breaks RFC 6455
	// (masked server frame, reserved bits, fragmented or oversized control
	// frame, bad length, close code or reason).
	ErrProtocol = errors.New("wstest: protocol error in server frame")
	// ErrFrameTooLarge reports a frame over MaxFrame.
	ErrFrameTooLarge = errors.New("wstest: frame too large")
)

// StatusError is an upgrade answered with a status other than 101.
type StatusError struct {
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("wstest: upgrade answered %d instead of 101", e.Status)
}

// Is makes a StatusError match ErrBadStatus.
func (e *StatusError) Is(target error) bool { return target == ErrBadStatus }
