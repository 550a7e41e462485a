package cluster

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/wsgate/wsgate/internal/check"
)

// Options configures a Node. The zero value is not usable (URLs is required); every other
// field has a default applied by New.
type Options struct {
	// URLs are the NATS servers ("nats://host:4222", "tls://…"); at least one.
	URLs []string
	// Credentials is a file: a NATS credentials file (.creds, holding a user JWT and an nkey
	// seed) or else a file holding an authentication token (surrounding space trimmed);
	// optional.
	Credentials string
	// TLSCA is a PEM file of the CAs that sign the servers' certificates; optional.
	TLSCA string
	// TLSCert and TLSKey are a PEM client certificate and key; both or neither.
	TLSCert, TLSKey string
	// TLSInsecure skips verifying the server's certificate (tests only).
	TLSInsecure bool
	// SubjectPrefix is the first token(s) of every subject, so two deployments can share one
	// NATS; default "wsgate". Letters, digits, '-', '_' and '.' between tokens.
	SubjectPrefix string
	// Name names this gateway on the broker (connection name, logs); default the host name.
	// The node's ID is Name plus a random suffix, new at every start.
	Name string
	// InboundQueue bounds the messages received from NATS and not yet delivered locally;
	// default 8192. InboundBytes bounds their payload bytes; default 64 MiB (a message may be
	// as large as the broker's max_payload, 1 MiB unless configured). Past either bound a
	// message is dropped (counted as slow_consumer).
	InboundQueue int
	InboundBytes int
	// OutboundQueue bounds the local publishes not yet handed to NATS, in messages; default
	// 8192. Past it a publish is dropped (counted as queue_full).
	OutboundQueue int
	// OutboundBytes bounds the same queue in payload bytes; default 64 MiB.
	OutboundBytes int
	// RetainedMax bounds the retained values kept per application; default 10000. Past it a
	// new topic's retained value is not kept (counted as retained_full).
	RetainedMax int
	// RetainedBytes bounds the retained payload bytes per application; default 16 MiB.
	RetainedBytes int
	// ReconnectWait is the first reconnect delay, doubled per failure up to MaxReconnectWait
	// (default 250ms and 5s), with jitter. Reconnecting never gives up.
	ReconnectWait, MaxReconnectWait time.Duration
	// Logger receives one line per state change; default slog.Default().
	Logger *slog.Logger
}

func (o *Options) normalize() error {
	if len(o.URLs) == 0 {
		return fmt.Errorf("%w: nats: no server URL", ErrConfig)
	}
	for _, u := range o.URLs {
		if err := check.NATSURL(u); err != nil {
			return fmt.Errorf("%w: nats: %v", ErrConfig, err)
		}
	}
	for _, f := range []struct{ name, path string }{
		{"credentials", o.Credentials},
		{"tls_ca", o.TLSCA}, {"tls_cert", o.TLSCert}, {"tls_key", o.TLSKey},
	} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrConfig, f.name, err)
		}
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return fmt.Errorf("%w: tls_cert and tls_key go together", ErrConfig)
	}
	if o.SubjectPrefix == "" {
		o.SubjectPrefix = "wsgate"
	}
	if !check.SubjectPrefix(o.SubjectPrefix) {
		return fmt.Errorf("%w: subject_prefix %q: %s", ErrConfig, o.SubjectPrefix, check.SubjectPrefixRule)
	}
	if o.Name == "" {
		o.Name, _ = os.Hostname()
		if o.Name == "" {
			o.Name = "wsgate"
		}
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.InboundQueue, 8192)
	def(&o.InboundBytes, 64<<20)
	def(&o.OutboundQueue, 8192)
	def(&o.OutboundBytes, 64<<20)
	def(&o.RetainedMax, 10000)
	def(&o.RetainedBytes, 16<<20)
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defd(&o.ReconnectWait, 250*time.Millisecond)
	defd(&o.MaxReconnectWait, 5*time.Second)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// newID is Name plus 8 random hex digits: unique per start, so a restarted gateway's
// sequence numbers never meet the old ones in a peer's deduplication table.
func newID(name string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return name + "-" + hex.EncodeToString(b[:])
}

// redact hides the user information of a URL for logs and errors.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		if i := strings.LastIndexByte(u, '@'); i >= 0 {
			return "…@" + u[i+1:]
		}
		return u
	}
	p.User = url.User("redacted")
	return p.String()
}

// natsOptions builds the client options. The reconnect buffer is disabled on purpose: a
// publish while the broker is away fails at once and is counted as not delivered remotely,
// instead of being held and sent later (which could deliver it after newer messages).
func (n *Node) natsOptions() ([]nats.Option, error) {
	o := &n.opt
	opts := []nats.Option{
		nats.Name(n.id),
		nats.NoEcho(),
		nats.MaxReconnects(-1),
		nats.ReconnectBufSize(-1),
		nats.IgnoreAuthErrorAbort(),
		nats.Timeout(2 * time.Second),
		nats.PingInterval(5 * time.Second),
		nats.MaxPingsOutstanding(2),
		nats.FlusherTimeout(5 * time.Second),
		nats.CustomReconnectDelay(n.reconnectDelay),
		nats.DisconnectErrHandler(n.onDisconnect),
		nats.ReconnectHandler(n.onReconnect),
		nats.ClosedHandler(n.onClosed),
		nats.ErrorHandler(n.onAsyncError),
	}
	if o.Credentials != "" {
		b, err := os.ReadFile(o.Credentials)
		if err != nil {
			return nil, fmt.Errorf("%w: credentials: %v", ErrConfig, err)
		}
		if bytes.Contains(b, []byte("BEGIN NATS USER JWT")) {
			opts = append(opts, nats.UserCredentials(o.Credentials))
		} else if tok := strings.TrimSpace(string(b)); tok != "" {
			opts = append(opts, nats.Token(tok))
		} else {
			return nil, fmt.Errorf("%w: credentials: %s is empty", ErrConfig, o.Credentials)
		}
	}
	if o.TLSInsecure { // first: Secure replaces the TLS config the next two options fill in
		opts = append(opts, nats.Secure(&tls.Config{InsecureSkipVerify: true})) //nolint:gosec // asked for
	}
	if o.TLSCA != "" {
		opts = append(opts, nats.RootCAs(o.TLSCA))
	}
	if o.TLSCert != "" {
		opts = append(opts, nats.ClientCert(o.TLSCert, o.TLSKey))
	}
	return opts, nil
}

// reconnectDelay is the backoff: ReconnectWait doubled per attempt up to MaxReconnectWait,
// plus up to 25% jitter so gateways do not all return at once.
func (n *Node) reconnectDelay(attempts int) time.Duration {
	d := n.opt.ReconnectWait
	for i := 1; i < attempts && d < n.opt.MaxReconnectWait; i++ {
		d *= 2
	}
	d = min(d, n.opt.MaxReconnectWait)
	var b [1]byte
	_, _ = rand.Read(b[:])
	return d + d*time.Duration(b[0])/1024
}
