package gateway

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"

	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/admin"
	"github.com/wsgate/wsgate/internal/auth"
	"github.com/wsgate/wsgate/internal/cluster"
	"github.com/wsgate/wsgate/internal/metrics"
)

// AdminSource presents an engine to the admin listener: it implements admin.Source.
type AdminSource struct {
	srv   *engine.Server
	kinds map[string]string // application name -> kind, from the configuration

	// Cluster, when set, reports the cluster broker's state: it goes into the status, and
	// the gateway is not ready while the broker is not connected. Set it before the admin
	// listener starts.
	Cluster func() admin.Cluster
	// Extra, when set, writes more metric families after the engine's, in the text format
	// (the cluster node's wsgate_cluster_*).
	Extra func(io.Writer)
}

// NewAdminSource returns the admin.Source of srv, built from cfg.
func NewAdminSource(srv *engine.Server, cfg *config.Config) *AdminSource {
	kinds := make(map[string]string, len(cfg.Apps))
	for _, a := range cfg.Apps {
		kinds[a.Name] = a.Kind
	}
	return &AdminSource{srv: srv, kinds: kinds}
}

// Status implements admin.Source.
func (a *AdminSource) Status() admin.Status {
	var st admin.Status
	for _, l := range a.srv.Listeners() {
		kind := "http"
		if l.Standalone {
			kind = "standalone"
		}
		st.Listeners = append(st.Listeners, admin.Listener{Name: l.Name, Addr: l.Addr, Kind: kind, TLS: l.TLS, Up: l.Up,
			Connections: l.Connections})
	}
	for _, app := range a.srv.Applications() {
		st.Apps = append(st.Apps, admin.App{Name: app.Name, Path: app.Path, Kind: a.kinds[app.Name],
			Connections: app.Connections, ByListener: app.ByListener, Traffic: traffic(app.Traffic)})
	}
	st.Connections = a.srv.Connections()
	st.Totals = traffic(a.srv.Totals())
	st.Errors = a.srv.Errors()
	if a.Cluster != nil {
		c := a.Cluster()
		st.Cluster = &c
	}
	return st
}

func traffic(t engine.Traffic) admin.Traffic {
	return admin.Traffic{MessagesIn: t.MessagesIn, MessagesOut: t.MessagesOut, BytesIn: t.BytesIn, BytesOut: t.BytesOut}
}

// WritePrometheus implements admin.Source.
func (a *AdminSource) WritePrometheus(w *metrics.Writer) {
	a.srv.WriteMetrics(w)
	if a.Extra != nil {
		var b bytes.Buffer
		a.Extra(&b)
		w.Raw(b.Bytes())
	}
}

// Ready implements admin.Source: the engine is serving and, with a cluster, the broker is
// connected.
func (a *AdminSource) Ready() (bool, string) {
	if ok, reason := a.srv.Ready(); !ok {
		return ok, reason
	}
	if a.Cluster != nil {
		if c := a.Cluster(); !c.Connected {
			reason := "cluster broker " + c.Broker + " not connected"
			if c.Detail != "" {
				reason += ": " + c.Detail
			}
			return false, reason
		}
	}
	return true, ""
}

// Admin builds the admin listener of cfg ([admin], or the deprecated [metrics]) for gw, not
// started; nil without one. Its publish API reaches gw's pubsub applications; with a
// cluster node (nil: none) the status, readiness and metrics include the broker. It reads
// the credentials file; errors name the field.
func Admin(cfg *config.Config, gw *Gateway, node *cluster.Node, version string, log *slog.Logger) (*admin.Server, error) {
	addr := cfg.AdminListen()
	if addr == "" {
		return nil, nil
	}
	var authn *auth.Authenticator
	if cfg.Admin.Auth == "token" {
		var err error
		if authn, err = auth.Load(auth.Token, cfg.Admin.Credentials, nil, "wsgate admin"); err != nil {
			return nil, fmt.Errorf("gateway: admin.credentials: %w", err)
		}
	}
	src := NewAdminSource(gw.Server, cfg)
	if node != nil {
		src.Cluster = func() admin.Cluster {
			st := node.Status()
			return admin.Cluster{Broker: st.URL, Connected: st.Connected, Detail: st.Reason}
		}
		src.Extra = node.WritePrometheus
	}
	return admin.New(admin.Options{
		Addr:           addr,
		Source:         src,
		Publisher:      gw.PubSub(),
		Auth:           authn,
		Version:        version,
		IdleTimeout:    cfg.WebSocket.HandshakeTimeout,
		MaxConnections: cfg.Admin.MaxConnections,
		Logger:         log,
	})
}
