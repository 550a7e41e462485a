package engine

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/route"
	"github.com/wsgate/wsgate/internal/static"
	"github.com/wsgate/wsgate/internal/tlsconn"
)

// staticGrace is how long a replaced static root stays open for the requests using it.
const staticGrace = time.Second

// ErrStopping is returned by Reconfigure once Stop has begun.
var ErrStopping = errors.New("engine: server stopping")

// AppEntry is one application of the set Reconfigure installs.
type AppEntry struct {
	Spec apps.Spec
	App  apps.Application
}

// Changes is what a Reconfigure did. Names are application and listener names; Settings
// lists the Options fields whose value changed.
type Changes struct {
	AppsAdded, AppsRemoved []string
	// AppsReplaced ended an application whose path or Application value changed: its
	// clients got 1001 and the new one serves new connections.
	AppsReplaced []string
	// AppsUpdated kept their clients; their new spec applies to new connections.
	AppsUpdated []string
	// ListenersMoved are standalone servers bound to a new address: the old socket stopped
	// accepting, its clients stay.
	ListenersAdded, ListenersRemoved, ListenersMoved []string
	Settings                                         []string
	// Certificates lists the secure listeners whose certificate pair was read again (from
	// new files if they changed).
	Certificates []string
	// NeedRestart lists what was asked for and not applied, each saying what: the HTTP
	// service's address, a listener's TLS turned on or off, the number of event loops.
	NeedRestart []string
	// Closed counts the connections closed: clients sent 1001, and connections of removed
	// listeners still in the HTTP phase.
	Closed int
}

// Reconfigure applies new options and a whole new application set to the server, running
// or not yet started, without a restart. It checks and prepares everything first —
// application specs and scopes, certificate pairs, the static root, binding new listeners
// — and on an error changes nothing. Then, in this order: the route table and the
// settings swap (each one atomic store), listeners added start accepting, listeners
// removed stop accepting, and clients of removed listeners and of ended applications get
// close 1001 (connections of a removed listener still in the HTTP phase are closed). It logs
// nothing at info level: the caller logs the Changes (gateway.Summary does, in one line).
//
// Applications follow the rules of internal/route (Plan): an entry with the name, path and
// Application value (the same instance) of a registered one keeps its clients and applies
// its new spec to new connections, except that clients that came through a server its
// scope no longer has get 1001; a new path or Application ends the old registration. Settings read at every event (ping interval, timeouts, output bound,
// connection limits, header limits) apply at once, to existing connections too; the
// message size limit applies to connections upgraded from then on.
//
// Not applied, and reported in Changes.NeedRestart: a new HTTP service address, TLS turned
// on or off on a listener (that listener stays as it was, wholly), a different EventLoops.
// The Logger is the one given to New. A standalone server's new address is bound before
// its old socket closes, so an address moving from one listener to another in one call
// fails to bind: do it in two steps.
func (s *Server) Reconfigure(opt Options, entries []AppEntry) (*Changes, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if s.stopping.Load() {
		return nil, ErrStopping
	}
	cur := s.opt()
	ch := &Changes{}
	o := opt.normalize()
	if opt.EventLoops > 0 && opt.EventLoops != cur.EventLoops {
		ch.NeedRestart = append(ch.NeedRestart, fmt.Sprintf("event loops %d (running %d)", opt.EventLoops, cur.EventLoops))
	}
	o.EventLoops, o.Logger = cur.EventLoops, cur.Logger
	if _, err := listenerNames(o); err != nil {
		return nil, err
	}
	lp, err := s.planListeners(&o, ch)
	if err != nil {
		return nil, err
	}
	routeEntries := make([]route.Entry, len(entries))
	for i, e := range entries {
		routeEntries[i] = route.Entry{Spec: e.Spec, App: e.App}
	}
	plan, err := s.reg.Plan(lp.names(), o.MaxConnectionsPerApp, routeEntries)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	var st *static.Responder
	if o.StaticRoot != cur.StaticRoot && o.StaticRoot != "" {
		if st, err = static.New(o.StaticRoot, nil); err != nil {
			return nil, fmt.Errorf("engine: static root: %w", err)
		}
	}
	fail := func(err error) (*Changes, error) {
		lp.abort()
		if st != nil {
			st.Close()
		}
		return nil, err
	}
	if err := lp.prepare(s.started.Load()); err != nil {
		return fail(err)
	}
	if err := s.reg.Commit(plan); err != nil {
		return fail(fmt.Errorf("engine: %w", err))
	}

	// Committed: from here on nothing fails.
	s.set.Store(s.newSettings(o))
	s.applyBudgets(o)
	ch.Settings = changedSettings(cur.Options, o)
	for _, a := range lp.adopt {
		a.l.tls.Adopt(a.cfg) // shared with the listener's new struct if it moved
		a.l.tlsFiles = a.files
		ch.Certificates = append(ch.Certificates, a.l.name)
	}
	s.lnMu.Lock()
	s.listeners = lp.next
	s.lnMu.Unlock()
	for _, l := range lp.removed {
		l.gone.Store(true)
	}
	if o.StaticRoot != cur.StaticRoot {
		prev := s.static.Load()
		if st != nil {
			s.static.Store(st)
		} else {
			s.refreshPage() // no root any more: the default page
		}
		if prev != nil {
			// A loop may be answering from it right now (Respond must not run after Close):
			// release the old root once those requests are surely done.
			time.AfterFunc(staticGrace, func() { prev.Close() })
		}
	}
	s.refreshPage()
	if s.started.Load() {
		for _, l := range lp.bound {
			s.log.Debug("listening", "listener", l.name, "addr", l.ln.Addr().String(), "tls", l.tls != nil)
			s.startAccepting(l)
		}
		for _, l := range lp.retire {
			if l.ln != nil {
				l.ln.Close() // what the loops accepted from it is on them (accepts are opened where they happen)
			}
		}
	}
	ch.Closed = s.closeEnded()
	ch.AppsAdded, ch.AppsRemoved, ch.AppsReplaced, ch.AppsUpdated = plan.Added, plan.Removed, plan.Replaced, plan.Updated
	return ch, nil
}

