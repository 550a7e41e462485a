// Copyright (c) 2026 The wsgate Authors. Licensed under the Apache License, Version 2.0,
// like the rest of gnet. A patch on gnet v2.9.7 kept by wsgate (PATCH.md).

//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package gnet

import (
	"net"

	"golang.org/x/sys/unix"

	errorx "github.com/panjf2000/gnet/v2/pkg/errors"
	"github.com/panjf2000/gnet/v2/pkg/queue"
)

// EnrollFD adds fd, a connected stream socket in non-blocking mode (as accept4(2) returns it
// with SOCK_NONBLOCK), to one of the client's event loops and returns without waiting for the
// loop: OnOpen runs later, on that loop, with ctx already in Conn.Context. From the call on,
// the loop owns fd and closes it with the connection; if EnrollFD fails, it has closed fd.
//
// It is the path for a program that accepts connections itself. Unlike EnrollContext it takes
// the descriptor as it is: no net.Conn, no dup, no remote address formatted to a string and
// parsed back, no goroutine waiting for the loop to open the connection. It sets no socket
// option either: set TCP_NODELAY or keep-alive on the listening socket (Linux copies them to
// the accepted ones) or on fd. local and remote are what Conn.LocalAddr and Conn.RemoteAddr
// return; either may be nil, which keeps no address object per connection for a handler that
// never asks (a *net.UnixAddr local makes it a Unix-domain connection).
//
// The loop is the one with the fewest connections, counting those handed to it and not yet
// opened, so that a burst of enrolments spreads over the loops instead of going to the one
// that was least loaded when the burst began.
func (cli *Client) EnrollFD(fd int, local, remote net.Addr, ctx any) error {
	if cli.eng.isShutdown() {
		_ = unix.Close(fd)
		return errorx.ErrEngineInShutdown
	}
	proto := "tcp"
	if _, ok := local.(*net.UnixAddr); ok {
		proto = "unix"
	}
	addrs := cli.enrolledAddrs(local)
	if remote != nil {
		addrs = &connAddrs{local: local, remote: remote}
	}
	return enrollOn(cli.eng.eventLoops.next(nil), proto, fd, addrs, ctx)
}

// enrollOn queues fd, with its addresses, for el (EnrollFD, and LoopListener.Enroll when
// another loop has far fewer connections).
func enrollOn(el *eventloop, proto string, fd int, addrs *connAddrs, ctx any) error {
	el.connections.incCount(0, 1) // in flight: counted until registerEnrolled
	c := newStreamConn(proto, fd, el, nil, nil, nil)
	c.addrs = addrs
	c.ctx = ctx
	if err := el.poller.Trigger(queue.HighPriority, registerEnrolled, c); err != nil {
		el.connections.incCount(0, -1)
		_ = unix.Close(fd)
		c.release()
		return err
	}
	return nil
}

// registerEnrolled opens a connection handed over by EnrollFD, on its loop. A function
// rather than a method value, which would allocate per connection.
func registerEnrolled(a any) error {
	c := a.(*conn)
	el := c.loop
	err := el.register0(c)
	// Uncounted as in flight only now that addConn has counted it (or it failed): in between,
	// the loop would look one connection lighter to a concurrent EnrollFD.
	el.connections.incCount(0, -1)
	return err
}

// enrolledAddrs returns the addresses of a connection enrolled with local address local and
// no remote one: those of the previous such connection when local is the same listener
// address (a pointer), so that a gateway's connections share them.
func (cli *Client) enrolledAddrs(local net.Addr) *connAddrs {
	switch local.(type) {
	case *net.TCPAddr, *net.UnixAddr:
	default:
		if local == nil {
			return nil
		}
		return &connAddrs{local: local}
	}
	if a := cli.lastAddrs.Load(); a != nil && a.local == local {
		return a
	}
	a := &connAddrs{local: local, shared: true}
	cli.lastAddrs.Store(a)
	return a
}
