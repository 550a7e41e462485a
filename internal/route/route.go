package route

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/check"
)

// Route is one registered application as the engine sees it. A Route is immutable once
// published, except for its connection count; connections keep their Route after the
// application is unregistered.
type Route struct {
	Spec apps.Spec
	App  apps.Application

	scope   uint64 // bit i set: reachable on listener i
	limit   int64  // effective per-application limit, 0 = none
	conns   *atomic.Int64
	origins check.Origins
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
func (r *Route) OriginAllowed(origin []byte) bool { return r.origins.Allows(origin) }

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
	counts  map[string]*atomic.Int64 // by name: survives re-registration and table swaps
	table   atomic.Pointer[Table]
}

// NewRegistry returns an empty registry for the given listener names (index i of the slice
// is listener index i; at most 64). perAppLimit is the server's per-application limit
// (0 = none).
func NewRegistry(listeners []string, perAppLimit int) *Registry {
	if len(listeners) > 64 {
		panic("route: more than 64 listeners")
	}
	r := &Registry{listeners: slices.Clone(listeners), perAppLimit: perAppLimit, counts: map[string]*atomic.Int64{}}
	r.table.Store(&Table{})
	return r
}

// Table returns the current route table.
func (r *Registry) Table() *Table { return r.table.Load() }

// Register adds an application. Duplicate names or paths and invalid specs are errors.
func (r *Registry) Register(spec apps.Spec, app apps.Application) error {
	if app == nil {
		return fmt.Errorf("%w: %q: nil application", apps.ErrBadSpec, spec.Name)
	}
	rt, err := r.newRoute(spec, app)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.entries {
		if e.Spec.Name == spec.Name {
			return fmt.Errorf("%w: %q", apps.ErrDuplicateName, spec.Name)
		}
		if e.Spec.Path == spec.Path {
			return fmt.Errorf("%w: %q (owned by %q)", apps.ErrDuplicatePath, spec.Path, e.Spec.Name)
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

// Unregister removes the application named name from the table and returns its route, whose
// connections the caller closes.
func (r *Registry) Unregister(name string) (*Route, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.IndexFunc(r.entries, func(e *Route) bool { return e.Spec.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("%w: %q", apps.ErrUnknownApp, name)
	}
	rt := r.entries[i]
	r.entries = slices.Delete(r.entries, i, i+1)
	r.publish()
	return rt, nil
}

// Entry is one application of a whole set given to Replace.
type Entry struct {
	Spec apps.Spec
	App  apps.Application
}

// Replace swaps the whole application set for entries in one table store, for a live
// reload: a lookup sees either the old set or the new one. An application whose name stays
// keeps its connection counter, so its open connections keep counting against its limit.
// It returns the routes whose names are no longer in the set, whose connections the caller
// closes; a connection on a route whose name stays keeps its old Route (its spec and
// application as they were at its upgrade), and the caller compares old and new specs to
// decide about those. On an error nothing changes.
func (r *Registry) Replace(entries []Entry) (gone []*Route, err error) {
	routes := make([]*Route, len(entries))
	names, paths := map[string]bool{}, map[string]string{}
	for i, e := range entries {
		if e.App == nil {
			return nil, fmt.Errorf("%w: %q: nil application", apps.ErrBadSpec, e.Spec.Name)
		}
		if routes[i], err = r.newRoute(e.Spec, e.App); err != nil {
			return nil, err
		}
		if names[e.Spec.Name] {
			return nil, fmt.Errorf("%w: %q", apps.ErrDuplicateName, e.Spec.Name)
		}
		if owner, ok := paths[e.Spec.Path]; ok {
			return nil, fmt.Errorf("%w: %q (owned by %q)", apps.ErrDuplicatePath, e.Spec.Path, owner)
		}
		names[e.Spec.Name], paths[e.Spec.Path] = true, e.Spec.Name
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rt := range routes {
		c := r.counts[rt.Spec.Name]
		if c == nil {
			c = new(atomic.Int64)
			r.counts[rt.Spec.Name] = c
		}
		rt.conns = c
	}
	for _, old := range r.entries {
		if !names[old.Spec.Name] {
			gone = append(gone, old)
		}
	}
	r.entries = routes
	r.publish()
	return gone, nil
}

// publish builds a new table from the entries and swaps it in; r.mu is held.
func (r *Registry) publish() {
	t := &Table{routes: slices.Clone(r.entries)}
	for _, e := range t.routes {
		t.root.insert(e.Spec.Path, e)
	}
	r.table.Store(t)
}

func (r *Registry) newRoute(spec apps.Spec, app apps.Application) (*Route, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
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
			return nil, fmt.Errorf("%w: %q: unknown server %q in scope (have %v)", apps.ErrBadSpec, spec.Name, s, r.listeners)
		}
		rt.scope |= 1 << uint(i)
	}
	rt.limit = int64(lowerLimit(spec.MaxConnections, r.perAppLimit))
	rt.origins, _ = check.ParseOrigins(spec.Origins) // Validate parsed them
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
