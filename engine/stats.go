package engine

import (
	"fmt"
	"io"
	"sync/atomic"
)

// Stats are the server's counters, safe to read at any time.
type Stats struct {
	Accepted          atomic.Int64
	AcceptErrors      atomic.Int64
	HTTPRequests      atomic.Int64
	Upgrades          atomic.Int64
	Refused           atomic.Int64
	LimitRefused      atomic.Int64
	HandshakeTimeouts atomic.Int64
	PingTimeouts      atomic.Int64
	ProtocolErrors    atomic.Int64
	SlowClosed        atomic.Int64
	AppPanics         atomic.Int64
	MessagesIn        atomic.Int64
}

// WritePrometheus writes the counters and gauges in the Prometheus text format.
func (s *Server) WritePrometheus(w io.Writer) {
	st := &s.stats
	for _, m := range []struct {
		name, help string
		v          int64
	}{
		{"accepted_total", "TCP connections accepted", st.Accepted.Load()},
		{"accept_errors_total", "accept or hand-off failures", st.AcceptErrors.Load()},
		{"http_requests_total", "ordinary HTTP requests answered", st.HTTPRequests.Load()},
		{"upgrades_total", "WebSocket upgrades completed", st.Upgrades.Load()},
		{"refused_total", "requests refused with an HTTP error", st.Refused.Load()},
		{"limit_refused_total", "upgrades refused for a connection limit", st.LimitRefused.Load()},
		{"handshake_timeouts_total", "connections dropped at the handshake timeout", st.HandshakeTimeouts.Load()},
		{"ping_timeouts_total", "connections closed for silence", st.PingTimeouts.Load()},
		{"protocol_errors_total", "connections failed for a protocol error", st.ProtocolErrors.Load()},
		{"slow_closed_total", "connections closed at their output bound", st.SlowClosed.Load()},
		{"app_panics_total", "panics recovered in application callbacks", st.AppPanics.Load()},
		{"messages_in_total", "messages delivered to applications", st.MessagesIn.Load()},
	} {
		fmt.Fprintf(w, "# HELP wsgate_%s %s\n# TYPE wsgate_%s counter\nwsgate_%s %d\n", m.name, m.help, m.name, m.name, m.v)
	}
	fmt.Fprintf(w, "# HELP wsgate_connections open WebSocket connections\n# TYPE wsgate_connections gauge\nwsgate_connections %d\n", s.total.Load())
	fmt.Fprintf(w, "# HELP wsgate_handshaking connections in the HTTP phase\n# TYPE wsgate_handshaking gauge\nwsgate_handshaking %d\n", s.inHS.Load())
	for _, rt := range s.reg.Table().Routes() {
		fmt.Fprintf(w, "wsgate_app_connections{app=%q} %d\n", rt.Spec.Name, rt.Connections())
	}
}
