// Copyright (c) 2026 The wsgate Authors. Licensed under the Apache License, Version 2.0,
// like the rest of gnet. A patch on gnet v2.9.7 kept by wsgate (PATCH.md).

//go:build linux

package gnet

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	errorx "github.com/panjf2000/gnet/v2/pkg/errors"
)

// enrollEvents echoes lines and records what every connection saw at OnOpen.
type enrollEvents struct {
	BuiltinEventEngine
	mu     sync.Mutex
	opened map[string]int // ctx -> event loop index seen at OnOpen
	loops  map[EventLoop]int
	closed chan string
	local  net.Addr
	bad    []string
	addrs  map[*connAddrs]int // the address objects the opened connections hold
}

func (ev *enrollEvents) OnOpen(c Conn) ([]byte, Action) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	name, _ := c.Context().(string)
	if c.RemoteAddr() != nil {
		ev.bad = append(ev.bad, name+": RemoteAddr not nil")
	}
	if c.LocalAddr() != ev.local {
		ev.bad = append(ev.bad, name+": LocalAddr is not the one given")
	}
	if ev.addrs != nil {
		ev.addrs[c.(*conn).addrs]++
	}
	if _, ok := ev.loops[c.EventLoop()]; !ok {
		ev.loops[c.EventLoop()] = len(ev.loops)
	}
	ev.opened[name] = ev.loops[c.EventLoop()]
	return []byte("hello " + name + "\n"), None
}

func (ev *enrollEvents) OnTraffic(c Conn) Action {
	b, _ := c.Next(-1)
	_, _ = c.Write(b)
	return None
}

func (ev *enrollEvents) OnClose(c Conn, _ error) Action {
	ev.closed <- c.Context().(string)
	return None
}

// acceptRaw accepts one connection of ln with accept4, as a caller of EnrollFD does.
func acceptRaw(t *testing.T, ln net.Listener) int {
	t.Helper()
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	nfd := -1
	deadline := time.Now().Add(5 * time.Second)
	for nfd < 0 && time.Now().Before(deadline) {
		if cerr := rc.Control(func(fd uintptr) {
			nfd, _, err = unix.Accept4(int(fd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		}); cerr != nil {
			t.Fatal(cerr)
		}
		if errors.Is(err, unix.EAGAIN) {
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if nfd < 0 {
		t.Fatal("nothing to accept")
	}
	return nfd
}

// TestEnrollFD hands accepted descriptors to a client's loops: each connection opens with its
// context, the addresses given, a greeting written from OnOpen, echoes, spreads evenly over
// the loops although the loops had not opened the earlier ones yet, and closes with its
// peer. After Stop, EnrollFD fails and closes the descriptor.
func TestEnrollFD(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ev := &enrollEvents{opened: map[string]int{}, loops: map[EventLoop]int{}, closed: make(chan string, 16), local: ln.Addr()}
	cli, err := NewClient(ev, WithNumEventLoop(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = cli.Stop()
		}
	}()

	const n = 8
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	peers := make([]net.Conn, n)
	fds := make([]int, n)
	for i := 0; i < n; i++ {
		if peers[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			t.Fatal(err)
		}
		defer peers[i].Close()
		fds[i] = acceptRaw(t, ln)
	}
	// Enrolled in one burst: the loops may not have opened any of them yet.
	for i, fd := range fds {
		if err := cli.EnrollFD(fd, ln.Addr(), nil, names[i]); err != nil {
			t.Fatalf("EnrollFD %s: %v", names[i], err)
		}
	}
	for i, p := range peers {
		_ = p.SetDeadline(time.Now().Add(5 * time.Second))
		r := bufio.NewReader(p)
		line, err := r.ReadString('\n')
		if err != nil || line != "hello "+names[i]+"\n" {
			t.Fatalf("greeting of %s: %q %v", names[i], line, err)
		}
		if _, err := io.WriteString(p, "ping "+names[i]+"\n"); err != nil {
			t.Fatal(err)
		}
		if line, err = r.ReadString('\n'); err != nil || line != "ping "+names[i]+"\n" {
			t.Fatalf("echo of %s: %q %v", names[i], line, err)
		}
	}
	ev.mu.Lock()
	perLoop := map[int]int{}
	for _, l := range ev.opened {
		perLoop[l]++
	}
	bad := ev.bad
	ev.mu.Unlock()
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	if len(perLoop) != 2 || perLoop[0] != n/2 || perLoop[1] != n/2 {
		t.Fatalf("connections per loop: %v, want %d on each of 2", perLoop, n/2)
	}

	peers[0].Close()
	select {
	case name := <-ev.closed:
		if name != names[0] {
			t.Fatalf("closed %q, want %q", name, names[0])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no OnClose after the peer closed")
	}

	// After Stop the descriptor is refused and closed.
	extra, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	fd := acceptRaw(t, ln)
	if err := cli.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if err := cli.EnrollFD(fd, ln.Addr(), nil, "late"); !errors.Is(err, errorx.ErrEngineInShutdown) {
		t.Fatalf("EnrollFD after Stop: %v", err)
	}
	_ = extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := extra.Read(make([]byte, 1)); err == nil {
		t.Fatal("the refused connection was not closed")
	}
}
