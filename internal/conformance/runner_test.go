package conformance

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wsgate/wsgate/internal/wstest"
)

// fakeServer is a small echo server whose faults a test chooses, to show
// that the runner catches each of them (and passes the faultless one).
type fakeServer struct {
	ignorePing     bool   // never answer a ping
	maskFrames     bool   // mask what it sends (servers must not)
	failCode       uint16 // close code for a protocol error; 0: 1002
	dropOnError    bool   // on an error, close TCP without a close frame
	keepOpen       bool   // after the closing handshake, wait for the client to close TCP
	validateAtEnd  bool   // check UTF-8 only once a message is complete
	noUTF8Check    bool   // echo text without checking it
	textAfterClose bool   // send a text frame after its close frame
}

// serve answers one connection on nc.
func (fs *fakeServer) serve(nc net.Conn) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(nc)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	io.WriteString(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+
		base64.StdEncoding.EncodeToString(sum[:])+"\r\n\r\n")
	send := func(op byte, p []byte) {
		nc.Write(appendFrame(nil, &Frame{Op: op, Fin: true, Payload: p, Unmasked: !fs.maskFrames}, [4]byte{9, 8, 7, 6}))
	}
	closing := false
	// fail sends a close frame; the loop then reads until the client's reply and closes.
	fail := func(code uint16) bool {
		if fs.dropOnError {
			return true
		}
		if fs.failCode != 0 {
			code = fs.failCode
		}
		send(OpClose, ClosePayload(int(code), nil))
		closing = true
		return false
	}
	var msg []byte
	var msgOp byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return
		}
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			var x [2]byte
			io.ReadFull(br, x[:])
			n = int(binary.BigEndian.Uint16(x[:]))
		case 127:
			var x [8]byte
			io.ReadFull(br, x[:])
			n = int(binary.BigEndian.Uint64(x[:]))
		}
		var key [4]byte
		io.ReadFull(br, key[:])
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		for i := range p {
			p[i] ^= key[i&3]
		}
		fin, rsv, op := h[0]&0x80 != 0, h[0]&0x70, h[0]&0x0f
		switch {
		case closing && op == OpClose:
			return // the client's reply: close TCP
		case closing:
			continue
		case rsv != 0 || op > 2 && op < 8 || op > 10:
			if fail(CloseProtocolError) {
				return
			}
			continue
		}
		switch op {
		case OpPing:
			if !fs.ignorePing {
				send(OpPong, p)
			}
		case OpPong:
		case OpClose:
			send(OpClose, p)
			if fs.textAfterClose {
				send(OpText, []byte("late"))
			}
			if fs.keepOpen {
				io.Copy(io.Discard, br)
			}
			return
		default:
			if op != OpContinuation {
				msgOp, msg = op, nil
			}
			msg = append(msg, p...)
			text := msgOp == OpText && !fs.noUTF8Check
			if text && !fs.validateAtEnd && !utf8.Valid(msg) && !utf8.Valid(msg[:max(0, len(msg)-3)]) {
				if fail(CloseInvalidPayload) {
					return
				}
				continue
			}
			if fin {
				if text && !utf8.Valid(msg) {
					if fail(CloseInvalidPayload) {
						return
					}
					continue
				}
				send(msgOp, msg)
			}
		}
	}
}

// start listens on loopback and serves every connection with fs.
func (fs *fakeServer) start(t *testing.T) string {
	ln, err := wstest.Serve(fs.serve)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// TestRunnerCatches runs cases against servers with one fault each: the
// runner must report that fault, with the error Autobahn's verdict maps to.
func TestRunnerCatches(t *testing.T) {
	byID := map[string]Case{}
	for _, c := range Cases(Limits{}) {
		byID[c.ID] = c
	}
	tests := []struct {
		name    string
		server  fakeServer
		caseID  string
		wantErr error // nil: the case passes
	}{
		{name: "faultless echo", caseID: "1.1.2"},
		{name: "faultless pongs", caseID: "2.10"},
		{name: "faultless failure", caseID: "3.2"},
		{name: "faultless closing handshake", caseID: "7.7.10"},
		{name: "ping not answered", server: fakeServer{ignorePing: true}, caseID: "2.2", wantErr: ErrEvents},
		{name: "masked server frames", server: fakeServer{maskFrames: true}, caseID: "1.1.1", wantErr: ErrViolation},
		{name: "wrong close code", server: fakeServer{failCode: 1000}, caseID: "3.1", wantErr: ErrClosing},
		{name: "drop without a close frame", server: fakeServer{dropOnError: true}, caseID: "4.1.1", wantErr: ErrClosing},
		{name: "TCP left open after the closing handshake", server: fakeServer{keepOpen: true}, caseID: "1.1.1", wantErr: ErrClosing},
		{name: "UTF-8 checked only at the end of the message", server: fakeServer{validateAtEnd: true}, caseID: "6.4.1", wantErr: ErrEvents},
		{name: "data after the close frame", server: fakeServer{textAfterClose: true}, caseID: "7.3.3", wantErr: ErrViolation},
		{name: "invalid UTF-8 echoed", server: fakeServer{noUTF8Check: true}, caseID: "6.3.1", wantErr: ErrViolation},
		{name: "permessage-deflate declined", caseID: "12.1.1", wantErr: ErrHandshake},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, ok := byID[tc.caseID]
			if !ok {
				t.Fatalf("no case %s", tc.caseID)
			}
			err := c.Run(tc.server.start(t), "/", Options{Pace: 100 * time.Millisecond, Timeout: time.Second})
			t.Logf("case %s: %v", tc.caseID, err)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("case %s: %v, want %v", tc.caseID, err, tc.wantErr)
			}
		})
	}
}
