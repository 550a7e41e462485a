package config

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole gateway configuration: one TOML file. Build it with Default or Parse,
// or by hand followed by Normalize and Validate. It holds no references to the input bytes.
type Config struct {
	HTTP      HTTP      `toml:"http"`
	WebSocket WebSocket `toml:"websocket"`
	Log       Log       `toml:"log"`
	Admin     Admin     `toml:"admin"`
	Process   Process   `toml:"process"`
	Cluster   Cluster   `toml:"cluster"`
	// Metrics is the old [metrics] section, replaced by [admin]: its listen still opens the
	// admin listener (without authentication), with a deprecation warning (Warnings).
	Metrics Metrics `toml:"metrics"`
	// Standalone lists the standalone servers ([[standalone]]), in file order.
	Standalone []Listener `toml:"standalone"`
	// Apps lists the WebSocket applications ([[app]]), in file order.
	Apps []App `toml:"app"`
}

// HTTP configures the HTTP service ([http]).
type HTTP struct {
	// Listen is host:port of the HTTP service; default "127.0.0.1:8080". Port 0 = ephemeral.
	Listen string `toml:"listen"`
	// Root is a directory of static files; "" = the embedded page.
	Root string `toml:"root"`
	// TLSCert and TLSKey are PEM files; both set = TLS on this listener, neither = plain.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
}

// Listener is one standalone server ([[standalone]]): a listener only for WebSocket upgrades.
type Listener struct {
	// Name identifies the server in app scopes and logs: 1–64 of A-Z a-z 0-9 . _ -, unique,
	// and not "http" (the HTTP service's name).
	Name string `toml:"name"`
	// Listen is host:port; any port, 0 for an ephemeral one (tests). Ports below 1024 need
	// CAP_NET_BIND_SERVICE (docs/operations.md).
	Listen string `toml:"listen"`
	// TLSCert and TLSKey are PEM files; both set = a secure server, neither = plain.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
}

// WebSocket configures the WebSocket server ([websocket]). Normalize replaces a zero with the
// default for every field whose zero means nothing else; Parse instead rejects such an
// explicit zero in a file (it is more likely a mistake than a wish for the default).
type WebSocket struct {
	// Enabled is the protocol handler registration (docs/routing.md): while false, upgrade requests to
	// the HTTP service get ordinary HTTP answers. Standalone servers are not affected.
	// Default() and Parse set true; Normalize leaves it alone, since false is a real choice.
	Enabled bool `toml:"enabled"`
	// PingInterval is how often the server pings and how long a silent connection may live
	// before it is closed with 1001. 0 disables both. Default() and Parse: 30s; Normalize
	// leaves 0 alone.
	PingInterval time.Duration `toml:"ping_interval"`
	// HandshakeTimeout bounds the time from accept to a complete upgrade; default 5s.
	HandshakeTimeout time.Duration `toml:"handshake_timeout"`
	// ShutdownTimeout bounds a graceful stop; default 5s.
	ShutdownTimeout time.Duration `toml:"shutdown_timeout"`
	// CloseTimeout is how long to wait for the peer's close reply; default 3s.
	CloseTimeout time.Duration `toml:"close_timeout"`
	// MaxConnections is the total of upgraded connections; default 50000. Over it: 503.
	MaxConnections int `toml:"max_connections"`
	// MaxConnectionsPerApp caps each application; 0 (the default) = no cap but MaxConnections.
	// An application's own App.MaxConnections applies when lower.
	MaxConnectionsPerApp int `toml:"max_connections_per_app"`
	// MaxHandshaking caps connections accepted but not yet upgraded; default 10000.
	MaxHandshaking int `toml:"max_handshaking"`
	// MaxMessageSize is the largest message accepted, in bytes; default 1MiB. Over it: 1009.
	MaxMessageSize Size `toml:"max_message_size"`
	// MaxHeaderBytes bounds the request's header block; default 8KiB. Over it: 431.
	MaxHeaderBytes Size `toml:"max_header_bytes"`
	// MaxTargetBytes bounds the request target; default 4KiB. Over it: 414.
	MaxTargetBytes Size `toml:"max_target_bytes"`
	// MaxPendingBytes bounds the output queued for one connection (slow consumers); default 256KiB.
	MaxPendingBytes Size `toml:"max_pending_bytes"`
	// MaxHandshakingPerSource caps the connections from one address counted in
	// MaxHandshaking; default 256. Over it the newest is closed.
	MaxHandshakingPerSource int `toml:"max_handshaking_per_source"`
	// MaxOutputMemory bounds the output queued for all connections together (a frame shared
	// by many receivers counts once); default 1GiB. Over it the largest backlogs close 1008.
	MaxOutputMemory Size `toml:"max_output_memory"`
	// MaxInputMemory bounds the input buffered for all connections together (messages in
	// progress); default 1GiB. The connection whose buffer would pass it closes 1013.
	MaxInputMemory Size `toml:"max_input_memory"`
}

