package admin

import (
	"time"

	"github.com/wsgate/wsgate/internal/metrics"
)

// Source is what the gateway exposes to the admin listener. Its methods are
// called from the admin's goroutines, concurrently with the gateway's work
// and with each other: they read atomic counters and immutable tables.
type Source interface {
	// Status returns the listeners, applications, traffic counters, errors
	// and cluster state. The admin fills Version, GoVersion, Started,
	// UptimeSeconds, Ready and NotReady itself.
	Status() Status
	// WritePrometheus writes the gateway's metric families. The admin has
	// already written wsgate_build_info, wsgate_start_time_seconds,
	// wsgate_ready and its own wsgate_admin_* families.
	WritePrometheus(w *metrics.Writer)
	// Ready reports whether every listener is up and, with a cluster, the
	// broker is connected; when not, reason says what is missing in one
	// line (e.g. `listener "public" is not up`).
	Ready() (ready bool, reason string)
}

// Publisher publishes a message to the receivers of an application's topic,
// for POST /api/apps/{app}/publish?topic=T[&retain=1]. body is the request
// body (the Publisher may keep it); contentType chooses the message type
// (application/json or text/* → text, anything else → binary). It returns how
// many local receivers got the message, or an HTTP status (404 for an unknown
// application, 400 for a bad topic, 403 if publishing is not allowed, ...)
// and an error whose text goes, on one line, into the JSON answer.
type Publisher interface {
	Publish(app, topic, contentType string, body []byte, retain bool) (delivered int, status int, err error)
}

// Status is the gateway's state as /api/status returns it.
type Status struct {
	Version       string    `json:"version"`
	GoVersion     string    `json:"goversion"`
	Started       time.Time `json:"started"`
	UptimeSeconds float64   `json:"uptime_seconds"`
	Ready         bool      `json:"ready"`
	NotReady      string    `json:"not_ready,omitempty"` // the reason when not ready

	Listeners []Listener `json:"listeners"`
	Apps      []App      `json:"applications"`
	// Connections is the number of open WebSocket connections.
	Connections int64 `json:"connections"`
	// Totals sums the traffic of every application, including removed ones.
	Totals Traffic `json:"totals"`
	// Errors counts failures by kind, e.g. "protocol", "handshake_timeout",
	// "refused", "slow_closed", "app_panic".
	Errors  map[string]uint64 `json:"errors"`
	Cluster *Cluster          `json:"cluster,omitempty"` // nil without one
}

// Listener is one address the gateway accepts connections on.
type Listener struct {
	Name        string `json:"name"`
	Addr        string `json:"addr"`
	Kind        string `json:"kind"` // "http" (the HTTP service) or "standalone"
	TLS         bool   `json:"tls"`
	Up          bool   `json:"up"`
	Connections int64  `json:"connections"` // open WebSocket connections
}

// App is one application.
type App struct {
	Name string `json:"name"`
	Path string `json:"path"`
	Kind string `json:"kind"`
	// Connections is the number of open connections; ByListener splits it
	// by listener name.
	Connections int64            `json:"connections"`
	ByListener  map[string]int64 `json:"connections_by_listener"`
	Traffic
}

// Traffic counts WebSocket messages and their payload bytes, in (from
// clients) and out (to clients).
type Traffic struct {
	MessagesIn  uint64 `json:"messages_in"`
	MessagesOut uint64 `json:"messages_out"`
	BytesIn     uint64 `json:"bytes_in"`
	BytesOut    uint64 `json:"bytes_out"`
}

// Cluster is the state of the connection to the cluster's broker.
type Cluster struct {
	Broker    string `json:"broker"` // the address, without credentials
	Connected bool   `json:"connected"`
	Detail    string `json:"detail,omitempty"`
}

// normalize replaces nil slices and maps so the JSON has [] and {}.
func (s *Status) normalize() {
	if s.Listeners == nil {
		s.Listeners = []Listener{}
	}
	if s.Apps == nil {
		s.Apps = []App{}
	}
	for i := range s.Apps {
		if s.Apps[i].ByListener == nil {
			s.Apps[i].ByListener = map[string]int64{}
		}
	}
	if s.Errors == nil {
		s.Errors = map[string]uint64{}
	}
}
