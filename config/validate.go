package config

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsgate/wsgate/internal/check"
)

// Known values of the enumerated fields. Application kinds are the caller's: see CheckKinds.
var (
	authKinds  = []string{"none", "basic", "token"}
	slowKinds  = []string{"close", "pause"}
	streamKind = []string{"binary", "text"}
	upstreams  = []string{"ws", "wss", "tcp", "unix"}
	logLevels  = []string{"debug", "info", "warn", "error"}
	logFormats = []string{"text", "json"}
)

// Validate checks every field and returns nil or the problems found, each a *FieldError
// wrapping ErrInvalid and naming its TOML path, e.g.
//
//	config: app[1].scope: unknown server "wss"
//
// joined with errors.Join. Validate expects normalized values (see Normalize): a zero
// limit is reported, not defaulted. It does no I/O: it does not open the TLS, credential
// or static files, nor try to bind the addresses.
func (c *Config) Validate() error {
	var v validator

	v.addr("http.listen", c.HTTP.Listen, 0)
	v.tlsPair("http", c.HTTP.TLSCert, c.HTTP.TLSKey)
	v.admin(c)

	v.cluster(&c.Cluster)

	w := &c.WebSocket
	v.limit("websocket.ping_interval", int64(w.PingInterval), false)
	v.limit("websocket.handshake_timeout", int64(w.HandshakeTimeout), true)
	v.limit("websocket.shutdown_timeout", int64(w.ShutdownTimeout), true)
	v.limit("websocket.close_timeout", int64(w.CloseTimeout), true)
	v.limit("websocket.max_connections", int64(w.MaxConnections), true)
	v.limit("websocket.max_connections_per_app", int64(w.MaxConnectionsPerApp), false)
	v.limit("websocket.max_handshaking", int64(w.MaxHandshaking), true)
	v.limit("websocket.max_message_size", int64(w.MaxMessageSize), true)
	v.limit("websocket.max_header_bytes", int64(w.MaxHeaderBytes), true)
	v.limit("websocket.max_target_bytes", int64(w.MaxTargetBytes), true)
	v.limit("websocket.max_pending_bytes", int64(w.MaxPendingBytes), true)
	v.limit("websocket.max_handshaking_per_source", int64(w.MaxHandshakingPerSource), true)
	v.limit("websocket.max_output_memory", int64(w.MaxOutputMemory), true)
	v.limit("websocket.max_input_memory", int64(w.MaxInputMemory), true)

	if p := c.Process.GCPercent; p != -1 && (p < 10 || p > 1000) {
		v.add("process.gc_percent", "%d: want 10 to 1000, or -1 (off)", p)
	}
	v.limit("process.memory_limit", int64(c.Process.MemoryLimit), false)
	if n := c.Process.EventLoops; n < 0 || n > MaxEventLoops {
		v.add("process.event_loops", "%d: want 1 to %d, or 0 (half the CPUs)", n, MaxEventLoops)
	}

	v.oneOf("log.level", c.Log.Level, logLevels)
	v.oneOf("log.format", c.Log.Format, logFormats)

	v.servers = map[string]bool{HTTPServer: true}
	for i, l := range c.Standalone {
		p := fmt.Sprintf("standalone[%d]", i)
		if v.name(p+".name", l.Name) {
			switch {
			case l.Name == HTTPServer:
				v.add(p+".name", "%q is the HTTP service's name", l.Name)
			case v.servers[l.Name]:
				v.add(p+".name", "duplicate name %q", l.Name)
			}
			v.servers[l.Name] = true
		}
		// Any port: one below 1024 needs CAP_NET_BIND_SERVICE, which the unit file grants.
		v.addr(p+".listen", l.Listen, 1)
		v.tlsPair(p, l.TLSCert, l.TLSKey)
	}

	if n := 1 + len(c.Standalone); n > MaxListeners {
		v.add("standalone", "%d listeners (the HTTP service and %d standalone servers); at most %d", n, len(c.Standalone), MaxListeners)
	}

	v.names, v.paths = map[string]bool{}, map[string]bool{}
	for i := range c.Apps {
		v.app(fmt.Sprintf("app[%d]", i), &c.Apps[i], int(w.MaxTargetBytes))
	}
	return errors.Join(v.errs...)
}

