package tlsconn_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"os"

	"github.com/wsgate/wsgate/internal/tlsconn"
)

// A server loop as an event loop runs it: read what arrived, Feed it, write
// what Feed returns, then work on the plaintext and Seal the reply. Here a
// net.Pipe stands in for the socket and a crypto/tls client for the peer.
func Example() {
	dir, err := os.MkdirTemp("", "tlsconn-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	certFile, keyFile, err := tlsconn.GenerateSelfSigned(dir)
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := tlsconn.NewConfig(certFile, keyFile)
	if err != nil {
		log.Fatal(err)
	}

	clientEnd, serverEnd := net.Pipe()
	go func() {
		roots := x509.NewCertPool()
		roots.AddCert(cfg.Certificate().Leaf)
		c := tls.Client(clientEnd, &tls.Config{RootCAs: roots, ServerName: "localhost"})
		defer c.Close()
		c.Write([]byte("hello"))
		reply := make([]byte, 8)
		io.ReadFull(c, reply)
		fmt.Printf("client got %q\n", reply)
	}()

	s := tlsconn.NewSession(cfg)
	defer s.Release()
	buf := make([]byte, 4096)
	var out, plain []byte
	for {
		n, err := serverEnd.Read(buf)
		if err != nil {
			log.Fatal(err)
		}
		out, plain, err = s.Feed(buf[:n], out[:0], plain[:0])
		if len(out) > 0 {
			serverEnd.Write(out) // handshake records first
		}
		if err != nil {
			log.Fatal(err)
		}
		if len(plain) > 0 {
			fmt.Printf("server got %q\n", plain)
			out, _ = s.Seal(out[:0], []byte("hi there"))
			serverEnd.Write(out)
			break
		}
	}
	// Wait for the client to close.
	for {
		n, err := serverEnd.Read(buf)
		if _, _, ferr := s.Feed(buf[:n], nil, nil); err != nil || ferr != nil {
			break
		}
	}
	// Output:
	// server got "hello"
	// client got "hi there"
}

// A plain-HTTP request on a TLS port is told apart by its first bytes and
// can be answered in clear text.
func ExampleLooksLikeTLS() {
	fmt.Println(tlsconn.LooksLikeTLS([]byte("GET / HTTP/1.1\r\n")))
	fmt.Println(tlsconn.LooksLikeTLS([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01}))
	// Output:
	// false
	// true
}
