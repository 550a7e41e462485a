package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
	"unsafe"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/wsgate/wsgate/handshake"
)

// The accept path. Each listener is a non-blocking listening socket that every event loop
// watches (gnet's Client.WatchListener, a patch in third_party/gnet): level-triggered and
// with EPOLLEXCLUSIVE, so a new connection wakes one waiting loop, which accepts it with
// accept4(2) and opens it on itself (LoopListener.Enroll: OnOpen runs there and then; only
// when another loop has clearly fewer connections is it queued for that one, so that a slow
// trickle of clients does not all land on the loop that happens to wake first). Per
// connection that is one accept4 and one epoll_ctl: no acceptor goroutine to wake, no
// hand-off between threads in the steady state, no runtime poller registration, no dup, no setsockopt
// (TCP_NODELAY is set once on the listening socket and Linux copies it to every accepted
// one), no address object (the peer's address stays in the connection in the compact form
// of peer). A loop accepts at most acceptBatch connections per wake-up; the rest of a burst
// waits for its next round or wakes another loop.
//
// Accepting here rather than on gnet's own acceptor keeps running out of descriptors
// survivable: gnet shuts its engine down when accept fails with EMFILE, while here the loop
// takes the listening socket out of its poller for a back-off (acceptBackoffMin doubling to
// acceptBackoffMax, reset by a success) and the connections already open are served as
// before; the pending clients wait in the listen backlog until descriptors free up. If the
// shortage lasts longer than handshake_timeout, the waiting clients are answered 503 and
// closed one by one through a spare descriptor kept for that (shed), rather than left until
// the backlog overflows and the kernel resets them.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
	// acceptBatch bounds the connections a loop accepts per wake-up, so that a burst of
	// connections does not hold up the loop's open ones.
	acceptBatch = 64
	// shedPerRound bounds the clients answered 503 per accept round.
	shedPerRound = 256
)

// bind binds l: a Go listener does the resolving and binding, then its socket is taken
// over as a non-blocking descriptor of our own (a duplicate, outside Go's poller) and the
// Go listener closed, so that Go's accept never runs on it. The error names the listener.
func (l *listener) bind() error {
	ln, err := takeOver(l.address)
	if err != nil {
		return fmt.Errorf("engine: listener %q: %w", l.name, err)
	}
	l.ln = ln
	return nil
}

func takeOver(address string) (*fdListener, error) {
	ln, err := listenConfig.Listen(context.Background(), "tcp", address)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		return nil, err
	}
	fd, serr := -1, error(nil)
	if err := rc.Control(func(lfd uintptr) {
		if serr = unix.SetsockoptInt(int(lfd), unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); serr != nil {
			serr = os.NewSyscallError("setsockopt TCP_NODELAY", serr)
			return
		}
		// The duplicate shares the socket's O_NONBLOCK; closing the Go listener takes the
		// socket out of Go's poller, so that new connections wake only the event loops.
		if fd, serr = unix.FcntlInt(lfd, unix.F_DUPFD_CLOEXEC, 0); serr != nil {
			serr = os.NewSyscallError("dup", serr)
		}
	}); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	return &fdListener{fd: fd, addr: ln.Addr()}, nil
}

// fdListener is a listening socket taken over from Go (bind), watched by the event loops
// once the server accepts on it (Server.startAccepting); Close takes it out of the loops and
// closes it, so that new clients are refused. A connection a loop accepted before it let go
// of the socket is served as any other (an upgrade on a listener removed by Reconfigure is
// refused, on a stopping server the connection is closed at once).
type fdListener struct {
	fd    int // non-blocking
	addr  net.Addr
	watch *gnet.ListenerWatch // nil until the loops watch it
	once  sync.Once
}

// Addr is the bound address.
func (f *fdListener) Addr() net.Addr { return f.addr }

// closeWait bounds how long Close waits for the event loops to let go of the socket: one
// held up in an application's callback must not hold up a reconfiguration or a shutdown
// (the socket is then closed when the last loop lets go of it).
const closeWait = 100 * time.Millisecond

