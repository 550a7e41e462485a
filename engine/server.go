package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/check"
	"github.com/wsgate/wsgate/internal/metrics"
	"github.com/wsgate/wsgate/internal/route"
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
	set    atomic.Pointer[settings] // normalized options: 0 means "none" for the limits and timers that can be off
	log    *slog.Logger
	reg    *route.Registry
	static atomic.Pointer[static.Responder]

	reloadMu  sync.Mutex  // serializes Start, Reconfigure, ReloadCertificates and the listener part of Stop
	lnMu      sync.Mutex  // guards listeners, which is replaced, never modified
	listeners []*listener // by index, without holes; reconfigure.go
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
	spareMu  sync.RWMutex // accepts hold it for reading, shed for writing (accept.go)
	spare    int          // a descriptor kept to answer clients when none is left (accept.go); -1: none
	authJobs chan *authJob
	authDone chan struct{}
	authWG   sync.WaitGroup
	stopOnce sync.Once
	stopErr  error

	// Bounds under abuse (admission.go, output.go).
	adm         admission      // connections in the HTTP phase per source address
	outMem      atomic.Int64   // queued output of all connections, a shared frame once; bound: opt().MaxOutputMemory
	inMem       wsproto.Budget // message buffers of all connections: max_input_memory
	authGuard   authGuard      // slow checks per source (authguard.go)
	authSuspect chan *authJob  // slow checks from sources that have failed
}

// listener is one bound address: the HTTP service (index 0) or a standalone server.
type listener struct {
	idx        int
	name       string
	address    string
	standalone bool
	ln         *fdListener     // the listening socket, non-blocking (accept.go); nil until bound
	tls        *tlsconn.Config // nil: plain TCP
	conns      atomic.Int64    // open WebSocket connections
	handshake  *metrics.Histogram
	tlsFiles   [2]string   // certificate and key files of tls
	gone       atomic.Bool // removed by Reconfigure: upgrades on it are refused
}

// New builds a server from its options: it checks the listeners and reads their TLS
// certificates and the static root, but binds nothing until Start. Register the
// applications before or after Start.
func New(opt Options) (*Server, error) {
	opt = opt.normalize()
	s := &Server{log: opt.Logger, spare: -1}
	// The bounds under abuse are taken at start; a reload keeps them.
	s.applyBudgets(opt)
	s.debug = s.log.Enabled(context.Background(), slog.LevelDebug)
	names, err := listenerNames(opt)
	if err != nil {
		return nil, err
	}
	for i, p := range append([]Listener{opt.HTTP}, opt.Standalone...) {
		l, err := newListener(i, p)
		if err != nil {
			return nil, err
		}
		s.listeners = append(s.listeners, l)
	}
	s.reg = route.NewRegistry(names, opt.MaxConnectionsPerApp)
	s.set.Store(s.newSettings(opt))
	if opt.StaticRoot != "" {
		st, err := static.New(opt.StaticRoot, nil)
		if err != nil {
			return nil, fmt.Errorf("engine: static root: %w", err)
		}
		s.static.Store(st)
	} else {
		s.refreshPage()
	}
	return s, nil
}

// listenerNames checks the listeners of opt and returns their names by index.
func listenerNames(opt Options) ([]string, error) {
	if len(opt.Standalone) > 63 {
		return nil, fmt.Errorf("engine: %d standalone servers; at most 63", len(opt.Standalone))
	}
	names := []string{HTTPService}
	for i, l := range opt.Standalone {
		switch {
		case !check.Name(l.Name):
			return nil, fmt.Errorf("engine: standalone[%d] name %q: %s", i, l.Name, check.NameRule)
		case slices.Contains(names, l.Name):
			return nil, fmt.Errorf("engine: standalone[%d]: duplicate name %q", i, l.Name)
		}
		names = append(names, l.Name)
	}
	return names, nil
}

// Register adds an application, from then on reachable at spec.Path on the servers of
// spec.Scope. It may be called before or after Start, from any goroutine. Errors wrap
// apps.ErrBadSpec (see Spec.Validate; also a scope naming an unknown server),
// apps.ErrDuplicateName or apps.ErrDuplicatePath. An application registered again under the
// name of one removed earlier keeps counting the connections that one still has.
func (s *Server) Register(spec apps.Spec, app apps.Application) error {
	if err := s.reg.Register(spec, app); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	s.refreshPage()
	return nil
}

