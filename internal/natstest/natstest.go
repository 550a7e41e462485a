package natstest

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Run starts a NATS server on 127.0.0.1:port (0: an ephemeral port) after edit (when not
// nil) adjusts its options, waits until it accepts clients and shuts it down when the test
// ends (Shutdown may also be called before: a second one does nothing).
func Run(tb testing.TB, port int, edit func(*server.Options)) *server.Server {
	tb.Helper()
	o := &server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true}
	if port == 0 {
		o.Port = -1
	}
	if edit != nil {
		edit(o)
	}
	s, err := server.NewServer(o)
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		tb.Fatal("nats server not ready")
	}
	tb.Cleanup(s.Shutdown)
	return s
}

// URL is the nats:// URL of s.
func URL(s *server.Server) string {
	return "nats://" + s.Addr().(*net.TCPAddr).String()
}
