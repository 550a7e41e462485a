// Copyright (c) 2026 The wsgate Authors. Licensed under the Apache License, Version 2.0,
// like the rest of gnet. A patch on gnet v2.9.7 kept by wsgate (PATCH.md).

//go:build linux

package gnet

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// rawListener is a non-blocking listening socket on a loopback port, outside Go's poller.
func rawListener(t *testing.T) (int, net.Addr) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 128); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fd, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*unix.SockaddrInet4).Port}
}

// watchAcceptor is an AcceptHandler's state on one loop: it names every connection it
// accepts; while pauseNext is set it pauses instead of accepting, once.
type watchAcceptor struct {
	loop      int
	next      *atomic.Int64
	pauseNext *atomic.Bool
	pauses    *atomic.Int64
	lfd       int
}

func (a *watchAcceptor) accept(ll *LoopListener) error {
	if ll.Index() != a.loop {
		panic("AcceptHandler called on another loop")
	}
	if a.pauseNext.CompareAndSwap(true, false) {
		a.pauses.Add(1)
		ll.Pause(50 * time.Millisecond)
		return nil
	}
	for i := 0; i < 4; i++ {
		nfd, _, err := unix.Accept4(a.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if errors.Is(err, unix.EAGAIN) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := ll.Enroll(nfd, nil, "c"+strconv.FormatInt(a.next.Add(1), 10)); err != nil {
			return err
		}
	}
	return nil
}

// TestWatchListener has a client's loops accept from a listening socket themselves: every
// connection opens on the loop that accepted it with the context and local address given
// (OnOpen's greeting arrives, it echoes), both loops take part, Pause takes the socket out
// of a loop for a while and it accepts again afterwards, and after Close no loop accepts:
// a new client waits in the backlog.
func TestWatchListener(t *testing.T) {
	lfd, addr := rawListener(t)
	defer unix.Close(lfd)
	ev := &enrollEvents{opened: map[string]int{}, loops: map[EventLoop]int{}, closed: make(chan string, 64), local: addr,
		addrs: map[*connAddrs]int{}}
	cli, err := NewClient(ev, WithNumEventLoop(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cli.Stop() }()

	var next, pauses atomic.Int64
	var pauseNext atomic.Bool
	var mu sync.Mutex
	var loops []int
	w, err := cli.WatchListener(lfd, addr, func(loop int) AcceptHandler {
		mu.Lock()
		loops = append(loops, loop)
		mu.Unlock()
		return (&watchAcceptor{loop: loop, next: &next, pauseNext: &pauseNext, pauses: &pauses, lfd: lfd}).accept
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(loops) != 2 {
		t.Fatalf("handlers made for loops %v, want 2", loops)
	}

	greet := func(c net.Conn) string {
		t.Helper()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		r := bufio.NewReader(c)
		line, err := r.ReadString('\n')
		if err != nil || len(line) < len("hello c1\n") || line[:6] != "hello " {
			t.Fatalf("greeting: %q %v", line, err)
		}
		if _, err := io.WriteString(c, "ping\n"); err != nil {
			t.Fatal(err)
		}
		if echo, err := r.ReadString('\n'); err != nil || echo != "ping\n" {
			t.Fatalf("echo: %q %v", echo, err)
		}
		return line[6 : len(line)-1]
	}
	const n = 32
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		seen[greet(c)] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct connections opened, want %d", len(seen), n)
	}
	ev.mu.Lock()
	bad, nLoops := ev.bad, len(ev.loops)
	ev.mu.Unlock()
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	if nLoops != 2 {
		t.Fatalf("connections opened on %d loops, want both (the loop that accepts passes them on when the other has fewer)", nLoops)
	}
	ev.mu.Lock()
	shared := len(ev.addrs)
	ev.mu.Unlock()
	if shared != 1 {
		t.Fatalf("the %d connections hold %d address objects, want one shared by all (no remote address given)", n, shared)
	}

	// A loop that pauses accepts again afterwards (or the other loop takes the client).
	pauseNext.Store(true)
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	greet(c)
	if pauses.Load() != 1 {
		t.Fatalf("%d pauses, want 1", pauses.Load())
	}

	// After Close no loop accepts.
	released := make(chan struct{})
	w.Close(func() { close(released) })
	w.Close(nil) // a second Close does nothing
	select {
	case <-released:
	case <-time.After(5 * time.Second):
		t.Fatal("the loops did not let go of the socket")
	}
	late, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	_ = late.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := late.Read(make([]byte, 1)); !errors.Is(err, errTimeout(err)) {
		t.Fatalf("a client after Close: %v, want it left in the backlog (a timeout)", err)
	}
	if nfd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC); err != nil {
		t.Fatalf("the late client is not in the backlog: %v", err)
	} else {
		unix.Close(nfd)
	}
}

// errTimeout returns err if it is a timeout, nil otherwise.
func errTimeout(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return err
	}
	return nil
}

// TestWatchListenerAfterStop: a stopped client watches nothing.
func TestWatchListenerAfterStop(t *testing.T) {
	lfd, addr := rawListener(t)
	defer unix.Close(lfd)
	cli, err := NewClient(&BuiltinEventEngine{}, WithNumEventLoop(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	if err := cli.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.WatchListener(lfd, addr, func(int) AcceptHandler { return nil }); err == nil {
		t.Fatal("WatchListener after Stop succeeded")
	}
}
