// Command gobwas is the gobwas/ws peer of the wsgate benchmark: a raw TCP
// listener, ws.Upgrader on the connection and a goroutine per connection using
// the library's low-level frame API (ReadHeader, Cipher, WriteHeader), as in
// its README. Broadcast writes one pre-encoded frame to every other client.
package main

import (
	"bytes"
	"flag"
	"io"
	"log"
	"net"
	"sync"

	"github.com/gobwas/ws"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18100", "listen address (loopback)")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	h := &hub{clients: make(map[*client]struct{})}
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(h, conn)
	}
}

func serve(h *hub, conn net.Conn) {
	defer conn.Close()
	var path string
	u := ws.Upgrader{OnRequest: func(uri []byte) error {
		if i := bytes.IndexByte(uri, '?'); i >= 0 {
			uri = uri[:i]
		}
		switch string(uri) {
		case "/echo", "/broadcast":
			path = string(uri)
			return nil
		}
		return ws.RejectConnectionError(ws.RejectionStatus(404))
	}}
	if _, err := u.Upgrade(conn); err != nil {
		return
	}
	c := &client{conn: conn}
	if path == "/broadcast" {
		h.add(c)
		defer h.remove(c)
	}
	var buf []byte
	for {
		hd, err := ws.ReadHeader(conn)
		if err != nil {
			return
		}
		if cap(buf) < int(hd.Length) {
			buf = make([]byte, hd.Length)
		}
		payload := buf[:hd.Length]
		if _, err := io.ReadFull(conn, payload); err != nil {
			return
		}
		if hd.Masked {
			ws.Cipher(payload, hd.Mask, 0)
		}
		switch hd.OpCode {
		case ws.OpClose:
			c.write(ws.CompiledClose)
			return
		case ws.OpPing:
			c.writeFrame(ws.NewPongFrame(payload))
			continue
		case ws.OpPong:
			continue
		}
		out := ws.Header{Fin: hd.Fin, OpCode: hd.OpCode, Length: hd.Length}
		if path == "/echo" {
			c.mu.Lock()
			err = ws.WriteHeader(conn, out)
			if err == nil {
				_, err = conn.Write(payload)
			}
			c.mu.Unlock()
			if err != nil {
				return
			}
			continue
		}
		frame := make([]byte, 0, ws.MaxHeaderSize+len(payload))
		w := bytes.NewBuffer(frame)
		_ = ws.WriteHeader(w, out)
		w.Write(payload)
		h.publish(c, w.Bytes())
	}
}

type client struct {
	mu   sync.Mutex // serialises writes from the reader and from publishers
	conn net.Conn
}

func (c *client) write(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.conn.Write(b)
	return err
}

func (c *client) writeFrame(f ws.Frame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return ws.WriteFrame(c.conn, f)
}

type hub struct {
	mu      sync.RWMutex
	clients map[*client]struct{}
}

func (h *hub) add(c *client)    { h.mu.Lock(); h.clients[c] = struct{}{}; h.mu.Unlock() }
func (h *hub) remove(c *client) { h.mu.Lock(); delete(h.clients, c); h.mu.Unlock() }

func (h *hub) publish(from *client, frame []byte) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.clients {
		if c != from {
			c.write(frame)
		}
	}
}
