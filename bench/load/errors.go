package load

import "errors"

// Errors returned by this package.
var (
	// ErrNeedMore reports that a handshake response or frame header is not
	// complete yet; the caller reads more and tries again.
	ErrNeedMore = errors.New("load: need more data")
	// ErrBadStatus reports a handshake response whose status is not 101.
	ErrBadStatus = errors.New("load: handshake answered without 101 Switching Protocols")
	// ErrBadAccept reports a missing or wrong Sec-WebSocket-Accept header.
	ErrBadAccept = errors.New("load: handshake answered with a wrong Sec-WebSocket-Accept")
	// ErrResponseTooLarge reports a handshake response header block over 8 KiB.
	ErrResponseTooLarge = errors.New("load: handshake response too large")
	// ErrProtocol reports a server frame that breaks RFC 6455 (masked, reserved
	// bits, fragmented or oversized control frame).
	ErrProtocol = errors.New("load: protocol error in server frame")
	// ErrFrameTooLarge reports a server frame over MaxFrame.
	ErrFrameTooLarge = errors.New("load: server frame too large")
	// ErrEOF reports that the server closed the connection.
	ErrEOF = errors.New("load: connection closed by server")
	// ErrMismatch reports an echo whose payload differs from what was sent.
	ErrMismatch = errors.New("load: echoed payload does not match")
	// ErrNotLoopback reports a target address outside 127.0.0.0/8.
	ErrNotLoopback = errors.New("load: target is not a loopback IPv4 address")
	// ErrConfig reports an invalid Config; the message names the field.
	ErrConfig = errors.New("load: invalid config")
	// ErrWatchdog reports a run stopped by its deadline.
	ErrWatchdog = errors.New("load: run stopped by the watchdog at its deadline")
)
