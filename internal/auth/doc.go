// Package auth checks the credentials of a WebSocket upgrade request for one
// application (docs/routing.md, status row 12): HTTP Basic authentication
// against an htpasswd-style file of bcrypt hashes (RFC 7617), or bearer
// tokens (RFC 6750) against a file of their SHA-256 digests, optionally
// narrowed to a list of permitted users.
//
// It knows only bytes and files: no sockets, no logging, no goroutines. The
// engine loads one [Authenticator] per application when the configuration is
// read (and builds a new one on reload; an Authenticator never changes), and
// calls it with the request's borrowed header bytes:
//
//	a, err := auth.Load(auth.Basic, "users.htpasswd", []string{"alice"}, "sensors")
//	...
//	if a.NeedsSlowCheck(req.Authorization) {
//		// bcrypt: tens of milliseconds. Copy the header, run Verify on a
//		// worker goroutine, resume the connection on its loop afterwards.
//	}
//	user, err := a.Verify(req.Authorization, req.Protocols)
//	if err != nil {
//		conn.Write(err.(*handshake.Error).Response()) // 401 + WWW-Authenticate, or 403
//	}
//
// When choosing the subprotocol to echo, the engine skips every entry for
// which [IsBearerProtocol] reports true: a token offered as
// "Sec-WebSocket-Protocol: bearer.<token>" is never sent back.
//
// # Credentials files
//
// One "name:hash" per line; blank lines and lines starting with '#' are
// ignored; surrounding spaces, tabs and a trailing CR are trimmed. A name is
// 1–255 bytes without ':', spaces or control characters and appears once.
//
//   - basic: the hash is bcrypt in the form htpasswd -B writes ("$2y$"), or
//     "$2a$"/"$2b$" (see [HashPassword]). Passwords over 72 bytes are refused:
//     bcrypt ignores everything after the 72nd byte.
//   - token: the hash is the hex SHA-256 of the token, 64 digits (see
//     [HashToken]). The token itself is never stored.
//
// # What does not leak
//
// Tokens are compared as digests in constant time. For a Basic user name that
// is not in the file, a bcrypt comparison still runs against a dummy hash of
// the file's usual cost, so the time taken does not tell which names exist.
// No error returned by this package contains a password, a token, a hash or
// the content of a credentials line: load errors name the file and the line
// number only.
package auth
