package tlsconn

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// echoCases run a real crypto/tls client against a Session served by
// serveLoop: every key kind and version over an in-memory pipe and over TCP
// on 127.0.0.1, with the server reading a byte at a time (the handshake
// split at every possible point), a few bytes at a time, or everything the
// socket has. msgs are written in turn and must come back unchanged.
var echoCases = []struct {
	name      string
	transport string
	key       string
	chunk     int
	msgs      []int // message sizes
	fallback  bool  // run as if crypto/tls's buffers could not be found
}{
	{"pipe/ecdsa/bytewise/without conn buffers", "pipe", "ecdsa-p256", 1, []int{1, 300}, true},
	{"pipe/ecdsa/64k/without conn buffers", "pipe", "ecdsa-p256", 64 << 10, []int{64, 1 << 20}, true},
	{"pipe/ecdsa/bytewise", "pipe", "ecdsa-p256", 1, []int{1, 5, 300}, false},
	{"pipe/ecdsa/7bytes", "pipe", "ecdsa-p256", 7, []int{64, 4096}, false},
	{"pipe/ecdsa/64k", "pipe", "ecdsa-p256", 64 << 10, []int{64, 4096, 1 << 20}, false},
	{"pipe/ed25519/64k", "pipe", "ed25519", 64 << 10, []int{64, 4096}, false},
	{"pipe/rsa/bytewise", "pipe", "rsa-2048", 1, []int{100}, false},
	{"pipe/rsa/64k", "pipe", "rsa-2048", 64 << 10, []int{64, 4096}, false},
	{"tcp/ecdsa/bytewise", "tcp", "ecdsa-p256", 1, []int{1, 300}, false},
	{"tcp/ecdsa/64k", "tcp", "ecdsa-p256", 64 << 10, []int{64, 4096, 1 << 20}, false},
	{"tcp/rsa/64k", "tcp", "rsa-2048", 64 << 10, []int{64, 1 << 20}, false},
}

func TestSessionEcho(t *testing.T) {
	for _, tc := range echoCases {
		for _, v := range versions {
			t.Run(tc.name+"/"+v.name, func(t *testing.T) {
				if tc.fallback {
					withoutConnBuffers(t)
				}
				cfg := testConfig(t, tc.key)
				c, done := dialTLS(t, tc.transport, cfg, clientConfig(cfg, v.v), tc.chunk)
				if got := c.ConnectionState().Version; got != v.v {
					t.Fatalf("negotiated version %x, want %x", got, v.v)
				}
				for _, size := range tc.msgs {
					msg := bytes.Repeat([]byte{byte(size)}, size)
					msg[0] = 'x'
					werr := make(chan error, 1)
					go func() { _, err := c.Write(msg); werr <- err }()
					got := make([]byte, size)
					if _, err := io.ReadFull(c, got); err != nil {
						t.Fatalf("read echo of %d bytes: %v", size, err)
					}
					if err := <-werr; err != nil {
						t.Fatalf("write %d bytes: %v", size, err)
					}
					if !bytes.Equal(got, msg) {
						t.Fatalf("echo of %d bytes differs", size)
					}
				}
				closeAndWait(t, c, done)
			})
		}
	}
}

// TestSessionMemPair checks the in-memory harness the benchmarks rely on,
// and what Feed and Seal append: plaintext only after the handshake, and
// large writes split into full-size records.
func TestSessionMemPair(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			cfg := testConfig(t, "ecdsa-p256")
			p := established(t, cfg, clientConfig(cfg, v.v))
			if got := p.server.ConnectionState().Version; got != v.v {
				t.Fatalf("server negotiated %x, want %x", got, v.v)
			}
			msg := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
			sealed, err := p.server.Seal(nil, msg)
			if err != nil {
				t.Fatal(err)
			}
			records := len(msg) / (16 << 10)
			if overhead := len(sealed) - len(msg); overhead > records*29 || overhead < records*21 {
				t.Errorf("1 MiB sealed into %d bytes: overhead %d for %d records", len(sealed), overhead, records)
			}
			out, plain, err := p.client.Feed(sealed, nil, nil)
			if err != nil || len(out) != 0 || !bytes.Equal(plain, msg) {
				t.Fatalf("client got %d bytes (equal %v), out %d, err %v", len(plain), bytes.Equal(plain, msg), len(out), err)
			}
		})
	}
}

