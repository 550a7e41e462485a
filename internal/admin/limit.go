package admin

import (
	"bytes"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// tooMany is the whole answer to a connection past the cap.
const tooMany = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n" +
	"Content-Length: 29\r\nConnection: close\r\nRetry-After: 1\r\n\r\nadmin: too many connections\r\n"

// limitListener accepts at most max connections at once. A connection past
// the cap is answered with 503 and closed at once, rather than left waiting
// in the backlog: the admin listener must answer, even if only to say no.
type limitListener struct {
	net.Listener
	max     int64
	open    atomic.Int64
	refused atomic.Uint64
	// refusing holds a slot per goroutine answering a refused connection.
	refusing chan struct{}
}

func newLimitListener(ln net.Listener, max int) *limitListener {
	return &limitListener{Listener: ln, max: int64(max), refusing: make(chan struct{}, maxRefusing)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &limitConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		l.refused.Add(1)
		select {
		case l.refusing <- struct{}{}:
			go func() {
				defer func() { <-l.refusing }()
				refuse(c)
			}()
		default: // already refusing many: just close
			c.Close()
		}
	}
}

// maxRefusing bounds the goroutines answering refused connections.
const maxRefusing = 16

// refuse reads the request head (so that an HTTP client sees an answer to
// its request, not an unsolicited one), writes the 503, half-closes, and
// reads what else the client sent before closing: closing a socket with
// unread input sends a reset, which may destroy the answer before the client
// reads it. Everything is bounded: one second, 16 KiB of head, 64 KiB after.
func refuse(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	var head [16 << 10]byte
	n := 0
	for n < len(head) && !bytes.Contains(head[:n], []byte(headEnd)) {
		m, err := c.Read(head[n:])
		n += m
		if err != nil {
			break
		}
	}
	if _, err := c.Write([]byte(tooMany)); err != nil {
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}

const headEnd = "\r\n\r\n"

// limitConn gives its slot back once, on the first Close.
type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}
