// Package tlsconn is the TLS record layer of wsgate's secure listeners,
// shaped for an event loop: a Session takes ciphertext as the loop reads it
// and returns the ciphertext to write and the plaintext received, with no
// goroutine per connection, no blocking and no I/O of its own.
//
// # Design
//
// gnet has no TLS, and crypto/tls is written for blocking connections: its
// Conn reads from a net.Conn until a record is complete. The two known ways
// around that are a fork of crypto/tls turned into a resumable state
// machine (what nbio does with github.com/lesismal/llib/std/crypto/tls, and
// what the TLS pull requests to gnet did) or driving the unmodified
// crypto/tls. This package does the latter:
//
//   - After the handshake, crypto/tls can already be resumed: when the
//     underlying Read fails with a net.Error whose Temporary method reports
//     true (the contract it keeps for deadline timeouts), Conn.Read returns
//     that error and keeps the partial record and all state. The transport
//     under each Session returns such an error when the bytes of the current
//     Feed are used up.
//   - The handshake cannot be resumed that way (its error is sticky), so it
//     runs on a coroutine (iter.Pull). When it needs bytes that have not
//     arrived, the transport yields; Feed returns to the loop; the next Feed
//     switches back. The switch happens on the loop's own thread without
//     the scheduler, costs well under a microsecond, and the coroutine ends
//     with the handshake.
//
// So the protocol code is the standard library's: TLS 1.3 and 1.2, the
// hybrid post-quantum key exchange, session tickets, security fixes and
// FIPS mode arrive with each Go release, and no TLS state machine is
// maintained here. A fork buys somewhat less memory per idle connection
// (it frees its record buffers when they drain, crypto/tls keeps them) at
// the price of carrying a modified copy of 20,000 lines of security code;
// the package's benchmarks (see bench/) measure both.
//
// # Use from an event loop
//
// One Session per connection, created when the connection opens and
// released when it closes, all calls from the loop that owns it:
//
//	in, _ := c.Next(-1)                       // everything the kernel gave us
//	out, plain, err := sess.Feed(in, loopOut[:0], conn.plain)
//	if len(out) > 0 { c.Write(out) }          // handshake flight, alert, key update
//	conn.plain = plain                        // parse it, keep the unparsed rest
//	...
//	loopOut, _ = sess.Seal(loopOut[:0], reply) // then c.Write(loopOut)
//
// Before the first Feed, LooksLikeTLS tells a TLS client from a plain-HTTP
// one so the latter can get a clear-text 400; Feed returns ErrNotTLS in that
// case too.
//
// Certificates live in a Config shared by the listener's sessions; Reload
// swaps the pair for new handshakes (SIGHUP) without touching established
// sessions.
package tlsconn
