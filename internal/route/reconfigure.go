package route

import (
	"fmt"
	"reflect"
	"slices"
	"sync/atomic"

	"github.com/wsgate/wsgate/apps"
)

// A live reconfiguration replaces the whole application set (Plan, then Commit). An
// application's registration lives on across it — its open connections stay, on the Route
// they were opened on — when the new set has an entry of the same name with the same path
// and the same Application value (the same instance for pointer types). Every other
// difference (scope, origins, subprotocols, limits, compression, authenticator) applies to
// the connections opened from then on; for a narrowed scope the caller closes the
// connections that came through a server no longer in it (Table.Current finds the route in
// force). An entry equal in every respect keeps its very Route, so nothing about it
// changes, not even its pointer. Anything else ends the registration: a name that is gone,
// or one whose path or Application changed; its routes are reported in Plan.Gone and its
// connections are the caller's to close (with 1001).

// lineage is what the routes of one registration share: a connection opened on any of
// them belongs to it, and it ends once.
type lineage struct{ ended atomic.Bool }

// SameApp reports whether r and o belong to one registration: a connection opened on o is
// one of r's application's connections.
func (r *Route) SameApp(o *Route) bool { return r != nil && o != nil && r.line == o.line }

// Ended reports whether the route's registration has ended (unregistered, removed or
// replaced by a reconfiguration): a connection still being upgraded on it is refused.
func (r *Route) Ended() bool { return r.line.ended.Load() }

// Plan is a new application set checked against the registry, ready to Commit.
type Plan struct {
	listeners []string
	perApp    int
	routes    []*Route
	base      []*Route // the entries the plan was made from; Commit refuses others

	// Gone are the routes whose registrations end: removed, or replaced.
	Gone []*Route
	// Names by what happens to them, in the order of the new set (Removed: of the old one).
	Added, Removed, Replaced, Updated, Kept []string
}

// Plan checks a new application set for the given listener names (index = listener index,
// "" = unused; at most 64) and per-application limit, and decides for every application
// whether it is kept, updated, replaced, added or removed. It changes nothing; errors wrap
// apps.ErrBadSpec, apps.ErrDuplicateName or apps.ErrDuplicatePath.
func (r *Registry) Plan(listeners []string, perAppLimit int, entries []Entry) (*Plan, error) {
	if len(listeners) > 64 {
		return nil, fmt.Errorf("%w: more than 64 listeners", apps.ErrBadSpec)
	}
	p := &Plan{listeners: slices.Clone(listeners), perApp: perAppLimit, routes: make([]*Route, len(entries))}
	names, paths := map[string]bool{}, map[string]string{}
	for i, e := range entries {
		if e.App == nil {
			return nil, fmt.Errorf("%w: %q: nil application", apps.ErrBadSpec, e.Spec.Name)
		}
		rt, err := newRoute(p.listeners, perAppLimit, e.Spec, e.App)
		if err != nil {
			return nil, err
		}
		if names[e.Spec.Name] {
			return nil, fmt.Errorf("%w: %q", apps.ErrDuplicateName, e.Spec.Name)
		}
		if owner, ok := paths[e.Spec.Path]; ok {
			return nil, fmt.Errorf("%w: %q (owned by %q)", apps.ErrDuplicatePath, e.Spec.Path, owner)
		}
		names[e.Spec.Name], paths[e.Spec.Path] = true, e.Spec.Name
		p.routes[i] = rt
	}
	r.mu.Lock()
	p.base = r.entries
	r.mu.Unlock()
	old := map[string]*Route{}
	for _, o := range p.base {
		old[o.Spec.Name] = o
		if !names[o.Spec.Name] {
			p.Gone = append(p.Gone, o)
			p.Removed = append(p.Removed, o.Spec.Name)
		}
	}
	for i, rt := range p.routes {
		o := old[rt.Spec.Name]
		switch {
		case o == nil:
			p.Added = append(p.Added, rt.Spec.Name)
		case !continues(o, rt):
			p.Gone = append(p.Gone, o)
			p.Replaced = append(p.Replaced, rt.Spec.Name)
		case identical(o, rt):
			p.routes[i] = o
			p.Kept = append(p.Kept, rt.Spec.Name)
		default:
			rt.line = o.line
			p.Updated = append(p.Updated, rt.Spec.Name)
		}
	}
	return p, nil
}

// Commit publishes a plan: one table store, then the registrations in p.Gone end. It fails,
// changing nothing, when the registry changed since the plan was made (a Register or
// Unregister in between).
func (r *Registry) Commit(p *Plan) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Equal(r.entries, p.base) {
		return fmt.Errorf("route: the applications changed while a reconfiguration was prepared")
	}
	for _, rt := range p.routes {
		if rt.c == nil {
			rt.c = r.countersLocked(rt.Spec.Name)
		}
		if rt.line == nil {
			rt.line = new(lineage)
		}
	}
	r.listeners, r.perAppLimit = p.listeners, p.perApp
	r.entries = slices.Clone(p.routes)
	r.publish()
	for _, g := range p.Gone {
		g.line.ended.Store(true)
	}
	return nil
}

// continues reports whether n carries on o's registration: same path and application.
func continues(o, n *Route) bool {
	return o.Spec.Path == n.Spec.Path && same(o.App, n.App)
}

// Current returns the route in force of rt's registration, or nil if it has ended.
func (t *Table) Current(rt *Route) *Route {
	if t == nil || rt == nil {
		return nil
	}
	if c := t.root.lookup([]byte(rt.Spec.Path)); c.SameApp(rt) {
		return c
	}
	return nil
}

// identical reports whether n is o in every respect, so that o itself can stay. Every
// field of the spec counts, those added later too.
func identical(o, n *Route) bool {
	a, b := o.Spec, n.Spec
	if !same(a.Auth, b.Auth) || !same(o.App, n.App) || o.scope != n.scope || o.limit != n.limit {
		return false
	}
	a.Auth, b.Auth = nil, nil
	return reflect.DeepEqual(a, b)
}

// same compares two interface values without panicking on an uncomparable dynamic type
// (apps.Funcs holds functions): those count as different.
func same[T any](a, b T) (eq bool) {
	defer func() {
		if recover() != nil {
			eq = false
		}
	}()
	return any(a) == any(b)
}

// names lists the listener names in use, for errors.
func names(listeners []string) []string {
	return slices.DeleteFunc(slices.Clone(listeners), func(s string) bool { return s == "" })
}
