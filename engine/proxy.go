package engine

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/internal/check"
)

// The proxy application kind (SPEC.md "proxy"): each client connection is relayed to a
// connection of its own to an upstream, another WebSocket server (ws://, wss://) or a byte
// stream (tcp://, unix://). Both connections of a pair live on the same event loop, so the
// relay needs neither a goroutine nor a lock: the upstream is enrolled on the client's loop
// (upstream.go), and a goroutine exists only while a connect is in progress.
//
// The upstream is connected, and for a WebSocket upstream its handshake done, before the
// client gets its 101: the client's request waits unconsumed, with reading paused, while the
// upgrade checks that come before (origin, authentication, limits) have already passed, so a
// client that is refused never opens a backend connection. When the upstream answers, the
// upgrade resumes where it stopped (as after a slow authentication, auth.go) with the
// upstream's subprotocol; when it refuses, the client gets its 4xx or 502, and 504 when it
// does not answer within connect_timeout.
//
// Flow control (flow.go): when one side's unwritten output passes max_pending_bytes, the
// gateway stops reading the other side until it drains.

// ProxyConfig configures a proxy application.
type ProxyConfig struct {
	// Upstream is "ws://host[:port]/path", "wss://...", "tcp://host:port" or "unix:///path".
	// A WebSocket upstream gets the configured path and query, or the client's query when
	// the URL has none.
	Upstream string
	// UpstreamTLSCA is a PEM file of the certificate authorities trusted for a wss://
	// upstream; empty means the system's.
	UpstreamTLSCA string
	// UpstreamTLSInsecure skips verifying a wss:// upstream's certificate (tests only).
	UpstreamTLSInsecure bool
	// ForwardHeaders names the client request headers passed to a WebSocket upstream; nil
	// means DefaultForwardHeaders, an empty non-nil list none.
	ForwardHeaders []string
	// StreamMessages is the type of the messages a byte-stream upstream's bytes become:
	// apps.Binary (the default, also for 0) or apps.Text (the bytes must then be UTF-8).
	StreamMessages apps.MessageType
	// ConnectTimeout bounds connecting to the upstream and, for a WebSocket upstream, its
	// handshake: past it the client gets 504. Default 5s.
	ConnectTimeout time.Duration
}

// DefaultForwardHeaders are the request headers a WebSocket upstream gets from the client
// unless configured otherwise.
var DefaultForwardHeaders = []string{"Origin", "Cookie", "Authorization"}

// DefaultConnectTimeout is ProxyConfig.ConnectTimeout's default.
const DefaultConnectTimeout = 5 * time.Second

// Errors of the proxy's configuration.
var ErrProxyConfig = errors.New("engine: proxy")

// Proxy is a proxy application: register it like any other (Registry().Register) or
// configure kind = "proxy". Its callbacks relay; the engine recognises it and connects the
// upstream before the client's 101.
type Proxy struct {
	apps.Base
	cfg ProxyConfig

	ws       bool   // WebSocket upstream (ws://, wss://)
	network  string // "tcp" or "unix"
	address  string // host:port, or the socket path
	host     string // Host header of a WebSocket upstream
	target   string // request target of a WebSocket upstream: path, and query if configured
	hasQuery bool
	tls      *tls.Config // wss:// only
	text     bool        // stream bytes become text messages
}

