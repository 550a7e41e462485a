package engine

import (
	"fmt"
	"io"
	"runtime/metrics"
	"sync/atomic"
)

// Stats are the server's counters, safe to read at any time.
type Stats struct {
	Accepted          atomic.Int64
	AcceptErrors      atomic.Int64
	HTTPRequests      atomic.Int64
	HTTPYields        atomic.Int64 // times a connection's pipelined requests gave its loop back (stream.go)
	HeadParses        atomic.Int64 // request heads parsed, including attempts on incomplete ones
	Upgrades          atomic.Int64
	Refused           atomic.Int64
	LimitRefused      atomic.Int64
	SourceRefused     atomic.Int64 // connections closed at max_handshaking_per_source
	HandshakeTimeouts atomic.Int64
	PingTimeouts      atomic.Int64
	ProtocolErrors    atomic.Int64
	SlowClosed        atomic.Int64
	BudgetClosed      atomic.Int64 // closed with 1008 because queued output passed max_output_memory
	InputBudgetClosed atomic.Int64 // closed with 1013 because buffered input passed max_input_memory
	AuthThrottled     atomic.Int64 // slow authentication checks refused: source in backoff, or its queue full
	AppPanics         atomic.Int64
	MessagesIn        atomic.Int64
	SlowCallbacks     atomic.Int64 // application callbacks that held their loop past the threshold
	LoopStalls        atomic.Int64 // times an event loop was found blocked
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
		{"http_yields_total", "times pipelined requests gave their event loop back", st.HTTPYields.Load()},
		{"head_parses_total", "request head parses, including attempts on incomplete heads", st.HeadParses.Load()},
		{"static_read_bytes_total", "bytes read from static files", s.staticRead()},
		{"upgrades_total", "WebSocket upgrades completed", st.Upgrades.Load()},
		{"refused_total", "requests refused with an HTTP error", st.Refused.Load()},
		{"limit_refused_total", "upgrades refused for a connection limit", st.LimitRefused.Load()},
		{"source_refused_total", "connections closed at max_handshaking_per_source", st.SourceRefused.Load()},
		{"handshake_timeouts_total", "connections dropped at the handshake timeout", st.HandshakeTimeouts.Load()},
		{"ping_timeouts_total", "connections closed for silence", st.PingTimeouts.Load()},
		{"protocol_errors_total", "connections failed for a protocol error", st.ProtocolErrors.Load()},
		{"slow_closed_total", "connections closed at their output bound", st.SlowClosed.Load()},
		{"budget_closed_total", "connections closed because queued output passed max_output_memory", st.BudgetClosed.Load()},
		{"input_budget_closed_total", "connections closed because buffered input passed max_input_memory", st.InputBudgetClosed.Load()},
		{"auth_throttled_total", "slow authentication checks refused for their source (backoff, queue share)", st.AuthThrottled.Load()},
		{"app_panics_total", "panics recovered in application callbacks", st.AppPanics.Load()},
		{"messages_in_total", "messages delivered to applications", st.MessagesIn.Load()},
		{"slow_callbacks_total", "application callbacks that held their event loop too long", st.SlowCallbacks.Load()},
		{"loop_stalls_total", "times an event loop was found blocked", st.LoopStalls.Load()},
	} {
		fmt.Fprintf(w, "# HELP wsgate_%s %s\n# TYPE wsgate_%s counter\nwsgate_%s %d\n", m.name, m.help, m.name, m.name, m.v)
	}
	fmt.Fprintf(w, "# HELP wsgate_connections open WebSocket connections\n# TYPE wsgate_connections gauge\nwsgate_connections %d\n", s.total.Load())
	fmt.Fprintf(w, "# HELP wsgate_handshaking connections in the HTTP phase\n# TYPE wsgate_handshaking gauge\nwsgate_handshaking %d\n", s.inHS.Load())
	writeProcessGauges(w)
	for _, rt := range s.reg.Table().Routes() {
		fmt.Fprintf(w, "wsgate_app_connections{app=%q} %d\n", rt.Spec.Name, rt.Connections())
	}
}

// processSamples are the runtime metrics exported as gauges: what a soak run or an operator
// watches for leaks. runtime/metrics reads them without stopping the world.
var processSamples = []struct{ name, help, key string }{
	{"goroutines", "live goroutines", "/sched/goroutines:goroutines"},
	{"heap_objects_bytes", "bytes of live and not yet swept heap objects", "/memory/classes/heap/objects:bytes"},
	{"memory_total_bytes", "all memory mapped by the Go runtime", "/memory/classes/total:bytes"},
}

func writeProcessGauges(w io.Writer) {
	samples := make([]metrics.Sample, len(processSamples))
	for i, p := range processSamples {
		samples[i].Name = p.key
	}
	metrics.Read(samples)
	for i, p := range processSamples {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			continue
		}
		fmt.Fprintf(w, "# HELP wsgate_%s %s\n# TYPE wsgate_%s gauge\nwsgate_%s %d\n", p.name, p.help, p.name, p.name, samples[i].Value.Uint64())
	}
}

// staticRead is the bytes the current static responder has read from files.
func (s *Server) staticRead() int64 {
	if st := s.static.Load(); st != nil {
		return st.BytesRead()
	}
	return 0
}
