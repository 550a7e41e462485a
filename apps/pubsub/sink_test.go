package pubsub

import (
	"net"
	"sync"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/prepared"
)

// sinkConn is an apps.Conn without a socket for the benchmarks and the allocation and
// encoding tests: it copies what it is given into a buffer, as the engine's connection
// appends to its output, and remembers the prepared messages it saw. The behaviour over
// real sockets is tested in the external tests.
type sinkConn struct {
	mu     sync.Mutex
	id     uint64
	raw    bool
	out    []byte
	frames int
	seen   map[*apps.PreparedMessage]int // nil: not recorded
	value  any
	addr   net.Addr
}

func (s *sinkConn) ID() uint64           { return s.id }
func (s *sinkConn) App() string          { return "ps" }
func (s *sinkConn) Listener() string     { return "http" }
func (s *sinkConn) RemoteAddr() net.Addr { return s.addr }
func (s *sinkConn) User() string         { return "" }
func (s *sinkConn) Path() string         { return "/ps" }
func (s *sinkConn) Query() string        { return "" }
func (s *sinkConn) Subprotocol() string {
	if s.raw {
		return ""
	}
	return Subprotocol
}
func (s *sinkConn) Value() any     { return s.value }
func (s *sinkConn) SetValue(v any) { s.value = v }
func (s *sinkConn) Close(apps.CloseCode, string) error {
	return nil
}

func (s *sinkConn) WriteMessage(t apps.MessageType, p []byte) error {
	s.mu.Lock()
	s.out = append(s.out[:0], p...)
	s.frames++
	s.mu.Unlock()
	return nil
}

func (s *sinkConn) WritePrepared(m *apps.PreparedMessage) error {
	s.mu.Lock()
	s.out = append(s.out[:0], prepared.Of(m).Frame()...)
	s.frames++
	if s.seen != nil {
		s.seen[m]++
	}
	s.mu.Unlock()
	return nil
}

// attach opens c on a as the engine would, in raw or envelope mode, subscribed to filters.
func attach(a *App, c *sinkConn, filters ...string) {
	h := &apps.Handshake{RemoteAddr: c.addr, Subprotocol: c.Subprotocol()}
	if err := a.OnHandshake(h); err != nil {
		panic(err)
	}
	c.value = h.Value() // as the engine does
	a.OnOpen(c)
	cl := c.value.(*client)
	if cl.closed {
		panic("closed at open")
	}
	for _, f := range filters {
		if err := a.subscribe(cl, f, false, nil); err != nil {
			panic(err)
		}
	}
}

// newSink returns a connection in the given mode with a client state, as OnOpen makes it.
func newSink(id uint64, raw bool) *sinkConn {
	return &sinkConn{id: id, raw: raw, addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(id)}}
}
