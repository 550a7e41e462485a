package gateway

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/auth"
	"github.com/wsgate/wsgate/internal/cluster"
)

// Kinds maps an application kind, as written in the file, to a constructor. A constructor
// gets the configured application (validated), for the settings of its kind; an error
// names what is wrong and stops New.
type Kinds map[string]func(a *config.App) (apps.Application, error)

// Builtin returns the kinds wsgate provides: those of package apps/builtin (echo,
// broadcast), pubsub (package apps/pubsub) and proxy (engine.Proxy).
func Builtin() Kinds {
	k := Kinds{}
	for _, name := range builtin.Kinds() {
		k[name] = func(*config.App) (apps.Application, error) { return builtin.New(name) }
	}
	k[config.PubSubKind] = func(a *config.App) (apps.Application, error) { return PubSub(a) }
	k[config.KindProxy] = func(a *config.App) (apps.Application, error) { return Proxy(a) }
	return k
}

// Proxy builds the application of kind = "proxy" from its keys (docs/proxy.md).
func Proxy(a *config.App) (*engine.Proxy, error) {
	cfg := engine.ProxyConfig{
		Upstream:            a.Upstream,
		UpstreamTLSCA:       a.UpstreamTLSCA,
		UpstreamTLSInsecure: a.UpstreamTLSInsecure,
		ForwardHeaders:      a.ForwardHeaders,
		ConnectTimeout:      a.ConnectTimeout,
	}
	if a.StreamMessages == "text" {
		cfg.StreamMessages = apps.Text
	}
	return engine.NewProxy(cfg)
}

// PubSub builds a pubsub application from its configuration, reading its ACL file.
func PubSub(a *config.App) (*pubsub.App, error) {
	o := pubsub.Options{
		Name:             a.Name,
		ClientPublish:    a.ClientPublish,
		MaxSubscriptions: a.MaxSubscriptions,
		MaxMessageRate:   float64(a.MaxMessageRate),
		MaxRetained:      a.MaxRetained,
		MaxRetainedBytes: int64(a.MaxRetainedBytes),
	}
	if a.ACL != "" {
		acl, err := pubsub.LoadACL(a.ACL)
		if err != nil {
			return nil, fmt.Errorf("acl: %w", err)
		}
		o.ACL = acl
	}
	app := pubsub.New(o)
	return app, nil
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

		MaxHandshakingPerSource: w.MaxHandshakingPerSource,
		MaxOutputMemory:         int64(w.MaxOutputMemory),
		MaxInputMemory:          int64(w.MaxInputMemory),
		EventLoops:              cfg.Process.EventLoops,
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
		PauseSlowConsumers: a.SlowConsumer == "pause",
	}
}

// New validates cfg, builds the server from Options(cfg) (tune, when not nil, adjusts them:
// the logger, the loop count) and registers every configured application, built by kinds
// (nil: Builtin()). The server is not started. Errors name the field or the application.
// A program that reloads its file uses Build, which keeps what Gateway.Reload needs.
func New(cfg *config.Config, kinds Kinds, tune func(*engine.Options)) (*engine.Server, error) {
	return NewWithHook(cfg, kinds, tune, nil)
}

// NewWithHook is New, and calls built (when not nil) with each application's name and
// instance before registering it: the cluster bridges broadcast and pubsub applications
// this way (internal/clusterbridge.Hook).
func NewWithHook(cfg *config.Config, kinds Kinds, tune func(*engine.Options), built func(name string, a apps.Application)) (*engine.Server, error) {
	g, err := Build(cfg, kinds, tune, built)
	if err != nil {
		return nil, err
	}
	return g.Server, nil
}

// Gateway is a server built from a configuration, with its applications and what Reload
// needs to apply the next configuration (reload.go).
type Gateway struct {
	*engine.Server
	// Apps are the configured applications by name, as their kinds built them. Reload
	// replaces the map (never modifies it); read it through App when reloads may run.
	Apps map[string]apps.Application

	appsMu sync.RWMutex // guards the Apps field against Reload
	kinds  Kinds
	tune   func(*engine.Options)
	built  func(name string, a apps.Application)
	log    *slog.Logger

	mu   sync.Mutex // serializes Reload
	cfg  *config.Config
	inst map[string]*instance
}

// App returns the application named name, or nil; safe while Reload runs.
func (g *Gateway) App(name string) apps.Application {
	g.appsMu.RLock()
	defer g.appsMu.RUnlock()
	return g.Apps[name]
}

// PubSub finds the pubsub applications by name: the publish API's publisher
// (pubsub.Directory has the admin listener's Publisher method).
func (g *Gateway) PubSub() pubsub.Directory {
	return func(name string) *pubsub.App {
		a, _ := g.App(name).(*pubsub.App)
		return a
	}
}

// Publish publishes data of kind to topic in the pubsub application named app, from any
// goroutine, and returns the local receivers it reached: the server's publish, as the
// admin listener's POST /api/apps/{app}/publish does it (see pubsub.App.Publish).
func (g *Gateway) Publish(app, topic string, kind pubsub.Kind, data []byte, retain bool) (int, error) {
	a := g.PubSub()(app)
	if a == nil {
		return 0, fmt.Errorf("%w %q", pubsub.ErrUnknownApp, app)
	}
	return a.Publish(topic, kind, data, retain)
}

// Build is New, keeping the applications (Gateway.Apps) and what Gateway.Reload needs;
// built is as in NewWithHook, and is called again for every instance a reload builds, and
// with a nil Application for every application a reload removes.
func Build(cfg *config.Config, kinds Kinds, tune func(*engine.Options), built func(name string, a apps.Application)) (*Gateway, error) {
	if kinds == nil {
		kinds = Builtin()
	}
	if err := check(cfg, kinds); err != nil {
		return nil, err
	}
	g := &Gateway{Apps: map[string]apps.Application{}, kinds: kinds, tune: tune, built: built, cfg: cfg,
		inst: map[string]*instance{}}
	opt := g.options(cfg)
	g.log = opt.Logger
	if g.log == nil {
		g.log = slog.Default()
	}
	srv, err := engine.New(opt)
	if err != nil {
		return nil, err
	}
	g.Server = srv
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		in, err := g.instance(i, a, nil)
		if err == nil {
			err = g.build(i, in)
		}
		if err != nil {
			return nil, err
		}
		if err := srv.Register(in.spec(), in.app); err != nil {
			return nil, fmt.Errorf("gateway: app[%d]: %w", i, err)
		}
		g.inst[a.Name] = in
		g.Apps[a.Name] = in.app
	}
	return g, nil
}

// ClusterOptions maps [cluster] onto the cluster node's options.
func ClusterOptions(c *config.Cluster, log *slog.Logger) cluster.Options {
	return cluster.Options{
		URLs:          c.NATS,
		Credentials:   c.Credentials,
		TLSCA:         c.TLSCA,
		TLSCert:       c.TLSCert,
		TLSKey:        c.TLSKey,
		SubjectPrefix: c.SubjectPrefix,
		Name:          c.Name,
		Logger:        log,
	}
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
