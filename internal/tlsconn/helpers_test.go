package tlsconn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain fails the run when goroutines of this package outlive the
// tests: a Session whose handshake coroutine is never finished shows up as
// one, and so does a server loop that never ended. (Goroutines of the
// runtime or of the fuzzing engine do not count.)
func TestMain(m *testing.M) {
	code := m.Run()
	if pairs.dir != "" {
		os.RemoveAll(pairs.dir)
	}
	if code == 0 {
		var leaked []string
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			leaked = leakedGoroutines()
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "%d goroutines leaked:\n%s\n", len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines returns the stacks of goroutines running this package's
// code, other than the caller's.
func leakedGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var leaked []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i > 0 && strings.Contains(g, "wsgate/internal/tlsconn.") {
			leaked = append(leaked, g)
		}
	}
	return leaked
}

// withoutConnBuffers makes the test run sessions as if crypto/tls.Conn's
// buffers could not be found (a future Go release): the fallback path.
func withoutConnBuffers(tb testing.TB) {
	saved := connBuffers.ok
	connBuffers.ok = false
	tb.Cleanup(func() { connBuffers.ok = saved })
}

// keyKinds are the certificate key types the tests and benchmarks run with.
var keyKinds = []struct {
	name   string
	newKey func() (crypto.Signer, error)
}{
	{"ecdsa-p256", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }},
	{"ed25519", func() (crypto.Signer, error) { _, k, err := ed25519.GenerateKey(rand.Reader); return k, err }},
	{"rsa-2048", func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }},
}

// versions are the protocol versions every end-to-end case is forced to.
var versions = []struct {
	name string
	v    uint16
}{
	{"tls12", tls.VersionTLS12},
	{"tls13", tls.VersionTLS13},
}

// pairs caches one certificate pair per key kind (and per extra name) for
// the whole test binary: an RSA key takes a while to generate.
var pairs struct {
	sync.Mutex
	dir   string
	files map[string][2]string
}

// testPair returns the files of a self-signed pair of the given key kind.
// name distinguishes pairs of the same kind (reload tests need two).
func testPair(tb testing.TB, kind, name string) (certFile, keyFile string) {
	tb.Helper()
	pairs.Lock()
	defer pairs.Unlock()
	id := kind + "/" + name
	if f, ok := pairs.files[id]; ok {
		return f[0], f[1]
	}
	if pairs.dir == "" {
		dir, err := os.MkdirTemp("", "tlsconn-test-")
		if err != nil {
			tb.Fatal(err)
		}
		pairs.dir, pairs.files = dir, map[string][2]string{}
	}
	var newKey func() (crypto.Signer, error)
	for _, k := range keyKinds {
		if k.name == kind {
			newKey = k.newKey
		}
	}
	if newKey == nil {
		tb.Fatalf("unknown key kind %q", kind)
	}
	key, err := newKey()
	if err != nil {
		tb.Fatal(err)
	}
	certFile, keyFile, err = writeSelfSigned(filepath.Join(pairs.dir, kind, name), key, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	pairs.files[id] = [2]string{certFile, keyFile}
	return certFile, keyFile
}

func testConfig(tb testing.TB, kind string) *Config {
	tb.Helper()
	cfg, err := NewConfig(testPair(tb, kind, "a"))
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// clientConfig trusts exactly the certificates given (the server's current
// one when none) and forces version v when it is not zero.
func clientConfig(cfg *Config, v uint16, trusted ...*x509.Certificate) *tls.Config {
	roots := x509.NewCertPool()
	if len(trusted) == 0 {
		trusted = append(trusted, cfg.Certificate().Leaf)
	}
	for _, c := range trusted {
		roots.AddCert(c)
	}
	return &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: v, MaxVersion: v}
}

// newClientSession drives crypto/tls's client through the same transport
// as the server, so a whole handshake runs on one goroutine, step by step:
// what the benchmarks and the fuzz target need to time and repeat the
// server's part alone.
func newClientSession(cfg *tls.Config) *Session { return NewClientSession(cfg) }

// memPair is a client and a server Session wired back to back in memory.
type memPair struct {
	client, server *Session
	c2s, s2c       []byte        // ciphertext in flight
	plain          []byte        // scratch for plaintext
	serverTime     time.Duration // time spent in the server's Feed calls
	serverAllocs   uint64        // heap objects the server's Feed calls allocated
}

// heapAllocs samples the count of heap objects allocated so far; unlike
// runtime.ReadMemStats it does not stop the world.
var heapAllocs = []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}

func allocsSoFar() uint64 {
	metrics.Read(heapAllocs)
	return heapAllocs[0].Value.Uint64()
}

func newMemPair(cfg *Config, ccfg *tls.Config) *memPair {
	return &memPair{client: newClientSession(ccfg), server: NewSession(cfg)}
}

// handshake runs both sides until both are established, returning the
// first error either side reports.
func (p *memPair) handshake() error {
	for range 20 {
		var err error
		p.c2s, p.plain, err = p.client.Feed(p.s2c, p.c2s[:0], p.plain[:0])
		if err != nil {
			return fmt.Errorf("client: %w", err)
		}
		allocs := allocsSoFar()
		start := time.Now()
		p.s2c, p.plain, err = p.server.Feed(p.c2s, p.s2c[:0], p.plain[:0])
		p.serverTime += time.Since(start)
		p.serverAllocs += allocsSoFar() - allocs
		if err != nil {
			return fmt.Errorf("server: %w", err)
		}
		if p.client.HandshakeComplete() && p.server.HandshakeComplete() && len(p.s2c) == 0 {
			return nil
		}
	}
	return errors.New("handshake did not finish in 20 round trips")
}

