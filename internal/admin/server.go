package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsgate/wsgate/internal/auth"
)

// Options configure the admin listener. Zero values take the defaults named.
type Options struct {
	// Addr is host:port to listen on (Start). Required for Start, not for Serve.
	Addr string
	// Source provides status, metrics and readiness. Required.
	Source Source
	// Publisher serves POST /api/apps/{app}/publish; nil answers 501.
	Publisher Publisher
	// Auth protects /metrics, /api/… and handlers added with Handle; nil or
	// method None leaves them open. Only None and Token are accepted.
	Auth *auth.Authenticator
	// Version is reported in /api/status and wsgate_build_info; "" = "devel".
	Version string
	// IdleTimeout closes a keep-alive connection after this long without a
	// request; it also bounds reading a request's header and body. The
	// gateway passes its handshake_timeout. Default 5s.
	IdleTimeout time.Duration
	// MaxConnections caps open connections; past it a connection gets 503
	// and is closed. Default 64.
	MaxConnections int
	// MaxPublishBytes caps a publish request's body (413 past it). Default 1 MiB.
	MaxPublishBytes int64
	// Logger receives the listener's few lines; default slog.Default().
	Logger *slog.Logger
	// Started is the process start for uptime; default the time of New.
	Started time.Time
}

// Defaults of Options.
const (
	DefaultIdleTimeout     = 5 * time.Second
	DefaultMaxConnections  = 64
	DefaultMaxPublishBytes = 1 << 20
)

// Server is the admin listener. Build it with New; Start or Serve it once;
// Shutdown stops it.
type Server struct {
	o       Options
	mux     *http.ServeMux
	hs      *http.Server
	started atomic.Bool
	mu      sync.Mutex
	ln      *limitListener
	logs    rateLimit // auth failures and Source mistakes
}

// New checks the options, applies the defaults and builds the routes.
func New(o Options) (*Server, error) {
	if o.Source == nil {
		return nil, ErrNoSource
	}
	if m := o.Auth.Method(); m != auth.None && m != auth.Token {
		return nil, ErrAuthMethod
	}
	if o.MaxConnections < 0 || o.IdleTimeout < 0 || o.MaxPublishBytes < 0 {
		return nil, ErrBadSettings
	}
	o.Version = cmp.Or(o.Version, "devel")
	o.IdleTimeout = cmp.Or(o.IdleTimeout, DefaultIdleTimeout)
	o.MaxConnections = cmp.Or(o.MaxConnections, DefaultMaxConnections)
	o.MaxPublishBytes = cmp.Or(o.MaxPublishBytes, DefaultMaxPublishBytes)
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.Started.IsZero() {
		o.Started = time.Now()
	}
	s := &Server{o: o, mux: http.NewServeMux()}
	s.routes()
	s.hs = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: o.IdleTimeout,
		ReadTimeout:       o.IdleTimeout,
		WriteTimeout:      max(o.IdleTimeout, 10*time.Second),
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		// net/http's own lines (a bad TLS record, a panic) at Debug: a
		// client's mistakes are not the operator's news.
		ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// Handle mounts h on pattern (net/http ServeMux syntax, e.g.
// "POST /api/apps/{app}/kick") behind the admin's authentication. Like
// ServeMux.Handle it panics on a pattern that conflicts with another.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, s.protect(h))
}

// Start listens on Options.Addr and serves in a goroutine. A failed bind is
// returned, naming the address.
func (s *Server) Start() error {
	if s.o.Addr == "" {
		return ErrNoAddr
	}
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	ready := make(chan error, 1)
	go func() {
		if err := s.serve(ln, ready); err != nil {
			s.o.Logger.Error("admin listener stopped", "err", err)
		}
	}()
	return <-ready
}

// Serve serves on ln until Shutdown; it returns nil after Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.serve(ln, nil) }

func (s *Server) serve(ln net.Listener, ready chan<- error) error {
	if !s.started.CompareAndSwap(false, true) {
		ln.Close()
		if ready != nil {
			ready <- ErrStarted
		}
		return ErrStarted
	}
	l := newLimitListener(ln, s.o.MaxConnections)
	s.mu.Lock()
	s.ln = l
	s.mu.Unlock()
	s.o.Logger.Info("admin listener", "addr", ln.Addr().String(), "auth", s.o.Auth.Method().String(),
		"max_connections", s.o.MaxConnections, "idle_timeout", s.o.IdleTimeout)
	if ready != nil {
		ready <- nil
	}
	if err := s.hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin: %w", err)
	}
	return nil
}

// Addr returns the address listened on, or nil before Start or Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Shutdown stops accepting, closes idle connections and waits for active
// requests until ctx ends (net/http's Server.Shutdown).
func (s *Server) Shutdown(ctx context.Context) error {
	return s.hs.Shutdown(ctx)
}

// Connections returns the number of open admin connections.
func (s *Server) Connections() int64 {
	if l := s.listener(); l != nil {
		return l.open.Load()
	}
	return 0
}

// refused returns the number of connections refused past the cap.
func (s *Server) refused() uint64 {
	if l := s.listener(); l != nil {
		return l.refused.Load()
	}
	return 0
}

// listener is the counting listener, nil before Serve.
func (s *Server) listener() *limitListener {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ln
}

// rateLimit lets one log line through per second.
type rateLimit struct{ next atomic.Int64 }

func (r *rateLimit) allow() bool {
	now := time.Now().UnixNano()
	n := r.next.Load()
	return now >= n && r.next.CompareAndSwap(n, now+int64(time.Second))
}
