package wstest

import "net"

// Serve listens on an ephemeral loopback port and runs handle, each on its own goroutine,
// for every connection it accepts until the listener is closed: the peer a test dials (an
// upstream, a fake server). It returns the listener; the caller closes it (its Addr is
// where to dial). handle closes its connection.
func Serve(handle func(nc net.Conn)) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(nc)
		}
	}()
	return ln, nil
}
