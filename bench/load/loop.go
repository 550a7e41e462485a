package load

import (
	"errors"
	"slices"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/wsgate/wsgate/internal/wstest"
)

// Connection states.
const (
	stConnecting uint8 = iota // non-blocking connect in progress
	stHandshake               // request sent, waiting for 101
	stOpen                    // upgraded
	stClosing                 // close frame sent, waiting for the server's
	stClosed
)

// Conn is one client connection. It belongs to one loop and is used only on
// that loop's goroutine.
type Conn struct {
	fd        int
	l         *loop
	state     uint8
	pub       bool  // the broadcast publisher
	closeSent bool  // CloseHandshake was called
	ready     bool  // broadcast: has received a message
	topic     int32 // pubsub: the topic index it subscribes (publishes) to
	key       [24]byte
	in        []byte // bytes read but not yet parsed
	out       []byte // bytes not yet accepted by the socket
	msg       []byte // fragments of the message being assembled
	msgOp     byte
	dialAt    int64 // ns since the run started
	sentAt    int64 // ns since the run started, of the outstanding echo
	seq       uint64
}

// handler is a scenario's behaviour; every method runs on the loop goroutine.
// payload passed to message is only valid until it returns.
type handler interface {
	open(c *Conn)
	message(c *Conn, op byte, payload []byte)
	closed(c *Conn, err error)
	tick(l *loop)
}

// loopStats are the counters of one loop, read by the runner while it runs.
type loopStats struct {
	opened  atomic.Int64 // upgrades completed
	failed  atomic.Int64 // connects or handshakes that failed
	dropped atomic.Int64 // open connections lost unexpectedly
	count   atomic.Int64 // scenario events (echoes, cycles, deliveries)
	errors  atomic.Int64 // protocol errors and mismatches
}

type loop struct {
	id    int
	r     *runner
	h     handler
	epfd  int
	evfd  int
	conns []*Conn // indexed by fd
	// sa and sources are this loop's copies: unix.Sockaddr values keep a raw
	// form they write on every use, so they cannot be shared between loops.
	sa      unix.SockaddrInet4
	sources []unix.SockaddrInet4
	events  [256]unix.EpollEvent
	rbuf    []byte
	wbuf    []byte
	reqBuf  []byte
	rng     uint64
	toDial  int // connections still to open
	pending int // connects and handshakes in progress
	maxPend int
	srcIdx  int
	st      loopStats
	hist    Histogram
	open    []*Conn // open connections, for scenarios that walk them
	kicked  bool    // scenario: the run phase has been started on this loop
}

func newLoop(id int, r *runner) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, err
	}
	return &loop{
		id: id, r: r, epfd: epfd, evfd: evfd, sa: r.sa, sources: slices.Clone(r.sources),
		rbuf: make([]byte, 64<<10), wbuf: make([]byte, 0, 64<<10),
		rng: uint64(id)*0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D,
	}, nil
}

// wake interrupts the loop's epoll_wait; safe from any goroutine.
func (l *loop) wake() {
	var one = [8]byte{1}
	_, _ = unix.Write(l.evfd, one[:])
}

func (l *loop) rand() uint64 {
	l.rng ^= l.rng << 13
	l.rng ^= l.rng >> 7
	l.rng ^= l.rng << 17
	return l.rng
}

// run is the loop goroutine: it dials, dispatches events and ticks the
// scenario until the runner stops, then closes every connection it owns.
func (l *loop) run() {
	defer l.shutdown()
	for !l.r.stopped.Load() {
		l.fillDials()
		n, err := unix.EpollWait(l.epfd, l.events[:], 10)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		for i := 0; i < n; i++ {
			ev := &l.events[i]
			fd := int(ev.Fd)
			if fd == l.evfd {
				var b [8]byte
				_, _ = unix.Read(l.evfd, b[:])
				continue
			}
			if fd >= len(l.conns) || l.conns[fd] == nil {
				continue
			}
			c := l.conns[fd]
			if ev.Events&(unix.EPOLLOUT|unix.EPOLLERR) != 0 {
				l.writable(c)
			}
			if c.state != stClosed && ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLRDHUP|unix.EPOLLERR) != 0 {
				l.readable(c)
			}
		}
		l.h.tick(l)
	}
}

