package engine

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/internal/tlsconn"
)

// tlsTestConfig is testConfig with TLS on the HTTP service and the standalone server.
func tlsTestConfig(t *testing.T) (*Server, *x509.CertPool, string) {
	t.Helper()
	// One-byte segments under the race detector on a busy machine take a while.
	const handshakeTimeout = 30 * time.Second
	dir := t.TempDir()
	certFile, keyFile, err := tlsconn.GenerateSelfSigned(dir)
	if err != nil {
		t.Fatal(err)
	}
	opt := testOptions()
	opt.HTTP.TLSCert, opt.HTTP.TLSKey = certFile, keyFile
	opt.Standalone[0].TLSCert, opt.Standalone[0].TLSKey = certFile, keyFile
	opt.HandshakeTimeout = handshakeTimeout
	srv := startServer(t, opt, nil)
	return srv, certPool(t, certFile), dir
}

func certPool(t *testing.T, certFile string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("bad certificate PEM")
	}
	return pool
}

func dialTLS(t *testing.T, addr, path string, pool *x509.CertPool, version uint16) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, TLSClientConfig: &tls.Config{
		RootCAs: pool, ServerName: "localhost", MinVersion: version, MaxVersion: version}}
	c, _, err := d.Dial("wss://"+addr+path, nil)
	if err != nil {
		t.Fatalf("dial wss://%s%s: %v", addr, path, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	return c
}

// TestWSSEcho: wss echo with a real client on both listener kinds, TLS 1.2 and 1.3,
// messages small and large (many records).
func TestWSSEcho(t *testing.T) {
	srv, pool, _ := tlsTestConfig(t)
	for _, listener := range []string{"http", "ws"} {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			c := dialTLS(t, srv.Addr(listener), "/echo", pool, v)
			for _, size := range []int{5, 20000, 200000} {
				msg := bytes.Repeat([]byte("s"), size)
				if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
					t.Fatal(err)
				}
				_, got, err := c.ReadMessage()
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("%s TLS %x: echo of %d: %d bytes, %v", listener, v, size, len(got), err)
				}
			}
		}
	}
}

// slowConn writes one byte per Write call, so the TLS handshake reaches the server in
// one-byte segments.
type slowConn struct{ net.Conn }

func (s slowConn) Write(b []byte) (int, error) {
	for i := range b {
		if _, err := s.Conn.Write(b[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(b), nil
}

// TestTLSHandshakeSplit runs the TLS handshake and the upgrade a byte at a time.
func TestTLSHandshakeSplit(t *testing.T) {
	srv, pool, _ := tlsTestConfig(t)
	raw := dialTCP(t, srv.Addr("ws"), 10*time.Second)
	raw.(*net.TCPConn).SetNoDelay(true)
	tc := tls.Client(slowConn{raw}, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if _, err := tc.Write([]byte(upgradeRequest("/echo"))); err != nil {
		t.Fatal(err)
	}
	head, _ := readHead(t, tc)
	if !strings.HasPrefix(head, "HTTP/1.1 101") {
		t.Fatalf("head %q", head)
	}
}

// TestPlainHTTPOnTLSPort: a clear-text request gets a clear-text 400 and a close.
func TestPlainHTTPOnTLSPort(t *testing.T) {
	srv, _, _ := tlsTestConfig(t)
	for _, listener := range []string{"http", "ws"} {
		r := roundTrip(t, srv.Addr(listener), upgradeRequest("/echo"), 0)
		if r.status != 400 || !r.closed || !strings.Contains(r.body, "TLS") {
			t.Fatalf("%s: status %d closed %v body %q", listener, r.status, r.closed, r.body)
		}
	}
}

// TestBadCertificateConfig: the error names the listener and the file.
func TestBadCertificateConfig(t *testing.T) {
	opt := testOptions()
	missing := filepath.Join(t.TempDir(), "missing.pem")
	opt.Standalone[0].TLSCert, opt.Standalone[0].TLSKey = missing, missing
	opt.Logger = testLogger(t)
	_, err := New(*opt)
	if err == nil || !strings.Contains(err.Error(), `"ws"`) || !strings.Contains(err.Error(), "missing.pem") {
		t.Fatalf("error %v should name the listener and the file", err)
	}
}

// TestCertificateReload: new handshakes present the new pair, established connections go
// on: after ReloadCertificates on rewritten files, after a Reconfigure with the same options
// (what SIGHUP does), and after a Reconfigure naming other files.
func TestCertificateReload(t *testing.T) {
	for _, how := range []string{"ReloadCertificates", "Reconfigure same files", "Reconfigure new files"} {
		t.Run(how, func(t *testing.T) {
			srv, pool, dir := tlsTestConfig(t)
			old := dialTLS(t, srv.Addr("ws"), "/echo", pool, 0)

			dir2 := t.TempDir()
			cert2, key2, err := tlsconn.GenerateSelfSigned(dir2)
			if err != nil {
				t.Fatal(err)
			}
			switch how {
			case "ReloadCertificates", "Reconfigure same files":
				for _, f := range [][2]string{{cert2, tlsconn.SelfSignedCertFile}, {key2, tlsconn.SelfSignedKeyFile}} {
					data, err := os.ReadFile(f[0])
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dir, f[1]), data, 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			switch how {
			case "ReloadCertificates":
				err = srv.ReloadCertificates()
			case "Reconfigure same files":
				_, err = srv.Reconfigure(srv.opt().Options, currentApps(srv))
			case "Reconfigure new files":
				opt := srv.opt().Options
				opt.Standalone = []Listener{{Name: "ws", Address: opt.Standalone[0].Address, TLSCert: cert2, TLSKey: key2}}
				var ch *Changes
				ch, err = srv.Reconfigure(opt, currentApps(srv))
				if err == nil && (len(ch.Certificates) != 2 || len(ch.NeedRestart) != 0) {
					t.Fatalf("changes: %+v", ch)
				}
			}
			if err != nil {
				t.Fatalf("reload: %v", err)
			}
			// New handshakes present the new certificate: trusted by the new pool only.
			d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}
			if c, _, err := d.Dial("wss://"+srv.Addr("ws")+"/echo", nil); err == nil {
				c.Close()
				t.Fatal("a new connection still got the old certificate")
			}
			dialTLS(t, srv.Addr("ws"), "/echo", certPool(t, cert2), 0)
			if err := old.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
				t.Fatal(err)
			}
			if _, got, err := old.ReadMessage(); err != nil || string(got) != "still here" {
				t.Fatalf("old connection after reload: %q %v", got, err)
			}
		})
	}
}

// currentApps is the registered application set, as Reconfigure takes it.
func currentApps(srv *Server) []AppEntry {
	var out []AppEntry
	for _, rt := range srv.reg.Table().Routes() {
		out = append(out, AppEntry{Spec: rt.Spec, App: rt.App})
	}
	return out
}
