// Package tlsconn is the TLS layer of wsgate's secure listeners, shaped for
// an event loop: a Session takes ciphertext as the loop reads it and
// returns the ciphertext to write and the plaintext received, with no
// goroutine per connection, no blocking and no I/O of its own.
//
// # Design
//
// gnet has no TLS, and crypto/tls is written for blocking connections: its
// Conn reads from a net.Conn until a record is complete. Event-loop
// libraries have answered this with forks of crypto/tls rewritten as
// resumable state machines: nbio uses github.com/lesismal/llib's, and the
// TLS pull requests to gnet ported crypto/tls the same way. This package
// drives the unmodified crypto/tls instead:
//
//   - The handshake runs on a coroutine (iter.Pull). When crypto/tls reads
//     past the bytes Feed was given, the transport under the Session
//     yields, Feed returns to the loop, and the next Feed switches back.
//     The switch happens on the loop's thread without the scheduler and
//     costs well under a microsecond; the coroutine's stack (8 KiB while
//     parked) exists only from the first byte to the end of the handshake.
//   - After the handshake, crypto/tls is resumable as it is: Feed appends
//     each complete record to crypto/tls's record buffer and lets Conn.Read
//     decrypt it; when only part of a record has arrived, nothing is read.
//     If crypto/tls asks for more anyway (a key update spanning records),
//     the transport fails with a Temporary net.Error, which crypto/tls
//     treats as a deadline: it keeps the partial record and its state.
//
// So the protocol is the standard library's own, TLS 1.3 and 1.2, the
// hybrid post-quantum key exchange, session tickets, and the security
// fixes and FIPS mode that come with each Go release; no TLS state machine
// is maintained here. The one liberty taken is with three of tls.Conn's
// buffers (see buffers.go): Feed appends each record to crypto/tls's
// record buffer itself, which spares crypto/tls an allocation per read,
// and gives the buffers back when they are empty, since crypto/tls never
// shrinks them; that halves an idle session. The fields are looked up once
// by name and type; if a Go release changes them, sessions fall back to
// plain crypto/tls behaviour.
//
// Measured (bench/README.md, 2000 connections, Go 1.26, gnet v2): an idle
// established session costs 3.5 KB of heap (TLS 1.3; 4.1 KB for TLS 1.2;
// 3.1 KB after Shrink), where the llib fork keeps 9.8 KB (it holds the
// parsed ClientHello and key-exchange state after the handshake) and a
// goroutine-per-connection crypto/tls server 16.6 KB. On the same gnet
// loop, ECDSA handshakes per server CPU second are 10-20% above llib's. A
// handshake's cost is its crypto: about 155 µs of server CPU with an ECDSA
// P-256 certificate and TLS 1.2, 240 µs with TLS 1.3's ML-KEM hybrid, over
// 1 ms with RSA-2048. One record in and one out allocate nothing.
//
// # Use from an event loop
//
// One Session per connection, created when the connection opens and
// released when it closes, every call from the loop that owns it. In gnet's
// OnTraffic, with out and plain buffers the loop reuses:
//
//	in, _ := c.Next(-1) // all the bytes read; valid until OnTraffic returns
//	out, plain, err := sess.Feed(in, out[:0], conn.pending)
//	if len(out) > 0 {
//		c.Write(out) // handshake flight, alert, key update: before any reply
//	}
//	// parse plain, keep the unparsed tail in conn.pending, then reply:
//	out, _ = sess.Seal(out[:0], reply)
//	c.Write(out)
//	if err != nil { ... } // ErrNotTLS: answer 400 in clear text; others: close
//
// Feed holds back the first six bytes of a connection until it can tell a
// TLS ClientHello from anything else (LooksLikeTLS) and returns ErrNotTLS
// for a plain-HTTP request, having sent nothing: the engine can answer it
// in clear text and close.
//
// Certificates live in a Config shared by a listener's sessions; Reload
// swaps the pair for new handshakes (on SIGHUP) without touching
// established sessions, and keeps the old pair if the new files are bad.
package tlsconn