// closeEnded closes the connections of removed listeners, of ended applications, and of
// applications whose scope no longer has the server they came through, and returns how
// many.
func (s *Server) closeEnded() int {
	n := 0
	tab := s.reg.Table()
	s.forEachConn(func(c *conn) {
		c.mu.Lock()
		upgraded, closing := c.upgraded, c.hasLocked(mClosing)
		var reason string
		switch {
		case c.l.gone.Load():
			reason = "server removed"
		case upgraded && c.route.Ended():
			reason = "application removed"
		case upgraded:
			if cur := tab.Current(c.route); cur != nil && !cur.InScope(c.l.idx) {
				reason = "application no longer on this server"
			}
		}
		if reason != "" && upgraded && !closing {
			c.closeFrameLocked(apps.CloseGoingAway, reason)
		}
		c.mu.Unlock()
		if reason == "" {
			return
		}
		n++
		if !upgraded {
			c.gc.Close() // in the HTTP phase: nothing to say
		}
	})
	return n
}

// listenerPlan is the listener part of a reconfiguration.
type listenerPlan struct {
	next    []*listener // the new list, by index
	bound   []*listener // new listener structs to bind (added, moved); closed on abort
	retire  []*listener // old listeners whose sockets close (removed, moved)
	removed []*listener // old listeners that are gone: their clients get 1001
	adopt   []adoption
}

// adoption is a certificate pair read for a listener that stays.
type adoption struct {
	l     *listener
	cfg   *tlsconn.Config
	files [2]string
}

