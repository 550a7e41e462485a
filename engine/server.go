package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/static"
	"github.com/wsgate/wsgate/internal/tlsconn"
	"github.com/wsgate/wsgate/internal/wsproto"
)

// Errors of the engine.
var (
	ErrStarted    = errors.New("engine: server already started")
	ErrNotStarted = errors.New("engine: server not started")
)

// HTTPService is the listener name of the HTTP service in scopes and logs.
const HTTPService = "http"

// Server is a running wsgate: its listeners, event loops, route table and connections.
type Server struct {
	cfg     *config.Config
	log     *slog.Logger
	reg     *apps.Registry
	static  *static.Responder
	limits  handshake.Limits
	loops   int
	wsPlain wsproto.Config // reader config of connections without compression

	listeners []*listener
	cli       *gnet.Client
	loopOf    sync.Map // gnet.EventLoop -> *loop

	debug    bool // debug logging is on: hot paths box their log arguments only then
	stats    Stats
	g        guard        // self-protection: rate-limited logs, callback and loop watch (guard.go)
	now      atomic.Int64 // coarse clock (unix nanos), advanced by the ticker every clockInterval
	nextID   atomic.Uint64
	total    atomic.Int64 // open WebSocket connections
	inHS     atomic.Int64 // connections still in the HTTP phase
	started  atomic.Bool
	stopping atomic.Bool
	acceptWG sync.WaitGroup
	spareMu  sync.Mutex
	spare    int // a descriptor kept to answer clients when none is left (accept.go); -1: none
	authJobs chan *authJob
	authDone chan struct{}
	stopOnce sync.Once
	stopErr  error
}

// listener is one bound address: the HTTP service (index 0) or a standalone server.
type listener struct {
	idx        int
	name       string
	address    string
	standalone bool
	file       *os.File        // the listening socket, non-blocking (accept.go); nil until Start
	addr       net.Addr        // its bound address
	tls        *tlsconn.Config // nil: plain TCP
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithEventLoops sets the number of event loops (default: the number of CPUs).
func WithEventLoops(n int) Option { return func(s *Server) { s.loops = n } }

// New builds a server from a validated configuration and registers its applications. More
// applications may be registered through Registry before or after Start.
func New(cfg *config.Config, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: slog.Default(), loops: runtime.NumCPU(), spare: -1}
	for _, o := range opts {
		o(s)
	}
	s.debug = s.log.Enabled(context.Background(), slog.LevelDebug)
	s.listeners = append(s.listeners, &listener{idx: 0, name: HTTPService, address: cfg.HTTP.Listen})
	for _, l := range cfg.Standalone {
		s.listeners = append(s.listeners, &listener{idx: len(s.listeners), name: l.Name, address: l.Listen, standalone: true})
	}
	names := make([]string, len(s.listeners))
	for i, l := range s.listeners {
		names[i] = l.name
	}
	s.reg = apps.NewRegistry(names, cfg.WebSocket.MaxConnectionsPerApp)
	for i, a := range cfg.Apps {
		app, err := apps.Builtin(a.Kind)
		if err != nil {
			return nil, fmt.Errorf("engine: app[%d] %q: %w", i, a.Name, err)
		}
		spec := specOf(a)
		if spec.Auth, err = s.loadAuth(i, a.Name, a.Auth, a.Credentials, a.Users); err != nil {
			return nil, err
		}
		if err := s.reg.Register(spec, app); err != nil {
			return nil, fmt.Errorf("engine: app[%d]: %w", i, err)
		}
	}
	s.limits = handshake.Limits{
		MaxHeaderBytes: int(cfg.WebSocket.MaxHeaderBytes),
		MaxTargetBytes: int(cfg.WebSocket.MaxTargetBytes),
	}
	s.wsPlain = wsproto.Config{MaxMessageSize: int64(cfg.WebSocket.MaxMessageSize)}
	st, err := static.New(cfg.HTTP.Root, s.renderPage())
	if err != nil {
		return nil, fmt.Errorf("engine: http.root: %w", err)
	}
	s.static = st
	if err := s.loadTLS(); err != nil {
		return nil, err
	}
	return s, nil
}

// specOf turns a configured application into its registry spec.
func specOf(a config.App) apps.Spec {
	return apps.Spec{
		Name:               a.Name,
		Path:               a.Path,
		Scope:              a.Scope,
		Subprotocols:       a.Subprotocols,
		DefaultSubprotocol: a.DefaultSubprotocol,
		MaxConnections:     a.MaxConnections,
		Compression:        a.Compression,
		Origins:            a.Origins,
	}
}