// Log configures logging ([log]).
type Log struct {
	// Level is debug, info (the default), warn or error.
	Level string `toml:"level"`
	// Format is text (the default) or json.
	Format string `toml:"format"`
}

// Admin configures the admin listener ([admin], docs/admin.md): /metrics, /healthz,
// /readyz, /api/status, the publish API and a live status page.
type Admin struct {
	// Listen is host:port; "" (the default) = off. Keep it on loopback or a management
	// network.
	Listen string `toml:"listen"`
	// Auth is none (the default) or token: /metrics, /api/… and the page's data then want
	// "Authorization: Bearer <token>". The probes /healthz and /readyz stay open.
	Auth string `toml:"auth"`
	// Credentials is a file of name:hex-SHA-256 lines, as for an application; required with
	// auth = "token".
	Credentials string `toml:"credentials"`
	// MaxConnections caps the admin listener's open connections; default 64.
	MaxConnections int `toml:"max_connections"`
}

// Metrics is the deprecated [metrics] section.
type Metrics struct {
	// Listen is the admin listener's address when [admin] listen is not set. Deprecated:
	// use [admin] listen.
	Listen string `toml:"listen"`
}

// AdminListen returns the admin listener's address: [admin] listen, or the deprecated
// [metrics] listen, or "" when it is off.
func (c *Config) AdminListen() string {
	if c.Admin.Listen != "" {
		return c.Admin.Listen
	}
	return c.Metrics.Listen
}

// MaxListeners is the most listeners a configuration may have: the HTTP service and 63
// standalone servers (an application's scope is a 64-bit set).
const MaxListeners = 64

// Warnings returns what is valid but probably not meant, one sentence each, for -check
// and the start-up log: a file that serves no application, the deprecated [metrics].
func (c *Config) Warnings() []string {
	var w []string
	if len(c.Apps) == 0 {
		w = append(w, `no [[app]] in the file: no WebSocket application is served (a file replaces the `+
			`built-in demo applications). Add an [[app]] table with name, kind (such as echo, broadcast or pubsub) and path, `+
			`e.g. name = "echo", kind = "echo", path = "/echo"; wsgate -print-config shows every key`)
	}
	if c.Metrics.Listen != "" {
		w = append(w, `[metrics] is deprecated: it opens the admin listener without authentication; `+
			`write [admin] listen = "`+c.Metrics.Listen+`" instead (and auth = "token", credentials = FILE)`)
	}
	return w
}

// Process configures the Go runtime of the gateway process ([process]).
type Process struct {
	// GCPercent is the garbage collector's target, as GOGC (which it overrides): the heap
	// may grow this many percent over the live data before a collection, but by at least
	// 1 MiB (up to Go's default of 100), so that a small heap is not collected more often
	// than by default; default 25. A gateway allocates little per message, so collecting
	// more often costs little CPU, and it keeps the resident memory of many idle connections
	// close to what they hold. -1 turns the collector off (then only MemoryLimit triggers it).
	GCPercent int `toml:"gc_percent"`
	// MemoryLimit is a soft limit on all the memory the Go runtime uses, as GOMEMLIMIT: the
	// collector works harder as the process nears it (for devices with little RAM); 0 (the
	// default) = none.
	MemoryLimit Size `toml:"memory_limit"`
	// EventLoops is the number of event loops (threads that serve connections); 0 (the
	// default) = half the CPUs, at least one (engine.DefaultEventLoops). Each loop owns its
	// connections; fewer loops leave cores to the kernel's TCP work and to other programs
	// and cost less CPU per message, more use more cores. Takes effect at start (a reload
	// reports that it needs a restart).
	EventLoops int `toml:"event_loops"`
}

