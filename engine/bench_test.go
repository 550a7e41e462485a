package engine

import (
	"bytes"
	"compress/flate"
	"context"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/wsgate/wsgate/internal/wstest"
)

// fakeConn is an in-memory gnet.Conn for benchmarks and allocation tests of the connection
// and relay code without network sockets: Peek/Next/Discard read from in, Write appends to
// nothing but counts. The pending output the connection writes itself (sendmsg on Fd) goes
// to one end of a local socket pair whose other end drain reads and counts (fd -1: none).
type fakeConn struct {
	gnet.Conn // methods not overridden here are not used by the paths benchmarked
	in        []byte
	off       int
	written   int
	writes    int
	sink      *bytes.Buffer // when set, receives what is written
	ctx       any
	el        gnet.EventLoop
	fd, peer  int // the socket pair; fd -1 without one
	paused    bool
	scratch   [64 << 10]byte
}

// newFakeConn returns a fakeConn with a socket pair for the connection's own writes.
func newFakeConn(tb testing.TB, ctx any) *fakeConn {
	sp, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	syscall.SetsockoptInt(sp[0], syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4<<20)
	tb.Cleanup(func() { syscall.Close(sp[0]); syscall.Close(sp[1]) })
	return &fakeConn{el: &fakeLoop{}, ctx: ctx, fd: sp[0], peer: sp[1]}
}

// drain reads and counts what the connection wrote to its socket.
func (f *fakeConn) drain() {
	for f.fd >= 0 {
		n, err := syscall.Read(f.peer, f.scratch[:])
		if n <= 0 || err != nil {
			return
		}
		f.written += n
	}
}

func (f *fakeConn) Peek(n int) ([]byte, error) {
	if n <= 0 || n > len(f.in)-f.off {
		n = len(f.in) - f.off
	}
	return f.in[f.off : f.off+n], nil
}

func (f *fakeConn) Next(n int) ([]byte, error) {
	b, _ := f.Peek(n)
	f.off += len(b)
	return b, nil
}

func (f *fakeConn) Discard(n int) (int, error) {
	if n < 0 || n > len(f.in)-f.off {
		n = len(f.in) - f.off
	}
	f.off += n
	return n, nil
}

func (f *fakeConn) Write(b []byte) (int, error) {
	f.written += len(b)
	f.writes++
	if f.sink != nil {
		f.sink.Write(b)
	}
	return len(b), nil
}
func (f *fakeConn) OutboundBuffered() int     { return 0 }
func (f *fakeConn) InboundBuffered() int      { return len(f.in) - f.off }
func (f *fakeConn) Context() any              { return f.ctx }
func (f *fakeConn) SetContext(v any)          { f.ctx = v }
func (f *fakeConn) EventLoop() gnet.EventLoop { return f.el }
func (f *fakeConn) RemoteAddr() net.Addr      { return fakeAddr }
func (f *fakeConn) Fd() int                   { return f.fd }
func (f *fakeConn) Close() error              { return nil }
func (f *fakeConn) PauseRead() error          { f.paused = true; return nil }
func (f *fakeConn) ResumeRead() error         { f.paused = false; return nil }
func (f *fakeConn) IsReadPaused() bool        { return f.paused }

var fakeAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}

// fakePeer is fakeAddr as a connection keeps it.
var fakePeer = peer{ip: netip.AddrFrom4([4]byte{127, 0, 0, 1}).As16(), port: 40000}

// fakeLoop runs flush tasks at once; the benchmarks dispatch through OnTraffic, which
// flushes at its end, so it is only a fallback.
type fakeLoop struct{ gnet.EventLoop }

func (*fakeLoop) Execute(ctx context.Context, r gnet.Runnable) error { return r.Run(ctx) }

// benchServer is a server that is configured but not started: no sockets.
func benchServer(tb testing.TB) (*Server, *handler) {
	opt := testOptions()
	opt.PingInterval = -1
	opt.Logger = testLogger(tb)
	srv, err := New(*opt)
	if err != nil {
		tb.Fatal(err)
	}
	registerDefaults(tb, srv, false)
	srv.now.Store(time.Now().UnixNano())
	return srv, &handler{s: srv}
}

