package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wsgate/wsgate/handshake"
)

// The accept path. Each listener is a non-blocking socket that one goroutine accepts from
// with accept4(2) until EAGAIN, then waits for the next connection in Go's poller; every
// accepted descriptor goes to an event loop through gnet's Client.EnrollFD (a patch in
// third_party/gnet), which queues it on the least loaded loop and returns without waiting.
// Per connection that is one accept4 and one epoll_ctl on the loop: no runtime poller
// registration, no dup, no setsockopt (TCP_NODELAY is set once on the listening socket and
// Linux copies it to every accepted one), no address object (the peer's address stays in the
// connection in the compact form of peer) and no goroutine hand-off.
//
// Accepting here rather than on gnet's own acceptor keeps running out of descriptors
// survivable: gnet shuts its engine down when accept fails with EMFILE, while here the
// accept loop backs off (acceptBackoffMin doubling to acceptBackoffMax, reset by a success)
// and the connections already open are served as before; the pending clients wait in the
// listen backlog until descriptors free up. If the shortage lasts longer than
// handshake_timeout, the waiting clients are answered 503 and closed one by one through a
// spare descriptor kept for that (shed), rather than left until the backlog overflows and
// the kernel resets them.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
	// shedPerRound bounds the clients answered 503 per accept round.
	shedPerRound = 256
)

// bind binds l: a Go listener does the resolving and binding, then its socket is taken
// over as a non-blocking descriptor of our own (a duplicate in an *os.File, pollable) and
// the Go listener closed, so that Go's accept never runs on it. The error names the
// listener.
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
	tl := ln.(*net.TCPListener)
	rc, err := tl.SyscallConn()
	if err != nil {
		return nil, err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, os.NewSyscallError("setsockopt TCP_NODELAY", serr)
	}
	f, err := tl.File()
	if err != nil {
		return nil, err
	}
	return &fdListener{file: f, addr: ln.Addr()}, nil
}

// fdListener is a listening socket taken over from Go (bind): the listener's acceptor
// (accept) reads it; Close ends that acceptor and closes the socket, so that new clients
// are refused.
type fdListener struct {
	file *os.File // non-blocking, in Go's poller so that the acceptor can wait on it
	addr net.Addr
}

// Addr is the bound address.
func (f *fdListener) Addr() net.Addr { return f.addr }

// Close closes the socket; the acceptor waiting on it returns.
func (f *fdListener) Close() error { return f.file.Close() }

// acceptor is the state of one listener's accept loop.
type acceptor struct {
	s        *Server
	l        *listener
	sa       unix.RawSockaddrAny // the peer's address, written by accept4
	shedding bool                // the shortage of descriptors has lasted: answer waiting clients 503
	shed     int                 // clients answered 503 in this round
	err      error               // what ended the round: unix.EAGAIN when the backlog is empty
}

// accept hands the listener's connections to the event loops until the listener closes.
// Errors back off and are logged at most once per logEvery for the whole server, with the
// count of those not logged.
func (s *Server) accept(l *listener) {
	defer s.acceptWG.Done()
	rc, err := l.ln.file.SyscallConn()
	if err != nil {
		s.log.Error("accept: no raw listener", "listener", l.name, "err", err)
		return
	}
	a := &acceptor{s: s, l: l}
	drain := a.drain
	var (
		backoff    time.Duration
		shortSince time.Time // when the current shortage of descriptors began; zero: none
	)
	for {
		a.shed = 0
		if err := rc.Read(drain); err != nil || s.stopping.Load() {
			return // the listener was closed
		}
		if a.err == nil {
			backoff, shortSince, a.shedding = 0, time.Time{}, false
			continue
		}
		s.stats.AcceptErrors.Add(1)
		backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
		if outOfDescriptors(a.err) {
			now := time.Now()
			if shortSince.IsZero() {
				shortSince = now
			}
			a.shedding = now.Sub(shortSince) >= s.opt().HandshakeTimeout
		}
		if ok, held := s.g.acceptLog.allow(time.Now().UnixNano()); ok {
			s.log.Warn("accept failed; backing off", "listener", l.name, "err", a.err, "backoff", backoff,
				"errors_since_last_line", held, "answered_503", a.shed)
		}
		s.sleepUnlessStopping(backoff)
	}
}

// drain is the accept round run by the listener's RawConn.Read: it accepts until the
// backlog is empty or an error; false (on EAGAIN) makes Read wait for the next connection.
func (a *acceptor) drain(lfd uintptr) bool {
	a.err = a.acceptAll(int(lfd))
	return a.err != unix.EAGAIN
}

// acceptAll accepts until the backlog is empty (unix.EAGAIN) or an error, handing every
// connection to a loop. Out of descriptors while shedding, it answers one waiting client
// 503 and tries again, so a descriptor freed meanwhile serves the next client.
func (a *acceptor) acceptAll(lfd int) error {
	s := a.s
	for {
		n := uint32(unix.SizeofSockaddrAny)
		// The read lock keeps another listener's accept from taking the descriptor a
		// shed has just freed for its 503 (shed holds the write lock while it is free).
		s.spareMu.RLock()
		r, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(lfd), uintptr(unsafe.Pointer(&a.sa)),
			uintptr(unsafe.Pointer(&n)), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		s.spareMu.RUnlock()
		switch {
		case e == 0:
		case e == unix.EINTR || e == unix.ECONNABORTED:
			continue // a client that reset while in the backlog
		case a.shedding && a.shed < shedPerRound && outOfDescriptors(e) && s.shed(lfd):
			a.shed++
			continue
		default:
			return e
		}
		fd := int(r)
		if s.stopping.Load() {
			unix.Close(fd)
			return net.ErrClosed
		}
		s.stats.Accepted.Add(1)
		if err := s.cli.EnrollFD(fd, a.l.ln.addr, nil, s.newConn(a.l, peerOf(&a.sa))); err != nil { // fd is closed
			return &handOffError{err}
		}
	}
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

// handOffError is a failure to hand an accepted socket to a loop.
type handOffError struct{ err error }

func (e *handOffError) Error() string { return "handing the connection to a loop: " + e.err.Error() }
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
