// Package handshake parses HTTP/1.x request heads and validates and answers
// WebSocket opening handshakes (RFC 6455 §4.2) for wsgate.
//
// It knows only bytes: no sockets, no goroutines, no I/O. The engine peeks at
// the connection's inbound buffer, calls [Parse], and either waits for more
// bytes ([ErrNeedMore]), writes the refusal carried by a returned [*Error], or
// discards the n bytes of the head and continues:
//
//	var req handshake.Request
//	n, err := handshake.Parse(buf, &req, handshake.Limits{})
//	switch {
//	case err == handshake.ErrNeedMore:
//		return // wait for more bytes, then call Parse again with the grown buffer
//	case err != nil:
//		conn.Write(err.(*handshake.Error).Response()) // 400, 414 or 431; then close
//	case req.IsUpgrade():
//		if err := handshake.Check(&req); err != nil { /* write err's Response, close */ }
//		out = handshake.AppendSwitching(out, req.Key, protocol, nil)
//	}
//	discard(n)
//
// The []byte fields of [Request] borrow the buffer given to Parse; they are
// valid until that buffer is discarded or overwritten. Keep nothing from a
// Request beyond that without copying it.
//
// Parse, Check, AppendAccept and AppendSwitching never allocate (see
// allocation_test.go) and never panic on request data; NewError panics on
// programmer errors only.
package handshake
