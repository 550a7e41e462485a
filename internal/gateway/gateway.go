package gateway

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/auth"
)

// Kinds maps an application kind, as written in the file, to a constructor.
type Kinds map[string]func() apps.Application

// Builtin returns the kinds package apps provides (echo, broadcast).
func Builtin() Kinds {
	k := Kinds{}
	for _, name := range builtin.Kinds() {
		k[name] = func() apps.Application {
			a, _ := builtin.New(name)
			return a
		}
	}
	return k
}

// Names lists the kinds, sorted.
func (k Kinds) Names() []string {
	names := make([]string, 0, len(k))
	for n := range k {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Options maps the file's settings onto the engine's options. A zero in the file that means
// "off" (ping_interval) becomes the engine's negative "off".
func Options(cfg *config.Config) engine.Options {
	w := &cfg.WebSocket
	o := engine.Options{
		HTTP:                 engine.Listener{Address: cfg.HTTP.Listen, TLSCert: cfg.HTTP.TLSCert, TLSKey: cfg.HTTP.TLSKey},
		StaticRoot:           cfg.HTTP.Root,
		NoHTTPUpgrades:       !w.Enabled,
		PingInterval:         w.PingInterval,
		HandshakeTimeout:     w.HandshakeTimeout,
		CloseTimeout:         w.CloseTimeout,
		MaxConnections:       w.MaxConnections,
		MaxConnectionsPerApp: w.MaxConnectionsPerApp,
		MaxHandshaking:       w.MaxHandshaking,
		MaxMessageSize:       int64(w.MaxMessageSize),
		MaxHeaderBytes:       int(w.MaxHeaderBytes),
		MaxTargetBytes:       int(w.MaxTargetBytes),
		MaxPendingBytes:      int(w.MaxPendingBytes),
	}
	if o.PingInterval == 0 {
		o.PingInterval = -1
	}
	for _, l := range cfg.Standalone {
		o.Standalone = append(o.Standalone, engine.Listener{Name: l.Name, Address: l.Listen, TLSCert: l.TLSCert, TLSKey: l.TLSKey})
	}
	return o
}

// Spec turns a configured application into its spec, without its authenticator.
func Spec(a *config.App) apps.Spec {
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

// New validates cfg, builds the server from Options(cfg) (tune, when not nil, adjusts them:
// the logger, the loop count) and registers every configured application, built by kinds
// (nil: Builtin()). The server is not started. Errors name the field or the application.
func New(cfg *config.Config, kinds Kinds, tune func(*engine.Options)) (*engine.Server, error) {
	if kinds == nil {
		kinds = Builtin()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.CheckKinds(kinds.Names()); err != nil {
		return nil, err
	}
	opt := Options(cfg)
	if tune != nil {
		tune(&opt)
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	srv, err := engine.New(opt)
	if err != nil {
		return nil, err
	}
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		spec := Spec(a)
		if spec.Auth, err = Authenticator(a, log); err != nil {
			return nil, fmt.Errorf("gateway: app[%d] %q: %w", i, a.Name, err)
		}
		if err := srv.Register(spec, kinds[a.Kind]()); err != nil {
			return nil, fmt.Errorf("gateway: app[%d]: %w", i, err)
		}
	}
	return srv, nil
}

// Authenticator reads the credentials of a configured application: nil for auth = "none".
// Users listed without credentials are logged as a warning.
func Authenticator(a *config.App, log *slog.Logger) (apps.Authenticator, error) {
	m, err := auth.ParseMethod(a.Auth)
	if err != nil || m == auth.None {
		return nil, err
	}
	v, err := auth.Load(m, a.Credentials, a.Users, a.Name)
	if err != nil {
		return nil, err
	}
	if unknown := v.UnknownUsers(); len(unknown) > 0 {
		log.Warn("users listed for an application have no credentials", "app", a.Name, "users", unknown)
	}
	return v, nil
}