// admin checks [admin] and the deprecated [metrics].
func (v *validator) admin(c *Config) {
	a := &c.Admin
	if c.Metrics.Listen != "" {
		if a.Listen != "" {
			v.add("metrics.listen", "replaced by admin.listen; remove [metrics]")
		} else {
			v.addr("metrics.listen", c.Metrics.Listen, 0)
		}
	}
	if a.Listen != "" {
		v.addr("admin.listen", a.Listen, 0)
	}
	switch a.Auth {
	case "none":
		if a.Credentials != "" {
			v.add("admin.credentials", `only with auth = "token"`)
		}
	case "token":
		if a.Credentials == "" {
			v.add("admin.credentials", `required with auth = "token": a file of name:hex-sha256 lines`)
		}
	default:
		v.add("admin.auth", `%q: want "none" or "token"`, a.Auth)
	}
	v.limit("admin.max_connections", int64(a.MaxConnections), true)
}

// validator collects the problems of one Validate call.
type validator struct {
	errs    []error
	addrs   map[string]string // host:port with a fixed port -> the field that claims it
	servers map[string]bool   // names an application scope may use
	names   map[string]bool   // application names so far
	paths   map[string]bool   // application paths so far
}

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...), Err: ErrInvalid})
}

func (v *validator) app(p string, a *App, maxTarget int) {
	if v.name(p+".name", a.Name) {
		if v.names[a.Name] {
			v.add(p+".name", "duplicate name %q", a.Name)
		}
		v.names[a.Name] = true
	}
	// Which kinds exist is the program's to say (CheckKinds): an embedder adds its own.
	if !check.Name(a.Kind) {
		v.add(p+".kind", "%q: required, %s", a.Kind, check.NameRule)
	}

	switch err := check.Path(a.Path, 0); {
	case err != nil:
		v.add(p+".path", "%v", err)
	case maxTarget > 0 && len(a.Path) > maxTarget:
		v.add(p+".path", "longer than websocket.max_target_bytes (%d)", maxTarget)
	case v.paths[a.Path]:
		v.add(p+".path", "duplicate path %q", a.Path)
	default:
		v.paths[a.Path] = true
	}

	if len(a.Scope) == 0 {
		// Normalize turns a scope left out of the file into every server; an empty one
		// that remains would make the application unreachable.
		v.add(p+".scope", "must not be empty (leave it out for every server)")
	}
	for j, s := range a.Scope {
		switch {
		case !v.servers[s]:
			v.add(p+".scope", "unknown server %q", s)
		case slices.Index(a.Scope, s) < j:
			v.add(p+".scope", "duplicate server %q", s)
		}
	}

	if err := check.Subprotocols(a.Subprotocols, a.DefaultSubprotocol); err != nil {
		for _, e := range unjoin(err) {
			var de *check.DefaultError
			if errors.As(e, &de) {
				v.add(p+".default_subprotocol", "%v", e)
			} else {
				v.add(p+".subprotocols", "%v", e)
			}
		}
	}
	v.limit(p+".max_connections", int64(a.MaxConnections), false)

	for _, o := range a.Origins {
		if err := check.OriginPattern(o); err != nil {
			v.add(p+".origins", "%q: %v", o, err)
		}
	}

	if a.SlowConsumer != "" { // Normalize sets "close"
		v.oneOf(p+".slow_consumer", a.SlowConsumer, slowKinds)
	}
	v.proxy(p, a)

	switch {
	case !v.oneOf(p+".auth", a.Auth, authKinds):
		// Whether credentials and users belong depends on the intended auth: unknown.
	case a.Auth == "none" && a.Credentials != "":
		v.add(p+".credentials", "set but auth is \"none\"")
	case a.Auth != "none" && a.Credentials == "":
		v.add(p+".credentials", "required with auth %q", a.Auth)
	case len(a.Users) > 0 && a.Auth == "none":
		v.add(p+".users", "set but auth is \"none\"")
	}
	for j, u := range a.Users {
		switch {
		case u == "" || strings.ContainsFunc(u, func(r rune) bool { return r == ':' || r <= ' ' || r == 0x7f }):
			// A credentials line is name:hash, so a name has no colon.
			v.add(p+".users", "%q: must be non-empty without \":\", spaces or control characters", u)
		case slices.Index(a.Users, u) < j:
			v.add(p+".users", "duplicate %q", u)
		}
	}
	v.pubsub(p, a)
}