// Registry is the server's application registry.
func (s *Server) Registry() *apps.Registry { return s.reg }

// Stats returns the server's counters.
func (s *Server) Stats() *Stats { return &s.stats }

// Connections is the number of open WebSocket connections.
func (s *Server) Connections() int64 { return s.total.Load() }

// Addr returns the bound address of the listener named name ("http" for the HTTP service),
// or "" if there is none or the server has not started.
func (s *Server) Addr(name string) string {
	for _, l := range s.listeners {
		if l.name == name && l.addr != nil {
			return l.addr.String()
		}
	}
	return ""
}

// Start binds every listener, starts the event loops and begins accepting. It returns once
// the server is serving; an error names the listener that failed.
func (s *Server) Start() error {
	if !s.started.CompareAndSwap(false, true) {
		return ErrStarted
	}
	s.now.Store(time.Now().UnixNano())
	for _, l := range s.listeners {
		if err := l.listen(); err != nil {
			s.closeListeners()
			return fmt.Errorf("engine: listener %q: %w", l.name, err)
		}
	}
	cli, err := gnet.NewClient(&handler{s: s},
		gnet.WithNumEventLoop(max(1, s.loops)),
		gnet.WithTicker(true),
		// TCP_NODELAY is set on the listening sockets, which accepted ones inherit.
		gnet.WithTCPNoDelay(gnet.TCPDelay),
		gnet.WithLogger(gnetLogger{s.log}),
	)
	if err == nil {
		err = cli.Start()
	}
	if err != nil {
		s.closeListeners()
		return fmt.Errorf("engine: event loops: %w", err)
	}
	s.cli = cli
	s.startAuthWorkers()
	s.spare = openSpare()
	for _, l := range s.listeners {
		s.log.Info("listening", "listener", l.name, "addr", l.addr.String(), "tls", l.tls != nil)
		s.acceptWG.Add(1)
		go s.accept(l)
	}
	return nil
}

func (s *Server) closeListeners() {
	for _, l := range s.listeners {
		if l.file != nil {
			l.file.Close()
		}
	}
}

// Stop shuts the server down gracefully: it closes the listeners, sends close 1001 to every
// WebSocket client and closes connections still in the handshake, then waits until every
// connection has closed or ctx ends (the configured shutdown_timeout is the caller's to put
// in ctx), and finally stops the loops, closing whatever is left. It does not wait for
// goroutines an application started.
func (s *Server) Stop(ctx context.Context) error {
	if !s.started.Load() {
		return ErrNotStarted
	}
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	s.stopping.Store(true)
	s.closeListeners()
	s.acceptWG.Wait()
	s.spareMu.Lock()
	if s.spare >= 0 {
		unix.Close(s.spare)
		s.spare = -1
	}
	s.spareMu.Unlock()
	s.log.Info("shutting down", "connections", s.total.Load(), "handshaking", s.inHS.Load())
	s.forEachConn(func(c *conn) { c.shutdown() })
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for s.total.Load() > 0 || s.inHS.Load() > 0 {
		select {
		case <-ctx.Done():
			err = ctx.Err()
			s.log.Warn("shutdown timeout; closing what is left", "connections", s.total.Load())
			break wait
		case <-tick.C:
		}
	}
	close(s.authDone) // the loops may still queue checks; the channel stays open
	if stopErr := s.cli.Stop(); stopErr != nil && err == nil {
		err = stopErr
	}
	s.log.Info("stopped")
	return err
}

// loopFor returns the state of the event loop gc belongs to.
func (s *Server) loopFor(gc gnet.Conn) *loop {
	el := gc.EventLoop()
	if v, ok := s.loopOf.Load(el); ok {
		return v.(*loop)
	}
	v, _ := s.loopOf.LoadOrStore(el, newLoop(s, el))
	return v.(*loop)
}

// forEachConn calls fn for every connection of every loop (from the caller's goroutine; fn
// must use only the connection's concurrency-safe methods).
func (s *Server) forEachConn(fn func(c *conn)) {
	s.loopOf.Range(func(_, v any) bool {
		lp := v.(*loop)
		lp.connsMu.Lock()
		list := append([]*conn(nil), lp.conns...)
		lp.connsMu.Unlock()
		for _, c := range list {
			fn(c)
		}
		return true
	})
}

// listenConfig turns off the TCP keep-alive Go sets on every accepted socket by default (four
// setsockopt calls per connection): server pings and the idle close do that job, above TCP.
var listenConfig = net.ListenConfig{KeepAliveConfig: net.KeepAliveConfig{Enable: false}, KeepAlive: -1}
