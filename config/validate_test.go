package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// validateCases change Default() and name the one error Validate must report ("" = none).
// A renamed standalone server also drops the apps, whose scopes would name the old name.
var validateCases = []struct {
	name   string
	change func(c *Config)
	field  string
	msg    string
}{
	// Listeners.
	{"http listen empty", func(c *Config) { c.HTTP.Listen = "" }, "http.listen", "missing port"},
	{"http listen no port", func(c *Config) { c.HTTP.Listen = "x" }, "http.listen", `"x": missing port`},
	{"http listen empty port", func(c *Config) { c.HTTP.Listen = "127.0.0.1:" }, "http.listen", "missing port"},
	{"http listen named port", func(c *Config) { c.HTTP.Listen = "127.0.0.1:http" }, "http.listen", "must be a number"},
	{"http listen signed port", func(c *Config) { c.HTTP.Listen = "127.0.0.1:+80" }, "http.listen", "must be a number"},
	{"http listen port too big", func(c *Config) { c.HTTP.Listen = "127.0.0.1:65536" }, "http.listen", "0 or 1-65535"},
	{"http listen bad host", func(c *Config) { c.HTTP.Listen = "a_b:80" }, "http.listen", "bad host"},
	{"http listen IPv6 unbracketed", func(c *Config) { c.HTTP.Listen = "::1:80" }, "http.listen", "too many colons"},
	{"http listen any host", func(c *Config) { c.HTTP.Listen = ":80" }, "", ""},
	{"http listen IPv6", func(c *Config) { c.HTTP.Listen = "[::1]:80" }, "", ""},
	{"http listen hostname", func(c *Config) { c.HTTP.Listen = "localhost:80" }, "", ""},
	{"http TLS cert only", func(c *Config) { c.HTTP.TLSCert = "c.pem" }, "http.tls_cert", "both or neither"},
	{"http TLS key only", func(c *Config) { c.HTTP.TLSKey = "k.pem" }, "http.tls_cert", "both or neither"},
	{"http TLS", func(c *Config) { c.HTTP.TLSCert, c.HTTP.TLSKey = "c.pem", "k.pem" }, "", ""},
	{"metrics on", func(c *Config) { c.Metrics.Listen = "127.0.0.1:9100" }, "", ""},
	{"metrics bad", func(c *Config) { c.Metrics.Listen = "9100" }, "metrics.listen", "missing port"},
	{"metrics on the http port", func(c *Config) { c.Metrics.Listen = c.HTTP.Listen }, "metrics.listen", "is also http.listen"},
	{"cluster", func(c *Config) { c.Cluster = Cluster{NATS: StringList{"nats://127.0.0.1:4222"}} }, "", ""},
	{"cluster bad scheme", func(c *Config) { c.Cluster.NATS = StringList{"http://x:1"} }, "cluster.nats[0]", "scheme"},
	{"cluster no host", func(c *Config) { c.Cluster.NATS = StringList{"nats://a:1", "nats:x"} }, "cluster.nats[1]", "host"},
	{"cluster password redacted", func(c *Config) { c.Cluster.NATS = StringList{"http://u:secret@x:1"} }, "cluster.nats[0]", "…@x:1"},
	{"cluster keys without nats", func(c *Config) { c.Cluster.Name = "gw" }, "cluster.nats", "required"},
	{"cluster tls cert only", func(c *Config) { c.Cluster = Cluster{NATS: StringList{"tls://x:1"}, TLSCert: "c.pem"} }, "cluster.tls_cert", "both or neither"},
	{"cluster bad prefix", func(c *Config) { c.Cluster = Cluster{NATS: StringList{"nats://x:1"}, SubjectPrefix: "a.>"} }, "cluster.subject_prefix", "tokens"},
	{"cluster bad name", func(c *Config) { c.Cluster = Cluster{NATS: StringList{"nats://x:1"}, Name: "a b"} }, "cluster.name", "want 1-64"},
	{"standalone name empty", func(c *Config) { c.Standalone[0].Name = ""; c.Apps = nil }, "standalone[0].name", "want 1-64"},
	{"standalone name http", func(c *Config) { c.Standalone[0].Name = "http"; c.Apps = nil }, "standalone[0].name", "HTTP service"},
	{"standalone name space", func(c *Config) { c.Standalone[0].Name = "w s"; c.Apps = nil }, "standalone[0].name", "want 1-64"},
	{"standalone name too long", func(c *Config) { c.Standalone[0].Name = strings.Repeat("w", 65); c.Apps = nil }, "standalone[0].name", "want 1-64"},
	{"standalone name duplicate", func(c *Config) {
		c.Standalone = append(c.Standalone, Listener{Name: "ws", Listen: ":0"})
	}, "standalone[1].name", `duplicate name "ws"`},
	{"standalone port 443", func(c *Config) { c.Standalone[0].Listen = "0.0.0.0:443" }, "", ""},
	{"standalone port too high", func(c *Config) { c.Standalone[0].Listen = "127.0.0.1:65536" }, "standalone[0].listen", "0 or 1-65535"},
	{"63 standalone servers", func(c *Config) { c.Standalone = manyStandalone(63) }, "", ""},
	{"64 standalone servers", func(c *Config) { c.Standalone = manyStandalone(64) }, "standalone", "65 listeners (the HTTP service and 64 standalone servers); at most 64"},
	// Admin listener.
	{"admin on", func(c *Config) { c.Admin.Listen = "127.0.0.1:9100" }, "", ""},
	{"admin token", func(c *Config) { c.Admin.Listen, c.Admin.Auth, c.Admin.Credentials = "127.0.0.1:9100", "token", "t" }, "", ""},
	{"admin token without file", func(c *Config) { c.Admin.Auth = "token" }, "admin.credentials", "required"},
	{"admin file without token", func(c *Config) { c.Admin.Credentials = "t" }, "admin.credentials", `only with auth = "token"`},
	{"admin basic", func(c *Config) { c.Admin.Auth = "basic" }, "admin.auth", `"basic": want "none" or "token"`},
	{"admin bad address", func(c *Config) { c.Admin.Listen = "9100" }, "admin.listen", "missing port"},
	{"admin on the http port", func(c *Config) { c.Admin.Listen = c.HTTP.Listen }, "admin.listen", "is also http.listen"},
	{"admin max connections zero", func(c *Config) { c.Admin.MaxConnections = 0 }, "admin.max_connections", "must be > 0"},
	{"metrics and admin", func(c *Config) { c.Admin.Listen, c.Metrics.Listen = "127.0.0.1:9100", "127.0.0.1:9101" }, "metrics.listen", "replaced by admin.listen"},
	{"standalone ephemeral ports", func(c *Config) {
		c.Standalone[0].Listen = "127.0.0.1:0"
		c.Standalone = append(c.Standalone, Listener{Name: "ws2", Listen: "127.0.0.1:0"})
	}, "", ""},
	{"standalone on the http port", func(c *Config) { c.Standalone[0].Listen = "127.0.0.1:8080" }, "standalone[0].listen", "is also http.listen"},
	{"standalone TLS key only", func(c *Config) { c.Standalone[0].TLSKey = "k.pem" }, "standalone[0].tls_cert", "both or neither"},
	// Limits.
	{"ping negative", func(c *Config) { c.WebSocket.PingInterval = -time.Second }, "websocket.ping_interval", "must be >= 0"},
	{"ping zero", func(c *Config) { c.WebSocket.PingInterval = 0 }, "", ""},
	{"handshake timeout zero", func(c *Config) { c.WebSocket.HandshakeTimeout = 0 }, "websocket.handshake_timeout", "must be > 0"},
	{"shutdown timeout negative", func(c *Config) { c.WebSocket.ShutdownTimeout = -1 }, "websocket.shutdown_timeout", "must be > 0"},
	{"close timeout zero", func(c *Config) { c.WebSocket.CloseTimeout = 0 }, "websocket.close_timeout", "must be > 0"},
	{"max connections zero", func(c *Config) { c.WebSocket.MaxConnections = 0 }, "websocket.max_connections", "must be > 0"},
	{"max connections per app negative", func(c *Config) { c.WebSocket.MaxConnectionsPerApp = -1 }, "websocket.max_connections_per_app", "must be >= 0"},
	{"max handshaking zero", func(c *Config) { c.WebSocket.MaxHandshaking = 0 }, "websocket.max_handshaking", "must be > 0"},
	{"max message size zero", func(c *Config) { c.WebSocket.MaxMessageSize = 0 }, "websocket.max_message_size", "must be > 0"},
	{"max header bytes negative", func(c *Config) { c.WebSocket.MaxHeaderBytes = -1 }, "websocket.max_header_bytes", "must be > 0"},
	{"max target bytes zero", func(c *Config) { c.WebSocket.MaxTargetBytes = 0 }, "websocket.max_target_bytes", "must be > 0"},
	{"max pending bytes zero", func(c *Config) { c.WebSocket.MaxPendingBytes = 0 }, "websocket.max_pending_bytes", "must be > 0"},
	{"max handshaking per source zero", func(c *Config) { c.WebSocket.MaxHandshakingPerSource = 0 }, "websocket.max_handshaking_per_source", "must be > 0"},
	{"max output memory negative", func(c *Config) { c.WebSocket.MaxOutputMemory = -1 }, "websocket.max_output_memory", "must be > 0"},
	{"max input memory zero", func(c *Config) { c.WebSocket.MaxInputMemory = 0 }, "websocket.max_input_memory", "must be > 0"},
	// Log.
	{"log level unknown", func(c *Config) { c.Log.Level = "verbose" }, "log.level", `"verbose": want one of debug, info, warn, error`},
	{"log level upper case", func(c *Config) { c.Log.Level = "INFO" }, "log.level", "want one of"},
	{"log format unknown", func(c *Config) { c.Log.Format = "xml" }, "log.format", "want one of text, json"},
	// Applications.
	{"app name empty", func(c *Config) { c.Apps[1].Name = "" }, "app[1].name", "want 1-64"},
	{"app name duplicate", func(c *Config) { c.Apps[1].Name = "echo" }, "app[1].name", `duplicate name "echo"`},
	{"app kind empty", func(c *Config) { c.Apps[0].Kind = "" }, "app[0].kind", "required"},
	{"app kind not a name", func(c *Config) { c.Apps[0].Kind = "a b" }, "app[0].kind", `"a b"`},
	{"app path empty", func(c *Config) { c.Apps[0].Path = "" }, "app[0].path", `must start with "/"`},
	{"app path relative", func(c *Config) { c.Apps[0].Path = "echo" }, "app[0].path", `must start with "/"`},
	{"app path query", func(c *Config) { c.Apps[0].Path = "/echo?x=1" }, "app[0].path", `"?" or "#"`},
	{"app path fragment", func(c *Config) { c.Apps[0].Path = "/echo#x" }, "app[0].path", `"?" or "#"`},
	{"app path space", func(c *Config) { c.Apps[0].Path = "/e cho" }, "app[0].path", "printable ASCII"},
	{"app path non-ASCII", func(c *Config) { c.Apps[0].Path = "/écho" }, "app[0].path", "printable ASCII"},
	{"app path percent-encoded", func(c *Config) { c.Apps[0].Path = "/%C3%A9cho/x" }, "", ""},
	{"app path root", func(c *Config) { c.Apps[0].Path = "/" }, "", ""},
	{"app path over target limit", func(c *Config) { c.Apps[0].Path = "/" + strings.Repeat("a", 4096) }, "app[0].path", "max_target_bytes"},
	{"app path duplicate", func(c *Config) { c.Apps[1].Path = "/echo" }, "app[1].path", `duplicate path "/echo"`},
	{"app scope empty", func(c *Config) { c.Apps[0].Scope = []string{} }, "app[0].scope", "must not be empty"},
	{"app scope unknown", func(c *Config) { c.Apps[1].Scope = []string{"http", "wss"} }, "app[1].scope", `unknown server "wss"`},
	{"app scope duplicate", func(c *Config) { c.Apps[0].Scope = []string{"ws", "ws"} }, "app[0].scope", `duplicate server "ws"`},
	{"app scope one server", func(c *Config) { c.Apps[0].Scope = []string{"ws"} }, "", ""},
	{"app scope nil, not normalized", func(c *Config) { c.Apps[0].Scope = nil }, "app[0].scope", "must not be empty"},
	{"subprotocol not a token", func(c *Config) { c.Apps[0].Subprotocols = []string{"echo v1"} }, "app[0].subprotocols", "not a token"},
	{"subprotocol empty", func(c *Config) { c.Apps[0].Subprotocols = []string{""} }, "app[0].subprotocols", "not a token"},
	{"subprotocol separator", func(c *Config) { c.Apps[0].Subprotocols = []string{"a,b"} }, "app[0].subprotocols", "not a token"},
	{"subprotocol duplicate", func(c *Config) { c.Apps[0].Subprotocols = []string{"a", "b", "a"} }, "app[0].subprotocols", `duplicate "a"`},
	{"subprotocol token characters", func(c *Config) { c.Apps[0].Subprotocols = []string{"v1.json+x_y~!#$%&'*^`|"} }, "", ""},
	{"default subprotocol unsupported", func(c *Config) { c.Apps[0].DefaultSubprotocol = "echo.v2" }, "app[0].default_subprotocol", "not in subprotocols"},
	{"default subprotocol", func(c *Config) { c.Apps[0].DefaultSubprotocol = "echo.v1" }, "", ""},
	{"app max connections negative", func(c *Config) { c.Apps[0].MaxConnections = -1 }, "app[0].max_connections", "must be >= 0"},
	{"origins every form", func(c *Config) {
		c.Apps[0].Origins = []string{"*", "https://a.example", "http://b.example:8080", "*.example.com",
			"https://*.example.com", "https://*.example.com:8443", "http://127.0.0.1:8080", "http://[::1]:8080",
			"http://[::1]", "http://localhost"}
	}, "", ""},
	{"origin without scheme", func(c *Config) { c.Apps[0].Origins = []string{"a.example"} }, "app[0].origins", "want scheme://host"},
	{"origin scheme", func(c *Config) { c.Apps[0].Origins = []string{"ftp://a.example"} }, "app[0].origins", "http or https"},
	{"origin path", func(c *Config) { c.Apps[0].Origins = []string{"https://a.example/"} }, "app[0].origins", "bad host"},
	{"origin user", func(c *Config) { c.Apps[0].Origins = []string{"https://u@a.example"} }, "app[0].origins", "bad host"},
	{"origin port zero", func(c *Config) { c.Apps[0].Origins = []string{"https://a.example:0"} }, "app[0].origins", "bad port"},
	{"origin port empty", func(c *Config) { c.Apps[0].Origins = []string{"https://a.example:"} }, "app[0].origins", "bad port"},
	{"origin empty host", func(c *Config) { c.Apps[0].Origins = []string{"https://"} }, "app[0].origins", "bad host"},
	{"origin wildcard alone", func(c *Config) { c.Apps[0].Origins = []string{"*."} }, "app[0].origins", "bad host"},
	{"origin wildcard inside", func(c *Config) { c.Apps[0].Origins = []string{"https://a.*.example"} }, "app[0].origins", "wildcard"},
	{"origin IPv6 unterminated", func(c *Config) { c.Apps[0].Origins = []string{"http://[::1"} }, "app[0].origins", "bad"},
	{"origin IPv4 in brackets", func(c *Config) { c.Apps[0].Origins = []string{"http://[127.0.0.1]"} }, "app[0].origins", "bad IPv6"},
	{"auth unknown", func(c *Config) { c.Apps[0].Auth = "oauth" }, "app[0].auth", "want one of none, basic, token"},
	{"auth without credentials", func(c *Config) { c.Apps[0].Auth = "basic" }, "app[0].credentials", `required with auth "basic"`},
	{"credentials without auth", func(c *Config) { c.Apps[0].Credentials = "users.txt" }, "app[0].credentials", `auth is "none"`},
	{"users without auth", func(c *Config) { c.Apps[0].Users = []string{"alice"} }, "app[0].users", `auth is "none"`},
	{"token auth with users", func(c *Config) {
		c.Apps[0].Auth, c.Apps[0].Credentials, c.Apps[0].Users = "token", "tokens.txt", []string{"alice", "bob"}
	}, "", ""},
	{"user with colon", func(c *Config) {
		c.Apps[0].Auth, c.Apps[0].Credentials, c.Apps[0].Users = "basic", "users.txt", []string{"a:b"}
	}, "app[0].users", `"a:b"`},
	{"user empty", func(c *Config) {
		c.Apps[0].Auth, c.Apps[0].Credentials, c.Apps[0].Users = "basic", "users.txt", []string{""}
	}, "app[0].users", "non-empty"},
	{"user duplicate", func(c *Config) {
		c.Apps[0].Auth, c.Apps[0].Credentials, c.Apps[0].Users = "basic", "users.txt", []string{"a", "a"}
	}, "app[0].users", `duplicate "a"`},
	{"pubsub client_publish on echo", func(c *Config) { c.Apps[0].ClientPublish = true }, "app[0].client_publish", `only for kind "pubsub"`},
	{"pubsub max_subscriptions on broadcast", func(c *Config) { c.Apps[1].MaxSubscriptions = 5 }, "app[1].max_subscriptions", `only for kind "pubsub"`},
	{"pubsub acl on echo", func(c *Config) { c.Apps[0].ACL = "acl.txt" }, "app[0].acl", `only for kind "pubsub"`},
	{"pubsub settings", func(c *Config) {
		a := &c.Apps[2]
		a.ClientPublish, a.MaxSubscriptions, a.MaxMessageRate, a.MaxRetained, a.MaxRetainedBytes = true, 5, 1000, 1, 1
		a.Auth, a.Credentials, a.ACL = "token", "tokens.txt", "acl.txt"
	}, "", ""},
	{"pubsub max_subscriptions zero", func(c *Config) { c.Apps[2].MaxSubscriptions = 0 }, "app[2].max_subscriptions", "must be > 0"},
	{"pubsub max_message_rate negative", func(c *Config) { c.Apps[2].MaxMessageRate = -1 }, "app[2].max_message_rate", "must be > 0"},
	{"pubsub max_retained negative", func(c *Config) { c.Apps[2].MaxRetained = -5 }, "app[2].max_retained", "must be > 0"},
	{"pubsub max_retained_bytes negative", func(c *Config) { c.Apps[2].MaxRetainedBytes = -1 }, "app[2].max_retained_bytes", "must be > 0"},
	{"pubsub acl without auth", func(c *Config) { c.Apps[2].ACL = "acl.txt" }, "app[2].acl", `auth is "none"`},
	// Slow consumers and the proxy kind.
	{"slow consumer pause", func(c *Config) { c.Apps[0].SlowConsumer = "pause" }, "", ""},
	{"slow consumer unknown", func(c *Config) { c.Apps[0].SlowConsumer = "drop" }, "app[0].slow_consumer", "want one of close, pause"},
	{"proxy", func(c *Config) { proxyApp(c, "tcp://127.0.0.1:1883") }, "", ""},
	{"proxy unix", func(c *Config) { proxyApp(c, "unix:///run/daemon.sock") }, "", ""},
	{"proxy wss with CA", func(c *Config) {
		proxyApp(c, "wss://backend.example/ws")
		c.Apps[0].UpstreamTLSCA = "ca.pem"
	}, "", ""},
	{"proxy without upstream", func(c *Config) { proxyApp(c, "") }, "app[0].upstream", `required with kind = "proxy"`},
	{"proxy bad scheme", func(c *Config) { proxyApp(c, "http://x") }, "app[0].upstream", "want ws://host/path"},
	{"proxy CA without TLS", func(c *Config) {
		proxyApp(c, "ws://x/")
		c.Apps[0].UpstreamTLSInsecure = true
	}, "app[0].upstream_tls_ca", "wss:// upstreams only"},
	{"proxy bad header", func(c *Config) {
		proxyApp(c, "ws://x/")
		c.Apps[0].ForwardHeaders = []string{"X Bad"}
	}, "app[0].forward_headers", `"X Bad"`},
	{"proxy forwards a header the gateway writes", func(c *Config) {
		proxyApp(c, "ws://x/")
		c.Apps[0].ForwardHeaders = []string{"Cookie", "x-wsgate-user"}
	}, "app[0].forward_headers", `"x-wsgate-user"`},
	{"proxy stream messages", func(c *Config) {
		proxyApp(c, "tcp://x:1")
		c.Apps[0].StreamMessages = "json"
	}, "app[0].stream_messages", "want one of binary, text"},
	{"proxy connect timeout as an integer", func(c *Config) {
		proxyApp(c, "tcp://x:1")
		c.Apps[0].ConnectTimeout = 5
	}, "app[0].connect_timeout", "with a unit"},
	{"proxy keys on another kind", func(c *Config) { c.Apps[0].Upstream = "tcp://x:1" }, "app[0].upstream", `only for kind "proxy"`},
}