// Close takes the socket out of every event loop, which then accept no more from it, and
// closes it, normally before it returns. It may be called more than once.
func (f *fdListener) Close() error {
	f.once.Do(func() {
		if f.watch == nil {
			unix.Close(f.fd)
			return
		}
		closed := make(chan struct{})
		f.watch.Close(func() {
			unix.Close(f.fd)
			close(closed)
		})
		t := time.NewTimer(closeWait)
		defer t.Stop()
		select {
		case <-closed:
		case <-t.C:
		}
	})
	return nil
}

// acceptor is the state of one event loop's accepting from one listener; only that loop
// uses it.
type acceptor struct {
	s          *Server
	l          *listener
	sa         unix.RawSockaddrAny // the peer's address, written by accept4
	backoff    time.Duration       // of the last failure; zero after a success
	shortSince time.Time           // when the current shortage of descriptors began; zero: none
	shedding   bool                // the shortage of descriptors has lasted: answer waiting clients 503
	shed       int                 // clients answered 503 in this round
}

// startAccepting has every event loop accept from the bound listener l until l.ln closes.
func (s *Server) startAccepting(l *listener) {
	w, err := s.cli.WatchListener(l.ln.fd, l.ln.addr, func(int) gnet.AcceptHandler {
		return (&acceptor{s: s, l: l}).ready
	})
	if err != nil {
		s.log.Error("accept: the event loops cannot watch the listener", "listener", l.name, "err", err)
		return
	}
	l.ln.watch = w
}

// ready is the accept round of a loop whose listener is readable: it accepts up to
// acceptBatch connections and opens them on the loop. An error takes the listener out of
// the loop for a back-off, logged at most once per logEvery for the whole server with the
// count of those not logged.
func (a *acceptor) ready(ll *gnet.LoopListener) error {
	s := a.s
	a.shed = 0
	n, err := a.acceptSome(ll)
	if n > 0 {
		a.backoff, a.shortSince, a.shedding = 0, time.Time{}, false
	}
	if err == nil || s.stopping.Load() {
		return nil
	}
	s.stats.AcceptErrors.Add(1)
	a.backoff = min(max(2*a.backoff, acceptBackoffMin), acceptBackoffMax)
	now := time.Now()
	if outOfDescriptors(err) {
		if a.shortSince.IsZero() {
			a.shortSince = now
		}
		a.shedding = now.Sub(a.shortSince) >= s.opt().HandshakeTimeout
	}
	if ok, held := s.g.acceptLog.allow(now.UnixNano()); ok {
		s.log.Warn("accept failed; backing off", "listener", a.l.name, "err", err, "backoff", a.backoff,
			"errors_since_last_line", held, "answered_503", a.shed)
	}
	ll.Pause(a.backoff)
	return nil
}

// acceptSome accepts until the backlog is empty, acceptBatch connections or an error (nil
// for the first two), opening every connection on the loop; n counts them. Out of
// descriptors while shedding, it answers one waiting client 503 and tries again, so a
// descriptor freed meanwhile serves the next client.
func (a *acceptor) acceptSome(ll *gnet.LoopListener) (n int, err error) {
	s := a.s
	lfd := a.l.ln.fd
	for n < acceptBatch {
		sl := uint32(unix.SizeofSockaddrAny)
		// The read lock keeps another loop's accept from taking the descriptor a shed has
		// just freed for its 503 (shed holds the write lock while it is free).
		s.spareMu.RLock()
		fd, e := rawAccept4(lfd, &a.sa, &sl, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		s.spareMu.RUnlock()
		switch {
		case e == 0:
		case e == unix.EAGAIN:
			return n, nil // the backlog is empty (or another loop took the connection)
		case e == unix.EINTR || e == unix.ECONNABORTED:
			continue // a client that reset while in the backlog
		case a.shedding && a.shed < shedPerRound && outOfDescriptors(e) && s.shed(lfd):
			a.shed++
			continue
		default:
			return n, e
		}
		if s.stopping.Load() {
			unix.Close(fd)
			return n, nil
		}
		n++
		s.stats.Accepted.Add(1)
		if err := ll.Enroll(fd, nil, s.newConn(a.l, peerOf(&a.sa))); err != nil {
			return n, &handOffError{err}
		}
	}
	return n, nil
}

// newConn is the state of a connection just accepted on l from p; OnOpen completes it on
// its loop.
func (s *Server) newConn(l *listener, p peer) *conn {
	return &conn{l: l, remote: p, id: s.nextID.Add(1), slot: -1}
}

// outOfDescriptors reports whether an accept error is a shortage of descriptors or memory,
// which lasts until something is closed.
func outOfDescriptors(err error) bool {
	return errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) || errors.Is(err, unix.ENOBUFS) ||
		errors.Is(err, unix.ENOMEM)
}

