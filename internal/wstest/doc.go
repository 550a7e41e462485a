// Package wstest is the project's one WebSocket client for tests and
// tooling: an opening-handshake request builder and response check, a
// masked-frame writer, a frame-header parser and close-payload parser, and a
// Conn on a plain socket built from them. It is written from RFC 6455, not
// from the server's own packages (handshake, internal/wsproto), so that a
// test does not share the code it checks.
//
// Two layers:
//
//   - Byte-slice functions that do no I/O and can resume, allocation-free for
//     the load generator (bench/load) that drives thousands of non-blocking
//     sockets from epoll loops: NewKey, AppendRequest, CheckResponse,
//     AppendFrame, AppendHeader, ParseHeader, Header.CheckServer, ParseClose.
//     The parsers return ErrNeedMore until their input is complete.
//   - Conn, a blocking client for tests (engine, soak): Dial with a small
//     receive buffer when asked, Send and SendClose, ReadFrame, ReadHeader,
//     ReadUntilClose; the socket and its buffered reader stay reachable for
//     whatever a test must do by hand (stop reading, write half a frame).
//
// Beside the client, small helpers the tests of several packages share: WaitFor polls a
// condition the server reaches on its own goroutines, LogBuffer is a log sink those
// goroutines and the test can both use, Request does one HTTP request on a connection of
// its own, CPUTime is the process's CPU clock for benchmarks that report work per CPU
// second, and Serve runs the loopback peer a test dials.
//
// Frames from the server are checked as a client must (RFC 6455 §5.1, §5.2,
// §5.5); what needs connection state (fragment order, UTF-8 of messages) is
// the caller's.
//
// The conformance replay (internal/conformance) keeps its own client: it
// writes what this package refuses to (any reserved bits, unmasked frames,
// frames in timed pieces) and judges stricter than a client has to.
//
//	c, err := wstest.Dial("127.0.0.1:8080", "/echo", wstest.Options{RcvBuf: 4096})
//	if err != nil { ... }
//	defer c.Close()
//	c.Send(wstest.OpText, []byte("hi"))
//	op, p, err := c.ReadFrame()
package wstest