// Unregister removes the application named name: new upgrades to its path are answered as
// for a missing application, and its open connections are closed with 1001 (going away).
func (s *Server) Unregister(name string) error {
	rt, err := s.reg.Unregister(name)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	s.refreshPage()
	n := s.closeRoute(rt, apps.CloseGoingAway, "application removed")
	s.log.Info("application removed", "app", name, "closed", n)
	return nil
}

// closeRoute starts the close handshake, with code, of every connection opened on rt, and
// returns how many it found. Safe from any goroutine.
func (s *Server) closeRoute(rt *route.Route, code apps.CloseCode, reason string) int {
	n := 0
	s.forEachConn(func(c *conn) {
		if c.onRoute(rt) { // rt or another route of its registration
			n++
			_ = c.Close(code, reason)
		}
	})
	return n
}

// Applications lists the registered applications in registration order, with their open
// connections (in total and per listener in their scope) and their traffic.
func (s *Server) Applications() []AppStatus {
	routes := s.reg.Table().Routes()
	ls := s.listenerList()
	out := make([]AppStatus, len(routes))
	for i, rt := range routes {
		c := rt.Counters()
		by := make(map[string]int64, len(ls))
		for _, l := range ls {
			if rt.InScope(l.idx) {
				by[l.name] = c.OnListener(l.idx)
			}
		}
		out[i] = AppStatus{Name: rt.Spec.Name, Path: rt.Spec.Path, Connections: rt.Connections(), Limit: rt.Limit(),
			ByListener: by, Traffic: trafficOf(c)}
	}
	return out
}

// AppStatus is one application as Server.Applications reports it.
type AppStatus struct {
	Name, Path  string
	Connections int64            // open connections
	Limit       int64            // effective connection limit, 0 for none
	ByListener  map[string]int64 // open connections per listener in its scope
	Traffic                      // since the first registration of its name
}

// refreshPage renders the default page again when there is no static root.
func (s *Server) refreshPage() {
	if s.opt().StaticRoot != "" {
		return
	}
	st, _ := static.New("", s.renderPage()) // without a root it cannot fail
	s.static.Store(st)
}

func (s *Server) closeStatic() {
	if st := s.static.Load(); st != nil {
		st.Close()
	}
}

// Stats returns the server's counters.
func (s *Server) Stats() *Stats { return &s.stats }

// Connections is the number of open WebSocket connections.
func (s *Server) Connections() int64 { return s.total.Load() }

// Addr returns the bound address of the listener named name ("http" for the HTTP service),
// or "" if there is none or the server has not started.
func (s *Server) Addr(name string) string {
	for _, l := range s.listenerList() {
		if l.name == name && l.ln != nil {
			return l.ln.Addr().String()
		}
	}
	return ""
}

// Start binds every listener, starts the event loops and begins accepting. It returns once
// the server is serving; an error names the listener that failed.
func (s *Server) Start() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if !s.started.CompareAndSwap(false, true) {
		return ErrStarted
	}
	s.now.Store(time.Now().UnixNano())
	for _, l := range s.listenerList() {
		if err := l.bind(); err != nil {
			s.closeListeners()
			return err
		}
	}
	reserveSpareProc(s.opt().EventLoops)
	cli, err := gnet.NewClient(&handler{s: s},
		gnet.WithNumEventLoop(s.opt().EventLoops),
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
	s.log.Info("event loops started", "event_loops", s.opt().EventLoops, "cpus", runtime.NumCPU(), "gomaxprocs", runtime.GOMAXPROCS(0))
	s.startAuthWorkers()
	s.spare = openSpare()
	for _, l := range s.listenerList() {
		s.log.Info("listening", "listener", l.name, "addr", l.ln.Addr().String(), "tls", l.tls != nil)
		s.startAccepting(l)
	}
	return nil
}

// listenerList returns the listeners in force; the slice must not be modified.
func (s *Server) listenerList() []*listener {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	return s.listeners
}

func (s *Server) closeListeners() {
	for _, l := range s.listenerList() {
		if l.ln != nil {
			l.ln.Close()
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
	s.reloadMu.Lock() // a reconfiguration in progress finishes with its listeners first
	s.stopping.Store(true)
	s.closeListeners()
	s.reloadMu.Unlock()
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
	s.authWG.Wait()
	s.closeStatic()
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
