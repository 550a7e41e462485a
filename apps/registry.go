package apps

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Spec declares an application: where it is reachable and on what terms.
type Spec struct {
	// Name identifies the application in logs, metrics and Unregister. Required, unique.
	Name string
	// Path is the application's alias: the exact request path it owns (query ignored).
	// Required, unique, starts with "/".
	Path string
	// Scope names the servers the application is reachable on ("http" for the HTTP service,
	// otherwise a standalone server's name). Empty means every server.
	Scope []string
	// Subprotocols the application speaks, and the one it assumes when the client offers none.
	Subprotocols       []string
	DefaultSubprotocol string
	// MaxConnections bounds the application's connections; 0 means no limit of its own. The
	// lower of this and the server's per-application limit applies.
	MaxConnections int
	// Compression offers permessage-deflate (RFC 7692) to this application's clients.
	Compression bool
	// Origins lists the allowed Origin values: exact ("https://app.example"), or with a
	// wildcard host ("*.example.com", "https://*.example.com"). Empty allows any origin.
	Origins []string
	// Auth authenticates the application's clients (SPEC.md row 12); nil lets anyone in.
	Auth Authenticator
	// PauseSlowConsumers (slow_consumer = "pause") keeps a client whose output backlog passes
	// max_pending_bytes open and stops reading it until the backlog drains, instead of
	// closing it with 1008 (the default, "close"). It suits applications that answer what a
	// client sends (echo, request/response): such a client is slowed down by TCP. A backlog
	// past twice the bound, which others' writes caused, still closes it.
	PauseSlowConsumers bool
}

// Authenticator decides who may connect to an application. The engine's configuration
// builds one from auth = "basic" | "token" (package internal/auth); an embedding program may
// supply its own.
type Authenticator interface {
	// NeedsSlowCheck reports whether Verify would be slow for this Authorization value (a
	// bcrypt comparison, say): the engine then calls Verify on a worker goroutine, off the
	// event loop.
	NeedsSlowCheck(authorization []byte) bool
	// Verify checks the Authorization header value and the raw Sec-WebSocket-Protocol values
	// (a token may come as a "bearer.<token>" entry). It returns the user name, or an error:
	// a *handshake.Error is answered as it is (401 with WWW-Authenticate, 403); any other
	// error is answered 401 without a challenge. It must not retain its arguments and must
	// be safe for concurrent use.
	Verify(authorization []byte, protocols [][]byte) (user string, err error)
}

// Errors of the registry; they report programmer mistakes at registration time.
var (
	ErrDuplicateName = errors.New("apps: duplicate application name")
	ErrDuplicatePath = errors.New("apps: duplicate application path")
	ErrBadSpec       = errors.New("apps: invalid application spec")
	ErrUnknownApp    = errors.New("apps: unknown application")
)

// Route is one registered application as the engine sees it. A Route is immutable once
// published, except for its connection count; connections keep their Route after the
// application is unregistered.
type Route struct {
	Spec Spec
	App  Application

	scope   uint64 // bit i set: reachable on listener i
	limit   int64  // effective per-application limit, 0 = none
	conns   *atomic.Int64
	origins originSet
}

// InScope reports whether the route is reachable on the listener with index listener.
func (r *Route) InScope(listener int) bool { return r.scope&(1<<uint(listener)) != 0 }

