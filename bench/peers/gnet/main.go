// Command gnet is the plain gnet v2 + gobwas/ws peer of the wsgate benchmark:
// the same stack as the gateway without the gateway. Each event loop peeks its
// connection's buffered bytes, upgrades with ws.Upgrader, parses frame headers
// with ws.ReadHeader, unmasks in place and echoes with one Writev. Broadcast
// encodes the frame once and AsyncWrites it to every other client (each on
// its own loop).
package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log"
	"sync"

	"github.com/gobwas/ws"
	"github.com/panjf2000/gnet/v2"
)

const maxHandshake = 8 << 10

type conn struct {
	upgraded  bool
	broadcast bool
	r         bytes.Reader
	hdr       [ws.MaxHeaderSize]byte
}

type server struct {
	gnet.BuiltinEventEngine
	mu      sync.RWMutex
	clients map[gnet.Conn]struct{}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:18100", "listen address (loopback)")
	flag.Parse()
	s := &server{clients: make(map[gnet.Conn]struct{})}
	log.Fatal(gnet.Run(s, "tcp://"+*addr, gnet.WithMulticore(true)))
}

func (s *server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(&conn{})
	return nil, gnet.None
}

func (s *server) OnClose(c gnet.Conn, _ error) gnet.Action {
	if st, ok := c.Context().(*conn); ok && st.broadcast {
		s.mu.Lock()
		delete(s.clients, c)
		s.mu.Unlock()
	}
	return gnet.None
}

// rw feeds the upgrader the buffered request and sends its answer to the conn.
type rw struct {
	io.Reader
	io.Writer
}

var errNotFound = ws.RejectConnectionError(ws.RejectionStatus(404))

func (s *server) OnTraffic(c gnet.Conn) gnet.Action {
	st := c.Context().(*conn)
	for {
		buf, _ := c.Peek(-1)
		if len(buf) == 0 {
			return gnet.None
		}
		if !st.upgraded {
			end := bytes.Index(buf, []byte("\r\n\r\n"))
			if end < 0 {
				if len(buf) > maxHandshake {
					return gnet.Close
				}
				return gnet.None
			}
			end += 4
			st.r.Reset(buf[:end])
			u := ws.Upgrader{OnRequest: func(uri []byte) error {
				if i := bytes.IndexByte(uri, '?'); i >= 0 {
					uri = uri[:i]
				}
				switch string(uri) {
				case "/echo":
					return nil
				case "/broadcast":
					st.broadcast = true
					return nil
				}
				return errNotFound
			}}
			if _, err := u.Upgrade(rw{&st.r, c}); err != nil {
				return gnet.Close
			}
			_, _ = c.Discard(end)
			st.upgraded = true
			if st.broadcast {
				s.mu.Lock()
				s.clients[c] = struct{}{}
				s.mu.Unlock()
			}
			continue
		}
		st.r.Reset(buf)
		hd, err := ws.ReadHeader(&st.r)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return gnet.None
		}
		if err != nil {
			return gnet.Close
		}
		hl := len(buf) - st.r.Len()
		total := hl + int(hd.Length)
		if len(buf) < total {
			return gnet.None
		}
		payload := buf[hl:total]
		if hd.Masked {
			ws.Cipher(payload, hd.Mask, 0)
		}
		switch hd.OpCode {
		case ws.OpClose:
			_, _ = c.Write(ws.CompiledClose)
			return gnet.Close
		case ws.OpPing:
			_ = ws.WriteFrame(c, ws.NewPongFrame(payload))
		case ws.OpPong:
		default:
			out := ws.Header{Fin: hd.Fin, OpCode: hd.OpCode, Length: hd.Length}
			if st.broadcast {
				s.publish(c, out, payload)
			} else {
				w := bytes.NewBuffer(st.hdr[:0])
				_ = ws.WriteHeader(w, out)
				_, _ = c.Writev([][]byte{w.Bytes(), payload})
			}
		}
		_, _ = c.Discard(total)
	}
}

func (s *server) publish(from gnet.Conn, h ws.Header, payload []byte) {
	w := bytes.NewBuffer(make([]byte, 0, ws.MaxHeaderSize+len(payload)))
	_ = ws.WriteHeader(w, h)
	w.Write(payload)
	frame := w.Bytes()
	s.mu.RLock()
	defer s.mu.RUnlock()
	for c := range s.clients {
		if c != from {
			_ = c.AsyncWrite(frame, nil)
		}
	}
}