// TestSessionNotTLS sends what a plain-HTTP client sends to a TLS port.
// Feed must refuse it with ErrNotTLS, write nothing (the engine answers in
// clear text), and stay refused.
func TestSessionNotTLS(t *testing.T) {
	cfg := testConfig(t, "ecdsa-p256")
	cases := []struct {
		name   string
		chunks []string
	}{
		{"http request", []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n"}},
		{"http request bytewise", strings.Split("GET / HTTP/1.1\r\n\r\n", "")},
		{"handshake byte then http", []string{"\x16", "GET / HTTP/1.1\r\n\r\n"}},
		{"h2 preface", []string{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"}},
		// The verdict waits for six bytes, so it is the same however TCP
		// splits them.
		{"server hello", []string{"\x16\x03\x03\x00\x04\x02\x00\x00\x00"}},
		{"server hello bytewise", strings.Split("\x16\x03\x03\x00\x04\x02\x00\x00\x00", "")},
		{"oversized record", []string{"\x16", "\x03\x01\x48\x01", "\x01"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSession(cfg)
			defer s.Release()
			var out []byte
			var err error
			for _, c := range tc.chunks {
				if out, _, err = s.Feed([]byte(c), out, nil); err != nil {
					break
				}
			}
			if !errors.Is(err, ErrNotTLS) || len(out) != 0 {
				t.Fatalf("err %v, out %q; want ErrNotTLS and nothing to send", err, out)
			}
			if _, _, err := s.Feed([]byte("more"), nil, nil); !errors.Is(err, ErrNotTLS) {
				t.Fatalf("second Feed: %v, want the same error", err)
			}
		})
	}
}

// TestSessionBadHandshake feeds records that are TLS-shaped but wrong. The
// handshake must fail with an error and, where the protocol asks for one,
// an alert for the peer, and never panic.
func TestSessionBadHandshake(t *testing.T) {
	cfg := testConfig(t, "ecdsa-p256")
	hello, err := os.ReadFile("testdata/clienthello/go-tls13.bin")
	if err != nil {
		t.Fatal(err)
	}
	hello12, err := os.ReadFile("testdata/clienthello/go-tls12.bin")
	if err != nil {
		t.Fatal(err)
	}
	// After the server's TLS 1.3 flight (ServerHello, change_cipher_spec
	// and four encrypted records) its alerts are encrypted too: they show
	// as a seventh record of type application_data (23).
	flight := []byte{22, 20, 23, 23, 23, 23}
	cases := []struct {
		name    string
		chunks  []string
		wantErr string
		records []byte // content types sent, the alert last
	}{
		{"client hello of one byte", []string{"\x16\x03\x01\x00\x05\x01\x00\x00\x01\xff"}, "error decoding message", []byte{21}},
		{"client hello of one byte, bytewise", strings.Split("\x16\x03\x01\x00\x05\x01\x00\x00\x01\xff", ""), "error decoding message", []byte{21}},
		{"sslv3 only", []string{"\x16\x03\x00\x00\x2d\x01\x00\x00\x29\x03\x00" + strings.Repeat("r", 32) + "\x00\x00\x02\x00\x2f\x01\x00"}, "unsupported versions", []byte{21}},
		{"application data after hello", []string{string(hello), "\x17\x03\x03\x00\x01x"}, "bad record MAC", append(flight, 23)},
		{"hello record version changes", []string{string(hello), "\x16\x03\x01\x00\x01\x14"}, "version", append(flight, 23)},
		// In TLS 1.2 a plaintext alert is still valid after the hellos;
		// the server's flight is four handshake records, and a fatal
		// alert received is not answered.
		{"tls12 fatal alert after hello", []string{string(hello12), "\x15\x03\x03\x00\x02\x02\x28"}, "remote error: tls: handshake failure", []byte{22, 22, 22, 22}},
		{"tls12 plaintext application data", []string{string(hello12), "\x17\x03\x03\x00\x01x"}, "unexpected message", []byte{22, 22, 22, 22, 21}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSession(cfg)
			defer s.Release()
			var out, plain []byte
			var err error
			for _, c := range tc.chunks {
				if out, plain, err = s.Feed([]byte(c), out, plain); err != nil {
					break
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err %v, want one saying %q", err, tc.wantErr)
			}
			if len(plain) != 0 {
				t.Errorf("plaintext %q from a failed handshake", plain)
			}
			types, msg := recordTypes(out)
			if msg != "" {
				t.Fatalf("out is not a record sequence: %s", msg)
			}
			if !bytes.Equal(types, tc.records) {
				t.Errorf("records sent %v, want %v", types, tc.records)
			}
			if s.HandshakeComplete() {
				t.Error("HandshakeComplete after failure")
			}
		})
	}
}

// TestSessionRelease ends sessions in every state. Releasing one whose
// handshake is suspended must finish its coroutine (TestMain counts the
// goroutines), and later calls must fail with ErrReleased.
func TestSessionRelease(t *testing.T) {
	cfg := testConfig(t, "ecdsa-p256")
	cases := []struct {
		name  string
		steps int // handshake round trips before Release; -1: complete
	}{
		{"fresh", 0},
		{"after client hello", 1},
		{"established", -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			p := newMemPair(cfg, clientConfig(cfg, 0))
			defer p.client.Release()
			if tc.steps < 0 {
				if err := p.handshake(); err != nil {
					t.Fatal(err)
				}
			}
			for range tc.steps {
				p.c2s, _, _ = p.client.Feed(p.s2c, p.c2s[:0], nil)
				p.s2c, _, _ = p.server.Feed(p.c2s, p.s2c[:0], nil)
			}
			if tc.steps > 0 && runtime.NumGoroutine() <= before {
				t.Fatal("no handshake coroutine is parked: the test does not test Release mid-handshake")
			}
			p.server.Release()
			p.server.Release()
			if _, _, err := p.server.Feed([]byte{22, 3, 1}, nil, nil); !errors.Is(err, ErrReleased) {
				t.Errorf("Feed after Release: %v", err)
			}
			if _, err := p.server.Seal(nil, []byte("x")); !errors.Is(err, ErrReleased) {
				t.Errorf("Seal after Release: %v", err)
			}
			p.client.Release()
			if n := runtime.NumGoroutine(); n > before {
				t.Errorf("%d goroutines after Release, %d before", n, before)
			}
		})
	}
}

func TestSessionSealBeforeHandshake(t *testing.T) {
	s := NewSession(testConfig(t, "ecdsa-p256"))
	defer s.Release()
	if _, err := s.Seal(nil, []byte("x")); !errors.Is(err, ErrHandshakeIncomplete) {
		t.Fatalf("Seal: %v", err)
	}
	if _, err := s.CloseNotify(nil); !errors.Is(err, ErrHandshakeIncomplete) {
		t.Fatalf("CloseNotify: %v", err)
	}
	if s.ConnectionState().HandshakeComplete {
		t.Fatal("ConnectionState says complete")
	}
}

// TestSessionCloseNotify: the server's close_notify reads as a clean EOF at
// a crypto/tls client, and the client's makes Feed return io.EOF.
func TestSessionCloseNotify(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			cfg := testConfig(t, "ecdsa-p256")
			c, srv := net.Pipe()
			defer c.Close()
			s := NewSession(cfg)
			defer s.Release()
			client := tls.Client(c, clientConfig(cfg, v.v))
			hs := make(chan error, 1)
			go func() { hs <- client.Handshake() }()
			buf := make([]byte, 4096)
			var out []byte
			for !s.HandshakeComplete() {
				srv.SetReadDeadline(time.Now().Add(10 * time.Second))
				n, err := srv.Read(buf)
				if err != nil {
					t.Fatal(err)
				}
				if out, _, err = s.Feed(buf[:n], out[:0], nil); err != nil {
					t.Fatal(err)
				}
				if len(out) > 0 {
					srv.Write(out)
				}
			}
			if err := <-hs; err != nil {
				t.Fatal(err)
			}
			out, err := s.CloseNotify(out[:0])
			if err != nil {
				t.Fatal(err)
			}
			go srv.Write(out)
			client.SetReadDeadline(time.Now().Add(10 * time.Second))
			if n, err := client.Read(buf); n != 0 || err != io.EOF {
				t.Fatalf("client read after close_notify: %d, %v; want 0, EOF", n, err)
			}
			go client.Close()
			srv.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, _ := srv.Read(buf)
			if _, _, err := s.Feed(buf[:n], nil, nil); err != io.EOF {
				t.Fatalf("server Feed of client close_notify: %v, want io.EOF", err)
			}
		})
	}
}

