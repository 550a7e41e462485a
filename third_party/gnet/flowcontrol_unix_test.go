// Copyright (c) 2026 The Gnet Authors. All rights reserved.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package gnet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	errorx "github.com/panjf2000/gnet/v2/pkg/errors"
)

// flowHandler records what the event loop tells it about one enrolled connection.
type flowHandler struct {
	BuiltinEventEngine
	pauseAtOpen bool
	traffic     atomic.Int64 // OnTraffic calls
	received    bytes.Buffer // loop only
	drains      chan int     // OutboundBuffered at each OnDrain
	closed      chan error
}

func newFlowHandler(pauseAtOpen bool) *flowHandler {
	return &flowHandler{pauseAtOpen: pauseAtOpen, drains: make(chan int, 16), closed: make(chan error, 1)}
}

func (h *flowHandler) OnOpen(c Conn) ([]byte, Action) {
	if h.pauseAtOpen {
		if err := c.PauseRead(); err != nil {
			panic(err)
		}
	}
	return nil, None
}

func (h *flowHandler) OnTraffic(c Conn) Action {
	h.traffic.Add(1)
	b, _ := c.Next(-1)
	h.received.Write(b)
	return None
}

func (h *flowHandler) OnDrain(c Conn) Action {
	h.drains <- c.OutboundBuffered()
	return None
}

func (h *flowHandler) OnClose(_ Conn, err error) Action {
	h.closed <- err
	return None
}

// onLoop runs fn on c's event loop and waits for it.
func onLoop(t *testing.T, c Conn, fn func()) {
	t.Helper()
	done := make(chan struct{})
	err := c.EventLoop().Execute(context.Background(), RunnableFunc(func(context.Context) error {
		fn()
		close(done)
		return nil
	}))
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("task did not run on the event loop")
	}
}

