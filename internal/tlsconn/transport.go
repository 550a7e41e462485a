package tlsconn

import (
	"net"
	"time"
)

// transport is the net.Conn that crypto/tls reads from and writes to. It
// does no I/O: reads come from the ciphertext the current Feed borrowed, and
// writes are appended to the caller's output buffer. Both are only set for
// the duration of a Feed, Seal or CloseNotify call.
type transport struct {
	// head is read before in: the bytes Feed held back to sniff them.
	head []byte

	// in is the unread part of the ciphertext passed to Feed. Borrowed:
	// crypto/tls copies what it reads into its own record buffer, and in is
	// cleared before Feed returns.
	in []byte

	// out is the caller's buffer that ciphertext is appended to.
	out []byte

	// yield suspends the handshake coroutine until the next Feed. It is set
	// only while the handshake runs; afterwards an empty in makes Read
	// return errWouldBlock instead.
	yield func(struct{}) bool

	// closed makes Read fail for good: the session was released while the
	// handshake was suspended, and the handshake must now unwind.
	closed bool
}

// errWouldBlock is what Read returns after the handshake when the borrowed
// input is used up. Feed normally hands crypto/tls whole records only (see
// recordReady), so this is the exception: a key update split across
// records, or any read at all when connBuffers is unavailable. crypto/tls
// keeps a partial record and all connection state when the underlying Read
// fails with a net.Error whose Temporary method reports true, the contract
// it has with deadline timeouts, so the next Feed resumes exactly where
// this one stopped.
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "tlsconn: need more input" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

func (t *transport) Read(p []byte) (int, error) {
	if len(t.head) > 0 {
		n := copy(p, t.head)
		t.head = t.head[n:]
		return n, nil
	}
	for len(t.in) == 0 {
		if t.closed {
			return 0, net.ErrClosed
		}
		if t.yield == nil {
			return 0, errWouldBlock
		}
		// Hand control back to Feed, which returns to the event loop; the
		// next Feed resumes us here with fresh input. yield reports false
		// when Release stops the coroutine instead.
		if !t.yield(struct{}{}) {
			t.closed = true
		}
	}
	n := copy(p, t.in)
	t.in = t.in[n:]
	return n, nil
}

func (t *transport) Write(p []byte) (int, error) {
	t.out = append(t.out, p...)
	return len(p), nil
}

// The rest of net.Conn: crypto/tls calls SetWriteDeadline around a
// close_notify and passes the Conn to GetCertificate hooks. There is no
// socket behind, so deadlines are meaningless and the addresses are
// placeholders; the engine knows the real ones.

func (t *transport) Close() error                     { return nil }
func (t *transport) LocalAddr() net.Addr              { return sessionAddr{} }
func (t *transport) RemoteAddr() net.Addr             { return sessionAddr{} }
func (t *transport) SetDeadline(time.Time) error      { return nil }
func (t *transport) SetReadDeadline(time.Time) error  { return nil }
func (t *transport) SetWriteDeadline(time.Time) error { return nil }

type sessionAddr struct{}

func (sessionAddr) Network() string { return "tlsconn" }
func (sessionAddr) String() string  { return "tlsconn" }
