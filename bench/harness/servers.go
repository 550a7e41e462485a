package harness

import (
	"time"

	"github.com/wsgate/wsgate/bench/load"
)

// Server is one WebSocket server of the comparison. Command arguments may
// hold {bin} (the built binary), {addr} (host:port to listen on), {config}
// (the file written from Config) and {dir} (Dir, absolute).
type Server struct {
	Name string
	// Dir is where Setup, Build and Run run, relative to the repository root.
	Dir string
	// Requires is a file (relative to the root) without which the server is
	// skipped, e.g. wsgate's main package while it is being written.
	Requires string
	// Setup installs dependencies once, unless SetupDone (relative to Dir)
	// already exists.
	Setup     []string
	SetupDone string
	// Build builds {bin}; empty for servers that need no build.
	Build []string
	// Run starts the server in the foreground.
	Run []string
	// Config is written to {config} before each start, with {addr}, {host},
	// {port} (its parts) and {aux} (a second free loopback address) substituted.
	Config string
	// EchoPath and BroadcastPath are the request paths of the echo and the
	// broadcast application.
	EchoPath, BroadcastPath string
	// PubSubPath is the request path of topics in the pubsub scenario
	// (?topic=T subscribes; a client with one topic publishes to it); empty:
	// the server has no topics and sits the pubsub cases out. PubSubProtocol
	// is how its clients speak (load.Raw, load.Centrifugo).
	PubSubPath     string
	PubSubProtocol load.Protocol
	// About says what the server is, for the report.
	About string
	// HeadFallback builds the last commit (git archive HEAD) when the working
	// tree does not build, e.g. while someone is half-way through an edit.
	HeadFallback bool
	// Pprof is the main package (relative to Dir) of a Go server that
	// can be built with a pprof endpoint for -profile; empty: perf is used.
	Pprof string
}

// Baseline is the server every ratio is given against.
const Baseline = "wsgate"

// wsgateConfig serves both applications on a standalone WebSocket listener
// ({addr}) with pings off; the HTTP service gets the spare port.
const wsgateConfig = `[http]
listen = "{aux}"

[websocket]
ping_interval = "0s"
max_connections = 100000

[[standalone]]
name = "ws"
listen = "{addr}"

[[app]]
name = "echo"
kind = "echo"
path = "/echo"
scope = ["http", "ws"]

[[app]]
name = "broadcast"
kind = "broadcast"
path = "/broadcast"
scope = ["http", "ws"]

[[app]]
name = "pubsub"
kind = "pubsub"
path = "/pubsub"
scope = ["http", "ws"]
client_publish = true
max_message_rate = 1000000
`

// centrifugoConfig lets anonymous clients connect, subscribe and publish (insecure mode),
// as the raw clients of the other servers do. TOML: the harness names every config file
// <server>.toml, and Centrifugo reads the format from the extension.
const centrifugoConfig = `[http_server]
address = "{host}"
port = {port}

[log]
level = "error"

[client]
insecure = true
allowed_origins = ["*"]

[http_api]
insecure = true
`

// pathFor is the request path of case c on s, "" when s does not serve the scenario.
func (s *Server) pathFor(c Case) string {
	switch c.Scenario {
	case load.Broadcast:
		return s.BroadcastPath
	case load.PubSub:
		return s.PubSubPath
	}
	return s.EchoPath
}

func goPeer(name, about string) Server {
	return Server{
		Name: name, Dir: "bench/peers/" + name,
		Build:    []string{"go", "build", "-o", "{bin}", "."},
		Run:      []string{"{bin}", "-addr", "{addr}"},
		EchoPath: "/echo", BroadcastPath: "/broadcast", About: about,
	}
}

