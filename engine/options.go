package engine

import (
	"log/slog"
	"runtime"
	"time"
)

// Options configure a Server. The zero value works: the HTTP service on 127.0.0.1:8080 with
// the default page, no standalone server, and the defaults below. Every default is applied
// in one place (Options.normalize); a negative value turns off a limit or timer whose zero
// means "the default".
type Options struct {
	// HTTP is the HTTP service: ordinary HTTP requests (the static root or the default page)
	// and upgrades to the applications in its scope. Its name is always "http" (HTTPService);
	// HTTP.Name is ignored. HTTP.Address defaults to "127.0.0.1:8080".
	HTTP Listener
	// Standalone lists the standalone servers: listeners that answer only upgrades to the
	// applications in their scope (docs/routing.md). At most 63.
	Standalone []Listener
	// StaticRoot is a directory of files the HTTP service serves; "" serves the default page,
	// which lists the servers and applications.
	StaticRoot string
	// NoHTTPUpgrades makes the HTTP service answer upgrade requests as ordinary HTTP requests
	// (websocket.enabled = false in the configuration file). Standalone servers are not
	// affected.
	NoHTTPUpgrades bool

	// PingInterval is how often the server pings an idle client, and how long a silent
	// connection may live before it is closed with 1001. Default 30s; negative: no pings and
	// no idle close.
	PingInterval time.Duration
	// HandshakeTimeout bounds the time from accept to a complete upgrade, and the idle time
	// of a kept-alive HTTP connection. Default 5s (also for a negative value).
	HandshakeTimeout time.Duration
	// CloseTimeout is how long to wait for the client's close frame after ours. Default 3s
	// (also for a negative value).
	CloseTimeout time.Duration

	// MaxConnections bounds the open WebSocket connections; beyond it upgrades get 503.
	// Default 50000; negative: no limit.
	MaxConnections int
	// MaxConnectionsPerApp bounds each application's connections; 0 (the default): none. An
	// application's own Spec.MaxConnections applies when lower.
	MaxConnectionsPerApp int
	// MaxHandshaking bounds the connections accepted but not yet upgraded; beyond it new
	// connections are closed at once. Default 10000; negative: no limit.
	MaxHandshaking int
	// MaxMessageSize is the largest message accepted, in bytes; larger ones close the
	// connection with 1009. Default 1 MiB; it cannot be turned off.
	MaxMessageSize int64
	// MaxHeaderBytes bounds a request's header block, in bytes (431 beyond). Default 8 KiB;
	// it cannot be turned off.
	MaxHeaderBytes int
	// MaxTargetBytes bounds a request target, in bytes (414 beyond). Default 4 KiB; it
	// cannot be turned off.
	MaxTargetBytes int
	// MaxPendingBytes bounds the output a client has not read, in bytes; beyond it the
	// connection is closed with 1008. Default 256 KiB; negative: no bound.
	MaxPendingBytes int
	// MaxHandshakingPerSource bounds the connections from one source address that count
	// toward MaxHandshaking (not yet upgraded, or in an HTTP exchange); beyond it the newest
	// is closed at once, and other addresses are not affected. Default 256; negative: no
	// bound.
	MaxHandshakingPerSource int
	// MaxOutputMemory bounds the output queued for all clients together, in bytes (a frame
	// shared by many receivers counts once); beyond it the connections with the largest
	// backlogs are closed with 1008 until it is met. Default 1 GiB; negative: no bound.
	MaxOutputMemory int64
	// MaxInputMemory bounds the input buffered for all clients together, in bytes (messages
	// in progress: fragmented, or split across reads); a connection whose buffer would pass
	// it is closed with 1013 (try again later). Default 1 GiB; negative: no bound.
	MaxInputMemory int64

	// EventLoops is the number of gnet event loops. Default: DefaultEventLoops of the
	// number of CPUs (half of them, at least one).
	EventLoops int
	// Logger receives the server's logs. Default slog.Default().
	Logger *slog.Logger
}

// Listener is one address the server listens on.
type Listener struct {
	// Name identifies a standalone server in application scopes and logs: 1–64 of
	// A-Z a-z 0-9 . _ -, unique, not "http".
	Name string
	// Address is host:port; port 0 picks a free port (see Server.Addr).
	Address string
	// TLSCert and TLSKey are PEM files: both set makes the listener TLS-only, neither plain.
	// Server.ReloadCertificates reads them again.
	TLSCert, TLSKey string
}

// Defaults of Options.
const (
	DefaultHTTPAddress      = "127.0.0.1:8080"
	DefaultPingInterval     = 30 * time.Second
	DefaultHandshakeTimeout = 5 * time.Second
	DefaultCloseTimeout     = 3 * time.Second
	DefaultMaxConnections   = 50000
	DefaultMaxHandshaking   = 10000
	DefaultMaxMessageSize   = 1 << 20
	DefaultMaxHeaderBytes   = 8 << 10
	DefaultMaxTargetBytes   = 4 << 10
	DefaultMaxPendingBytes  = 256 << 10

	DefaultMaxHandshakingPerSource = 256
	DefaultMaxOutputMemory         = 1 << 30
	DefaultMaxInputMemory          = 1 << 30
)

// normalize returns o with every default applied and every "off" turned into 0, the value
// the engine reads as "none".
func (o Options) normalize() Options {
	def := func(p *int, d int) {
		if *p == 0 {
			*p = d
		} else if *p < 0 {
			*p = 0
		}
	}
	defDur := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		} else if *p < 0 {
			*p = 0
		}
	}
	if o.HTTP.Address == "" {
		o.HTTP.Address = DefaultHTTPAddress
	}
	o.HTTP.Name = HTTPService
	o.Standalone = append([]Listener(nil), o.Standalone...)
	defDur(&o.PingInterval, DefaultPingInterval)
	defDur(&o.HandshakeTimeout, DefaultHandshakeTimeout)
	defDur(&o.CloseTimeout, DefaultCloseTimeout)
	def(&o.MaxConnections, DefaultMaxConnections)
	def(&o.MaxHandshaking, DefaultMaxHandshaking)
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.MaxTargetBytes <= 0 {
		o.MaxTargetBytes = DefaultMaxTargetBytes
	}
	def(&o.MaxPendingBytes, DefaultMaxPendingBytes)
	def(&o.MaxHandshakingPerSource, DefaultMaxHandshakingPerSource)
	def64 := func(p *int64, d int64) {
		if *p == 0 {
			*p = d
		} else if *p < 0 {
			*p = 0
		}
	}
	def64(&o.MaxOutputMemory, DefaultMaxOutputMemory)
	def64(&o.MaxInputMemory, DefaultMaxInputMemory)
	o.MaxConnectionsPerApp = max(o.MaxConnectionsPerApp, 0)
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = DefaultCloseTimeout
	}
	if o.EventLoops <= 0 {
		o.EventLoops = DefaultEventLoops(runtime.NumCPU())
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