// planListeners compares the listeners of o with those in force and builds the plan; it
// rewrites in o what is not applied (reported in ch.NeedRestart) so that the settings say
// what runs, and fills the listener names of ch. It reads certificate pairs, binds nothing.
func (s *Server) planListeners(o *Options, ch *Changes) (*listenerPlan, error) {
	old := s.listenerList()
	byName := map[string]*listener{}
	used := map[int]bool{}
	for _, l := range old {
		byName[l.name] = l
		used[l.idx] = true
	}
	lp := &listenerPlan{}
	wanted := map[string]bool{}
	want := append([]*Listener{&o.HTTP}, ptrs(o.Standalone)...)
	for _, p := range want {
		name := p.Name
		if p == &o.HTTP {
			name = HTTPService
		}
		wanted[name] = true
		l := byName[name]
		if l == nil {
			idx := freeIndex(used)
			if idx < 0 {
				lp.abort()
				return nil, fmt.Errorf("engine: listener %q: no listener index left (at most 64)", name)
			}
			used[idx] = true
			nl, err := newListener(idx, *p)
			if err != nil {
				lp.abort()
				return nil, err
			}
			lp.next = append(lp.next, nl)
			lp.bound = append(lp.bound, nl)
			ch.ListenersAdded = append(ch.ListenersAdded, name)
			continue
		}
		tlsOn := p.TLSCert != "" || p.TLSKey != ""
		if tlsOn != (l.tls != nil) {
			ch.NeedRestart = append(ch.NeedRestart, fmt.Sprintf("listener %q: TLS on or off", name))
			p.Address, p.TLSCert, p.TLSKey = l.address, l.tlsFiles[0], l.tlsFiles[1]
			lp.next = append(lp.next, l)
			continue
		}
		files := l.tlsFiles
		if l.tls != nil {
			if p.TLSCert == "" || p.TLSKey == "" {
				return nil, fmt.Errorf("engine: listener %q: TLSCert and TLSKey go together", name)
			}
			files = [2]string{p.TLSCert, p.TLSKey}
			cfg, err := tlsconn.NewConfig(p.TLSCert, p.TLSKey)
			if err != nil {
				lp.abort()
				return nil, fmt.Errorf("engine: listener %q: %w", name, err)
			}
			lp.adopt = append(lp.adopt, adoption{l: l, cfg: cfg, files: files})
		}
		switch {
		case p.Address == l.address:
			lp.next = append(lp.next, l)
		case !l.standalone:
			ch.NeedRestart = append(ch.NeedRestart, fmt.Sprintf("listener %q: address %s (running %s)", name, p.Address, l.address))
			p.Address = l.address
			lp.next = append(lp.next, l)
		default: // a standalone server moves: a new socket, the same index and TLS config
			// The handshake histogram carries on with the server's name.
			nl := &listener{idx: l.idx, name: l.name, address: p.Address, standalone: true, tls: l.tls, tlsFiles: files,
				handshake: l.handshake}
			lp.next = append(lp.next, nl)
			lp.bound = append(lp.bound, nl)
			lp.retire = append(lp.retire, l)
			ch.ListenersMoved = append(ch.ListenersMoved, name)
		}
	}
	for _, l := range old {
		if !wanted[l.name] {
			lp.retire = append(lp.retire, l)
			lp.removed = append(lp.removed, l)
			ch.ListenersRemoved = append(ch.ListenersRemoved, l.name)
		}
	}
	slices.SortFunc(lp.next, func(a, b *listener) int { return a.idx - b.idx })
	return lp, nil
}

// prepare binds the new sockets when the server runs; on an error it closes those bound.
func (lp *listenerPlan) prepare(started bool) error {
	if !started {
		return nil
	}
	for _, l := range lp.bound {
		if err := l.bind(); err != nil {
			lp.abort()
			return err
		}
	}
	return nil
}

// abort closes the sockets prepare bound.
func (lp *listenerPlan) abort() {
	for _, l := range lp.bound {
		if l.ln != nil {
			l.ln.Close()
			l.ln = nil
		}
	}
}

// names returns the listener names by index, "" for an unused index.
func (lp *listenerPlan) names() []string {
	n := 0
	for _, l := range lp.next {
		n = max(n, l.idx+1)
	}
	names := make([]string, n)
	for _, l := range lp.next {
		names[l.idx] = l.name
	}
	return names
}

// freeIndex returns the lowest listener index not in used (a removed listener's index is
// not used again in the same reconfiguration), or -1.
func freeIndex(used map[int]bool) int {
	for i := range 64 {
		if !used[i] {
			return i
		}
	}
	return -1
}

func ptrs(list []Listener) []*Listener {
	out := make([]*Listener, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out
}

// changedSettings lists the Options fields other than the listeners, the loop count and
// the logger whose values differ.
func changedSettings(a, b Options) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for i := range va.NumField() {
		switch f := va.Type().Field(i); f.Name {
		case "HTTP", "Standalone", "EventLoops", "Logger":
		default:
			if va.Field(i).Interface() != vb.Field(i).Interface() {
				out = append(out, f.Name)
			}
		}
	}
	return out
}