// Cluster connects this gateway to others over NATS ([cluster]): broadcast and pubsub
// applications then reach the clients of every gateway sharing the broker (docs/cluster.md).
// Off while NATS is empty (the default).
type Cluster struct {
	// NATS lists the NATS server URLs (nats://, tls://, ws://, wss://): one string or a list
	// in the file.
	NATS StringList `toml:"nats"`
	// Credentials is a NATS .creds file or a file holding a token; optional.
	Credentials string `toml:"credentials"`
	// TLSCA is a PEM file of the CAs that sign the NATS servers' certificates; optional.
	TLSCA string `toml:"tls_ca"`
	// TLSCert and TLSKey are a PEM client certificate and key; both or neither.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// SubjectPrefix begins every subject, so two deployments can share one NATS; default
	// "wsgate" (applied by the cluster, not by Normalize).
	SubjectPrefix string `toml:"subject_prefix"`
	// Name names this gateway on the broker and in logs; default the host name.
	Name string `toml:"name"`
}

// Enabled reports whether a cluster is configured.
func (c *Cluster) Enabled() bool { return len(c.NATS) > 0 }

// StringList is a list of strings that a file may also write as one string.
type StringList []string

// UnmarshalTOML accepts a string or an array of strings.
func (l *StringList) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*l = StringList{v}
		return nil
	case []any:
		if len(v) == 0 {
			*l = nil
			return nil
		}
		out := make(StringList, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("want a string or a list of strings, got a list holding %T", e)
			}
			out = append(out, s)
		}
		*l = out
		return nil
	}
	return fmt.Errorf("want a string or a list of strings, got %T", v)
}

// App is one WebSocket application ([[app]]).
type App struct {
	// Name identifies the application in logs: 1–64 of A-Z a-z 0-9 . _ -, unique.
	Name string `toml:"name"`
	// Kind selects the implementation among the kinds the program knows (wsgate: echo,
	// broadcast, pubsub; see CheckKinds). Required.
	Kind string `toml:"kind"`
	// Path is the application's alias, matched exactly (query ignored): starts with "/",
	// printable ASCII without "?" or "#", unique among applications.
	Path string `toml:"path"`
	// Scope names the servers the application is reachable on: "http" for the HTTP service,
	// otherwise standalone server names. Absent (nil) = every server (Normalize fills it);
	// an explicit empty list is an error, since such an application is reachable nowhere.
	Scope []string `toml:"scope"`
	// Subprotocols are the supported subprotocols (RFC 6455 §1.9), tokens, in preference order.
	Subprotocols []string `toml:"subprotocols"`
	// DefaultSubprotocol is the one assumed when the client offers none supported; "" or one
	// of Subprotocols.
	DefaultSubprotocol string `toml:"default_subprotocol"`
	// MaxConnections caps this application; 0 = only the server's caps. The lower applies.
	MaxConnections int `toml:"max_connections"`
	// Compression offers permessage-deflate (RFC 7692).
	Compression bool `toml:"compression"`
	// Origins allowed to connect; empty or ["*"] = any. An entry is an exact origin
	// ("https://a.example", "http://b.example:8080"), "*.example.com" (any subdomain, any
	// scheme) or "https://*.example.com" (any subdomain, that scheme). A wildcard stands for
	// at least one label: "example.com" itself does not match "*.example.com". A port must
	// match as written (an entry without one matches origins without one). Comparison is
	// case-insensitive (RFC 6454 §6.2); Normalize lower-cases the entries. The same rules
	// apply to applications registered from Go (package internal/check holds them).
	Origins []string `toml:"origins"`
	// Auth is none (the default), basic or token.
	Auth string `toml:"auth"`
	// Credentials is a file of name:hash lines (basic: bcrypt; token: hex SHA-256). Required
	// unless Auth is none; read by the caller, not by this package.
	Credentials string `toml:"credentials"`
	// Users narrows the credentials to these names; empty = every name in the file. Only
	// with Auth other than none.
	Users []string `toml:"users"`
	// SlowConsumer is what happens to a client whose unread output passes
	// websocket.max_pending_bytes: "close" (close 1008; also what "" means) or "pause" (stop
	// reading it until its output drains; docs/flow-control.md).
	SlowConsumer string `toml:"slow_consumer"`

	// The proxy kind's keys (docs/proxy.md); only with kind = "proxy".

	// Upstream is "ws://host[:port]/path", "wss://...", "tcp://host:port" or
	// "unix:///path". Required with kind = "proxy".
	Upstream string `toml:"upstream"`
	// UpstreamTLSCA is a PEM file of the authorities trusted for a wss:// upstream; "" = the
	// system's.
	UpstreamTLSCA string `toml:"upstream_tls_ca"`
	// UpstreamTLSInsecure skips verifying a wss:// upstream's certificate.
	UpstreamTLSInsecure bool `toml:"upstream_tls_insecure"`
	// ForwardHeaders names the client request headers passed to a WebSocket upstream;
	// absent = Origin, Cookie, Authorization; [] = none.
	ForwardHeaders []string `toml:"forward_headers"`
	// StreamMessages is the type of the messages a tcp:// or unix:// upstream's bytes
	// become: "binary" (default) or "text".
	StreamMessages string `toml:"stream_messages"`
	// ConnectTimeout bounds connecting to the upstream and its handshake; 0 = 5s. Past it
	// the client gets 504.
	ConnectTimeout time.Duration `toml:"connect_timeout"`

	// The settings of kind "pubsub" (docs/pubsub.md); an error with any other kind.
	// ClientPublish lets clients publish (envelope publish, raw sends). Default false.
	ClientPublish bool `toml:"client_publish"`
	// MaxSubscriptions bounds the subscriptions of one connection; past it a subscribe gets
	// an error answer. Default 100.
	MaxSubscriptions int `toml:"max_subscriptions"`
	// MaxMessageRate bounds the messages a client sends per second, with a burst of as many;
	// past it the connection is closed with 1008. Default 100.
	MaxMessageRate int `toml:"max_message_rate"`
	// MaxRetained bounds the topics with a retained value, MaxRetainedBytes their total size
	// (topic plus payload); past either a retained publish gets an error. Defaults 10000 and
	// 16MiB.
	MaxRetained      int  `toml:"max_retained"`
	MaxRetainedBytes Size `toml:"max_retained_bytes"`
	// ACL is a file of per-user topic rules ("user sub|pub pattern", %u = the user); only
	// with Auth other than none; read by the caller. Empty: every topic allowed.
	ACL string `toml:"acl"`
}

