package engine

import (
	"context"
	"net"
	"testing"

	"github.com/panjf2000/gnet/v2"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/wstest"
)

// A proxied pair over in-memory connections, for the benchmarks and allocation tests of the
// relay: both sides are driven through the handler as the loop would drive them.

// pairLoop runs tasks at once and hands an enrolled upstream to the test.
type pairLoop struct {
	gnet.EventLoop
	enrolled chan any // the upstream state given to Enroll
}

func (*pairLoop) Execute(ctx context.Context, r gnet.Runnable) error { return r.Run(ctx) }

func (l *pairLoop) Enroll(ctx context.Context, nc net.Conn) (<-chan gnet.RegisteredResult, error) {
	nc.Close()
	l.enrolled <- gnet.FromContext(ctx)
	ch := make(chan gnet.RegisteredResult, 1)
	ch <- gnet.RegisteredResult{}
	return ch, nil
}

// memPair is a client upgraded to a proxy application and its upstream, both in memory.
type memPair struct {
	srv              *Server
	h                *handler
	client, upstream *fakeConn
	u                *upstream
}

// newMemPair upgrades a client to a proxy of upstream kind "ws" or "tcp". The upstream
// address is a real listener so that the connect succeeds; the socket is then replaced by
// a fakeConn.
func newMemPair(tb testing.TB, kind string) *memPair {
	tb.Helper()
	ln := serveUpstream(tb, func(nc net.Conn) { nc.Close() })
	srv, h := benchServer(tb)
	px, err := NewProxy(ProxyConfig{Upstream: kind + "://" + ln.Addr().String()})
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.Register(apps.Spec{Name: "p", Path: "/p"}, px); err != nil {
		tb.Fatal(err)
	}
	el := &pairLoop{enrolled: make(chan any, 1)}
	p := &memPair{srv: srv, h: h}
	p.client = &fakeConn{el: el, ctx: srv.newConn(srv.listeners[1], fakePeer), fd: -1}
	h.OnOpen(p.client)
	p.client.in = []byte(upgradeRequest("/p"))
	h.OnTraffic(p.client)
	p.u = (<-el.enrolled).(*upstream)
	p.upstream = &fakeConn{el: el, ctx: p.u, fd: -1}
	if _, a := h.OnOpen(p.upstream); a != gnet.None {
		tb.Fatalf("upstream OnOpen: %v", a)
	}
	if kind == "ws" {
		resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			string(handshake.AppendAccept(nil, p.u.key[:])) + "\r\n\r\n"
		p.upstream.in, p.upstream.off = []byte(resp), 0
		h.OnTraffic(p.upstream)
	}
	if srv.Connections() != 1 || p.u.state != upReady || p.client.paused {
		tb.Fatalf("pair not established: %d connections, upstream state %d, client paused %v",
			srv.Connections(), p.u.state, p.client.paused)
	}
	return p
}

// fromClient feeds one turn of client frames (masked; copied, the reader unmasks in place).
func (p *memPair) fromClient(frames, scratch []byte) {
	copy(scratch, frames)
	p.client.in, p.client.off = scratch, 0
	p.h.OnTraffic(p.client)
}

// fromUpstream feeds one turn of upstream bytes.
func (p *memPair) fromUpstream(b []byte) {
	p.upstream.in, p.upstream.off = b, 0
	p.h.OnTraffic(p.upstream)
}

func BenchmarkProxyRelay(b *testing.B) {
	for _, kind := range []string{"ws", "tcp"} {
		for _, size := range []int{64, 4096} {
			msg := letters(size)
			b.Run(kind+"/client-to-upstream/"+byteSize(size), func(b *testing.B) {
				p := newMemPair(b, kind)
				frames := wstest.Masked(0x1, msg)
				scratch := make([]byte, len(frames))
				b.ReportAllocs()
				b.SetBytes(int64(size))
				for b.Loop() {
					p.fromClient(frames, scratch)
				}
				if p.upstream.written == 0 {
					b.Fatal("nothing relayed")
				}
			})
			b.Run(kind+"/upstream-to-client/"+byteSize(size), func(b *testing.B) {
				p := newMemPair(b, kind)
				in := msg
				if kind == "ws" {
					in = serverFrame(0x1, msg)
				}
				b.ReportAllocs()
				b.SetBytes(int64(size))
				for b.Loop() {
					p.fromUpstream(in)
				}
				if p.client.written == 0 {
					b.Fatal("nothing relayed")
				}
			})
		}
	}
}

// serverFrame is an unmasked frame as an upstream server sends it.
func serverFrame(op byte, p []byte) []byte {
	return wstest.AppendRaw(nil, wstest.Header{Fin: true, Op: op}, p)
}
