// Package wsproto is the pure-bytes WebSocket protocol machinery for the server
// side of a connection (RFC 6455 framing, RFC 7692 permessage-deflate). It does
// no I/O and knows nothing of gnet: the engine hands it the bytes it has read
// and writes the bytes it appends.
//
// Reading: a [Reader] decodes client frames from whatever byte chunks arrive
// (one byte at a time, many frames at once, a frame split anywhere). Feed
// returns how many bytes it consumed; the caller discards exactly that many
// and calls Feed again when more arrive:
//
//	buf, _ := c.Peek(-1)
//	n, err := r.Feed(buf, h) // h.OnMessage etc. run before Feed returns
//	c.Discard(n)
//	var ce *wsproto.CloseError
//	if errors.As(err, &ce) {
//		out = wsproto.AppendClose(out, ce.Code, ce.Reason) // then close
//	}
//
// Every rule of RFC 6455 §5 that a server must enforce ends the connection with
// a [*CloseError] carrying the close code to send (1002, 1007 or 1009).
// Payloads given to the [Handler] are borrowed: they live until the callback
// returns.
//
// Writing: [AppendFrame], [AppendClose] and [AppendDeflatedFrame] append
// complete unmasked server frames to a caller's buffer.
//
// Compression: [Negotiate] picks the permessage-deflate parameters from the
// client's Sec-WebSocket-Extensions offers; the resulting [DeflateParams] go
// into the Reader's [Config] and into [NewCompressor].
package wsproto