// pubsub checks the settings of kind "pubsub": limits above zero (Normalize put the
// defaults in), an ACL only with authentication; with another kind, none of them set.
func (v *validator) pubsub(p string, a *App) {
	if a.Kind != PubSubKind {
		for _, f := range []struct {
			key string
			set bool
		}{
			{"client_publish", a.ClientPublish}, {"max_subscriptions", a.MaxSubscriptions != 0},
			{"max_message_rate", a.MaxMessageRate != 0}, {"max_retained", a.MaxRetained != 0},
			{"max_retained_bytes", a.MaxRetainedBytes != 0}, {"acl", a.ACL != ""},
		} {
			if f.set {
				v.add(p+"."+f.key, "only for kind %q", PubSubKind)
			}
		}
		return
	}
	v.limit(p+".max_subscriptions", int64(a.MaxSubscriptions), true)
	v.limit(p+".max_message_rate", int64(a.MaxMessageRate), true)
	v.limit(p+".max_retained", int64(a.MaxRetained), true)
	v.limit(p+".max_retained_bytes", int64(a.MaxRetainedBytes), true)
	if a.ACL != "" && a.Auth == "none" {
		v.add(p+".acl", "set but auth is \"none\" (the rules name users)")
	}
}

// name checks a listener or application name and reports whether it is well-formed.
func (v *validator) name(field, s string) bool {
	ok := check.Name(s)
	if !ok {
		v.add(field, "%q: %s", s, check.NameRule)
	}
	return ok
}

// addr checks host:port with a numeric port of 0 or minPort..65535, and that no other
// listener claims the same fixed address.
func (v *validator) addr(field, s string, minPort int) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		msg := err.Error()
		var ae *net.AddrError
		if errors.As(err, &ae) {
			msg = strings.TrimSuffix(ae.Err, " in address")
		}
		v.add(field, "%q: %s", s, msg)
		return
	}
	n, err := strconv.Atoi(port)
	switch {
	case port == "":
		v.add(field, "%q: missing port", s)
		return
	case err != nil || port[0] == '+' || port[0] == '-':
		v.add(field, "%q: port must be a number", s)
		return
	case n > 65535 || n != 0 && n < minPort:
		v.add(field, "%q: port must be 0 or %d-65535", s, max(minPort, 1))
		return
	}
	if host != "" && net.ParseIP(host) == nil && !check.IsHostname(host) {
		v.add(field, "%q: bad host", s)
		return
	}
	if n == 0 {
		return // every ephemeral listener gets its own port
	}
	if other, ok := v.addrs[s]; ok {
		v.add(field, "%q is also %s", s, other)
		return
	}
	if v.addrs == nil {
		v.addrs = map[string]string{}
	}
	v.addrs[s] = field
}

func (v *validator) cluster(c *Cluster) {
	if !c.Enabled() {
		if c.Credentials != "" || c.TLSCA != "" || c.TLSCert != "" || c.TLSKey != "" || c.SubjectPrefix != "" || c.Name != "" {
			v.add("cluster.nats", "required when other [cluster] keys are set")
		}
		return
	}
	for i, u := range c.NATS {
		if err := check.NATSURL(u); err != nil {
			v.add(fmt.Sprintf("cluster.nats[%d]", i), "%v", err)
		}
	}
	v.tlsPair("cluster", c.TLSCert, c.TLSKey)
	if c.SubjectPrefix != "" && !check.SubjectPrefix(c.SubjectPrefix) {
		v.add("cluster.subject_prefix", "%q: %s", c.SubjectPrefix, check.SubjectPrefixRule)
	}
	if c.Name != "" && !check.Name(c.Name) {
		v.add("cluster.name", "%q: %s", c.Name, check.NameRule)
	}
}

