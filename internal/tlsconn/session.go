package tlsconn

import (
	"crypto/tls"
	"errors"
	"iter"
	"slices"
)

// Session is the server side (or, from NewClientSession, the client side) of
// one TLS connection, driven by an event loop:
// the loop passes in ciphertext as it arrives and gets back the ciphertext
// to send and the plaintext received. It performs no I/O and never blocks.
//
// A Session is not safe for concurrent use. All calls for one Session must
// come from the goroutine of the event loop that owns the connection: while
// the handshake is in progress it is parked on a coroutine, and if the loop
// is locked to its OS thread (gnet's WithLockOSThread) the runtime allows
// only that thread to resume it.
type Session struct {
	tr   transport
	conn *tls.Conn // nil after Release

	// next and stop resume and abort the handshake coroutine. They are
	// set from the first Feed until the handshake ends, so a connection
	// that never sends a byte costs no coroutine.
	next func() (struct{}, bool)
	stop func()

	// err is the first fatal error; every later Feed returns it.
	err error

	// sniff collects the first bytes of the connection until LooksLikeTLS
	// can judge all six it looks at, so that the verdict does not depend on
	// how TCP split them; then they are handed to crypto/tls first.
	sniff       [6]byte
	nsniff      uint8
	started     bool // the first six bytes arrived and looked like TLS
	established bool // the handshake completed
}

// minPlainSpare and plainGrow size the room Feed makes in the caller's
// plaintext buffer when it runs short: reading into a handful of bytes
// would take one crypto/tls Read per handful.
const (
	minPlainSpare = 512
	plainGrow     = 4096
)

// NewSession returns a Session that will run the server handshake with
// cfg's settings and the certificate cfg holds when the ClientHello
// arrives. Call Release when the connection closes.
func NewSession(cfg *Config) *Session {
	s := &Session{}
	s.conn = tls.Server(&s.tr, cfg.tls)
	return s
}

// NewClientSession returns a Session that runs the client side of the
// handshake with cfg, crypto/tls's client configuration (ServerName, RootCAs,
// InsecureSkipVerify, ...), for a connection the loop opened itself (the
// gateway's wss:// upstreams). The first Feed, with no input, returns the
// ClientHello to send; from then on it is used like a server Session. cfg must
// not be modified afterwards.
func NewClientSession(cfg *tls.Config) *Session {
	s := &Session{started: true} // the peer's first bytes are a ServerHello, not a ClientHello: no sniffing
	s.conn = tls.Client(&s.tr, cfg)
	return s
}

// Feed processes ciphertext received from the peer. It always consumes all
// of in: a partial record is kept inside the Session until the rest arrives,
// so in may be split anywhere (even one byte per call). in is only read
// during the call and may be reused as soon as Feed returns.
//
// Ciphertext that must be sent to the peer (handshake flights, alerts,
// key-update replies) is appended to out, and decrypted application data is
// appended to plain; both are returned like append's result. len(in) bounds
// what is appended to plain. Feed grows plain when it lacks room, so a
// caller that passes its buffers back each time allocates nothing once they
// have grown.
//
// The ciphertext Feed appends to out must reach the wire before anything a
// later Seal produces, because records carry sequence numbers: write out
// first, then process plain.
//
// A non-nil error is final and every later call returns it. out and plain
// are still valid then: out may hold an alert to send before closing, plain
// the data that arrived before the error. The errors are ErrNotTLS (the
// peer speaks something else; out is untouched), io.EOF (the peer sent
// close_notify), ErrReleased, or a crypto/tls handshake or record error.
func (s *Session) Feed(in, out, plain []byte) (outNext, plainNext []byte, err error) {
	if s.err != nil {
		return out, plain, s.err
	}
	if !s.started {
		n := copy(s.sniff[s.nsniff:], in)
		s.nsniff += uint8(n)
		if s.nsniff > 0 && !LooksLikeTLS(s.sniff[:s.nsniff]) {
			s.err = ErrNotTLS
			return out, plain, s.err
		}
		if int(s.nsniff) < len(s.sniff) {
			return out, plain, nil // all of in is in sniff
		}
		s.started = true
		s.tr.head, in = s.sniff[:], in[n:]
	}
	s.tr.in, s.tr.out = in, out
	wasEstablished := s.established
	if !wasEstablished {
		err = s.handshake()
	}
	if err == nil && s.established {
		plain, err = s.readPlain(plain)
		if !wasEstablished {
			// Give back what the ClientHello grew; not earlier, since a
			// parked handshake is in the middle of filling these buffers.
			s.trimBuffers(keepBuffer)
		}
	}
	out = s.tr.out
	s.tr.head, s.tr.in, s.tr.out = nil, nil, nil
	if err != nil {
		s.err = err
	}
	return out, plain, err
}

