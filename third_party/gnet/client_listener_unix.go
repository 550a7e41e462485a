// Copyright (c) 2026 The wsgate Authors. Licensed under the Apache License, Version 2.0,
// like the rest of gnet. A patch on gnet v2.9.7 kept by wsgate (PATCH.md).

//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package gnet

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	errorx "github.com/panjf2000/gnet/v2/pkg/errors"
	"github.com/panjf2000/gnet/v2/pkg/netpoll"
	"github.com/panjf2000/gnet/v2/pkg/queue"
)

// AcceptHandler is called on an event loop when a listening socket it watches is readable
// (WatchListener): it accepts what it wants to with accept(2) itself and opens each
// connection on this loop with LoopListener.Enroll. It should accept a bounded number of
// connections per call: the socket is watched level-triggered, so what is left in the
// backlog calls it again after the loop has served its other events. An error it returns is
// treated as one returned by an event handler of a connection (ErrEngineShutdown stops the
// loop).
type AcceptHandler func(ll *LoopListener) error

// ListenerWatch is a listening socket watched by every event loop of a Client
// (WatchListener).
type ListenerWatch struct {
	loops   []*LoopListener
	once    sync.Once
	pending atomic.Int32 // loops still to let go of the socket after Close
	then    func()       // Close's argument
}

// LoopListener is one event loop's watch of a listening socket. Its methods other than
// Close must be called on that loop, from its AcceptHandler.
type LoopListener struct {
	el       *eventloop
	w        *ListenerWatch
	pa       netpoll.PollAttachment
	local    net.Addr
	addrs    *connAddrs // shared by the connections enrolled with no remote address
	accept   AcceptHandler
	watching bool // in the loop's poller (loop only)
	closed   bool // unwatched for good (loop only)
}

// WatchListener puts fd, a listening stream socket in non-blocking mode, in the poller of
// every event loop of the client, level-triggered and (on Linux) with EPOLLEXCLUSIVE, so that
// a new connection wakes one loop, which accepts it and opens it on itself: no acceptor
// goroutine, no hand-off between threads. handlers is called once per loop, before
// WatchListener returns, for that loop's AcceptHandler (so that state kept per loop needs no
// lock). local is what Conn.LocalAddr of the connections returns (nil: none; a
// *net.UnixAddr makes them Unix-domain connections).
//
// fd stays the caller's: it closes it once every loop has let go of it
// (ListenerWatch.Close). Unlike gnet's own acceptor, nothing here shuts the engine down when accept
// fails: what to do about EMFILE is the AcceptHandler's (LoopListener.Pause).
func (cli *Client) WatchListener(fd int, local net.Addr, handlers func(loop int) AcceptHandler) (*ListenerWatch, error) {
	if cli.eng.isShutdown() {
		return nil, errorx.ErrEngineInShutdown
	}
	w := &ListenerWatch{}
	var shared *connAddrs // one object for all the listener's connections, never recycled
	if local != nil {
		shared = &connAddrs{local: local, shared: true}
	}
	cli.eng.eventLoops.iterate(func(_ int, el *eventloop) bool {
		ll := &LoopListener{el: el, w: w, local: local, addrs: shared, accept: handlers(el.idx)}
		ll.pa = netpoll.PollAttachment{FD: fd, Callback: ll.ready}
		w.loops = append(w.loops, ll)
		return true
	})
	for _, ll := range w.loops {
		if err := ll.el.poller.Trigger(queue.HighPriority, watchListener, ll); err != nil {
			w.Close(nil)
			return nil, err
		}
	}
	return w, nil
}

// Close has every loop take the socket out of its poller; once the last one has (after
// what it is doing now, an event handler for instance), no loop accepts from it any more
// and then, if not nil, is called, on that loop's goroutine or on the caller's: the moment
// to close the socket. Close does not wait for the loops, so that a loop held up in an
// event handler does not hold up the caller; a second Close does nothing.
func (w *ListenerWatch) Close(then func()) {
	w.once.Do(func() {
		w.then = then
		w.pending.Store(int32(len(w.loops)))
		for _, ll := range w.loops {
			if ll.el.poller.Trigger(queue.HighPriority, unwatchListener, ll) != nil {
				w.release() // the loop has stopped
			}
		}
	})
}