// Acquire reserves one connection slot of the application, failing when it is full. It never
// lets the count pass the limit, however many loops race for the last slot.
func (r *Route) Acquire() bool {
	for {
		n := r.conns.Load()
		if r.limit > 0 && n >= r.limit {
			return false
		}
		if r.conns.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Release gives back a slot taken by Acquire.
func (r *Route) Release() { r.conns.Add(-1) }

// Connections is the number of open connections of the application.
func (r *Route) Connections() int64 { return r.conns.Load() }

// Limit is the effective per-application connection limit, 0 for none.
func (r *Route) Limit() int64 { return r.limit }

// OriginAllowed reports whether a request with this Origin header may connect.
func (r *Route) OriginAllowed(origin []byte) bool { return r.origins.allows(origin) }

// PickSubprotocol chooses what to answer among the offered subprotocols: the application's
// default when the client offered it, else the first offered one the application supports,
// else "" (RFC 6455 §4.2.2: the server selects one or none).
func (r *Route) PickSubprotocol(offered [][]byte) string {
	if len(offered) == 0 || len(r.Spec.Subprotocols) == 0 {
		return ""
	}
	if d := r.Spec.DefaultSubprotocol; d != "" {
		for _, o := range offered {
			if string(o) == d {
				return d
			}
		}
	}
	for _, o := range offered {
		for _, s := range r.Spec.Subprotocols {
			if string(o) == s {
				return s
			}
		}
	}
	return ""
}

// Table is an immutable route table: a trie over path segments, built once and shared by
// every event loop without locks.
type Table struct {
	root   trieNode
	routes []*Route
}

// Lookup returns the route owning path on the listener with index listener, or nil. A route
// outside the listener's scope is reported exactly like a missing one. It does not allocate.
func (t *Table) Lookup(path []byte, listener int) *Route {
	if t == nil {
		return nil
	}
	r := t.root.lookup(path)
	if r == nil || !r.InScope(listener) {
		return nil
	}
	return r
}

// Routes returns the routes in registration order. The slice must not be modified.
func (t *Table) Routes() []*Route {
	if t == nil {
		return nil
	}
	return t.routes
}

// Registry holds the registered applications and publishes their route table. Register and
// Unregister may be called at any time from any goroutine; Table is lock-free.
type Registry struct {
	listeners   []string
	perAppLimit int

	mu      sync.Mutex
	entries []*Route                 // registration order
	counts  map[string]*atomic.Int64 // by name: survives re-registration
	table   atomic.Pointer[Table]
}

// NewRegistry returns an empty registry for the given listener names (index i of the slice
// is listener index i; at most 64). perAppLimit is the server's per-application limit
// (0 = none).
func NewRegistry(listeners []string, perAppLimit int) *Registry {
	if len(listeners) > 64 {
		panic("apps: more than 64 listeners")
	}
	r := &Registry{listeners: slices.Clone(listeners), perAppLimit: perAppLimit, counts: map[string]*atomic.Int64{}}
	r.table.Store(&Table{})
	return r
}

// Table returns the current route table.
func (r *Registry) Table() *Table { return r.table.Load() }

// Register adds an application. Duplicate names or paths and invalid specs are errors.
func (r *Registry) Register(spec Spec, app Application) error {
	if app == nil {
		return fmt.Errorf("%w: %q: nil application", ErrBadSpec, spec.Name)
	}
	rt, err := r.newRoute(spec, app)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.entries {
		if e.Spec.Name == spec.Name {
			return fmt.Errorf("%w: %q", ErrDuplicateName, spec.Name)
		}
		if e.Spec.Path == spec.Path {
			return fmt.Errorf("%w: %q (owned by %q)", ErrDuplicatePath, spec.Path, e.Spec.Name)
		}
	}
	c := r.counts[spec.Name]
	if c == nil {
		c = new(atomic.Int64)
		r.counts[spec.Name] = c
	}
	rt.conns = c
	r.entries = append(r.entries, rt)
	r.publish()
	return nil
}

// Unregister removes the application named name. Its open connections stay open.
func (r *Registry) Unregister(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.IndexFunc(r.entries, func(e *Route) bool { return e.Spec.Name == name })
	if i < 0 {
		return fmt.Errorf("%w: %q", ErrUnknownApp, name)
	}
	r.entries = slices.Delete(r.entries, i, i+1)
	r.publish()
	return nil
}

// publish builds a new table from the entries and swaps it in; r.mu is held.
func (r *Registry) publish() {
	t := &Table{routes: slices.Clone(r.entries)}
	for _, e := range t.routes {
		t.root.insert(e.Spec.Path, e)
	}
	r.table.Store(t)
}

func (r *Registry) newRoute(spec Spec, app Application) (*Route, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %q: %s", ErrBadSpec, spec.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case spec.Name == "":
		return nil, fmt.Errorf("%w: empty name", ErrBadSpec)
	case !strings.HasPrefix(spec.Path, "/") || strings.ContainsAny(spec.Path, "?#"):
		return nil, bad("path %q must start with / and have no query", spec.Path)
	case spec.MaxConnections < 0:
		return nil, bad("negative max connections")
	case spec.DefaultSubprotocol != "" && !slices.Contains(spec.Subprotocols, spec.DefaultSubprotocol):
		return nil, bad("default subprotocol %q is not in its subprotocols", spec.DefaultSubprotocol)
	}
	rt := &Route{Spec: spec, App: app}
	rt.Spec.Scope = slices.Clone(spec.Scope)
	rt.Spec.Subprotocols = slices.Clone(spec.Subprotocols)
	rt.Spec.Origins = slices.Clone(spec.Origins)
	if len(spec.Scope) == 0 {
		rt.scope = 1<<uint(len(r.listeners)) - 1
	}
	for _, s := range spec.Scope {
		i := slices.Index(r.listeners, s)
		if i < 0 {
			return nil, bad("unknown server %q in scope", s)
		}
		rt.scope |= 1 << uint(i)
	}
	rt.limit = int64(lowerLimit(spec.MaxConnections, r.perAppLimit))
	o, err := parseOrigins(spec.Origins)
	if err != nil {
		return nil, bad("%v", err)
	}
	rt.origins = o
	return rt, nil
}

// lowerLimit returns the lower of two limits where 0 means none.
func lowerLimit(a, b int) int {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}
