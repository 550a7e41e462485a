package handshake_test

import (
	"fmt"
	"strings"

	"github.com/wsgate/wsgate/handshake"
)

// A whole opening handshake: parse the head, check it, answer 101 with a
// subprotocol the client offered.
func Example() {
	buf := []byte("GET /chat HTTP/1.1\r\n" +
		"Host: server.example.com\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: keep-alive, Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Protocol: chat, superchat\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"\r\n" +
		"\x81\x80") // the first frame, pipelined: not part of the head

	var req handshake.Request
	n, err := handshake.Parse(buf, &req, handshake.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Println(n == len(buf)-2, req.IsUpgrade(), string(req.Path))
	if err := handshake.Check(&req); err != nil {
		panic(err)
	}
	var proto []byte
	req.ForEachProtocol(func(p []byte) bool {
		if string(p) == "superchat" {
			proto = p // still borrows buf: valid as long as buf is
			return false
		}
		return true
	})
	printCRLF(handshake.AppendSwitching(nil, req.Key, proto, nil))
	// Output:
	// true true /chat
	// HTTP/1.1 101 Switching Protocols
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
	// Sec-WebSocket-Protocol: superchat
}

// A refused upgrade is answered with the error's prebuilt response.
func ExampleCheck() {
	var req handshake.Request
	handshake.Parse([]byte("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n"), &req, handshake.Limits{})
	err := handshake.Check(&req)
	fmt.Println(err)
	printCRLF(err.(*handshake.Error).Response())
	fmt.Println()
	// Output:
	// handshake: 426 Upgrade Required
	// HTTP/1.1 426 Upgrade Required
	// Content-Type: text/plain; charset=utf-8
	// Content-Length: 16
	// Connection: close
	// Sec-WebSocket-Version: 13
	//
	// Upgrade Required
}

// Bytes arriving piecemeal: Parse asks for more until the head is complete.
func ExampleParse() {
	stream := []byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	var req handshake.Request
	for have := 10; ; have += 10 {
		n, err := handshake.Parse(stream[:min(have, len(stream))], &req, handshake.Limits{})
		if err == handshake.ErrNeedMore {
			fmt.Println("need more after", min(have, len(stream)))
			continue
		}
		fmt.Println(n, err, string(req.Host))
		break
	}
	// Output:
	// need more after 10
	// need more after 20
	// 27 <nil> h
}

// printCRLF prints an HTTP message with its CRLF line ends as plain newlines.
func printCRLF(msg []byte) { fmt.Print(strings.ReplaceAll(string(msg), "\r\n", "\n")) }
