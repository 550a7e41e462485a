package tlsconn

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestOpenSSLClient runs OpenSSL's s_client against a Session over TCP,
// verifying the certificate, for each version: interoperability beyond
// Go's own client. Skipped where openssl is not installed.
func TestOpenSSLClient(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	certFile, keyFile := testPair(t, "ecdsa-p256", "a")
	cfg, err := NewConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"-tls1_2", "-tls1_3"} {
		t.Run(version, func(t *testing.T) {
			addr, done := serveOnce(t, func(c net.Conn) error {
				c.SetDeadline(time.Now().Add(20 * time.Second))
				return serveEcho(c, NewSession(cfg), 4096, true)
			}, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, openssl, "s_client", version, "-quiet",
				"-connect", addr, "-servername", "localhost",
				"-CAfile", certFile, "-verify_return_error")
			cmd.Stdin = strings.NewReader("hello from openssl\n")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			runErr := cmd.Run()
			if err := <-done; err != nil {
				t.Fatalf("server: %v (openssl: %v, %s)", err, runErr, stderr.String())
			}
			if !strings.Contains(stdout.String(), "hello from openssl") {
				t.Fatalf("openssl printed %q (%v, %s)", stdout.String(), runErr, stderr.String())
			}
		})
	}
}
