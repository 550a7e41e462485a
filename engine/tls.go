package engine

import (
	"errors"
	"fmt"
	"io"

	"github.com/panjf2000/gnet/v2"

	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/bufpool"
	"github.com/wsgate/wsgate/internal/metrics"
	"github.com/wsgate/wsgate/internal/tlsconn"
)

// The connection's byte stream. A plain connection reads straight from gnet's buffer
// (zero-copy: the bytes are the loop's); a TLS connection reads the plaintext its Session
// decrypted into its tlsState's plain (conn.tlsConn), a pooled buffer held only while it has unread bytes. Everything
// above (request heads, frames) uses input, consume and write and does not know which.

// tlsState is a TLS connection's session and its decrypted, unconsumed bytes.
type tlsState struct {
	sess  *tlsconn.Session
	plain []byte // pooled; nil when empty
}

func (t *tlsState) release() {
	t.sess.Release()
	bufpool.Put(t.plain)
	t.plain = nil
}

// input returns the unread bytes; they stay valid until consume.
func (c *conn) input() []byte {
	if t := c.tlsConn(); t != nil {
		return t.plain
	}
	b, _ := c.gc.Peek(-1)
	return b
}

// consume discards the first n unread bytes; n < 0 discards all, 0 none.
func (c *conn) consume(n int) {
	if n == 0 {
		// The frame reader consumes nothing while a frame header (or a control frame)
		// is incomplete, and gnet's Discard drops the whole buffer for n <= 0: those
		// bytes must stay for the next read.
		return
	}
	t := c.tlsConn()
	if t == nil {
		_, _ = c.gc.Discard(n)
		return
	}
	consumePlain(&t.plain, n)
}

// consumePlain discards the first n bytes (n < 0: all) of a TLS session's decrypted,
// unconsumed input, a pooled buffer given back once empty: the client's (conn.consume) and
// a wss:// upstream's (upstream.consume).
func consumePlain(plain *[]byte, n int) {
	if n < 0 || n >= len(*plain) {
		bufpool.Put(*plain)
		*plain = nil
		return
	}
	*plain = (*plain)[:copy(*plain, (*plain)[n:])]
}

// seal encrypts b into TLS records in the loop's scratch and returns them, valid until the
// next seal on the loop; a scratch grown past 256 KiB by a large message is not kept. The
// client's writes (conn.write) and a wss:// upstream's (upstream.write) go through it.
func (lp *loop) seal(sess *tlsconn.Session, b []byte) ([]byte, error) {
	sealed, err := sess.Seal(lp.sealed[:0], b)
	if err != nil {
		return nil, err
	}
	lp.sealed = sealed[:0]
	if cap(lp.sealed) > 256<<10 {
		lp.sealed = nil
	}
	return sealed, nil
}

// write sends bytes to the client (sealed into TLS records on a secure listener); gnet
// buffers what the socket does not take; loop only.
func (c *conn) write(b []byte) {
	if t := c.tlsConn(); t != nil {
		sealed, err := c.lp.seal(t.sess, b)
		if err != nil {
			c.lp.s.log.Debug("tls seal failed", "conn", c.id, "err", err)
			return
		}
		b = sealed
	}
	if err := writeGnet(c.gc, b); err != nil && c.lp.s.debug {
		c.lp.s.log.Debug("write failed", "conn", c.id, "err", err)
	}
}

// readTLS moves what arrived on a TLS connection through its Session: handshake flights
// and alerts go out, plaintext lands in the tlsState's plain. It returns gnet.None to go on.
func (c *conn) readTLS() gnet.Action {
	in, _ := c.gc.Next(-1)
	if len(in) == 0 {
		return gnet.None
	}
	t := c.tlsConn()
	if t.plain == nil {
		t.plain = bufpool.Get(len(in))
	}
	out, plain, err := t.sess.Feed(in, c.lp.sealed[:0], t.plain)
	t.plain = plain
	if len(out) > 0 {
		_, _ = c.gc.Write(out)
	}
	c.lp.sealed = out[:0]
	if len(t.plain) == 0 {
		bufpool.Put(t.plain)
		t.plain = nil
	}
	switch {
	case err == nil:
		return gnet.None
	case errors.Is(err, tlsconn.ErrNotTLS):
		// A plain-HTTP client on a TLS port: tell it in clear text, then close.
		c.lp.s.stats.Refused.Add(1)
		if ok, held := c.lp.s.g.tlsLog.allow(c.lp.s.now.Load()); ok {
			c.lp.s.log.Info("plain HTTP on a TLS listener refused", "listener", c.listener().name, "remote", c.remote,
				"tls_failures_since_last_line", held)
		}
		_, _ = c.gc.Write(errPlainOnTLS.Response())
		t.release()
		c.extra.Load().tls = nil
		return c.drain()
	case errors.Is(err, io.EOF):
		return gnet.Close // close_notify
	default:
		if ok, held := c.lp.s.g.tlsLog.allow(c.lp.s.now.Load()); ok {
			c.lp.s.log.Info("tls error", "listener", c.listener().name, "remote", c.remote, "err", err,
				"tls_failures_since_last_line", held)
		}
		return gnet.Close // crypto/tls has queued its alert in out, written above
	}
}

// errPlainOnTLS answers a clear-text request on a secure listener.
var errPlainOnTLS = handshake.NewError(400, "This port expects TLS: use https:// or wss://", "")

// newListener builds the listener with index idx from its options, reading its
// certificate pair if it has one; it binds nothing.
func newListener(idx int, p Listener) (*listener, error) {
	l := &listener{idx: idx, name: p.Name, address: p.Address, standalone: idx > 0, handshake: metrics.NewHistogram(nil)}
	if idx == 0 {
		l.name = HTTPService
	}
	if p.TLSCert == "" && p.TLSKey == "" {
		return l, nil
	}
	if p.TLSCert == "" || p.TLSKey == "" {
		return nil, fmt.Errorf("engine: listener %q: TLSCert and TLSKey go together", l.name)
	}
	cfg, err := tlsconn.NewConfig(p.TLSCert, p.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("engine: listener %q: %w", l.name, err)
	}
	l.tls, l.tlsFiles = cfg, [2]string{p.TLSCert, p.TLSKey}
	return l, nil
}

// ReloadCertificates re-reads every secure listener's certificate pair (SIGHUP). New
// handshakes use the new pair; established connections are not touched. On an error the
// listener keeps its old pair, and the error names it.
func (s *Server) ReloadCertificates() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	var errs []error
	for _, l := range s.listenerList() {
		if l.tls == nil {
			continue
		}
		if err := l.tls.Reload(); err != nil {
			errs = append(errs, fmt.Errorf("engine: listener %q: %w", l.name, err))
			continue
		}
		s.log.Info("certificate reloaded", "listener", l.name)
	}
	return errors.Join(errs...)
}