// NewProxy checks cfg and returns the application. Errors name the field.
func NewProxy(cfg ProxyConfig) (*Proxy, error) {
	p := &Proxy{cfg: cfg}
	if p.cfg.ConnectTimeout <= 0 {
		p.cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if p.cfg.ForwardHeaders == nil {
		p.cfg.ForwardHeaders = DefaultForwardHeaders
	}
	for _, h := range p.cfg.ForwardHeaders {
		if !check.ForwardHeader(h) {
			return nil, fmt.Errorf("%w: forward_headers: %q is not a header name the client may set", ErrProxyConfig, h)
		}
	}
	switch cfg.StreamMessages {
	case 0, apps.Binary:
	case apps.Text:
		p.text = true
	default:
		return nil, fmt.Errorf("%w: stream_messages: want binary or text", ErrProxyConfig)
	}
	u, err := url.Parse(cfg.Upstream)
	if err != nil {
		return nil, fmt.Errorf("%w: upstream: %v", ErrProxyConfig, err)
	}
	switch u.Scheme {
	case "ws", "wss":
		p.ws, p.network = true, "tcp"
		if u.Host == "" {
			return nil, fmt.Errorf("%w: upstream %q: no host", ErrProxyConfig, cfg.Upstream)
		}
		if u.User != nil {
			return nil, fmt.Errorf("%w: upstream %q: user information is not supported", ErrProxyConfig, cfg.Upstream)
		}
		p.host, p.address = u.Host, u.Host
		if u.Port() == "" {
			port := "80"
			if u.Scheme == "wss" {
				port = "443"
			}
			p.address = net.JoinHostPort(u.Hostname(), port)
		}
		p.target = u.EscapedPath()
		if p.target == "" {
			p.target = "/"
		}
		if u.RawQuery != "" {
			p.target += "?" + u.RawQuery
			p.hasQuery = true
		}
		if u.Scheme == "wss" {
			if p.tls, err = upstreamTLS(u.Hostname(), cfg.UpstreamTLSCA, cfg.UpstreamTLSInsecure); err != nil {
				return nil, err
			}
		}
	case "tcp":
		if u.Host == "" || u.Port() == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("%w: upstream %q: want tcp://host:port", ErrProxyConfig, cfg.Upstream)
		}
		p.network, p.address = "tcp", u.Host
	case "unix":
		if u.Host != "" || u.Path == "" {
			return nil, fmt.Errorf("%w: upstream %q: want unix:///path/to/socket", ErrProxyConfig, cfg.Upstream)
		}
		p.network, p.address = "unix", u.Path
	default:
		return nil, fmt.Errorf("%w: upstream %q: the scheme must be ws, wss, tcp or unix", ErrProxyConfig, cfg.Upstream)
	}
	if !p.ws && (cfg.UpstreamTLSCA != "" || cfg.UpstreamTLSInsecure) {
		return nil, fmt.Errorf("%w: upstream_tls_ca and upstream_tls_insecure apply to wss:// upstreams only", ErrProxyConfig)
	}
	return p, nil
}

// upstreamTLS is the client configuration of a wss:// upstream.
func upstreamTLS(serverName, caFile string, insecure bool) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("%w: upstream_tls_ca: %v", ErrProxyConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: upstream_tls_ca: %s holds no PEM certificate", ErrProxyConfig, caFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// Upstream returns the configured upstream URL.
func (p *Proxy) Upstream() string { return p.cfg.Upstream }

// OnMessage relays a client message to the upstream (loop only, like every callback).
func (p *Proxy) OnMessage(c apps.Conn, t apps.MessageType, data []byte) {
	if cc, ok := c.(*conn); ok {
		if u := cc.proxied(); u != nil {
			u.fromClient(t, data)
		}
	}
}

// OnClose passes the client's close on to the upstream.
func (p *Proxy) OnClose(c apps.Conn, code apps.CloseCode, reason string) {
	if cc, ok := c.(*conn); ok {
		if u := cc.proxied(); u != nil {
			u.clientClosed(code, reason)
		}
	}
}

// proxyOf returns the proxy behind rt, or nil.
func proxyOf(app apps.Application) *Proxy {
	p, _ := app.(*Proxy)
	return p
}

// proxyScratch is a loop's scratch for its proxied pairs; loop only.
type proxyScratch struct {
	rng   *mrand.ChaCha8 // masking keys and handshake keys (RFC 6455 §10.3: strong entropy)
	frame []byte         // a masked frame or sealed records on their way to an upstream
	req   []byte         // an upstream request being built
}

// random fills b from the loop's ChaCha8, seeded from crypto/rand.
func (x *proxyScratch) random(b []byte) {
	if x.rng == nil {
		var seed [32]byte
		_, _ = rand.Read(seed[:])
		x.rng = mrand.NewChaCha8(seed)
	}
	_, _ = x.rng.Read(b)
}

// maskKey returns a fresh masking key.
func (x *proxyScratch) maskKey() (key [4]byte) {
	x.random(key[:])
	return key
}
