package tlsconn

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNewConfigErrors: each broken pair is refused with an error that
// names the file at fault and says what is wrong with it.
func TestNewConfigErrors(t *testing.T) {
	certA, keyA := testPair(t, "ecdsa-p256", "a")
	certB, keyB := testPair(t, "ecdsa-p256", "b")
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	empty := write("empty.pem", "")
	garbageCert := write("garbage-cert.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	garbageKey := write("garbage-key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	swapped := write("swapped.pem", read(certA)) // a certificate where the key should be
	missing := filepath.Join(dir, "missing.pem")

	cases := []struct {
		name      string
		cert, key string
		wantIs    error  // sentinel, if any
		wantFile  string // file the message must name
		wantInMsg string
	}{
		{"missing certificate file", missing, keyA, fs.ErrNotExist, missing, "certificate"},
		{"missing key file", certA, missing, fs.ErrNotExist, missing, "key"},
		{"empty certificate file", empty, keyA, ErrNoCertificate, empty, "CERTIFICATE"},
		{"key file given as certificate", keyA, keyA, ErrNoCertificate, keyA, "CERTIFICATE"},
		{"empty key file", certA, empty, ErrNoPrivateKey, empty, "private key"},
		{"certificate given as key", certA, swapped, ErrNoPrivateKey, swapped, "private key"},
		{"certificate does not parse", garbageCert, keyA, nil, garbageCert, "does not parse"},
		{"key does not parse", certA, garbageKey, nil, garbageKey, "does not parse"},
		{"key of another certificate", certA, keyB, ErrKeyMismatch, keyB, "does not match"},
		{"certificate of another key", certB, keyA, ErrKeyMismatch, certB, "does not match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := NewConfig(tc.cert, tc.key)
			if err == nil || cfg != nil {
				t.Fatalf("NewConfig succeeded: %v", cfg)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %q is not %v", err, tc.wantIs)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "tlsconn: ") || !strings.Contains(msg, tc.wantFile) || !strings.Contains(msg, tc.wantInMsg) {
				t.Errorf("error %q: want the prefix, file %s and %q", msg, tc.wantFile, tc.wantInMsg)
			}
		})
	}
}

// TestConfigReload swaps the pair under a running listener: sessions
// established before keep working with the old certificate, new ones get
// the new certificate, and a broken file leaves the current pair in place.
func TestConfigReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	install := func(name string) *x509.Certificate {
		t.Helper()
		c, k := testPair(t, "ecdsa-p256", name)
		for src, dst := range map[string]string{c: certFile, k: keyFile} {
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		leaf, err := tls.LoadX509KeyPair(c, k)
		if err != nil {
			t.Fatal(err)
		}
		return leaf.Leaf
	}
	leafA := install("a")
	cfg, err := NewConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	leafB := install("b")
	// The client trusts both, and reports which one it was shown.
	ccfg := clientConfig(cfg, 0, leafA, leafB)
	echo := func(c *tls.Conn) {
		t.Helper()
		if _, err := c.Write([]byte("still here")); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 10)
		if _, err := io.ReadFull(c, got); err != nil || string(got) != "still here" {
			t.Fatalf("echo %q, %v", got, err)
		}
	}
	served := func(c *tls.Conn) *x509.Certificate { return c.ConnectionState().PeerCertificates[0] }

	for _, transport := range []string{"pipe", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			install("a")
			if err := cfg.Reload(); err != nil {
				t.Fatal(err)
			}
			old, oldDone := dialTLS(t, transport, cfg, ccfg, 4096)
			if !served(old).Equal(leafA) {
				t.Fatal("first connection not served certificate a")
			}
			install("b")
			if err := cfg.Reload(); err != nil {
				t.Fatal(err)
			}
			if !cfg.Certificate().Leaf.Equal(leafB) {
				t.Fatal("Certificate() not b after reload")
			}
			fresh, freshDone := dialTLS(t, transport, cfg, ccfg, 4096)
			if !served(fresh).Equal(leafB) {
				t.Fatal("connection after reload not served certificate b")
			}
			echo(old)
			echo(fresh)

			// A key that does not match is refused and b stays.
			a, _ := testPair(t, "ecdsa-p256", "a")
			b, _ := os.ReadFile(a)
			os.WriteFile(certFile, b, 0o600)
			if err := cfg.Reload(); !errors.Is(err, ErrKeyMismatch) {
				t.Fatalf("Reload of a mismatched pair: %v", err)
			}
			third, thirdDone := dialTLS(t, transport, cfg, ccfg, 4096)
			if !served(third).Equal(leafB) {
				t.Fatal("failed reload changed the certificate")
			}
			echo(old)
			for c, done := range map[*tls.Conn]<-chan error{old: oldDone, fresh: freshDone, third: thirdDone} {
				closeAndWait(t, c, done)
			}
		})
	}
}