// proxyApp makes the first application a proxy to upstream.
func proxyApp(c *Config, upstream string) {
	c.Apps[0].Kind, c.Apps[0].Upstream = KindProxy, upstream
}

func TestValidate(t *testing.T) {
	for _, tc := range validateCases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want an error in %s", tc.field)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q is not ErrInvalid", err)
			}
			fes := fieldErrors(t, err)
			if len(fes) != 1 {
				t.Errorf("%d errors, want 1:\n%v", len(fes), err)
			}
			want := "config: " + tc.field + ": "
			if fes[0].Field != tc.field || !strings.HasPrefix(fes[0].Error(), want) || !strings.Contains(fes[0].Msg, tc.msg) {
				t.Errorf("error %q: want %q...%q", fes[0], want, tc.msg)
			}
		})
	}
}

func TestValidateZeroConfig(t *testing.T) {
	// Without Normalize the zero Config has no listen address and zero limits: Validate
	// reports them instead of assuming defaults.
	var c Config
	err := c.Validate()
	fields := map[string]bool{}
	for _, fe := range fieldErrors(t, err) {
		fields[fe.Field] = true
	}
	for _, f := range []string{"http.listen", "websocket.max_connections", "websocket.max_message_size", "log.level"} {
		if !fields[f] {
			t.Errorf("no error for %s in %v", f, err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	c := Default()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCheckKinds(t *testing.T) {
	c := Default()
	c.Apps = append(c.Apps, App{Name: "chat", Kind: "chat", Path: "/chat"})
	c.Normalize()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate rejects a kind it does not know: %v", err)
	}
	err := c.CheckKinds([]string{"broadcast", "echo", "pubsub"})
	want := `config: app[3].kind: unknown kind "chat" (have broadcast, echo, pubsub)`
	if err == nil || err.Error() != want {
		t.Fatalf("CheckKinds = %v, want %s", err, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "app[3].kind" || !errors.Is(err, ErrInvalid) {
		t.Fatalf("not a field error: %#v", err)
	}
	if err := c.CheckKinds([]string{"broadcast", "chat", "echo", "pubsub"}); err != nil {
		t.Fatalf("an embedder's kind refused: %v", err)
	}
}

// manyStandalone returns n standalone servers on ephemeral ports, the first named "ws"
// as in the default configuration.
func manyStandalone(n int) []Listener {
	l := make([]Listener, n)
	for i := range l {
		l[i] = Listener{Name: fmt.Sprintf("s%d", i), Listen: "127.0.0.1:0"}
	}
	l[0].Name = "ws"
	return l
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		c    func() *Config
		want []string
	}{
		{"default", Default, nil},
		{"no app", base, []string{"no [[app]] in the file"}},
		{"metrics", func() *Config { c := Default(); c.Metrics.Listen = "127.0.0.1:9100"; return c },
			[]string{`[metrics] is deprecated: it opens the admin listener without authentication; write [admin] listen = "127.0.0.1:9100"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.c().Warnings()
			if len(got) != len(tc.want) {
				t.Fatalf("Warnings() = %q, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("warning %d = %q, want it to start with %q", i, got[i], w)
				}
			}
		})
	}
	if c := Default(); c.AdminListen() != "" {
		t.Errorf("AdminListen of the default: %q", c.AdminListen())
	}
	c := Default()
	c.Metrics.Listen = "127.0.0.1:9100"
	if c.AdminListen() != "127.0.0.1:9100" {
		t.Errorf("AdminListen with [metrics]: %q", c.AdminListen())
	}
}