// Servers is the comparison, wsgate first.
var Servers = []Server{
	{
		Name: "wsgate", Dir: ".", Requires: "cmd/wsgate/main.go",
		Build:    []string{"go", "build", "-o", "{bin}", "./cmd/wsgate"},
		Run:      []string{"{bin}", "-config", "{config}"},
		Config:   wsgateConfig,
		EchoPath: "/echo", BroadcastPath: "/broadcast", PubSubPath: "/pubsub",
		About: "this repository: gnet v2 event loop, standalone listener",
		Pprof: "cmd/wsgate", HeadFallback: true,
	},
	{
		Name: "uws", Dir: "bench/peers/uws",
		Setup:     []string{"npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--omit=optional"},
		SetupDone: "node_modules/@trufflesuite/uws-js-unofficial/package.json",
		Run:       []string{"node", "server.js", "-addr", "{addr}"},
		EchoPath:  "/echo", BroadcastPath: "/broadcast", PubSubPath: "/pubsub",
		About: "uWebSockets (native binary of @trufflesuite/uws-js-unofficial) on node; native pub/sub",
	},
	{
		Name: "centrifugo", Dir: "bench/peers/centrifugo",
		Build:          []string{"go", "build", "-o", "{bin}", "github.com/centrifugal/centrifugo/v6"},
		Run:            []string{"{bin}", "--config", "{config}"},
		Config:         centrifugoConfig,
		PubSubPath:     "/connection/websocket",
		PubSubProtocol: load.Centrifugo,
		About:          "Centrifugo v6.9.1 (its own nested module), memory engine, JSON client protocol, insecure client mode; pubsub only",
	},
	goPeer("gws", "lxzan/gws on net/http, goroutine per connection, Broadcaster"),
	goPeer("gorilla", "gorilla/websocket on net/http, goroutine per connection, PreparedMessage hub"),
	goPeer("nbio", "lesismal/nbio nbhttp, non-blocking mode (IOModNonBlocking)"),
	goPeer("gobwas", "gobwas/ws on a raw listener, goroutine per connection, low-level frame API"),
	goPeer("gnet", "plain gnet v2 + gobwas/ws (the gateway's stack without the gateway)"),
}

// Case is one scenario of the plan with its parameters.
type Case struct {
	Key      string // short id, e.g. "echo64"
	Title    string // for the report
	Scenario load.Scenario
	Conns    int
	Size     int
	Topics   int // pubsub
	Duration time.Duration
	Warmup   time.Duration
	Settle   time.Duration
}

// Plan is what one mode runs.
type Plan struct {
	Mode   string
	Rounds int
	Cases  []Case
}

// Plans: quick stays under a minute for every server; full takes a few
// minutes. Idle holds as many connections as one process may here
// (RLIMIT_NOFILE hard limit 20000) less room for the process's own files.
var Plans = map[string]Plan{
	"quick": {Mode: "quick", Rounds: 1, Cases: []Case{
		{Key: "echo64", Title: "echo 64 B × 1000", Scenario: load.Echo, Conns: 1000, Size: 64, Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond},
		{Key: "echo4k", Title: "echo 4 KiB × 100", Scenario: load.Echo, Conns: 100, Size: 4096, Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond},
		{Key: "idle", Title: "idle × 2000", Scenario: load.Idle, Conns: 2000, Size: 16, Settle: 300 * time.Millisecond},
		{Key: "upgrade", Title: "upgrade (64 workers)", Scenario: load.Upgrade, Conns: 64, Size: 16, Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond},
		{Key: "bcast1k", Title: "broadcast 64 B → 1000", Scenario: load.Broadcast, Conns: 1000, Size: 64, Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond},
		{Key: "pubsub", Title: "pubsub 64 B → 2000 on 20 topics", Scenario: load.PubSub, Conns: 2000, Topics: 20, Size: 64, Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond},
	}},
	"full": {Mode: "full", Rounds: 5, Cases: []Case{
		{Key: "echo64", Title: "echo 64 B × 1000", Scenario: load.Echo, Conns: 1000, Size: 64, Duration: 1200 * time.Millisecond, Warmup: 300 * time.Millisecond},
		{Key: "echo4k", Title: "echo 4 KiB × 100", Scenario: load.Echo, Conns: 100, Size: 4096, Duration: 1200 * time.Millisecond, Warmup: 300 * time.Millisecond},
		{Key: "idle", Title: "idle × 19000", Scenario: load.Idle, Conns: 19000, Size: 16, Settle: time.Second},
		{Key: "upgrade", Title: "upgrade (64 workers)", Scenario: load.Upgrade, Conns: 64, Size: 16, Duration: 1200 * time.Millisecond, Warmup: 300 * time.Millisecond},
		{Key: "bcast1k", Title: "broadcast 64 B → 1000", Scenario: load.Broadcast, Conns: 1000, Size: 64, Duration: 1200 * time.Millisecond, Warmup: 200 * time.Millisecond},
		{Key: "bcast10k", Title: "broadcast 64 B → 10000", Scenario: load.Broadcast, Conns: 10000, Size: 64, Duration: 1200 * time.Millisecond, Warmup: 200 * time.Millisecond},
		{Key: "pubsub1k", Title: "pubsub 64 B → 1000 on 10 topics", Scenario: load.PubSub, Conns: 1000, Topics: 10, Size: 64, Duration: 1200 * time.Millisecond, Warmup: 200 * time.Millisecond},
		{Key: "pubsub", Title: "pubsub 64 B → 10000 on 100 topics", Scenario: load.PubSub, Conns: 10000, Topics: 100, Size: 64, Duration: 1200 * time.Millisecond, Warmup: 200 * time.Millisecond},
	}},
}
