package tlsconn

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// Config is the server side of TLS for one listener: the certificate pair
// read from two PEM files and the protocol settings shared by every Session
// made from it. It is safe for concurrent use; Reload may run on any
// goroutine (a SIGHUP handler) while event loops start handshakes.
type Config struct {
	files atomic.Pointer[[2]string] // certificate and key file; Adopt changes them

	// cert is the pair served to new handshakes. crypto/tls asks for it
	// through GetCertificate at every ClientHello, so swapping the pointer
	// changes the certificate for new sessions only: established sessions
	// keep their keys and never look at it again.
	cert atomic.Pointer[tls.Certificate]

	// tls is built once and never modified afterwards, as crypto/tls
	// requires of a Config in use. Keeping one instance for the listener's
	// life also keeps its automatically rotated session-ticket keys, so
	// resumption survives a certificate reload.
	tls *tls.Config
}

// tls12Suites are the TLS 1.2 suites offered: ECDHE with AEAD ciphers only
// (Mozilla's "intermediate" profile). Go's default list still carries the
// CBC-SHA suites, which have no use for a WebSocket client made after 2013.
// TLS 1.3 suites are not configurable in crypto/tls and are all AEAD.
var tls12Suites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// NewConfig reads the PEM certificate chain in certFile and the PEM private
// key in keyFile and returns a Config serving TLS 1.2 and 1.3 with them.
// Errors name the file and what is wrong with it (see Reload).
//
// No ALPN protocols are configured on purpose: a client offering only
// protocols the server does not list would be refused by crypto/tls, and
// IoT clients announce all sorts of them; without ALPN every client falls
// back to HTTP/1.1, which is what a WebSocket upgrade needs.
func NewConfig(certFile, keyFile string) (*Config, error) {
	c := &Config{}
	c.files.Store(&[2]string{certFile, keyFile})
	if err := c.Reload(); err != nil {
		return nil, err
	}
	c.tls = &tls.Config{
		MinVersion:     tls.VersionTLS12,
		CipherSuites:   tls12Suites,
		GetCertificate: c.getCertificate,
		// Dynamic record sizing starts every connection with ~1 KiB
		// records to speed up a browser's first paint. The event loop
		// coalesces writes anyway, so small records only add per-record
		// CPU and 22-29 bytes of overhead each.
		DynamicRecordSizingDisabled: true,
	}
	return c, nil
}

// Reload re-reads the two files given to NewConfig. On success new
// handshakes use the new pair at once; sessions already established are not
// affected. On error the pair in use is kept and the error says which file
// is wrong and how: unreadable, no PEM block of the right type, a
// certificate that does not parse, or a key that does not parse or does not
// match the certificate (ErrKeyMismatch).
func (c *Config) Reload() error {
	f := c.files.Load()
	cert, err := loadPair(f[0], f[1])
	if err != nil {
		return err
	}
	c.cert.Store(cert)
	return nil
}

// Certificate returns the pair new handshakes use, with Leaf parsed (for
// logging its subject and expiry). The caller must not modify it.
func (c *Config) Certificate() *tls.Certificate { return c.cert.Load() }

func (c *Config) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cert.Load(), nil
}

// loadPair does what tls.LoadX509KeyPair does, but checks each file on its
// own first so that the error names the file at fault; LoadX509KeyPair
// reports "failed to find any PEM data" without saying in which file.
func loadPair(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("tlsconn: certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("tlsconn: key: %w", err)
	}
	block := findPEM(certPEM, func(typ string) bool { return typ == "CERTIFICATE" })
	if block == nil {
		return nil, fmt.Errorf("%w in %s", ErrNoCertificate, certFile)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("tlsconn: %s: certificate does not parse: %w", certFile, err)
	}
	block = findPEM(keyPEM, func(typ string) bool { return strings.HasSuffix(typ, "PRIVATE KEY") })
	if block == nil {
		return nil, fmt.Errorf("%w in %s", ErrNoPrivateKey, keyFile)
	}
	key, err := parsePrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("tlsconn: %s: private key does not parse: %w", keyFile, err)
	}
	pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("%w: key %s, certificate %s", ErrKeyMismatch, keyFile, certFile)
	}
	// X509KeyPair assembles the whole chain and re-checks the pair; after
	// the checks above an error here is unexpected, but still reported.
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%w: key %s, certificate %s: %v", ErrKeyMismatch, keyFile, certFile, err)
	}
	return &cert, nil
}

// findPEM returns the first PEM block whose type is accepted, skipping
// others (a chain file may start with comments or parameters).
func findPEM(data []byte, accept func(typ string) bool) *pem.Block {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil
		}
		if accept(block.Type) {
			return block
		}
	}
}

// parsePrivateKey accepts the encodings crypto/tls accepts: PKCS #8, then
// PKCS #1 (RSA) and SEC 1 (EC).
func parsePrivateKey(der []byte) (crypto.Signer, error) {
	if key, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported key type %T", key)
		}
		return signer, nil
	}
	if key, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return key, nil
	}
	key, err := x509.ParseECPrivateKey(der)
	if err != nil {
		return nil, errors.New("not PKCS #8, PKCS #1 or SEC 1")
	}
	return key, nil
}
