// Package conformance replays the Autobahn|Testsuite's client-side cases
// against a running WebSocket server over raw TCP, so that what the strict
// external Autobahn run will judge is judged on every test run first.
//
// # The cases
//
// [Cases] is the scenario table: Autobahn's sections 1-7 (framing, pings and
// pongs, reserved bits, opcodes, fragmentation, UTF-8, the closing
// handshake), 9 (limits and performance, at 1/[Limits].Scale of Autobahn's
// sizes), 10 (auto-fragmentation), 12 and 13 (permessage-deflate: echo of
// five kinds of data, and seven combinations of offers), each under
// Autobahn's case id and transcribed from its case*.py files: the same
// frames, fragmentation and chopping on the wire, the same expected events
// (messages, pongs and "timeout" marks, in order) and the same closing
// expectation (who closes first, the close codes allowed, whether the close
// must be clean). Cases whose id starts with "x" add checks of RFC 6455 and
// RFC 7692 rules Autobahn does not make (unmasked frames, 1009 decided from
// a header, zip bombs, RSV1 misuse, client context takeover).
//
// The runner ([Case.Run]) is stricter than Autobahn where Autobahn merely
// tolerates: a failing server must send a close frame with one of the
// listed codes (Autobahn also accepts a bare TCP drop), every echo is
// compared byte for byte (section 9 compares lengths), and the client
// checks everything the server sends — masking, reserved bits, opcodes,
// fragmentation order, minimal length encodings, UTF-8 of text and close
// reasons, close codes, nothing after the close frame, and for compressed
// messages that no back-reference reaches beyond the negotiated
// server_max_window_bits (which compress/flate would not notice and zlib
// clients fail on). Where a case deliberately departs from Autobahn its Note
// says so.
//
// # The client
//
// [Session] is the fuzzing client: it sends any [Frame] (any opcode,
// reserved bits, FIN, length, masked or not), frames written together, alone
// ([Frame.Synced]) or in pieces with pauses ([Frame.Chopped]), messages
// compressed and fragmented as Autobahn's sendMessage does, and close frames
// with any payload. A reader goroutine decodes the server's frames, answers
// pings and the server's close frame as Autobahn's client does (close 1000,
// then it waits for the server to close the TCP connection), and records
// the events.
//
// The client is not the project's shared test client (internal/wstest) and
// shares no code with the server it judges (handshake, internal/wsproto):
// the frame writer, the frame reader and the checks of what the server sends
// are written here, from RFC 6455, RFC 7692 and Autobahn's case scripts. That
// keeps the replay an independent judge: a misreading of the RFC in a shared
// package would otherwise pass here the same way it passes in the code it
// checks. It also does what wstest deliberately does not: it sends any
// reserved bits and opcodes, unmasked frames and frames in timed pieces,
// compresses and fragments messages, checks minimal length encodings and the
// compressed window, and answers the server's frames as Autobahn's client.
//
// [Options].TLS runs a case over wss://. [Options].DropTimeout is Autobahn's
// one second for the server to answer a close frame and to close the TCP
// connection after the closing handshake.
//
// A test starts a server on 127.0.0.1:0 and runs each case as a subtest
// named by its id (conformance_test.go runs them all on three listeners;
// WSGATE_AUTOBAHN_SCALE=1 there runs sections 9, 12 and 13 at Autobahn's
// full sizes and counts):
//
//	for _, c := range conformance.Cases(conformance.Limits{}) {
//		t.Run(c.ID, func(t *testing.T) {
//			if err := c.Run(addr, "/echo", conformance.Options{}); err != nil {
//				t.Fatal(err)
//			}
//		})
//	}
package conformance