func (l *loop) shutdown() {
	for _, c := range l.conns {
		if c != nil && c.state != stClosed {
			c.state = stClosed
			unix.Close(c.fd)
		}
	}
	l.conns = nil
	unix.Close(l.epfd)
	unix.Close(l.evfd)
}

func (l *loop) fillDials() {
	for l.toDial > 0 && l.pending < l.maxPend && !l.r.stopped.Load() {
		l.toDial--
		if _, err := l.dial(); err != nil {
			l.st.failed.Add(1)
			if errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) {
				l.toDial = 0
			}
		}
	}
}

func (l *loop) dial() (*Conn, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if srcs := l.sources; len(srcs) > 0 {
		// Spread connections over several loopback source addresses so that
		// ephemeral ports and TIME_WAIT never run out; the port is chosen at
		// connect time, per 4-tuple.
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
		l.srcIdx = (l.srcIdx + 1) % len(srcs)
		if err := unix.Bind(fd, &srcs[l.srcIdx]); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	if err := unix.Connect(fd, &l.sa); err != nil && !errors.Is(err, unix.EINPROGRESS) {
		unix.Close(fd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP, Fd: int32(fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(fd)
		return nil, err
	}
	c := &Conn{fd: fd, l: l, state: stConnecting, dialAt: l.r.now()}
	if bc := l.r.bc; bc != nil {
		c.topic = int32((bc.nextSub.Add(1) - 1) % int64(len(bc.per)))
	}
	for fd >= len(l.conns) {
		l.conns = append(l.conns, make([]*Conn, len(l.conns)+1024)...)
	}
	l.conns[fd] = c
	l.pending++
	return c, nil
}

func (l *loop) setWriteInterest(c *Conn, on bool) {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(c.fd)}
	if on {
		ev.Events |= unix.EPOLLOUT
	}
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, c.fd, &ev)
}

func (l *loop) writable(c *Conn) {
	if c.state == stConnecting {
		if e, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || e != 0 {
			l.fail(c, unix.Errno(e))
			return
		}
		c.state = stHandshake
		var nonce [16]byte
		for i := 0; i < 16; i += 8 {
			v := l.rand()
			for j := 0; j < 8; j++ {
				nonce[i+j] = byte(v >> (8 * j))
			}
		}
		wstest.NewKey(&c.key, nonce)
		l.reqBuf = wstest.AppendRequest(l.reqBuf[:0], l.r.host, l.r.path(c), &c.key)
		l.setWriteInterest(c, false)
		l.write(c, l.reqBuf)
		return
	}
	for len(c.out) > 0 {
		n, err := unix.Write(c.fd, c.out)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) {
				return
			}
			l.close(c, err)
			return
		}
		c.out = c.out[:copy(c.out, c.out[n:])]
	}
	l.setWriteInterest(c, false)
}

// write sends b (which the conn does not keep) or queues what the socket
// does not take.
func (l *loop) write(c *Conn, b []byte) {
	if c.state == stClosed {
		return
	}
	if len(c.out) > 0 {
		c.out = append(c.out, b...)
		return
	}
	n, err := unix.Write(c.fd, b)
	if err != nil {
		if !errors.Is(err, unix.EAGAIN) {
			l.close(c, err)
			return
		}
		n = 0
	}
	if n < len(b) {
		c.out = append(c.out, b[n:]...)
		l.setWriteInterest(c, true)
	}
}

