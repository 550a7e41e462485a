package tlsconn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Names of the files GenerateSelfSigned writes into its directory.
const (
	SelfSignedCertFile = "cert.pem"
	SelfSignedKeyFile  = "key.pem"
)

// selfSignedValidity is how long a generated certificate is valid: long
// enough for a first try, short enough that nobody ships it for good.
const selfSignedValidity = 365 * 24 * time.Hour

// GenerateSelfSigned writes a new self-signed ECDSA P-256 certificate valid
// for one year for localhost, 127.0.0.1 and ::1 into dir (created if
// missing) as cert.pem and key.pem (mode 0600), for `wsgate -gen-cert DIR`.
// P-256 keeps handshakes cheap: signing costs a few tens of microseconds
// where RSA-2048 costs about a millisecond.
//
// It refuses to overwrite either file: an existing key may be a real one.
func GenerateSelfSigned(dir string) (certFile, keyFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("tlsconn: generate key: %w", err)
	}
	return writeSelfSigned(dir, key, time.Now())
}

// writeSelfSigned signs a certificate for key, valid from an hour before
// now (clients with a slightly slow clock) for selfSignedValidity, and
// writes the pair into dir. Tests use it with other key types.
func writeSelfSigned(dir string, key crypto.Signer, now time.Time) (certFile, keyFile string, err error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return "", "", fmt.Errorf("tlsconn: serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"wsgate self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return "", "", fmt.Errorf("tlsconn: create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("tlsconn: encode key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("tlsconn: %w", err)
	}
	certFile = filepath.Join(dir, SelfSignedCertFile)
	keyFile = filepath.Join(dir, SelfSignedKeyFile)
	if err := writeNewPEM(keyFile, 0o600, "PRIVATE KEY", keyDER); err != nil {
		return "", "", err
	}
	if err := writeNewPEM(certFile, 0o644, "CERTIFICATE", der); err != nil {
		os.Remove(keyFile) // do not leave half a pair behind
		return "", "", err
	}
	return certFile, keyFile, nil
}

// writeNewPEM creates name, failing if it exists, and writes one PEM block.
func writeNewPEM(name string, perm os.FileMode, typ string, der []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("tlsconn: %s exists, not overwriting it: %w", name, err)
		}
		return fmt.Errorf("tlsconn: %w", err)
	}
	err = pem.Encode(f, &pem.Block{Type: typ, Bytes: der})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("tlsconn: write %s: %w", name, err)
	}
	return nil
}
