package conformance

import "errors"

// Errors of the client and the runner. A failed case returns an error that
// wraps one of these with the details (what was expected, what arrived).
var (
	// ErrHandshake: the server did not answer the upgrade as RFC 6455 §4.2.2
	// and RFC 7692 §7.1 require (status, Upgrade, Connection,
	// Sec-WebSocket-Accept, Sec-WebSocket-Extensions).
	ErrHandshake = errors.New("conformance: bad opening handshake")
	// ErrViolation: the server sent something a client must fail the
	// connection for (a masked frame, reserved bits or opcodes, bad
	// fragmentation, invalid UTF-8, an invalid close frame, data after its
	// close frame, undecodable compressed data).
	ErrViolation = errors.New("conformance: server violated the protocol")
	// ErrEvents: the messages, pongs and marks received differ from those
	// the case expects (Autobahn's "behavior").
	ErrEvents = errors.New("conformance: events differ from the expected ones")
	// ErrClosing: the closing of the connection differs from what the case
	// expects (Autobahn's "behaviorClose": wrong endpoint, wrong code, not
	// clean, or the client had to drop the TCP connection).
	ErrClosing = errors.New("conformance: wrong closing behaviour")
	// ErrTimeout: something the case waits for did not happen in time.
	ErrTimeout = errors.New("conformance: timed out")
	// ErrNotOpen: the script needed an open connection and the server had
	// closed it.
	ErrNotOpen = errors.New("conformance: connection not open")
	// ErrWindow: a compressed server message refers further back than the
	// negotiated server_max_window_bits allow (RFC 7692 §7.1.2.1), or
	// before the start of the history it may use.
	ErrWindow = errors.New("conformance: deflate distance beyond the window")
	// ErrDeflate: a compressed server message is not valid DEFLATE (RFC 1951).
	ErrDeflate = errors.New("conformance: invalid deflate data")
)
