package wstest

import (
	"bufio"
	"crypto/rand"
	"io"
	"net"
	"syscall"
	"time"
)

// Options tune Dial. The zero value dials with the defaults.
type Options struct {
	// Timeout bounds the connect and the opening handshake. Default 5 s.
	Timeout time.Duration
	// RcvBuf > 0 sets SO_RCVBUF before the connect, so that a client that
	// stops reading backs the server up after a few KiB instead of megabytes
	// of loopback autotuning.
	RcvBuf int
	// Host is the Host header. Default: the address dialled.
	Host string
	// Header holds extra request header lines, "Name: value" each.
	Header []string
}

// Conn is a client WebSocket connection on a plain socket, for what a
// WebSocket library does not let a test do: stop reading, shrink the receive
// buffer, write any frame, read frames byte-exact. Methods are not safe for
// concurrent use, except that one goroutine may write while another reads.
type Conn struct {
	// Conn is the socket: deadlines, raw writes and Close.
	net.Conn
	// R reads the socket; it holds what came after the 101 response head.
	R *bufio.Reader
	// Head is the 101 response head, status line to the empty line.
	Head []byte
	// Rsv holds the reserved bits that the negotiated extensions let the
	// server set (RsvDeflate after permessage-deflate); ReadFrame refuses
	// others. The caller sets it; Dial does not negotiate extensions.
	Rsv byte

	hdr [MaxHeader]byte // ReadFrame's scratch
}

// Dial connects to addr and upgrades the connection to path. An answer
// other than 101 is a *StatusError. The caller closes the Conn.
func Dial(addr, path string, o Options) (*Conn, error) {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Host == "" {
		o.Host = addr
	}
	nc, err := NetDialer(o).Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c, err := Upgrade(nc, o.Host, path, o.Timeout, o.Header...)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// NetDialer is the TCP dialer of Dial, for a test that needs the same socket
// without the upgrade: o.Timeout bounds the connect (no default), o.RcvBuf > 0
// sets SO_RCVBUF before it.
func NetDialer(o Options) *net.Dialer {
	d := &net.Dialer{Timeout: o.Timeout}
	if o.RcvBuf > 0 {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, o.RcvBuf)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	return d
}

// Upgrade performs the opening handshake for path on host over nc (a
// plain or TLS connection) within timeout, with the extra header lines. It
// does not close nc on failure.
func Upgrade(nc net.Conn, host, path string, timeout time.Duration, extra ...string) (*Conn, error) {
	var nonce [16]byte
	rand.Read(nonce[:])
	var key [24]byte
	NewKey(&key, nonce)
	nc.SetDeadline(time.Now().Add(timeout))
	if _, err := nc.Write(AppendRequest(nil, host, path, &key, extra...)); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(nc, 4096)
	var head []byte
	for {
		line, err := br.ReadSlice('\n')
		head = append(head, line...)
		if err != nil {
			return nil, err
		}
		if len(head) > maxResponse {
			return nil, ErrResponseTooLarge
		}
		if len(line) == 2 && line[0] == '\r' {
			break
		}
	}
	if _, err := CheckResponse(head, &key); err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	return &Conn{Conn: nc, R: br, Head: head}, nil
}

// Send writes one masked frame with FIN set.
func (c *Conn) Send(op byte, payload []byte) error {
	_, err := c.Conn.Write(Masked(op, payload))
	return err
}

// SendClose writes a close frame with code and reason.
func (c *Conn) SendClose(code uint16, reason string) error {
	return c.Send(OpClose, ClosePayload(nil, code, reason))
}

// ReadFrame reads one server frame and returns its opcode and payload (a new
// slice). A frame a server must not send (CheckServer with c.Rsv) is
// ErrProtocol; the end of the stream inside a frame is io.ErrUnexpectedEOF.
func (c *Conn) ReadFrame() (op byte, payload []byte, err error) {
	h, err := c.ReadHeader()
	if err != nil {
		return 0, nil, err
	}
	payload = make([]byte, h.Length)
	if _, err := io.ReadFull(c.R, payload); err != nil {
		return h.Op, nil, unexpectedEOF(err)
	}
	return h.Op, payload, nil
}

// ReadHeader reads and checks one server frame header, leaving its payload
// (h.Length bytes) unread in c.R.
func (c *Conn) ReadHeader() (Header, error) {
	if _, err := io.ReadFull(c.R, c.hdr[:2]); err != nil {
		return Header{}, err
	}
	n := 2
	for {
		h, err := ParseHeader(c.hdr[:n])
		if err == ErrNeedMore {
			need := 4
			switch {
			case c.hdr[1]&0x7F == 127:
				need = 10
			case c.hdr[1]&0x7F < 126:
				need = 2
			}
			if n >= need { // only the mask is missing
				need += 4
			}
			if _, err := io.ReadFull(c.R, c.hdr[n:need]); err != nil {
				return h, unexpectedEOF(err)
			}
			n = need
			continue
		}
		if err != nil {
			return h, err
		}
		return h, h.CheckServer(c.Rsv)
	}
}

// ReadUntilClose reads frames for at most timeout until a close frame and
// returns its code (CloseNoStatus for none) and how many frames of each
// opcode came before it.
func (c *Conn) ReadUntilClose(timeout time.Duration) (code int, seen map[byte]int, err error) {
	c.SetReadDeadline(time.Now().Add(timeout))
	seen = map[byte]int{}
	for {
		op, p, err := c.ReadFrame()
		if err != nil {
			return 0, seen, err
		}
		if op == OpClose {
			code, _, err := ParseClose(p)
			return int(code), seen, err
		}
		seen[op]++
	}
}

// unexpectedEOF reports the end of the stream inside a frame as an error.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
