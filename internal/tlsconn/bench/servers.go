package main

import (
	"crypto/tls"
	"errors"
	"fmt"

	ltls "github.com/lesismal/llib/std/crypto/tls"
	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/mempool"
	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"

	"github.com/wsgate/wsgate/internal/tlsconn"
)

// servers are the TLS echo servers compared. Each listens on addr, serves
// until the process ends, and echoes what it decrypts. All run with
// GOMAXPROCS=1 and one event loop, so their CPU time compares directly.
var servers = map[string]func(addr, certFile, keyFile string) error{
	// wsgate: gnet v2 with tlsconn, as the engine will use it.
	"wsgate": func(addr, certFile, keyFile string) error {
		cfg, err := tlsconn.NewConfig(certFile, keyFile)
		if err != nil {
			return err
		}
		return runGnet(addr, &tlsconnHandler{cfg: cfg, addr: addr})
	},
	// llib-gnet: the same gnet loop with nbio's TLS, llib's non-blocking
	// fork of crypto/tls, driven the way nbio's nbhttp drives it; only the
	// TLS layer differs from wsgate.
	"llib-gnet": func(addr, certFile, keyFile string) error {
		cfg, err := llibConfig(certFile, keyFile)
		if err != nil {
			return err
		}
		return runGnet(addr, &llibHandler{cfg: cfg, addr: addr})
	},
	// nbio: nbio's own event loop in its TLS mode (llib + nbio's mempool).
	"nbio": func(addr, certFile, keyFile string) error {
		cfg, err := llibConfig(certFile, keyFile)
		if err != nil {
			return err
		}
		return runNbio(addr, cfg)
	},
	// std: crypto/tls with a goroutine per connection reading into a
	// 1 KiB buffer, the plain Go way.
	"std": func(addr, certFile, keyFile string) error {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return err
		}
		ln, err := tls.Listen("tcp", addr, &tls.Config{Certificates: []tls.Certificate{cert}})
		if err != nil {
			return err
		}
		ready(ln.Addr().String())
		for {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	},
}

func runGnet(addr string, h gnet.EventHandler) error {
	return gnet.Run(h, "tcp://"+addr,
		gnet.WithMulticore(false), gnet.WithNumEventLoop(1),
		gnet.WithLogLevel(logging.ErrorLevel))
}

// tlsconnHandler is the loop side of wsgate's TLS: per-loop scratch
// buffers (one loop here), a Session per connection.
type tlsconnHandler struct {
	gnet.BuiltinEventEngine
	cfg        *tlsconn.Config
	addr       string
	out, plain []byte
}

func (h *tlsconnHandler) OnBoot(e gnet.Engine) gnet.Action {
	ready(h.addr)
	return gnet.None
}

func (h *tlsconnHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(tlsconn.NewSession(h.cfg))
	return nil, gnet.None
}

func (h *tlsconnHandler) OnTraffic(c gnet.Conn) gnet.Action {
	s := c.Context().(*tlsconn.Session)
	in, _ := c.Next(-1)
	out, plain, err := s.Feed(in, h.out[:0], h.plain[:0])
	if len(plain) > 0 && err == nil {
		// After Feed's own output: records go out in sequence order.
		out, err = s.Seal(out, plain)
	}
	h.out, h.plain = out, plain
	if len(out) > 0 {
		c.Write(out)
	}
	if err != nil {
		return gnet.Close
	}
	return gnet.None
}

func (h *tlsconnHandler) OnClose(c gnet.Conn, _ error) gnet.Action {
	if s, ok := c.Context().(*tlsconn.Session); ok {
		s.Release()
	}
	return gnet.None
}

func llibConfig(certFile, keyFile string) (*ltls.Config, error) {
	cert, err := ltls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &ltls.Config{Certificates: []ltls.Certificate{cert}}, nil
}

// llibHandler drives llib's tls.Conn on gnet as nbio's nbhttp does
// (Engine.TLSDataHandler): append the input, read until nothing comes,
// then let the connection give its buffers back to the pool. The Conn
// writes handshake records and sealed data straight to the gnet.Conn.
type llibHandler struct {
	gnet.BuiltinEventEngine
	cfg  *ltls.Config
	addr string
	buf  []byte
}

func (h *llibHandler) OnBoot(e gnet.Engine) gnet.Action {
	h.buf = make([]byte, 64<<10)
	ready(h.addr)
	return gnet.None
}

func (h *llibHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(ltls.NewConn(c, h.cfg, false, true, mempool.DefaultMemPool))
	return nil, gnet.None
}

func (h *llibHandler) OnTraffic(c gnet.Conn) gnet.Action {
	tc := c.Context().(*ltls.Conn)
	in, _ := c.Next(-1)
	if err := llibFeed(tc, in, h.buf); err != nil {
		return gnet.Close
	}
	return gnet.None
}

func (h *llibHandler) OnClose(c gnet.Conn, _ error) gnet.Action {
	if tc, ok := c.Context().(*ltls.Conn); ok {
		tc.Close()
	}
	return gnet.None
}

// llibFeed is nbhttp's TLSDataHandler loop with an echo as the parser.
func llibFeed(tc *ltls.Conn, in, buf []byte) error {
	defer tc.ResetOrFreeBuffer()
	for {
		_, n, err := tc.AppendAndRead(in, buf)
		in = nil
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if _, err := tc.Write(buf[:n]); err != nil {
			return err
		}
	}
}

func runNbio(addr string, cfg *ltls.Config) error {
	e := nbio.NewEngine(nbio.Config{Network: "tcp", Addrs: []string{addr}, NPoller: 1})
	e.OnOpen(func(c *nbio.Conn) {
		c.SetSession(ltls.NewConn(c, cfg, false, true, mempool.DefaultMemPool))
	})
	e.OnData(func(c *nbio.Conn, data []byte) {
		tc, ok := c.Session().(*ltls.Conn)
		if !ok {
			c.Close()
			return
		}
		// nbhttp decrypts into the read buffer it was handed, which
		// AppendAndRead has copied already.
		if err := llibFeed(tc, data, data); err != nil {
			c.Close()
		}
	})
	e.OnClose(func(c *nbio.Conn, _ error) {
		if tc, ok := c.Session().(*ltls.Conn); ok {
			tc.Close()
		}
	})
	if err := e.Start(); err != nil {
		return err
	}
	ready(addr)
	select {}
}

var errUnknownServer = errors.New("unknown server")

func serve(name, addr, certFile, keyFile string) error {
	run, ok := servers[name]
	if !ok {
		return fmt.Errorf("%w %q", errUnknownServer, name)
	}
	return run(addr, certFile, keyFile)
}