// DefaultSlowConsumer is what App.SlowConsumer "" means.
const DefaultSlowConsumer = "close"

// KindProxy is the application kind relayed to an upstream (docs/proxy.md); the program
// that reads the file builds it from the proxy keys.
const KindProxy = "proxy"

// The kind whose settings App carries besides the common ones, and their defaults.
const (
	PubSubKind              = "pubsub"
	DefaultMaxSubscriptions = 100
	DefaultMaxMessageRate   = 100
	DefaultMaxRetained      = 10000
	DefaultMaxRetainedBytes = 16 * MiB
)

// Defaults that Normalize applies to zero values.
const (
	DefaultHTTPListen       = "127.0.0.1:8080"
	DefaultPingInterval     = 30 * time.Second
	DefaultMaxConnections   = 50000
	DefaultMaxMessageSize   = 1 * MiB
	DefaultHandshakeTimeout = 5 * time.Second
	DefaultMaxHeaderBytes   = 8 * KiB
	DefaultMaxTargetBytes   = 4 * KiB
	DefaultMaxPendingBytes  = 256 * KiB
	DefaultMaxHandshaking   = 10000
	DefaultShutdownTimeout  = 5 * time.Second
	DefaultCloseTimeout     = 3 * time.Second
	DefaultLogLevel         = "info"
	DefaultLogFormat        = "text"
	// MaxEventLoops bounds process.event_loops.
	MaxEventLoops        = 256
	DefaultGCPercent     = 25
	DefaultAuth          = "none"
	DefaultAdminMaxConns = 64

	DefaultMaxHandshakingPerSource = 256
	DefaultMaxOutputMemory         = 1 * GiB
	DefaultMaxInputMemory          = 1 * GiB

	// HTTPServer is the scope name of the HTTP service.
	HTTPServer = "http"
)

// base returns the server-wide sections with their defaults and no listeners or apps:
// what an empty file means.
func base() *Config {
	c := &Config{
		WebSocket: WebSocket{Enabled: true, PingInterval: DefaultPingInterval},
	}
	c.normalizeServer()
	return c
}

