package gateway

import (
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
)

// Reconfigurer is an application instance that can take new settings of its [[app]] table in
// place. Reload calls it, after the new configuration is in force, for an application whose
// table changed while its name, kind and path did not. It applies what concerns it
// (its kind's own options) to new connections and, where it can, to connected ones; nil keeps
// the instance and its clients. An error means it cannot: Reload replaces it with a new
// instance of its kind and its clients get close 1001.
//
// An instance that does not implement Reconfigurer keeps its clients through changes of the
// settings the gateway applies itself (scope, origins, subprotocols, default_subprotocol,
// max_connections, compression, auth, credentials, users, slow_consumer) and is replaced on any other
// change of its table (its kind's own options). A narrowed scope closes, with 1001, the
// clients that came through a server no longer in it.
type Reconfigurer interface {
	Reconfigure(a config.App) error
}

// instance is one configured application as it runs.
type instance struct {
	cfg     config.App // its table as applied
	app     apps.Application
	auth    apps.Authenticator
	authSum [sha256.Size]byte // of the credentials file's content when auth was built
	aclSum  [sha256.Size]byte // of the ACL file's content when the instance was built
}

// Config returns the configuration in force (the one given to Build or to the last Reload
// that succeeded, with what needs a restart as it runs). It must not be modified.
func (g *Gateway) Config() *config.Config {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cfg
}

func check(cfg *config.Config, kinds Kinds) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	return cfg.CheckKinds(kinds.Names())
}

func (g *Gateway) options(cfg *config.Config) engine.Options {
	opt := Options(cfg)
	if g.tune != nil {
		g.tune(&opt)
	}
	return opt
}

// spec is the application's spec with its authenticator (and, for pubsub, its envelope
// subprotocol).
func (in *instance) spec() apps.Spec {
	s := Spec(&in.cfg)
	s.Auth = in.auth
	if ps, ok := in.app.(*pubsub.App); ok {
		s = ps.Spec(s)
	}
	return s
}

// build makes a new instance of the application's kind and hands it to the built hook.
func (g *Gateway) build(i int, in *instance) error {
	app, err := g.kinds[in.cfg.Kind](&in.cfg)
	if err != nil {
		return fmt.Errorf("gateway: app[%d] %q: %w", i, in.cfg.Name, err)
	}
	if g.built != nil {
		g.built(in.cfg.Name, app)
	}
	in.app = app
	return nil
}

// instance prepares the running form of the application at index i of the file: its
// authenticator, taken from old when the auth method, users and credentials file (name and
// content) are the same. The caller sets in.app.
func (g *Gateway) instance(i int, a *config.App, old *instance) (*instance, error) {
	in := &instance{cfg: *a}
	if a.Auth != "" && a.Auth != "none" {
		data, err := os.ReadFile(a.Credentials)
		if err != nil {
			return nil, &config.FieldError{Field: fmt.Sprintf("app[%d].credentials", i), Msg: err.Error(), Err: config.ErrInvalid}
		}
		in.authSum = sha256.Sum256(data)
		clear(data)
	}
	if a.ACL != "" {
		data, err := os.ReadFile(a.ACL)
		if err != nil {
			return nil, &config.FieldError{Field: fmt.Sprintf("app[%d].acl", i), Msg: err.Error(), Err: config.ErrInvalid}
		}
		in.aclSum = sha256.Sum256(data)
	}
	if old != nil && old.authSum == in.authSum && sameAuth(&old.cfg, a) {
		in.auth = old.auth
	} else {
		v, err := Authenticator(a, g.log)
		if err != nil {
			return nil, &config.FieldError{Field: fmt.Sprintf("app[%d].credentials", i), Msg: err.Error(), Err: config.ErrInvalid}
		}
		if v != nil { // a nil *auth.Authenticator must not become a non-nil interface
			in.auth = v
		}
	}
	return in, nil
}

