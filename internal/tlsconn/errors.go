package tlsconn

import "errors"

// Errors returned by this package. Feed wraps handshake and record errors
// from crypto/tls unchanged (they already name the alert or the record
// problem); the values below are the conditions a caller branches on.
var (
	// ErrNotTLS means the first bytes of a connection are not a TLS
	// handshake record, typically a plain-HTTP request sent to a TLS port.
	// Feed has written nothing to out; the caller may answer in clear text
	// (e.g. an HTTP 400) and close, as net/http does.
	ErrNotTLS = errors.New("tlsconn: first bytes are not a TLS handshake record")

	// ErrHandshakeIncomplete is returned by Seal and CloseNotify before the
	// handshake has finished: no application data may be sent yet.
	ErrHandshakeIncomplete = errors.New("tlsconn: handshake not complete")

	// ErrReleased is returned by every method called after Release.
	ErrReleased = errors.New("tlsconn: session released")

	// ErrNoCertificate means the certificate file holds no PEM CERTIFICATE
	// block.
	ErrNoCertificate = errors.New("tlsconn: no PEM CERTIFICATE block")

	// ErrNoPrivateKey means the key file holds no PEM private key block.
	ErrNoPrivateKey = errors.New("tlsconn: no PEM private key block")

	// ErrKeyMismatch means the key pair does not load: the private key does
	// not match the certificate's public key, or one of them does not parse.
	ErrKeyMismatch = errors.New("tlsconn: private key does not match certificate")
)