// enrolledPair starts a client engine with h, connects a TCP pair over loopback, enrolls one
// end and returns the gnet side and the plain peer.
func enrolledPair(t *testing.T, h EventHandler) (Conn, net.Conn) {
	t.Helper()
	cli, err := NewClient(h, WithLockOSThread(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Stop() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	local, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	gc, err := cli.Enroll(local)
	if err != nil {
		t.Fatal(err)
	}
	return gc, peer
}

// fillUntilBlocked writes a pattern to peer until the kernel stops taking it and returns the
// bytes written.
func fillUntilBlocked(t *testing.T, peer net.Conn) []byte {
	t.Helper()
	var sent bytes.Buffer
	chunk := make([]byte, 64<<10)
	for i := 0; sent.Len() < 256<<20; i++ {
		for j := 0; j < len(chunk); j += 4096 {
			chunk[j] = byte(i) // a pattern that tells chunks apart, cheap under -race
		}
		_ = peer.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := peer.Write(chunk)
		sent.Write(chunk[:n])
		if errors.Is(err, os.ErrDeadlineExceeded) {
			_ = peer.SetWriteDeadline(time.Time{})
			return sent.Bytes()
		}
		if err != nil {
			t.Fatalf("peer write: %v", err)
		}
	}
	t.Fatal("the paused connection took 256 MiB: reading was not paused")
	return nil
}

func TestPauseReadLeavesInputInTheKernel(t *testing.T) {
	h := newFlowHandler(true)
	gc, peer := enrolledPair(t, h)
	sent := fillUntilBlocked(t, peer)
	if n := h.traffic.Load(); n != 0 {
		t.Fatalf("OnTraffic fired %d times while reading was paused", n)
	}
	var buffered int
	var paused bool
	onLoop(t, gc, func() { buffered, paused = gc.InboundBuffered(), gc.IsReadPaused() })
	if buffered != 0 || !paused {
		t.Fatalf("paused connection: InboundBuffered %d, IsReadPaused %v", buffered, paused)
	}
	t.Logf("the kernel held %d bytes for the paused connection", len(sent))

	onLoop(t, gc, func() {
		if err := gc.ResumeRead(); err != nil {
			t.Errorf("ResumeRead: %v", err)
		}
	})
	peer.Close()
	select {
	case <-h.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("no EOF after ResumeRead")
	}
	if !bytes.Equal(h.received.Bytes(), sent) {
		t.Fatalf("received %d bytes, sent %d, or they differ", h.received.Len(), len(sent))
	}
}

func TestPausedConnectionStillWritesAndDrains(t *testing.T) {
	h := newFlowHandler(true)
	gc, peer := enrolledPair(t, h)
	out := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB: more than the socket takes
	onLoop(t, gc, func() {
		if _, err := gc.Write(out); err != nil {
			t.Errorf("Write: %v", err)
		}
		if gc.OutboundBuffered() == 0 {
			t.Error("the socket took 16 MiB at once; the test needs a backlog")
		}
	})
	select {
	case n := <-h.drains:
		t.Fatalf("OnDrain fired (buffered %d) before the peer read anything", n)
	case <-time.After(100 * time.Millisecond):
	}
	got := make([]byte, len(out))
	_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatalf("peer read: %v", err)
	}
	if !bytes.Equal(got, out) {
		t.Fatal("the peer read other bytes than were written")
	}
	select {
	case n := <-h.drains:
		if n != 0 {
			t.Fatalf("OnDrain with %d bytes still buffered", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnDrain did not fire after the backlog was written")
	}
	// Still paused after the drain: input stays in the kernel.
	if _, err := peer.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := h.traffic.Load(); n != 0 {
		t.Fatalf("OnTraffic fired %d times while paused", n)
	}
	onLoop(t, gc, func() { _ = gc.ResumeRead() })
	deadline := time.Now().Add(5 * time.Second)
	for h.traffic.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	var got2 string
	onLoop(t, gc, func() { got2 = h.received.String() })
	if got2 != "ping" {
		t.Fatalf("after ResumeRead the loop read %q, want %q", got2, "ping")
	}
}

func TestPausedConnectionIsClosedOnReset(t *testing.T) {
	h := newFlowHandler(true)
	_, peer := enrolledPair(t, h)
	if _, err := peer.Write([]byte("unread")); err != nil {
		t.Fatal(err)
	}
	_ = peer.(*net.TCPConn).SetLinger(0) // close with a reset
	peer.Close()
	select {
	case <-h.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("a paused connection whose peer reset it was not closed")
	}
	if n := h.traffic.Load(); n != 0 {
		t.Fatalf("OnTraffic fired %d times while paused", n)
	}
}

func TestPauseReadFromOnTrafficStopsTheReadLoop(t *testing.T) {
	h := &pauseInTraffic{flowHandler: newFlowHandler(false)}
	gc, peer := enrolledPair(t, h)
	if _, err := peer.Write(bytes.Repeat([]byte{'x'}, 1000)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.traffic.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	sent := fillUntilBlocked(t, peer)
	if n := h.traffic.Load(); n != 1 {
		t.Fatalf("OnTraffic fired %d times; it paused reading at the first", n)
	}
	onLoop(t, gc, func() { _ = gc.ResumeRead() })
	peer.Close()
	select {
	case <-h.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("no EOF after ResumeRead")
	}
	if h.received.Len() != 1000+len(sent) {
		t.Fatalf("received %d bytes, want %d", h.received.Len(), 1000+len(sent))
	}
}

// pauseInTraffic pauses reading in its first OnTraffic, leaving that read's bytes buffered.
type pauseInTraffic struct{ *flowHandler }

func (h *pauseInTraffic) OnTraffic(c Conn) Action {
	if h.traffic.Add(1) == 1 {
		_ = c.PauseRead()
		return None // the bytes stay in the inbound buffer
	}
	b, _ := c.Next(-1)
	h.received.Write(b)
	return None
}

func TestPauseReadUnsupportedOnUDP(t *testing.T) {
	c := newUDPConn(-1, &eventloop{engine: &engine{opts: &Options{}}}, nil, nil, true)
	if err := c.PauseRead(); !errors.Is(err, errorx.ErrUnsupportedOp) {
		t.Fatalf("PauseRead on UDP: %v", err)
	}
}

// BenchmarkPauseResumeRead is the cost of one pause and resume on the loop: two epoll_ctl calls.
func BenchmarkPauseResumeRead(b *testing.B) {
	h := newFlowHandler(false)
	gc, _ := enrolledPairB(b, h)
	b.ReportAllocs()
	done := make(chan struct{})
	_ = gc.EventLoop().Execute(context.Background(), RunnableFunc(func(context.Context) error {
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_ = gc.PauseRead()
			_ = gc.ResumeRead()
		}
		b.StopTimer()
		close(done)
		return nil
	}))
	<-done
}

// BenchmarkReEnroll is the cost of the alternative without a patch: detaching a socket from
// its loop (a duplicate descriptor kept, the gnet connection closed) and enrolling it again.
func BenchmarkReEnroll(b *testing.B) {
	h := newFlowHandler(false)
	h.closed = make(chan error, b.N+1)
	gc, _ := enrolledPairB(b, h)
	cli := enrolledClient
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fd, err := gc.Dup()
		if err != nil {
			b.Fatal(err)
		}
		_ = gc.Close()
		<-h.closed
		f := os.NewFile(uintptr(fd), "detached")
		nc, err := net.FileConn(f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if gc, err = cli.Enroll(nc); err != nil {
			b.Fatal(err)
		}
	}
}

var enrolledClient *Client

func enrolledPairB(b *testing.B, h EventHandler) (Conn, net.Conn) {
	cli, err := NewClient(h)
	if err != nil {
		b.Fatal(err)
	}
	if err := cli.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cli.Stop() })
	enrolledClient = cli
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { peer.Close() })
	local, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	gc, err := cli.Enroll(local)
	if err != nil {
		b.Fatal(err)
	}
	return gc, peer
}