func sameAuth(a, b *config.App) bool {
	return a.Auth == b.Auth && a.Credentials == b.Credentials && slices.Equal(a.Users, b.Users)
}

// Summary is what a Reload changed, as its log line says it.
type Summary struct {
	AppsAdded, AppsRemoved []string
	// AppsReplaced: "name(fields)" of applications whose clients got 1001 (kind or path
	// changed, or an instance that could not take the change).
	AppsReplaced []string
	// AppsChanged: "name(fields)" of applications that kept their clients.
	AppsChanged                                      []string
	ListenersAdded, ListenersRemoved, ListenersMoved []string
	// SettingsChanged: keys of [websocket] and http.root that changed.
	SettingsChanged []string
	// Certificates: the secure listeners whose certificate pair was read again.
	Certificates []string
	// NeedRestart: changes in the file that were not applied.
	NeedRestart []string
	// Closed: connections closed (clients sent 1001).
	Closed int
}

// Changed reports whether the reload changed anything besides reading the certificates
// again.
func (s *Summary) Changed() bool {
	return len(s.AppsAdded)+len(s.AppsRemoved)+len(s.AppsReplaced)+len(s.AppsChanged)+len(s.ListenersAdded)+
		len(s.ListenersRemoved)+len(s.ListenersMoved)+len(s.SettingsChanged)+len(s.NeedRestart) > 0
}

// Log writes the reload's one log line: at warn when something needs a restart.
func (s *Summary) Log(log *slog.Logger) {
	list := func(l []string) string { return "[" + strings.Join(l, " ") + "]" }
	certs := "none"
	if len(s.Certificates) > 0 {
		certs = "reloaded"
	}
	if !s.Changed() {
		log.Info("reloaded config: nothing changed", "certificates", certs)
		return
	}
	args := []any{
		"apps_added", list(s.AppsAdded), "apps_removed", list(s.AppsRemoved),
		"apps_replaced", list(s.AppsReplaced), "apps_changed", list(s.AppsChanged),
		"listeners_added", list(s.ListenersAdded), "listeners_removed", list(s.ListenersRemoved),
		"listeners_moved", list(s.ListenersMoved), "settings_changed", list(s.SettingsChanged),
		"certificates", certs, "closed", s.Closed,
	}
	if len(s.NeedRestart) > 0 {
		log.Warn("reloaded config; some changes need a restart and were not applied",
			append(args, "needs_restart", list(s.NeedRestart))...)
		return
	}
	log.Info("reloaded config", args...)
}