// Default returns the configuration used when no file is given: the HTTP service on
// 127.0.0.1:8080, the standalone server "ws" on 127.0.0.1:8082, an "echo" application at
// /echo (subprotocol echo.v1) and a "broadcast" application at /broadcast, both in scope
// of both servers. Each call returns a new value. Example() describes the same configuration.
func Default() *Config {
	c := base()
	c.Standalone = []Listener{{Name: "ws", Listen: "127.0.0.1:8082"}}
	c.Apps = []App{
		{Name: "echo", Kind: "echo", Path: "/echo", Scope: []string{HTTPServer, "ws"},
			Subprotocols: []string{"echo.v1"}, Compression: true, Auth: DefaultAuth, SlowConsumer: DefaultSlowConsumer},
		{Name: "broadcast", Kind: "broadcast", Path: "/broadcast", Scope: []string{HTTPServer, "ws"},
			Auth: DefaultAuth},
		{Name: "pubsub", Kind: PubSubKind, Path: "/pubsub", Scope: []string{HTTPServer, "ws"},
			Auth: DefaultAuth, MaxSubscriptions: DefaultMaxSubscriptions, MaxMessageRate: DefaultMaxMessageRate,
			MaxRetained: DefaultMaxRetained, MaxRetainedBytes: DefaultMaxRetainedBytes},
	}
	return c
}

// Parse decodes one TOML file. Absent keys take their defaults; an empty input is the
// default server settings with no standalone servers and no applications. Unknown keys
// are errors (ErrUnknownKey), and so is a duration written as a non-zero integer, which
// TOML would read as nanoseconds. Then Normalize fills what is left and Validate runs.
// The result does not refer to data. Errors are *FieldError values, joined when several.
func Parse(data []byte) (*Config, error) {
	c := base() // absent keys keep these values; present ones, even zeros, overwrite them
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(c)
	if err != nil {
		return nil, decodeError(err)
	}
	if err := checkKeys(&md, c); err != nil {
		return nil, err
	}
	// Only the applications have defaults left to fill: an explicit zero in the server
	// sections stays, for Validate to report.
	c.normalizeApps()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeError turns a TOML decoder error into a *FieldError.
func decodeError(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := strings.TrimPrefix(pe.Message, "config: ") // our own Size errors
		return &FieldError{Field: pe.LastKey, Line: pe.Position.Line, Msg: msg, Err: ErrDecode}
	}
	// Type mismatches come as plain errors: `toml: line 2 (last key "http.listen"): msg`.
	// Take the key and line apart so that they read like the others; leave anything else whole.
	fe := &FieldError{Msg: strings.TrimPrefix(err.Error(), "toml: "), Err: ErrDecode}
	rest := fe.Msg
	if r, ok := strings.CutPrefix(rest, "line "); ok {
		i := strings.IndexByte(r, ' ')
		n, err := strconv.Atoi(r[:max(i, 0)])
		if err != nil {
			return fe
		}
		fe.Line, rest = n, r[i+1:]
	}
	if r, ok := strings.CutPrefix(rest, "(last key "); ok {
		q, err := strconv.QuotedPrefix(r)
		if err != nil {
			return fe
		}
		if msg, ok := strings.CutPrefix(r[len(q):], "): "); ok {
			fe.Field, _ = strconv.Unquote(q)
			fe.Msg = msg
		}
	}
	return fe
}

// checkKeys reports keys outside the schema and integer durations.
func checkKeys(md *toml.MetaData, c *Config) error {
	var errs []error
	undecoded := map[string]bool{}
	for _, k := range md.Undecoded() {
		undecoded[k.String()] = true
	}
	unknown := map[string]bool{}
keys:
	for _, k := range md.Keys() {
		key := k.String()
		// The decoder falls back to matching keys case-insensitively; every key of the
		// schema is lower case, so a key with an upper-case letter is a misspelling too.
		if !undecoded[key] && strings.ToLower(key) == key {
			continue
		}
		// A key inside an unknown table adds nothing to the table's own report.
		for i := 1; i < len(k); i++ {
			if unknown[k[:i].String()] {
				continue keys
			}
		}
		unknown[key] = true
		errs = append(errs, &FieldError{Field: key, Msg: "unknown key", Err: ErrUnknownKey})
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"ping_interval", c.WebSocket.PingInterval},
		{"handshake_timeout", c.WebSocket.HandshakeTimeout},
		{"shutdown_timeout", c.WebSocket.ShutdownTimeout},
		{"close_timeout", c.WebSocket.CloseTimeout},
	} {
		if d.v != 0 && md.Type("websocket", d.key) == "Integer" {
			errs = append(errs, &FieldError{Field: "websocket." + d.key,
				Msg: `want a string with a unit, such as "30s" (an integer would be nanoseconds)`, Err: ErrDecode})
		}
	}
	return errors.Join(errs...)
}