// TestSessionHelloRetry: a client whose key share is for a group the
// server does not take gets a HelloRetryRequest and sends a second
// ClientHello, one more round trip the parked handshake must wait for,
// here byte by byte. (The server is limited to P-384 for the test; Go's
// client sends its X25519 share first.)
func TestSessionHelloRetry(t *testing.T) {
	cfg := testConfig(t, "ecdsa-p256")
	cfg.tls = cfg.tls.Clone()
	cfg.tls.CurvePreferences = []tls.CurveID{tls.CurveP384}
	ccfg := clientConfig(cfg, tls.VersionTLS13)
	ccfg.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP384}
	c, done := dialTLS(t, "pipe", cfg, ccfg, 1)
	if st := c.ConnectionState(); !st.HelloRetryRequest || st.CurveID != tls.CurveP384 {
		t.Errorf("HelloRetryRequest %v, group %v; want a retry for P-384", st.HelloRetryRequest, st.CurveID)
	}
	c.Write([]byte("after retry"))
	got := make([]byte, 11)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "after retry" {
		t.Fatalf("echo %q, %v", got, err)
	}
	closeAndWait(t, c, done)
}

// TestSessionResumption: a client with a session cache resumes on its
// second connection, with either version, so tickets work through a
// Session.
func TestSessionResumption(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			cfg := testConfig(t, "ecdsa-p256")
			ccfg := clientConfig(cfg, v.v)
			ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			for i, wantResume := range []bool{false, true} {
				c, done := dialTLS(t, "pipe", cfg, ccfg, 4096)
				// A TLS 1.3 ticket arrives after the handshake; one round
				// trip makes sure the client has read it.
				c.Write([]byte("ping"))
				io.ReadFull(c, make([]byte, 4))
				if got := c.ConnectionState().DidResume; got != wantResume {
					t.Errorf("connection %d: DidResume %v, want %v", i, got, wantResume)
				}
				closeAndWait(t, c, done)
			}
		})
	}
}

func TestLooksLikeTLS(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{"empty", "", false},
		{"handshake type only", "\x16", true},
		{"tls 1.0 record", "\x16\x03\x01", true},
		{"header", "\x16\x03\x01\x02\x00", true},
		{"client hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc", true},
		{"tls 1.2 record version", "\x16\x03\x03\x00\x10\x01", true},
		{"http get", "GET / HTTP/1.1\r\n", false},
		{"http lowercase", "get /", false},
		{"h2 preface", "PRI * HTTP/2.0", false},
		{"sslv2 hello", "\x80\x2e\x01\x00\x02", false},
		{"application data", "\x17\x03\x03\x00\x10", false},
		{"major version 2", "\x16\x02\x00", false},
		{"minor version 9", "\x16\x03\x09", false},
		{"empty record", "\x16\x03\x01\x00\x00\x01", false},
		{"record too long", "\x16\x03\x01\x40\x01\x01", false},
		{"server hello", "\x16\x03\x03\x00\x10\x02", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := LooksLikeTLS([]byte(tc.in)); got != tc.want {
				t.Fatalf("LooksLikeTLS(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
