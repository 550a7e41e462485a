package load

import "errors"

// Errors returned by this package.
var (
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