// Normalize fills zero values with their defaults, in one place: HTTP.Listen, the
// WebSocket limits and timeouts whose zero means nothing else, Log, and for each
// application Auth ("none") and a nil Scope (every server: "http", then the standalone
// servers in order). It also lower-cases origins and makes empty lists nil. It leaves
// WebSocket.Enabled, WebSocket.PingInterval and WebSocket.MaxConnectionsPerApp alone, as
// their zero values are real choices. Normalize is idempotent.
func (c *Config) Normalize() {
	c.normalizeServer()
	c.normalizeApps()
}

func (c *Config) normalizeServer() {
	setDefault(&c.HTTP.Listen, DefaultHTTPListen)
	w := &c.WebSocket
	setDefault(&w.MaxConnections, DefaultMaxConnections)
	setDefault(&w.MaxHandshaking, DefaultMaxHandshaking)
	setDefault(&w.MaxMessageSize, DefaultMaxMessageSize)
	setDefault(&w.MaxHeaderBytes, DefaultMaxHeaderBytes)
	setDefault(&w.MaxTargetBytes, DefaultMaxTargetBytes)
	setDefault(&w.MaxPendingBytes, DefaultMaxPendingBytes)
	setDefault(&w.MaxHandshakingPerSource, DefaultMaxHandshakingPerSource)
	setDefault(&w.MaxOutputMemory, DefaultMaxOutputMemory)
	setDefault(&w.MaxInputMemory, DefaultMaxInputMemory)
	setDefault(&w.HandshakeTimeout, DefaultHandshakeTimeout)
	setDefault(&w.ShutdownTimeout, DefaultShutdownTimeout)
	setDefault(&w.CloseTimeout, DefaultCloseTimeout)
	setDefault(&c.Log.Level, DefaultLogLevel)
	setDefault(&c.Log.Format, DefaultLogFormat)
	setDefault(&c.Admin.Auth, DefaultAuth)
	setDefault(&c.Admin.MaxConnections, DefaultAdminMaxConns)
	setDefault(&c.Process.GCPercent, DefaultGCPercent)
}

func (c *Config) normalizeApps() {
	for i := range c.Apps {
		a := &c.Apps[i]
		setDefault(&a.Auth, DefaultAuth)
		if a.Kind != KindProxy {
			nilIfEmpty(&a.ForwardHeaders) // forward_headers = [] means "none" for a proxy only
		}
		if a.Kind == PubSubKind {
			setDefault(&a.MaxSubscriptions, DefaultMaxSubscriptions)
			setDefault(&a.MaxMessageRate, DefaultMaxMessageRate)
			setDefault(&a.MaxRetained, DefaultMaxRetained)
			setDefault(&a.MaxRetainedBytes, DefaultMaxRetainedBytes)
		}
		if a.Scope == nil {
			a.Scope = c.ServerNames()
		}
		for j, o := range a.Origins {
			a.Origins[j] = strings.ToLower(o)
		}
		nilIfEmpty(&a.Subprotocols)
		nilIfEmpty(&a.Origins)
		nilIfEmpty(&a.Users)
	}
}

// ServerNames returns the names an application scope may use: "http", then the standalone
// servers in order. The slice is new.
func (c *Config) ServerNames() []string {
	names := make([]string, 0, 1+len(c.Standalone))
	names = append(names, HTTPServer)
	for _, l := range c.Standalone {
		names = append(names, l.Name)
	}
	return names
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

func nilIfEmpty(p *[]string) {
	if len(*p) == 0 {
		*p = nil
	}
}

// Marshal encodes c as TOML without comments, for showing the effective configuration
// (Example is the commented template). Parse reads the result of a valid, normalized
// Config back to an equal Config.
func (c *Config) Marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