// established returns the pair of cfg and ccfg with its handshake done; it is released
// when tb ends.
func established(tb testing.TB, cfg *Config, ccfg *tls.Config) *memPair {
	tb.Helper()
	p := newMemPair(cfg, ccfg)
	tb.Cleanup(p.release)
	if err := p.handshake(); err != nil {
		tb.Fatal(err)
	}
	return p
}

// runner is *testing.T or *testing.B.
type runner[T any] interface {
	testing.TB
	Run(name string, f func(T)) bool
}

// eachSize runs f in a subtest or sub-benchmark per TLS version and message size (named
// "version/size"), with an established pair of cfg and a zero message of that size.
func eachSize[T runner[T]](tb T, cfg *Config, f func(tb T, p *memPair, msg []byte)) {
	for _, v := range versions {
		for _, sc := range sizeCases {
			tb.Run(v.name+"/"+sc.name, func(tb T) {
				f(tb, established(tb, cfg, clientConfig(cfg, v.v)), make([]byte, sc.size))
			})
		}
	}
}

func (p *memPair) release() {
	p.client.Release()
	p.server.Release()
}

// serveLoop runs one server connection the way the engine will on its
// event loop: one goroutine reads at most chunk bytes at a time, feeds the
// Session, writes what Feed returns, and echoes the plaintext sealed. It
// answers close_notify with close_notify and returns nil then, or when the
// client closes the socket.
func serveLoop(conn net.Conn, s *Session, chunk int) error {
	return serveEcho(conn, s, chunk, false)
}

// serveEcho is serveLoop; with once it ends the connection itself, with
// close_notify, after the first echo.
func serveEcho(conn net.Conn, s *Session, chunk int, once bool) error {
	defer conn.Close()
	defer s.Release()
	buf := make([]byte, chunk)
	var out, plain, reply []byte
	for {
		n, rerr := conn.Read(buf)
		var err error
		out, plain, err = s.Feed(buf[:n], out[:0], plain[:0])
		if len(out) > 0 {
			if _, werr := conn.Write(out); werr != nil {
				return werr
			}
		}
		if len(plain) > 0 {
			var serr error
			if reply, serr = s.Seal(reply[:0], plain); serr != nil {
				return serr
			}
			if once {
				reply, _ = s.CloseNotify(reply)
			}
			if _, werr := conn.Write(reply); werr != nil || once {
				return werr
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			reply, _ = s.CloseNotify(reply[:0])
			conn.Write(reply)
			return nil
		case err != nil:
			return err
		case errors.Is(rerr, io.EOF):
			return nil
		case rerr != nil:
			return rerr
		}
	}
}

// transports start a server loop for one connection and return the client
// side. done receives the loop's result.
var transports = []struct {
	name string
	dial func(tb testing.TB, s *Session, chunk int) (conn net.Conn, done <-chan error)
}{
	{"pipe", func(tb testing.TB, s *Session, chunk int) (net.Conn, <-chan error) {
		c, srv := net.Pipe()
		done := make(chan error, 1)
		go func() { done <- serveLoop(srv, s, chunk) }()
		return c, done
	}},
	{"tcp", func(tb testing.TB, s *Session, chunk int) (net.Conn, <-chan error) {
		addr, done := serveOnce(tb, func(srv net.Conn) error { return serveLoop(srv, s, chunk) }, s.Release)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			tb.Fatal(err)
		}
		return c, done
	}},
}

// serveOnce listens on an ephemeral loopback port, accepts one connection and runs serve
// on it (failed, when the accept fails, after calling it if not nil); done receives
// serve's result or the accept error.
func serveOnce(tb testing.TB, serve func(nc net.Conn) error, failed func()) (addr string, done <-chan error) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	result := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		ln.Close()
		if err != nil {
			if failed != nil {
				failed()
			}
			result <- err
			return
		}
		result <- serve(nc)
	}()
	return ln.Addr().String(), result
}

// dialTLS connects a crypto/tls client to a fresh server Session over the
// named transport and completes the handshake.
func dialTLS(tb testing.TB, transport string, cfg *Config, ccfg *tls.Config, chunk int) (*tls.Conn, <-chan error) {
	tb.Helper()
	for _, tr := range transports {
		if tr.name != transport {
			continue
		}
		raw, done := tr.dial(tb, NewSession(cfg), chunk)
		raw.SetDeadline(time.Now().Add(20 * time.Second))
		c := tls.Client(raw, ccfg)
		if err := c.Handshake(); err != nil {
			raw.Close()
			tb.Fatalf("client handshake: %v (server: %v)", err, <-done)
		}
		return c, done
	}
	tb.Fatalf("unknown transport %q", transport)
	return nil, nil
}

// closeAndWait closes the client with close_notify and returns the server
// loop's result.
func closeAndWait(tb testing.TB, c *tls.Conn, done <-chan error) {
	tb.Helper()
	if err := c.Close(); err != nil {
		tb.Errorf("client close: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			tb.Errorf("server loop: %v", err)
		}
	case <-time.After(20 * time.Second):
		tb.Fatal("server loop did not end")
	}
}