// shed answers one client waiting in the backlog with 503 when no descriptor is left: it
// frees the spare descriptor kept for this, accepts into it, answers and closes the client,
// and takes the spare again (the way out of EMFILE of nginx and libuv). It reports whether a
// client was answered. The request the client sent is read first, so that the close sends
// a FIN after the answer rather than a reset that could discard it.
func (s *Server) shed(lfd int) bool {
	s.spareMu.Lock()
	defer s.spareMu.Unlock()
	if s.spare < 0 {
		if s.spare = openSpare(); s.spare < 0 {
			return false
		}
	}
	unix.Close(s.spare)
	nfd, _, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	if err == nil {
		var scratch [1024]byte
		for range 16 {
			if n, _ := unix.Read(nfd, scratch[:]); n <= 0 {
				break
			}
		}
		_, _ = unix.Write(nfd, handshake.ErrBusy.Response())
		_ = unix.Shutdown(nfd, unix.SHUT_WR)
		unix.Close(nfd)
		s.stats.Refused.Add(1)
	}
	s.spare = openSpare() // -1 if the number was taken meanwhile: tried again next time
	return err == nil
}

// openSpare opens the spare descriptor shed frees; -1 if none is left.
func openSpare() int {
	fd, err := unix.Open(os.DevNull, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return fd
}

// handOffError is a failure to open an accepted socket on the loop.
type handOffError struct{ err error }

func (e *handOffError) Error() string { return "opening the connection on the loop: " + e.err.Error() }
func (e *handOffError) Unwrap() error { return e.err }

// peer is a client's address as its connection keeps it: 18 bytes inline, no pointer, no
// allocation. RemoteAddr builds a *net.TCPAddr from it when asked.
type peer struct {
	ip   [16]byte // IPv4 in its IPv4-mapped IPv6 form
	port uint16
}

// peerOf reads the address accept4 wrote into sa.
func peerOf(sa *unix.RawSockaddrAny) peer {
	var p peer
	switch sa.Addr.Family {
	case unix.AF_INET:
		in := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		p.ip = netip.AddrFrom4(in.Addr).As16()
		p.port = uint16(in.Port>>8 | in.Port<<8) // network byte order
	case unix.AF_INET6:
		in := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		p.ip = in.Addr
		p.port = uint16(in.Port>>8 | in.Port<<8)
	}
	return p
}

// addrPort is the address as a value (an IPv4-mapped address as IPv4, as Go's own accept
// reports it).
func (p peer) addrPort() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(p.ip).Unmap(), p.port)
}

// String formats the address for logs.
func (p peer) String() string { return p.addrPort().String() }

// tcpAddr builds the address as net.Addr: one allocation.
func (p peer) tcpAddr() *net.TCPAddr {
	b := new(struct {
		a  net.TCPAddr
		ip [16]byte
	})
	b.ip = p.ip
	b.a.IP, b.a.Port = b.ip[:], int(p.port)
	if netip.AddrFrom16(p.ip).Is4In6() {
		b.a.IP = b.ip[12:16]
	}
	return &b.a
}