// handshake runs the crypto/tls server handshake until it needs input that
// has not arrived yet, or until it ends. crypto/tls reads with blocking
// semantics and cannot resume a handshake whose read failed, so it runs on
// a coroutine (iter.Pull): when the input runs out, transport.Read yields
// back here, and Feed returns to the event loop with the handshake's stack
// parked. The runtime counts the coroutine as a goroutine, but never
// schedules it: next switches to it directly on the calling thread and it
// switches back the same way. It lives for the handshake's round trips
// only.
func (s *Session) handshake() error {
	if s.next == nil {
		s.next, s.stop = iter.Pull(s.runHandshake)
	}
	if _, suspended := s.next(); suspended {
		return nil
	}
	s.next, s.stop = nil, nil
	if s.err != nil {
		return s.err
	}
	s.established = true
	return nil
}

// runHandshake is the coroutine's body. Its error lands in s.err, which
// handshake hands on.
func (s *Session) runHandshake(yield func(struct{}) bool) {
	s.tr.yield = yield
	s.err = s.conn.Handshake()
	s.tr.yield = nil
}

// readPlain decrypts every complete record buffered or in s.tr.in into
// plain. It stops when crypto/tls has no complete record left; a partial
// one stays in crypto/tls's buffer for the next Feed.
func (s *Session) readPlain(plain []byte) ([]byte, error) {
	for s.recordReady() {
		if cap(plain)-len(plain) < minPlainSpare {
			plain = slices.Grow(plain, max(plainGrow, len(s.tr.in)))
		}
		n, err := s.conn.Read(plain[len(plain):cap(plain)])
		plain = plain[:len(plain)+n]
		if err != nil {
			if errors.Is(err, errWouldBlock) {
				// crypto/tls wanted more than a record: a handshake
				// message (key update) or an alert spanning records.
				return plain, nil
			}
			return plain, err
		}
	}
	return plain, nil
}

// Seal encrypts p into TLS application-data records (at most 16 KiB of p
// each) appended to dst, and returns the extended buffer. p is only read
// during the call. Seal may be called between Feeds or while processing the
// plaintext a Feed returned; the records must be written in the order they
// were produced. It fails with ErrHandshakeIncomplete before the handshake
// is done.
func (s *Session) Seal(dst, p []byte) ([]byte, error) {
	if err := s.writable(); err != nil {
		return dst, err
	}
	saved := s.tr.out
	s.tr.out = dst
	_, err := s.conn.Write(p)
	dst, s.tr.out = s.tr.out, saved
	return dst, err
}

// CloseNotify appends a close_notify alert to dst: the peer learns that no
// more data follows (a truncation attack cannot fake this). Send it, then
// close the socket; nothing may be sealed after it.
func (s *Session) CloseNotify(dst []byte) ([]byte, error) {
	if err := s.writable(); err != nil {
		return dst, err
	}
	saved := s.tr.out
	s.tr.out = dst
	err := s.conn.CloseWrite()
	dst, s.tr.out = s.tr.out, saved
	return dst, err
}

func (s *Session) writable() error {
	if s.conn == nil {
		return ErrReleased
	}
	if !s.established {
		return ErrHandshakeIncomplete
	}
	return nil
}

// HandshakeComplete reports whether the handshake finished successfully, so
// Seal may be called.
func (s *Session) HandshakeComplete() bool { return s.established }

// ConnectionState returns the negotiated version, cipher suite, server name
// (SNI) and peer certificates; the zero value before the handshake and
// after Release.
func (s *Session) ConnectionState() tls.ConnectionState {
	if s.conn == nil || !s.established {
		return tls.ConnectionState{}
	}
	return s.conn.ConnectionState()
}

// Release frees the Session's state when its connection closes. A handshake
// still in progress is unwound (its coroutine finishes; any alert it writes
// is dropped). It must be called on the goroutine that called Feed, and
// every later call fails with ErrReleased. Release is idempotent.
func (s *Session) Release() {
	if s.stop != nil {
		s.tr.in, s.tr.out = nil, nil
		s.stop()
		s.next, s.stop = nil, nil
	}
	s.tr = transport{}
	s.conn = nil
	s.established = false
	s.err = ErrReleased
}

// LooksLikeTLS reports whether b could be the start of a TLS record carrying
// a ClientHello, judging by as many of its first six bytes as it has:
// content type handshake (22), protocol major version 3, a record length
// from 1 to 2^14 (RFC 8446, Section 5.1), handshake type client_hello (1).
// An empty b reports false. Use it on the first bytes of a connection on a
// TLS port to answer a plain-HTTP request ("GET ...") in clear text instead
// of with a TLS alert the client cannot read.
func LooksLikeTLS(b []byte) bool {
	switch {
	case len(b) == 0, b[0] != 22:
		return false
	case len(b) > 1 && b[1] != 3:
		return false
	case len(b) > 2 && b[2] > 4: // SSL 3.0 is 3.0, TLS 1.3 records say 3.1 or 3.3
		return false
	case len(b) > 4:
		if n := int(b[3])<<8 | int(b[4]); n == 0 || n > 1<<14 {
			return false
		}
	}
	return len(b) <= 5 || b[5] == 1
}
