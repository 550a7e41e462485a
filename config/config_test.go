package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// fullFile sets every key of the schema to something other than its default.
const fullFile = `
[http]
listen = "0.0.0.0:80"
root = "/srv/www"
tls_cert = "/etc/wsgate/http.crt"
tls_key = "/etc/wsgate/http.key"
[websocket]
enabled = false
ping_interval = "1m"
max_connections = 100
max_connections_per_app = 10
max_message_size = 2048
handshake_timeout = "2s"
max_header_bytes = "16KiB"
max_target_bytes = "2 KiB"
max_pending_bytes = "1MB"
max_handshaking_per_source = 32
max_output_memory = "64MiB"
max_input_memory = "32MiB"
max_handshaking = 50
shutdown_timeout = "10s"
close_timeout = "500ms"
[log]
level = "debug"
format = "json"
[admin]
listen = "127.0.0.1:9100"
auth = "token"
credentials = "/etc/wsgate/admin.tokens"
max_connections = 8
[process]
gc_percent = 25
memory_limit = "256MiB"
event_loops = 1
[[standalone]]
name = "plain"
listen = "127.0.0.1:8082"
[[standalone]]
name = "secure"
listen = "[::1]:8443"
tls_cert = "ws.crt"
tls_key = "ws.key"
[[app]]
name = "chat"
kind = "broadcast"
path = "/chat"
scope = ["secure"]
subprotocols = ["chat.v2", "chat.v1"]
default_subprotocol = "chat.v1"
max_connections = 5
compression = true
origins = ["https://App.Example", "*.example.com"]
auth = "token"
credentials = "/etc/wsgate/tokens"
users = ["alice", "bob"]
`

func fullConfig() *Config {
	return &Config{
		HTTP: HTTP{Listen: "0.0.0.0:80", Root: "/srv/www",
			TLSCert: "/etc/wsgate/http.crt", TLSKey: "/etc/wsgate/http.key"},
		WebSocket: WebSocket{
			Enabled: false, PingInterval: time.Minute,
			MaxConnections: 100, MaxConnectionsPerApp: 10, MaxHandshaking: 50,
			MaxMessageSize: 2048, MaxHeaderBytes: 16 * KiB, MaxTargetBytes: 2 * KiB, MaxPendingBytes: 1e6,
			MaxHandshakingPerSource: 32, MaxOutputMemory: 64 * MiB, MaxInputMemory: 32 * MiB,
			HandshakeTimeout: 2 * time.Second, ShutdownTimeout: 10 * time.Second, CloseTimeout: 500 * time.Millisecond,
		},
		Log:     Log{Level: "debug", Format: "json"},
		Admin:   Admin{Listen: "127.0.0.1:9100", Auth: "token", Credentials: "/etc/wsgate/admin.tokens", MaxConnections: 8},
		Process: Process{GCPercent: 25, MemoryLimit: 256 * MiB, EventLoops: 1},
		Standalone: []Listener{
			{Name: "plain", Listen: "127.0.0.1:8082"},
			{Name: "secure", Listen: "[::1]:8443", TLSCert: "ws.crt", TLSKey: "ws.key"},
		},
		Apps: []App{{
			Name: "chat", Kind: "broadcast", Path: "/chat", Scope: []string{"secure"},
			Subprotocols: []string{"chat.v2", "chat.v1"}, DefaultSubprotocol: "chat.v1",
			MaxConnections: 5, Compression: true,
			Origins: []string{"https://app.example", "*.example.com"},
			Auth:    "token", Credentials: "/etc/wsgate/tokens", Users: []string{"alice", "bob"},
		}},
	}
}

// with returns base() changed by f: the expected result of a file that sets a few keys.
func with(f func(c *Config)) func() *Config {
	return func() *Config {
		c := base()
		f(c)
		return c
	}
}

