package tlsconn

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the Go clients' ClientHellos in testdata/clienthello")

// clientHelloDir holds first flights recorded from real clients: Go's
// (written by TestClientHelloSeeds -update), OpenSSL 3.0's s_client and
// curl's. They seed FuzzFeed.
const clientHelloDir = "testdata/clienthello"

// goClientHellos are the Go client configurations whose ClientHello is
// recorded.
var goClientHellos = []struct {
	name string
	v    uint16
}{
	{"go-tls13.bin", 0}, // default: TLS 1.3 with the X25519MLKEM768 key share
	{"go-tls12.bin", tls.VersionTLS12},
}

// TestClientHelloSeeds checks that every recorded ClientHello still starts
// a handshake: the server answers with its flight and waits for the
// client's. With -update it first re-records Go's.
func TestClientHelloSeeds(t *testing.T) {
	cfg := testConfig(t, "ecdsa-p256")
	if *update {
		for _, g := range goClientHellos {
			c := newClientSession(clientConfig(cfg, g.v))
			hello, _, err := c.Feed(nil, nil, nil)
			c.Release()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(clientHelloDir, g.name), hello, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files := clientHelloFiles(t)
	if len(files) < len(goClientHellos)+2 {
		t.Fatalf("only %d recorded ClientHellos in %s", len(files), clientHelloDir)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			hello, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			s := NewSession(cfg)
			defer s.Release()
			out, _, err := s.Feed(hello, nil, nil)
			if err != nil || len(out) == 0 || out[0] != 22 {
				t.Fatalf("server flight %x..., %v", out[:min(len(out), 8)], err)
			}
		})
	}
}

func clientHelloFiles(tb testing.TB) []string {
	files, err := filepath.Glob(filepath.Join(clientHelloDir, "*.bin"))
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// FuzzFeed feeds arbitrary bytes to a fresh server Session, whole and in
// chunks of a fuzzed size. Nothing may panic, and the outcome must not
// depend on how the bytes were split (TCP may split them anywhere): the
// same error or lack of one, no plaintext (no handshake can complete
// without the client's keys), and well-formed records in out.
func FuzzFeed(f *testing.F) {
	for _, name := range clientHelloFiles(f) {
		hello, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(hello, uint16(0))
		f.Add(hello, uint16(1))
		f.Add(hello, uint16(len(hello)/2))
		f.Add(append(hello[:len(hello):len(hello)], hello...), uint16(100))
		f.Add(hello[:len(hello)-1], uint16(7))
	}
	f.Add([]byte{}, uint16(0))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"), uint16(0))
	f.Add([]byte("\x16GET / HTTP/1.1\r\n\r\n"), uint16(1))
	f.Add([]byte("\x16\x03\x01\x48\x01"), uint16(1))
	f.Add([]byte("\x15\x03\x03\x00\x02\x02\x28"), uint16(0))
	cfg := testConfig(f, "ecdsa-p256")
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		whole := NewSession(cfg)
		out1, plain1, err1 := whole.Feed(data, nil, nil)
		whole.Release()

		split := NewSession(cfg)
		defer split.Release()
		size := int(chunk)%64 + 1
		var out2, plain2 []byte
		var err2 error
		for rest := data; len(rest) > 0 && err2 == nil; {
			n := min(size, len(rest))
			out2, plain2, err2 = split.Feed(rest[:n], out2, plain2)
			rest = rest[n:]
		}

		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("whole: %v; in chunks of %d: %v", err1, size, err2)
		}
		if err1 != nil && !errors.Is(err1, ErrNotTLS) && !errors.Is(err2, ErrNotTLS) && err1.Error() != err2.Error() {
			t.Fatalf("whole: %v; in chunks of %d: %v", err1, size, err2)
		}
		if len(plain1)+len(plain2) != 0 {
			t.Fatalf("plaintext without a handshake: %q, %q", plain1, plain2)
		}
		for _, out := range [][]byte{out1, out2} {
			if _, msg := recordTypes(out); msg != "" {
				t.Fatalf("out %x: %s", out, msg)
			}
		}
	})
}

// recordTypes returns the content types of the TLS records in b, or what
// is wrong with b as a sequence of records a server may send.
func recordTypes(b []byte) (types []byte, problem string) {
	for len(b) > 0 {
		if len(b) < 5 {
			return types, "truncated record header"
		}
		if typ := b[0]; typ < 20 || typ > 23 {
			return types, fmt.Sprintf("record type %d", typ)
		}
		if b[1] != 3 {
			return types, "record version"
		}
		n := int(b[3])<<8 | int(b[4])
		if n == 0 || 5+n > len(b) {
			return types, "record length"
		}
		types = append(types, b[0])
		b = b[5+n:]
	}
	return types, ""
}

// FuzzFeedEstablished feeds arbitrary bytes to a server Session whose
// handshake is done: the record layer must reject forgeries with an error
// and never panic or return plaintext it could not authenticate.
func FuzzFeedEstablished(f *testing.F) {
	f.Add([]byte("\x17\x03\x03\x00\x20"+strings.Repeat("x", 32)), uint16(0))
	f.Add([]byte("\x15\x03\x03\x00\x02\x01\x00"), uint16(1))
	f.Add([]byte("\x17\x03\x03\x40\x01"), uint16(0))
	f.Add([]byte("\x16\x03\x03\x00\x05\x18\x00\x00\x01\x00"), uint16(3))
	cfg := testConfig(f, "ecdsa-p256")
	ccfg := clientConfig(cfg, 0)
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		p := established(t, cfg, ccfg)
		size := int(chunk)%64 + 1
		var out, plain []byte
		var err error
		for rest := data; len(rest) > 0 && err == nil; {
			n := min(size, len(rest))
			out, plain, err = p.server.Feed(rest[:n], out, plain)
			rest = rest[n:]
		}
		if len(plain) != 0 {
			t.Fatalf("plaintext from forged records: %q", plain)
		}
		if _, msg := recordTypes(out); msg != "" {
			t.Fatalf("out %x: %s", out, msg)
		}
	})
}