// Reload applies a whole new configuration to the running gateway (SIGHUP): applications
// added, removed or changed, [websocket] settings, the static root, standalone servers
// opened, moved or closed, certificates read again (docs/reload.md has the rules). An
// invalid configuration, an unreadable credentials or certificate file, or a listener that
// cannot bind changes nothing, and the error names the field or the listener. What needs
// a restart (http.listen, TLS on or off, log, metrics, cluster, process) is left as it runs and
// reported in Summary.NeedRestart; the rest applies. Reloads are serialized.
func (g *Gateway) Reload(cfg *config.Config) (Summary, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var sum Summary
	if err := check(cfg, g.kinds); err != nil {
		return sum, err
	}
	old := g.cfg
	next := map[string]*instance{}
	entries := make([]engine.AppEntry, len(cfg.Apps))
	var later []*instance              // kept instances to reconfigure once the new set is in force
	rewritten := map[string][]string{} // app → keys whose file was rewritten under the same name
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		prev := g.inst[a.Name]
		in, err := g.instance(i, a, prev)
		if err != nil {
			return sum, err
		}
		aclRewritten := false
		if prev != nil && prev.authSum != in.authSum && prev.cfg.Credentials == a.Credentials {
			rewritten[a.Name] = append(rewritten[a.Name], "credentials")
		}
		if prev != nil && prev.aclSum != in.aclSum && prev.cfg.ACL == a.ACL {
			rewritten[a.Name] = append(rewritten[a.Name], "acl")
			aclRewritten = true // read by the kind when it builds: a new instance
		}
		if prev != nil && prev.cfg.Kind == a.Kind && prev.cfg.Path == a.Path && !aclRewritten {
			_, canTake := prev.app.(Reconfigurer)
			switch {
			case reflect.DeepEqual(prev.cfg, *a) && len(rewritten[a.Name]) == 0:
				in.app = prev.app
			case canTake:
				in.app = prev.app
				later = append(later, in)
			case !ownOptionsChanged(&prev.cfg, a):
				in.app = prev.app
			}
		}
		if in.app == nil {
			if err := g.build(i, in); err != nil {
				return sum, err
			}
		}
		next[a.Name] = in
		entries[i] = engine.AppEntry{Spec: in.spec(), App: in.app}
	}
	opt := g.options(cfg)
	opt.EventLoops = 0 // the running count stays; a change is reported from the file ([process])
	ch, err := g.Reconfigure(opt, entries)
	if err != nil {
		return sum, err
	}
	if g.built != nil {
		for name := range g.inst {
			if next[name] == nil {
				g.built(name, nil) // removed: the hook undoes what it did (a cluster bridge)
			}
		}
	}
	g.inst = next
	// A kept instance that cannot take its new table is replaced in a second step.
	var refused []string
	kept := map[*instance]apps.Application{} // the instance in force, until the second step
	for _, in := range later {
		if err := in.app.(Reconfigurer).Reconfigure(in.cfg); err != nil {
			i := slices.IndexFunc(cfg.Apps, func(a config.App) bool { return a.Name == in.cfg.Name })
			g.log.Warn("application cannot take its new settings in place; replacing it", "app", in.cfg.Name, "err", err)
			kept[in] = in.app
			if err := g.build(i, in); err != nil {
				g.log.Error("replacing an application that refused its new settings", "app", in.cfg.Name, "err", err)
				in.app = kept[in]
				continue
			}
			refused = append(refused, in.cfg.Name)
		}
	}
	if len(refused) > 0 {
		for i := range entries {
			entries[i] = engine.AppEntry{Spec: next[cfg.Apps[i].Name].spec(), App: next[cfg.Apps[i].Name].app}
		}
		ch2, err := g.Reconfigure(opt, entries)
		if err != nil {
			g.log.Error("replacing applications that refused their new settings", "apps", refused, "err", err)
			for in, app := range kept {
				in.app = app
			}
		} else {
			ch.AppsReplaced = append(ch.AppsReplaced, ch2.AppsReplaced...)
			ch.Closed += ch2.Closed
		}
	}
	byName := make(map[string]apps.Application, len(next))
	for name, in := range next {
		byName[name] = in.app
	}
	g.appsMu.Lock()
	g.Apps = byName
	g.appsMu.Unlock()
	g.cfg = applied(cfg, old, ch)
	sum = summarize(old, cfg, ch, rewritten)
	return sum, nil
}

// applied is cfg with what was not applied as it runs (see Config): the HTTP service's
// address, a listener whose TLS was turned on or off, [log], [metrics] and [cluster].
func applied(cfg, old *config.Config, ch *engine.Changes) *config.Config {
	c := *cfg
	c.Log, c.Metrics, c.Cluster = old.Log, old.Metrics, old.Cluster
	if len(ch.NeedRestart) == 0 {
		return &c
	}
	tlsOn := func(cert, key string) bool { return cert != "" || key != "" }
	c.HTTP.Listen = old.HTTP.Listen
	if tlsOn(c.HTTP.TLSCert, c.HTTP.TLSKey) != tlsOn(old.HTTP.TLSCert, old.HTTP.TLSKey) {
		c.HTTP.TLSCert, c.HTTP.TLSKey = old.HTTP.TLSCert, old.HTTP.TLSKey
	}
	c.Standalone = slices.Clone(cfg.Standalone)
	for i, l := range c.Standalone {
		for _, o := range old.Standalone {
			if o.Name == l.Name && tlsOn(o.TLSCert, o.TLSKey) != tlsOn(l.TLSCert, l.TLSKey) {
				c.Standalone[i] = o
			}
		}
	}
	return &c
}