// parseCases are valid files and what they mean; BenchmarkParse shares them.
var parseCases = []struct {
	name string
	in   string
	want func() *Config
}{
	{name: "empty", in: "", want: base},
	{name: "comments only", in: "# nothing\n\n", want: base},
	{name: "empty sections", in: "[http]\n[websocket]\n[log]\n[admin]\n[metrics]\n", want: base},
	{name: "deprecated metrics section", in: "[metrics]\nlisten = \"127.0.0.1:9100\"\n",
		want: with(func(c *Config) { c.Metrics.Listen = "127.0.0.1:9100" })},
	{name: "example", in: string(Example()), want: Default},
	{name: "full", in: fullFile, want: fullConfig},
	{name: "minimal app", in: "[[app]]\nname = \"e\"\nkind = \"echo\"\npath = \"/\"\n",
		want: with(func(c *Config) {
			c.Apps = []App{{Name: "e", Kind: "echo", Path: "/", Scope: []string{"http"}, Auth: "none"}}
		})},
	{name: "pubsub defaults", in: "[[app]]\nname = \"t\"\nkind = \"pubsub\"\npath = \"/t\"\n",
		want: with(func(c *Config) {
			c.Apps = []App{{Name: "t", Kind: "pubsub", Path: "/t", Scope: []string{"http"}, Auth: "none",
				MaxSubscriptions: 100, MaxMessageRate: 100, MaxRetained: 10000, MaxRetainedBytes: 16 * MiB}}
		})},
	{name: "pubsub settings", in: "[[app]]\nname = \"t\"\nkind = \"pubsub\"\npath = \"/t\"\nauth = \"token\"\ncredentials = \"tok\"\n" +
		"client_publish = true\nmax_subscriptions = 5\nmax_message_rate = 20\nmax_retained = 7\nmax_retained_bytes = \"1MiB\"\nacl = \"acl.txt\"\n",
		want: with(func(c *Config) {
			c.Apps = []App{{Name: "t", Kind: "pubsub", Path: "/t", Scope: []string{"http"}, Auth: "token", Credentials: "tok",
				ClientPublish: true, MaxSubscriptions: 5, MaxMessageRate: 20, MaxRetained: 7, MaxRetainedBytes: MiB, ACL: "acl.txt"}}
		})},
	{name: "scope defaults to every server",
		in: "[[standalone]]\nname = \"a\"\nlisten = \":2000\"\n[[standalone]]\nname = \"b\"\nlisten = \":0\"\n" +
			"[[app]]\nname = \"e\"\nkind = \"echo\"\npath = \"/e\"\n",
		want: with(func(c *Config) {
			c.Standalone = []Listener{{Name: "a", Listen: ":2000"}, {Name: "b", Listen: ":0"}}
			c.Apps = []App{{Name: "e", Kind: "echo", Path: "/e", Scope: []string{"http", "a", "b"}, Auth: "none"}}
		})},
	{name: "cluster one url", in: "[cluster]\nnats = \"nats://10.0.0.5:4222\"\nname = \"gw-1\"\n",
		want: with(func(c *Config) { c.Cluster = Cluster{NATS: StringList{"nats://10.0.0.5:4222"}, Name: "gw-1"} })},
	{name: "cluster url list", in: "[cluster]\nnats = [\"nats://a:4222\", \"tls://b:4222\"]\nsubject_prefix = \"prod.ws\"\n",
		want: with(func(c *Config) {
			c.Cluster = Cluster{NATS: StringList{"nats://a:4222", "tls://b:4222"}, SubjectPrefix: "prod.ws"}
		})},
	{name: "ping disabled by integer 0", in: "[websocket]\nping_interval = 0\n",
		want: with(func(c *Config) { c.WebSocket.PingInterval = 0 })},
	{name: "ping disabled by string", in: "[websocket]\nping_interval = \"0s\"\n",
		want: with(func(c *Config) { c.WebSocket.PingInterval = 0 })},
	{name: "websocket disabled", in: "[websocket]\nenabled = false\n",
		want: with(func(c *Config) { c.WebSocket.Enabled = false })},
	{name: "size as integer", in: "[websocket]\nmax_message_size = 2048\n",
		want: with(func(c *Config) { c.WebSocket.MaxMessageSize = 2048 })},
	{name: "size with space and SI unit", in: "[websocket]\nmax_message_size = \"2 MB\"\n",
		want: with(func(c *Config) { c.WebSocket.MaxMessageSize = 2e6 })},
	{name: "inline and dotted keys", in: "websocket.max_connections = 7\nlog = { level = \"warn\" }\n",
		want: with(func(c *Config) { c.WebSocket.MaxConnections = 7; c.Log.Level = "warn" })},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if want := tc.want(); !reflect.DeepEqual(got, want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestParseNil(t *testing.T) {
	got, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := base(); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(nil) = %+v, want %+v", got, want)
	}
	if got.Apps != nil || got.Standalone != nil || !got.WebSocket.Enabled || got.WebSocket.PingInterval != 30*time.Second {
		t.Errorf("Parse(nil) = %+v: want no apps, no standalone servers, enabled, 30s pings", got)
	}
}

// fieldErrors flattens an error returned by Parse or Validate.
func fieldErrors(t *testing.T, err error) []*FieldError {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var fes []*FieldError
	for _, e := range errs {
		fe, ok := e.(*FieldError)
		if !ok {
			t.Fatalf("error %T %q is not a *FieldError", e, e)
		}
		if !strings.HasPrefix(fe.Error(), "config: ") {
			t.Errorf("error %q lacks the package prefix", fe)
		}
		fes = append(fes, fe)
	}
	return fes
}

// parseErrorCases are files Parse must refuse, with the field and sentinel of the first error.
var parseErrorCases = []struct {
	name  string
	in    string
	field string
	err   error
	msg   string // a substring of the first error's message
}{
	{"syntax", "[http\n", "", ErrDecode, "table name"},
	{"cluster nats number", "[cluster]\nnats = 4222\n", "cluster.nats", ErrDecode, "string or a list"},
	{"cluster nats list of numbers", "[cluster]\nnats = [1]\n", "cluster.nats", ErrDecode, "string or a list"},
	{"unterminated array", "a = [", "a", ErrDecode, "line 1"},
	{"wrong type", "[http]\nlisten = 8080\n", "http.listen", ErrDecode, "line 2"},
	{"table expected", "http = 1\n", "http", ErrDecode, "table"},
	{"scope not an array", "[[app]]\nscope = \"http\"\n", "app.scope", ErrDecode, "line 2"},
	{"unknown key", "[websocket]\nping_intervall = \"1s\"\n", "websocket.ping_intervall", ErrUnknownKey, "unknown key"},
	{"unknown table", "[[apps]]\nname = \"x\"\n", "apps", ErrUnknownKey, "unknown key"},
	{"unknown app key", "[[app]]\nname = \"x\"\nmax_message_size = 1\n", "app.max_message_size", ErrUnknownKey, "unknown key"},
	{"key in upper case", "[http]\nListen = \"127.0.0.1:1\"\n", "http.Listen", ErrUnknownKey, "unknown key"},
	{"table in upper case", "[HTTP]\nlisten = \"127.0.0.1:1\"\n", "HTTP", ErrUnknownKey, "unknown key"},
	{"integer duration", "[websocket]\nping_interval = 30\n", "websocket.ping_interval", ErrDecode, "nanoseconds"},
	{"integer timeout", "[websocket]\nclose_timeout = 3\n", "websocket.close_timeout", ErrDecode, "nanoseconds"},
	{"bad duration", "[websocket]\nhandshake_timeout = \"5 s\"\n", "websocket.handshake_timeout", ErrDecode, "invalid duration"},
	{"duration without unit", "[websocket]\nshutdown_timeout = \"5\"\n", "websocket.shutdown_timeout", ErrDecode, "invalid duration"},
	{"negative duration", "[websocket]\nping_interval = \"-1s\"\n", "websocket.ping_interval", ErrInvalid, ">= 0"},
	{"zero timeout", "[websocket]\nhandshake_timeout = \"0s\"\n", "websocket.handshake_timeout", ErrInvalid, "> 0"},
	{"gc_percent too low", "[process]\ngc_percent = 5\n", "process.gc_percent", ErrInvalid, "10 to 1000"},
	{"gc_percent off but not -1", "[process]\ngc_percent = -2\n", "process.gc_percent", ErrInvalid, "or -1"},
	{"negative event_loops", "[process]\nevent_loops = -1\n", "process.event_loops", ErrInvalid, "1 to 256"},
	{"too many event_loops", "[process]\nevent_loops = 1000\n", "process.event_loops", ErrInvalid, "or 0 (half the CPUs)"},
	{"fractional size", "[websocket]\nmax_message_size = \"1.5MiB\"\n", "websocket.max_message_size", ErrDecode, "fractions"},
	{"negative size string", "[websocket]\nmax_message_size = \"-1\"\n", "websocket.max_message_size", ErrDecode, "invalid size"},
	{"negative size integer", "[websocket]\nmax_message_size = -1\n", "websocket.max_message_size", ErrDecode, "negative"},
	{"float size", "[websocket]\nmax_message_size = 1.5\n", "websocket.max_message_size", ErrDecode, "float"},
	{"size unit", "[websocket]\nmax_header_bytes = \"8kib\"\n", "websocket.max_header_bytes", ErrDecode, "unknown unit"},
	{"zero size", "[websocket]\nmax_message_size = 0\n", "websocket.max_message_size", ErrInvalid, "must be > 0"},
	{"zero max_connections", "[websocket]\nmax_connections = 0\n", "websocket.max_connections", ErrInvalid, "must be > 0"},
	{"empty listen", "[http]\nlisten = \"\"\n", "http.listen", ErrInvalid, "missing port"},
	{"empty log level", "[log]\nlevel = \"\"\n", "log.level", ErrInvalid, "want one of"},
	{"empty scope", "[[app]]\nname = \"e\"\nkind = \"echo\"\npath = \"/e\"\nscope = []\n", "app[0].scope", ErrInvalid, "must not be empty"},
	{"app without kind", "[[app]]\nname = \"e\"\npath = \"/e\"\n", "app[0].kind", ErrInvalid, "required"},
	{"second app", "[[app]]\nname = \"e\"\nkind = \"echo\"\npath = \"/e\"\n[[app]]\nname = \"f\"\nkind = \"echo\"\npath = \"/e\"\n",
		"app[1].path", ErrInvalid, "duplicate path"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", c)
			}
			if c != nil {
				t.Errorf("Parse returned a config with error %v", err)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("error %q is not %v", err, tc.err)
			}
			fe := fieldErrors(t, err)[0]
			if fe.Field != tc.field || !strings.Contains(fe.Error(), tc.msg) {
				t.Errorf("first error %q: want field %q and %q", fe, tc.field, tc.msg)
			}
			if tc.field != "" && !strings.HasPrefix(fe.Error(), "config: "+tc.field) {
				t.Errorf("error %q does not start with the field", fe)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	in := "[websocket]\nmax_connections = -1\n[log]\nformat = \"xml\"\n[[app]]\nname = \"a\"\nkind = \"chat\"\npath = \"/a\"\nscope = [\"wss\"]\n"
	_, err := Parse([]byte(in))
	var got []string
	for _, fe := range fieldErrors(t, err) {
		got = append(got, fe.Field)
	}
	want := []string{"websocket.max_connections", "log.format", "app[0].scope"} // kinds: CheckKinds
	if !slices.Equal(got, want) {
		t.Errorf("fields %q, want %q\n%v", got, want, err)
	}
}

func TestParseUnknownKeysOnce(t *testing.T) {
	_, err := Parse([]byte("[bar]\nx = 1\ny = { z = 2 }\n[http]\nfoo = 1\n"))
	var got []string
	for _, fe := range fieldErrors(t, err) {
		got = append(got, fe.Field)
	}
	// Keys inside the unknown table "bar" are not reported on their own.
	if want := []string{"bar", "http.foo"}; !slices.Equal(got, want) {
		t.Errorf("unknown keys %q, want %q", got, want)
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate: %v", err)
	}
	n := Default()
	n.Normalize()
	if !reflect.DeepEqual(c, n) {
		t.Errorf("Default() is not normalized:\n%+v\n%+v", c, n)
	}
	c.Apps[0].Scope[0] = "changed"
	c.Standalone[0].Name = "changed"
	if d := Default(); d.Apps[0].Scope[0] != "http" || d.Standalone[0].Name != "ws" {
		t.Errorf("Default() shares memory between calls: %+v", d)
	}
	want := []App{
		{Name: "echo", Kind: "echo", Path: "/echo", Scope: []string{"http", "ws"}, Subprotocols: []string{"echo.v1"}, Compression: true, Auth: "none", SlowConsumer: "close"},
		{Name: "broadcast", Kind: "broadcast", Path: "/broadcast", Scope: []string{"http", "ws"}, Auth: "none"},
		{Name: "pubsub", Kind: "pubsub", Path: "/pubsub", Scope: []string{"http", "ws"}, Auth: "none",
			MaxSubscriptions: 100, MaxMessageRate: 100, MaxRetained: 10000, MaxRetainedBytes: 16 << 20},
	}
	if d := Default(); !reflect.DeepEqual(d.Apps, want) || d.HTTP.Listen != "127.0.0.1:8080" ||
		!reflect.DeepEqual(d.Standalone, []Listener{{Name: "ws", Listen: "127.0.0.1:8082"}}) {
		t.Errorf("Default() = %+v", d)
	}
}

func TestNormalize(t *testing.T) {
	var c Config // the zero value works once normalized
	c.Apps = []App{{Name: "e", Kind: "echo", Path: "/e", Origins: []string{"HTTPS://A.Example"}, Users: []string{}}}
	c.Standalone = []Listener{{Name: "ws", Listen: ":0"}}
	c.Normalize()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate after Normalize: %v", err)
	}
	w := c.WebSocket
	if c.HTTP.Listen != DefaultHTTPListen || w.MaxConnections != DefaultMaxConnections ||
		w.MaxMessageSize != DefaultMaxMessageSize || w.MaxHeaderBytes != DefaultMaxHeaderBytes ||
		w.MaxTargetBytes != DefaultMaxTargetBytes || w.MaxPendingBytes != DefaultMaxPendingBytes ||
		w.MaxHandshaking != DefaultMaxHandshaking || w.HandshakeTimeout != DefaultHandshakeTimeout ||
		w.MaxHandshakingPerSource != DefaultMaxHandshakingPerSource ||
		w.MaxOutputMemory != DefaultMaxOutputMemory || w.MaxInputMemory != DefaultMaxInputMemory ||
		w.ShutdownTimeout != DefaultShutdownTimeout || w.CloseTimeout != DefaultCloseTimeout ||
		c.Log != (Log{Level: "info", Format: "text"}) {
		t.Errorf("Normalize left zeros: %+v", c)
	}
	// Zero is a real choice for these three.
	if w.Enabled || w.PingInterval != 0 || w.MaxConnectionsPerApp != 0 {
		t.Errorf("Normalize changed Enabled, PingInterval or MaxConnectionsPerApp: %+v", w)
	}
	a := c.Apps[0]
	if a.Auth != "none" || !slices.Equal(a.Scope, []string{"http", "ws"}) ||
		!slices.Equal(a.Origins, []string{"https://a.example"}) || a.Users != nil {
		t.Errorf("Normalize app = %+v", a)
	}
	again := c
	again.Apps = slices.Clone(c.Apps)
	again.Normalize()
	if !reflect.DeepEqual(again, c) {
		t.Errorf("Normalize is not idempotent:\n%+v\n%+v", again, c)
	}
}

func TestExample(t *testing.T) {
	ex := Example()
	ex[0] = 'X'
	if Example()[0] == 'X' {
		t.Error("Example returns shared memory")
	}
	// Parse(Example()) == Default() is the "example" case of TestParse.
}

// TestExampleCoversSchema keeps Example complete: every key of the schema appears in it.
func TestExampleCoversSchema(t *testing.T) {
	var c Config
	md, err := toml.Decode(string(Example()), &c)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, k := range md.Keys() {
		have[k.String()] = true
	}
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			key := prefix + f.Tag.Get("toml")
			if key == "metrics" {
				continue // deprecated: Warnings points to [admin]; the example does not teach it
			}
			if !have[key] {
				t.Errorf("Example() lacks %s", key)
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Duration]() {
				walk(key+".", ft)
			}
		}
	}
	walk("", reflect.TypeFor[Config]())
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, c := range []*Config{Default(), fullConfig(), base()} {
		roundTrip(t, c)
	}
}

// roundTrip marshals c, parses the text and fails tb unless it reads c back.
func roundTrip(tb testing.TB, c *Config) {
	tb.Helper()
	out, err := c.Marshal()
	if err != nil {
		tb.Fatalf("Marshal: %v", err)
	}
	back, err := Parse(out)
	if err != nil {
		tb.Fatalf("Parse(Marshal()): %v\n%s", err, out)
	}
	if !reflect.DeepEqual(back, c) {
		tb.Fatalf("round trip changed the config:\n%+v\nwant\n%+v\n%s", back, c, out)
	}
}

func BenchmarkParse(b *testing.B) {
	for _, tc := range parseCases {
		in := []byte(tc.in)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Parse(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