func (v *validator) tlsPair(section, cert, key string) {
	if (cert == "") != (key == "") {
		v.add(section+".tls_cert", "tls_cert and tls_key go together: set both or neither")
	}
}

// limit checks a count, size or duration: > 0 when positive, else >= 0.
func (v *validator) limit(field string, n int64, positive bool) {
	switch {
	case positive && n <= 0:
		v.add(field, "must be > 0")
	case n < 0:
		v.add(field, "must be >= 0")
	}
}

func (v *validator) oneOf(field, s string, allowed []string) bool {
	if !slices.Contains(allowed, s) {
		v.add(field, "%q: want one of %s", s, strings.Join(allowed, ", "))
		return false
	}
	return true
}

// unjoin returns the errors joined in err, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// CheckKinds reports every application whose kind is not in have, the kinds the program
// can build, as a *FieldError naming the field, e.g.
//
//	config: app[1].kind: unknown kind "x" (have broadcast, echo)
//
// Parse and Validate do not know the kinds: wsgate passes its built-in ones, and a program
// embedding the gateway passes its own list.
func (c *Config) CheckKinds(have []string) error {
	var v validator
	for i, a := range c.Apps {
		if !slices.Contains(have, a.Kind) {
			v.add(fmt.Sprintf("app[%d].kind", i), "unknown kind %q (have %s)", a.Kind, strings.Join(have, ", "))
		}
	}
	return errors.Join(v.errs...)
}

// proxy checks the proxy kind's keys: the upstream's form (the program building the
// application checks the rest, and names the field too), and that they appear only with
// kind = "proxy".
func (v *validator) proxy(p string, a *App) {
	if a.Kind != KindProxy {
		for _, k := range []struct {
			key string
			set bool
		}{
			{"upstream", a.Upstream != ""}, {"upstream_tls_ca", a.UpstreamTLSCA != ""},
			{"upstream_tls_insecure", a.UpstreamTLSInsecure}, {"forward_headers", len(a.ForwardHeaders) > 0},
			{"stream_messages", a.StreamMessages != ""}, {"connect_timeout", a.ConnectTimeout != 0},
		} {
			if k.set {
				v.add(p+"."+k.key, "only for kind %q", KindProxy)
			}
		}
		return
	}
	scheme, rest, ok := strings.Cut(a.Upstream, "://")
	switch {
	case a.Upstream == "":
		v.add(p+".upstream", "required with kind = %q", KindProxy)
	case !ok || !slices.Contains(upstreams, scheme) || rest == "":
		v.add(p+".upstream", "%q: want ws://host/path, wss://host/path, tcp://host:port or unix:///path", a.Upstream)
	case (a.UpstreamTLSCA != "" || a.UpstreamTLSInsecure) && scheme != "wss":
		v.add(p+".upstream_tls_ca", "upstream_tls_ca and upstream_tls_insecure apply to wss:// upstreams only")
	}
	for _, h := range a.ForwardHeaders {
		if !check.ForwardHeader(h) {
			v.add(p+".forward_headers", "%q is not a header name the client may set (the gateway writes Host, Connection, Upgrade, Sec-WebSocket-*, X-Forwarded-* and X-Wsgate-User itself)", h)
		}
	}
	if a.StreamMessages != "" {
		v.oneOf(p+".stream_messages", a.StreamMessages, streamKind)
	}
	switch {
	case a.ConnectTimeout < 0:
		v.add(p+".connect_timeout", "must not be negative")
	case a.ConnectTimeout > 0 && a.ConnectTimeout < time.Millisecond:
		v.add(p+".connect_timeout", `want a string with a unit, such as "5s" (an integer would be nanoseconds)`)
	}
}