// Send writes one masked message frame carrying payload.
func (c *Conn) Send(op byte, payload []byte) {
	l := c.l
	v := l.rand()
	l.wbuf = wstest.AppendFrame(l.wbuf[:0], op, payload, [4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
	l.write(c, l.wbuf)
}

// CloseHandshake sends a close frame with status 1000 and waits for the
// server's close frame or EOF.
func (c *Conn) CloseHandshake() {
	if c.state != stOpen {
		return
	}
	c.closeSent = true
	c.Send(wstest.OpClose, []byte{0x03, 0xE8})
	if c.state != stClosed {
		c.state = stClosing
	}
}

func (l *loop) readable(c *Conn) {
	n, err := unix.Read(c.fd, l.rbuf)
	if err != nil {
		if errors.Is(err, unix.EAGAIN) {
			return
		}
		l.fail(c, err)
		return
	}
	if n == 0 {
		l.fail(c, ErrEOF)
		return
	}
	data := l.rbuf[:n]
	if len(c.in) > 0 {
		c.in = append(c.in, data...)
		data = c.in
	}
	if c.state == stHandshake {
		if len(c.in) == 0 {
			c.in = append(c.in, data...)
			data = c.in
		}
		hn, err := wstest.CheckResponse(data, &c.key)
		if errors.Is(err, wstest.ErrNeedMore) {
			return
		}
		if err != nil {
			l.fail(c, err)
			return
		}
		c.state = stOpen
		l.pending--
		l.st.opened.Add(1)
		data = data[hn:]
		l.h.open(c)
		if c.state == stClosed {
			return
		}
	}
	l.frames(c, data)
}

// frames parses and dispatches every complete frame in data and keeps the
// rest in c.in (data may alias c.in).
func (l *loop) frames(c *Conn, data []byte) {
	for len(data) > 0 {
		h, err := wstest.ParseHeader(data)
		if errors.Is(err, wstest.ErrNeedMore) {
			break
		}
		if err == nil {
			err = h.CheckServer(0) // no extension is negotiated
		}
		if err != nil {
			l.st.errors.Add(1)
			l.fail(c, err)
			return
		}
		if len(data) < h.Size+h.Length {
			break
		}
		payload := data[h.Size : h.Size+h.Length]
		data = data[h.Size+h.Length:]
		l.frame(c, h, payload)
		if c.state == stClosed {
			return
		}
	}
	c.in = append(c.in[:0], data...)
}

func (l *loop) frame(c *Conn, h wstest.Header, payload []byte) {
	switch h.Op {
	case wstest.OpPing:
		c.Send(wstest.OpPong, payload)
	case wstest.OpPong:
	case wstest.OpClose:
		if c.state == stOpen {
			c.Send(wstest.OpClose, payload[:min(len(payload), 2)])
		}
		l.close(c, nil)
	case wstest.OpContinuation:
		if len(c.msg) == 0 && c.msgOp == 0 {
			l.st.errors.Add(1)
			l.fail(c, wstest.ErrProtocol)
			return
		}
		c.msg = append(c.msg, payload...)
		if h.Fin {
			op := c.msgOp
			c.msgOp = 0
			l.h.message(c, op, c.msg)
			c.msg = c.msg[:0]
		}
	default:
		if !h.Fin {
			c.msgOp = h.Op
			c.msg = append(c.msg[:0], payload...)
			return
		}
		l.h.message(c, h.Op, payload)
	}
}

// fail closes c after an error: a failed dial while it was being set up, a
// drop once it was open.
func (l *loop) fail(c *Conn, err error) {
	switch c.state {
	case stConnecting, stHandshake:
		l.st.failed.Add(1)
	case stOpen:
		if !l.r.stopped.Load() {
			l.st.dropped.Add(1)
		}
	}
	l.close(c, err)
}

func (l *loop) close(c *Conn, err error) {
	if c.state == stClosed {
		return
	}
	if c.state == stConnecting || c.state == stHandshake {
		l.pending--
	}
	c.state = stClosed
	unix.Close(c.fd)
	if c.fd < len(l.conns) {
		l.conns[c.fd] = nil
	}
	l.h.closed(c, err)
}