func TestGenerateSelfSigned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	certFile, keyFile, err := GenerateSelfSigned(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v, %v", fi.Mode(), err)
	}
	cfg, err := NewConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cfg.Certificate().Leaf
	if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", leaf.PublicKey)
	}
	if d := leaf.NotAfter.Sub(leaf.NotBefore); d < 365*24*time.Hour || d > 366*24*time.Hour {
		t.Errorf("valid for %v, want a year", d)
	}
	if time.Now().Before(leaf.NotBefore) || time.Now().After(leaf.NotAfter) {
		t.Errorf("not valid now: %v to %v", leaf.NotBefore, leaf.NotAfter)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if leaf.VerifyHostname("example.com") == nil {
		t.Error("valid for example.com")
	}
	if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	// A client that trusts the file connects over TCP by IP address.
	ccfg := clientConfig(cfg, 0)
	ccfg.ServerName = "127.0.0.1"
	c, done := dialTLS(t, "tcp", cfg, ccfg, 4096)
	closeAndWait(t, c, done)

	// Never overwrite: the key may be a real one.
	before, _ := os.ReadFile(keyFile)
	if _, _, err := GenerateSelfSigned(dir); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second GenerateSelfSigned: %v, want ErrExist", err)
	}
	if after, _ := os.ReadFile(keyFile); !bytes.Equal(before, after) {
		t.Fatal("key file overwritten")
	}
	os.Remove(certFile)
	if _, _, err := GenerateSelfSigned(dir); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("with only the key left: %v, want ErrExist", err)
	}
	if _, err := os.Stat(certFile); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a certificate was written without its key")
	}
}

// TestConfigReloadConcurrent reloads from another goroutine, as a SIGHUP
// handler does, while the loop runs handshakes; under -race this checks
// that the swap needs no lock on the loop's side.
func TestConfigReloadConcurrent(t *testing.T) {
	cfg := testConfig(t, "ecdsa-p256")
	ccfg := clientConfig(cfg, 0)
	stop := make(chan struct{})
	reloaded := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				reloaded <- n
				return
			default:
			}
			if err := cfg.Reload(); err != nil {
				t.Error(err)
			}
			n++
		}
	}()
	for range 20 {
		p := newMemPair(cfg, ccfg)
		if err := p.handshake(); err != nil {
			t.Fatal(err)
		}
		p.release()
	}
	close(stop)
	if n := <-reloaded; n == 0 {
		t.Error("no reload ran during the handshakes")
	}
}

// TestAdopt: a Config that adopts another serves its pair and reloads from its files.
func TestAdopt(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	ca, ka, err := GenerateSelfSigned(a)
	if err != nil {
		t.Fatal(err)
	}
	cb, kb, err := GenerateSelfSigned(b)
	if err != nil {
		t.Fatal(err)
	}
	ac, err := NewConfig(ca, ka)
	if err != nil {
		t.Fatal(err)
	}
	bc, err := NewConfig(cb, kb)
	if err != nil {
		t.Fatal(err)
	}
	ac.Adopt(bc)
	if ac.Certificate() != bc.Certificate() {
		t.Fatal("adopted pair not served")
	}
	if err := os.Remove(ca); err != nil {
		t.Fatal(err)
	}
	if err := ac.Reload(); err != nil {
		t.Fatalf("reload reads the adopted files: %v", err)
	}
	if !ac.Certificate().Leaf.Equal(bc.Certificate().Leaf) {
		t.Fatal("reloaded another pair")
	}
}
