package wstest

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// serve accepts connections on a loopback listener and upgrades each with
// gobwas/ws's server (the independent peer), then runs after on it. path
// other than /ok is refused with 404; headers holds the value of X-Test.
func serve(t *testing.T, after func(net.Conn)) (addr string, headers chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	headers = make(chan string, 4)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				var x string
				u := ws.Upgrader{
					OnRequest: func(uri []byte) error {
						if string(uri) != "/ok" {
							return ws.RejectConnectionError(ws.RejectionStatus(404))
						}
						return nil
					},
					OnHeader: func(k, v []byte) error {
						if string(k) == "X-Test" {
							x = string(v)
						}
						return nil
					},
				}
				if _, err := u.Upgrade(nc); err != nil {
					return
				}
				headers <- x
				after(nc)
			}()
		}
	}()
	return ln.Addr().String(), headers
}

// echo answers every message and closes as gobwas/ws's wsutil does.
func echo(nc net.Conn) {
	for {
		msg, op, err := wsutil.ReadClientData(nc)
		if err != nil {
			return
		}
		if err := wsutil.WriteServerMessage(nc, op, msg); err != nil {
			return
		}
	}
}

func TestDialEchoClose(t *testing.T) {
	addr, headers := serve(t, echo)
	c, err := Dial(addr, "/ok", Options{RcvBuf: 8 << 10, Header: []string{"X-Test: yes"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if h := <-headers; h != "yes" {
		t.Fatalf("X-Test %q", h)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	for _, size := range []int{0, 125, 126, 70000} {
		p := payloadOf(size)
		if err := c.Send(OpBinary, p); err != nil {
			t.Fatal(err)
		}
		op, got, err := c.ReadFrame()
		if err != nil || op != OpBinary || string(got) != string(p) {
			t.Fatalf("size %d: op %d, %d bytes, %v", size, op, len(got), err)
		}
	}
	if err := c.Send(OpPing, []byte("p")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendClose(1000, "bye"); err != nil {
		t.Fatal(err)
	}
	code, seen, err := c.ReadUntilClose(5 * time.Second)
	if err != nil || code != 1000 || seen[OpPong] != 1 {
		t.Fatalf("close %d, seen %v, %v", code, seen, err)
	}
}

func TestDialRefused(t *testing.T) {
	addr, _ := serve(t, echo)
	_, err := Dial(addr, "/nope", Options{})
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 404 || !errors.Is(err, ErrBadStatus) {
		t.Fatalf("got %v, want a 404 StatusError", err)
	}
}

func TestReadFrameChecksTheServer(t *testing.T) {
	tests := []struct {
		name string
		send []byte
		rsv  byte
		want error
	}{
		{name: "masked", send: AppendFrame(nil, OpText, []byte("x"), [4]byte{1, 2, 3, 4}), want: ErrProtocol},
		{name: "RSV1 without deflate", send: AppendHeader(nil, Header{Fin: true, Rsv: RsvDeflate, Op: OpText}), want: ErrProtocol},
		{name: "RSV1 with deflate", send: AppendHeader(nil, Header{Fin: true, Rsv: RsvDeflate, Op: OpText}), rsv: RsvDeflate},
		{name: "cut inside the payload", send: AppendHeader(nil, Header{Fin: true, Op: OpText, Length: 300}), want: io.ErrUnexpectedEOF},
		{name: "cut inside the header", send: []byte{0x81, 127, 0}, want: io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, _ := serve(t, func(nc net.Conn) { nc.Write(tc.send) })
			c, err := Dial(addr, "/ok", Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Rsv = tc.rsv
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, _, err := c.ReadFrame(); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