// summarize compares the files and adds what the engine did.
func summarize(old, cfg *config.Config, ch *engine.Changes, rewritten map[string][]string) Summary {
	s := Summary{
		AppsAdded: ch.AppsAdded, AppsRemoved: ch.AppsRemoved,
		ListenersAdded: ch.ListenersAdded, ListenersRemoved: ch.ListenersRemoved, ListenersMoved: ch.ListenersMoved,
		Certificates: ch.Certificates, NeedRestart: ch.NeedRestart, Closed: ch.Closed,
	}
	before := map[string]*config.App{}
	for i := range old.Apps {
		before[old.Apps[i].Name] = &old.Apps[i]
	}
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		b := before[a.Name]
		if b == nil {
			continue
		}
		fields := append(appFields(b, a), rewritten[a.Name]...)
		if len(fields) == 0 {
			if slices.Contains(ch.AppsReplaced, a.Name) { // cannot happen: same table, same instance
				s.AppsReplaced = append(s.AppsReplaced, a.Name)
			}
			continue
		}
		label := a.Name + "(" + strings.Join(fields, ",") + ")"
		if slices.Contains(ch.AppsReplaced, a.Name) {
			s.AppsReplaced = append(s.AppsReplaced, label)
		} else {
			s.AppsChanged = append(s.AppsChanged, label)
		}
	}
	s.SettingsChanged = tagDiff(reflect.ValueOf(old.WebSocket), reflect.ValueOf(cfg.WebSocket), "")
	if old.HTTP.Root != cfg.HTTP.Root {
		s.SettingsChanged = append(s.SettingsChanged, "http.root")
	}
	for _, k := range tagDiff(reflect.ValueOf(old.Log), reflect.ValueOf(cfg.Log), "log.") {
		s.NeedRestart = append(s.NeedRestart, k)
	}
	for _, k := range tagDiff(reflect.ValueOf(old.Metrics), reflect.ValueOf(cfg.Metrics), "metrics.") {
		s.NeedRestart = append(s.NeedRestart, k)
	}
	for _, k := range tagDiff(reflect.ValueOf(old.Cluster), reflect.ValueOf(cfg.Cluster), "cluster.") {
		s.NeedRestart = append(s.NeedRestart, k)
	}
	// [process] is applied once at start: the collector's pacing, the memory limit, the
	// event loops (the engine keeps the loops it runs; see Reload).
	for _, k := range tagDiff(reflect.ValueOf(old.Process), reflect.ValueOf(cfg.Process), "process.") {
		s.NeedRestart = append(s.NeedRestart, k)
	}
	return s
}

// appFields names the keys of an [[app]] table that differ.
func appFields(a, b *config.App) []string {
	return tagDiff(reflect.ValueOf(*a), reflect.ValueOf(*b), "")
}

// tagDiff lists the toml names of the fields of two structs of one type that differ.
func tagDiff(a, b reflect.Value, prefix string) []string {
	var out []string
	for i := range a.NumField() {
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			name, _, _ := strings.Cut(a.Type().Field(i).Tag.Get("toml"), ",")
			out = append(out, prefix+name)
		}
	}
	return out
}

// gatewayFields are the keys of an [[app]] table the gateway applies itself, through the
// application's spec and authenticator; the others are its kind's own options.
var gatewayFields = []string{"name", "kind", "path", "scope", "subprotocols", "default_subprotocol",
	"max_connections", "compression", "origins", "auth", "credentials", "users", "slow_consumer"}

// ownOptionsChanged reports whether a key of the kind's own options differs.
func ownOptionsChanged(a, b *config.App) bool {
	for _, f := range appFields(a, b) {
		if !slices.Contains(gatewayFields, f) {
			return true
		}
	}
	return false
}