// echoConn is a connection upgraded to the echo application over a fakeConn, for the
// benchmarks and allocation tests of the connection code. Each turn feeds it input anew.
type echoConn struct {
	srv   *Server
	h     *handler
	fc    *fakeConn
	input []byte // masked client frames
	in    []byte // their copy for this turn: the reader unmasks in place
}

func newEchoConn(tb testing.TB, input []byte) *echoConn {
	srv, h := benchServer(tb)
	fc := newFakeConn(tb, srv.newConn(srv.listeners[1], fakePeer))
	h.OnOpen(fc)
	fc.in = []byte(upgradeRequest("/echo"))
	h.OnTraffic(fc)
	if srv.Connections() != 1 {
		tb.Fatal("not upgraded")
	}
	return &echoConn{srv: srv, h: h, fc: fc, input: input, in: make([]byte, len(input))}
}

func (e *echoConn) turn() {
	copy(e.in, e.input)
	e.fc.in, e.fc.off = e.in, 0
	e.h.OnTraffic(e.fc)
	e.fc.drain()
}

// letters returns n bytes of lower-case text.
func letters(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = 'a' + byte(i%26)
	}
	return p
}

// BenchmarkUpgrade runs a whole upgrade through the connection code: open, parse the head,
// every check, route lookup, subprotocol choice, the 101, close.
func BenchmarkUpgrade(b *testing.B) {
	srv, h := benchServer(b)
	req := []byte(upgradeRequest("/echo", "Origin: http://gw.test", "Sec-WebSocket-Protocol: chat, echo.v1",
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"))
	fc := &fakeConn{el: &fakeLoop{}, fd: -1}
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		fc.in, fc.off, fc.ctx = req, 0, srv.newConn(srv.listeners[0], fakePeer)
		h.OnOpen(fc)
		h.OnTraffic(fc)
		h.OnClose(fc, nil)
	}
	if srv.Stats().Upgrades.Load() == 0 {
		b.Fatal("no upgrade happened")
	}
}

// BenchmarkEcho sends one masked message through an upgraded connection running the echo
// application: frame parse, unmask, UTF-8 check, dispatch, encode, flush.
func BenchmarkEcho(b *testing.B) {
	for _, size := range []int{64, 4096} {
		b.Run(byteSize(size), func(b *testing.B) {
			e := newEchoConn(b, wstest.Masked(0x1, letters(size)))
			b.ReportAllocs()
			b.SetBytes(int64(size))
			start := e.fc.written
			for b.Loop() {
				e.turn()
			}
			if e.fc.written == start {
				b.Fatal("nothing echoed")
			}
		})
	}
}

func byteSize(n int) string {
	if n >= 1024 {
		return itoa(n/1024) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// BenchmarkEchoDeflate echoes a compressed 4 KiB text message: inflate, validate,
// dispatch, deflate, flush (permessage-deflate without context takeover).
func BenchmarkEchoDeflate(b *testing.B) {
	srv, h := benchServer(b) // echo offers compression
	fc := newFakeConn(b, srv.newConn(srv.listeners[1], fakePeer))
	h.OnOpen(fc)
	fc.in = []byte(upgradeRequest("/echo", "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover"))
	h.OnTraffic(fc)
	if srv.Connections() != 1 {
		b.Fatal("not upgraded")
	}
	payload := []byte(strings.Repeat(`{"sensor":"t1","value":21.5,"unit":"C"} `, 100))[:4096]
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestSpeed)
	fw.Write(payload)
	fw.Flush()
	compressed := bytes.TrimSuffix(z.Bytes(), []byte{0, 0, 0xff, 0xff})
	frame := wstest.Masked(0x1, compressed)
	frame[0] |= 0x40 // RSV1: compressed message
	in := make([]byte, len(frame))
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	start := fc.written
	for b.Loop() {
		copy(in, frame)
		fc.in, fc.off = in, 0
		h.OnTraffic(fc)
		fc.drain()
	}
	if fc.written == start || srv.Connections() != 1 {
		b.Fatal("nothing echoed, or the connection failed")
	}
}
