package cluster

import "errors"

var (
	// ErrConfig is wrapped by every configuration error New returns; the message names the
	// field.
	ErrConfig = errors.New("cluster: bad configuration")
	// ErrRefused is wrapped when the broker refuses the credentials or the TLS handshake fails
	// verification: errors an operator must fix, so New returns them instead of retrying.
	ErrRefused = errors.New("cluster: nats refused the connection")
	// ErrBadSubject is returned for a subject or token that is not in the canonical escaped
	// form.
	ErrBadSubject = errors.New("cluster: bad subject")
	// ErrClosed is returned by calls on a closed Node.
	ErrClosed = errors.New("cluster: node closed")
)