// release counts a loop that has let go of the socket.
func (w *ListenerWatch) release() {
	if w.pending.Add(-1) == 0 && w.then != nil {
		w.then()
	}
}

// Enroll opens fd, a connected socket in non-blocking mode that the AcceptHandler has just
// accepted, on this loop: OnOpen runs before Enroll returns, with ctx in Conn.Context. The
// loop owns fd from the call on; if Enroll fails before OnOpen, fd is closed. remote is what
// Conn.RemoteAddr returns (nil: none, no address object kept per connection).
//
// The loop that wakes first is the one that accepts (EPOLLEXCLUSIVE wakes the first waiting
// one), so under a slow trickle of connections one loop would take them all: when another
// loop has clearly fewer connections (by more than 2 + 1/16), the connection is queued for
// that loop instead, as EnrollFD does, and OnOpen runs there later.
func (ll *LoopListener) Enroll(fd int, remote net.Addr, ctx any) error {
	proto := "tcp"
	if _, ok := ll.local.(*net.UnixAddr); ok {
		proto = "unix"
	}
	addrs := ll.addrs
	if remote != nil {
		addrs = &connAddrs{local: ll.local, remote: remote}
	}
	if best := ll.el.engine.eventLoops.next(nil); best != ll.el {
		if n := best.countConn(); ll.el.countConn() > n+2+n/16 {
			return enrollOn(best, proto, fd, addrs, ctx)
		}
	}
	c := newStreamConn(proto, fd, ll.el, nil, nil, nil)
	c.addrs = addrs
	c.ctx = ctx
	return ll.el.register0(c)
}

// Index is the index of the loop.
func (ll *LoopListener) Index() int { return ll.el.idx }

// Pause takes the socket out of this loop's poller for d (a back-off, after accept failed
// with EMFILE for instance); then the loop watches it again, unless the watch was closed.
func (ll *LoopListener) Pause(d time.Duration) {
	if !ll.watching {
		return
	}
	_ = ll.el.poller.Delete(ll.pa.FD)
	ll.watching = false
	time.AfterFunc(d, func() {
		_ = ll.el.poller.Trigger(queue.HighPriority, watchListener, ll)
	})
}

// ready is the poll callback of the socket on this loop (the default reactor calls it
// through eventloop.listenerReady, the poll_opt one through the attachment).
func (ll *LoopListener) ready(int, netpoll.IOEvent, netpoll.IOFlags) error {
	if !ll.watching {
		return nil // an event already in the batch of the epoll_wait that preceded Pause
	}
	return ll.accept(ll)
}

// watchListener puts the socket in the loop's poller (WatchListener, and after a Pause).
func watchListener(a any) error {
	ll := a.(*LoopListener)
	if ll.closed || ll.watching {
		return nil
	}
	if err := ll.el.poller.AddReadExclusive(&ll.pa); err != nil {
		ll.el.getLogger().Errorf("watching listener fd=%d in event-loop(%d): %v", ll.pa.FD, ll.el.idx, err)
		return nil
	}
	ll.watching = true
	if ll.el.loopListeners == nil {
		ll.el.loopListeners = make(map[int]*LoopListener)
	}
	ll.el.loopListeners[ll.pa.FD] = ll
	return nil
}

// unwatchListener takes the socket out of the loop for good (ListenerWatch.Close).
func unwatchListener(a any) error {
	ll := a.(*LoopListener)
	if !ll.closed {
		ll.closed = true
		if ll.watching {
			_ = ll.el.poller.Delete(ll.pa.FD)
			ll.watching = false
		}
		if ll.el.loopListeners[ll.pa.FD] == ll {
			delete(ll.el.loopListeners, ll.pa.FD)
		}
		ll.w.release()
	}
	return nil
}
