// Package wsproto is the pure-bytes WebSocket protocol machinery for the server
// side of a connection (RFC 6455 framing, RFC 7692 permessage-deflate). It does
// no I/O and knows nothing of gnet: the engine hands it the bytes it has read
// and writes the bytes it appends.
//
// # Reading
//
// A [Reader] decodes client frames from whatever byte chunks arrive (one byte
// at a time, many frames at once, a frame split anywhere). Feed returns how
// many bytes it consumed; the caller discards exactly that many and calls Feed
// again when more arrive. On a gnet loop:
//
//	buf, _ := c.Peek(-1)
//	n, err := st.reader.Feed(buf, st) // st's OnMessage etc. run before Feed returns
//	c.Discard(n)
//	var ce *wsproto.CloseError
//	if errors.As(err, &ce) {
//		c.Write(wsproto.AppendClose(nil, ce.Code, ce.Reason)) // then close
//	}
//
// Every rule of RFC 6455 §5 that a server must enforce ends the connection
// with a [*CloseError] carrying the close code to send: 1002 for framing
// violations, 1007 for invalid UTF-8 (checked as bytes arrive, so a bad byte
// fails the message at once) and undecodable compressed data, 1009 for a
// message past [Config].MaxMessageSize (decided from frame headers before any
// payload is buffered, and while inflating). Payloads given to the [Handler]
// are borrowed: they live until the callback returns.
//
// # Writing
//
// [AppendFrame], [AppendClose] and [AppendDeflatedFrame] append complete
// unmasked server frames to a caller's buffer; [FrameSize] sizes it.
//
// # Compression
//
// [Negotiate] picks the permessage-deflate parameters from the client's
// Sec-WebSocket-Extensions offers under a [DeflatePolicy]; the resulting
// [DeflateParams] go into the Reader's [Config] and into [NewCompressor].
//
// # Choices, measured
//
// DEFLATE is github.com/klauspost/compress/flate, not compress/flate. It is
// the only Go implementation that can honour server_max_window_bits below 15
// (its windowed writer; compress/flate always uses 32 KiB), which clients
// such as Autobahn's 13.x cases ask for. BenchmarkFlate (flate_compare_test.go)
// also finds it faster on gateway-sized JSON (2-core AMD EPYC, shared and
// noisy, so read the ratios, which held across runs): deflate with a reset
// per message at level 1 takes 1.1 µs against 3.2 µs at 64 B, 7.6 µs
// against 16 µs at 4 KiB and 85 µs against 146 µs at 64 KiB, with a better
// ratio (0.198 against 0.210 at 4 KiB); inflate takes 6.9 µs against 9.9 µs
// at 4 KiB and 78 µs against 126 µs at 64 KiB (equal at 64 B) with 0
// allocations per message where compress/flate makes 5-7; and its writer is
// smaller (830 KB against 1.2 MB at level 1; decoders 36 KB against 40 KB).
// Level 1 is used: level 5 gains 8% in ratio at 4 KiB for 60% more time.
//
// Unmasking is gobwas/ws's Cipher (SIMD), six times faster than a 64-bit
// loop at 4 KiB (50-60 ns against 300-340 ns) and as fast at 64 B
// (BenchmarkUnmask).
//
// Decoding an uncompressed message allocates nothing (allocation_test.go),
// and neither does a compressed one once the pools are warm: Feed of a
// masked 64 B text message takes about 45 ns, 4 KiB about 150 ns, the same
// 4 KiB arriving in 1460-byte segments about 320 ns (BenchmarkFeed).
package wsproto
