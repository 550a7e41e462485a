package engine

import (
	"io"
	rtmetrics "runtime/metrics"
	"slices"
	"sync/atomic"

	"github.com/wsgate/wsgate/internal/metrics"
	"github.com/wsgate/wsgate/internal/route"
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
	SlowCallbacks     atomic.Int64 // application callbacks that held their loop past the threshold
	LoopStalls        atomic.Int64 // times an event loop was found blocked
	UpstreamFailures  atomic.Int64 // proxied clients refused or closed because of their upstream
	FlowPauses        atomic.Int64 // times one side of a proxied pair stopped being read (flow.go)
}

// errorKinds names the failure counters for Errors and the metrics, in a stable order.
func (st *Stats) errorKinds() []struct {
	kind, metric, help string
	v                  int64
} {
	return []struct {
		kind, metric, help string
		v                  int64
	}{
		{"accept", "wsgate_accept_errors_total", "Accept or hand-off failures.", st.AcceptErrors.Load()},
		{"refused", "wsgate_refused_total", "Requests refused with an HTTP error.", st.Refused.Load()},
		{"limit_refused", "wsgate_limit_refused_total", "Upgrades refused for a connection limit.", st.LimitRefused.Load()},
		{"handshake_timeout", "wsgate_handshake_timeouts_total", "Connections dropped at the handshake timeout.", st.HandshakeTimeouts.Load()},
		{"ping_timeout", "wsgate_ping_timeouts_total", "Connections closed for silence.", st.PingTimeouts.Load()},
		{"protocol", "wsgate_protocol_errors_total", "Connections failed for a WebSocket protocol error.", st.ProtocolErrors.Load()},
		{"slow_closed", "wsgate_slow_closed_total", "Connections closed at their output bound (slow readers).", st.SlowClosed.Load()},
		{"app_panic", "wsgate_app_panics_total", "Panics recovered in application callbacks.", st.AppPanics.Load()},
		{"slow_callback", "wsgate_slow_callbacks_total", "Application callbacks that held their event loop too long.", st.SlowCallbacks.Load()},
		{"loop_stall", "wsgate_loop_stalls_total", "Times an event loop was found blocked.", st.LoopStalls.Load()},
		{"upstream", "wsgate_upstream_failures_total", "Proxied clients refused or closed because of their upstream.", st.UpstreamFailures.Load()},
		{"source_refused", "wsgate_source_refused_total", "Connections closed at max_handshaking_per_source.", st.SourceRefused.Load()},
		{"budget_closed", "wsgate_budget_closed_total", "Connections closed because queued output passed max_output_memory.", st.BudgetClosed.Load()},
		{"input_budget_closed", "wsgate_input_budget_closed_total", "Connections closed because buffered input passed max_input_memory.", st.InputBudgetClosed.Load()},
		{"auth_throttled", "wsgate_auth_throttled_total", "Slow authentication checks refused for their source (backoff, queue share).", st.AuthThrottled.Load()},
	}
}

// Errors returns the failure counters by kind: accept, refused, limit_refused,
// handshake_timeout, ping_timeout, protocol, slow_closed, app_panic, slow_callback,
// loop_stall, upstream, source_refused, budget_closed, input_budget_closed, auth_throttled.
func (s *Server) Errors() map[string]uint64 {
	out := map[string]uint64{}
	for _, e := range s.stats.errorKinds() {
		out[e.kind] = uint64(e.v)
	}
	return out
}

// Traffic counts WebSocket messages and their payload bytes: in from clients (after
// decompression), out as queued to clients.
type Traffic struct {
	MessagesIn, MessagesOut, BytesIn, BytesOut uint64
}

func trafficOf(c *route.Counters) Traffic {
	return Traffic{c.MessagesIn.Load(), c.MessagesOut.Load(), c.BytesIn.Load(), c.BytesOut.Load()}
}

func (t *Traffic) add(o Traffic) {
	t.MessagesIn += o.MessagesIn
	t.MessagesOut += o.MessagesOut
	t.BytesIn += o.BytesIn
	t.BytesOut += o.BytesOut
}

// Totals returns the traffic of every application, including removed ones.
func (s *Server) Totals() Traffic {
	var t Traffic
	s.reg.EachCounters(func(_ string, c *route.Counters) { t.add(trafficOf(c)) })
	return t
}

// ListenerStatus is one listener as Server.Listeners reports it.
type ListenerStatus struct {
	Name        string
	Addr        string // the bound address once started, else the configured one
	Standalone  bool
	TLS         bool
	Up          bool  // bound and accepting
	Connections int64 // open WebSocket connections
}

// Listeners returns the HTTP service and the standalone servers, in that order.
func (s *Server) Listeners() []ListenerStatus {
	up := s.started.Load() && !s.stopping.Load()
	ls := s.listenerList()
	out := make([]ListenerStatus, len(ls))
	for i, l := range ls {
		addr := l.address
		if l.ln != nil {
			addr = l.ln.Addr().String()
		}
		out[i] = ListenerStatus{Name: l.name, Addr: addr, Standalone: l.standalone, TLS: l.tls != nil,
			Up: up && l.ln != nil, Connections: l.conns.Load()}
	}
	return out
}

// Ready reports whether the server is serving: started, every listener bound, not stopping.
// When not, reason says why in one line.
func (s *Server) Ready() (ready bool, reason string) {
	switch {
	case !s.started.Load():
		return false, "not started"
	case s.stopping.Load():
		return false, "shutting down"
	}
	for _, l := range s.listenerList() {
		if l.ln == nil {
			return false, "listener " + l.name + " is not up"
		}
	}
	return true, ""
}

// WritePrometheus writes the server's metrics in the Prometheus text format.
func (s *Server) WritePrometheus(w io.Writer) error {
	mw := metrics.NewWriter(w)
	s.WriteMetrics(mw)
	return mw.Flush()
}

// WriteMetrics writes the server's metric families to w (the admin listener adds its own
// before them): failure counters, connections in total, per listener and per application
// and listener, messages and bytes in and out per application, the handshake latency per
// listener, and a few runtime gauges.
func (s *Server) WriteMetrics(w *metrics.Writer) {
	st := &s.stats
	for _, c := range []struct {
		name, help string
		v          int64
	}{
		{"wsgate_accepted_total", "TCP connections accepted.", st.Accepted.Load()},
		{"wsgate_http_requests_total", "Ordinary HTTP requests answered.", st.HTTPRequests.Load()},
		{"wsgate_upgrades_total", "WebSocket upgrades completed.", st.Upgrades.Load()},
		{"wsgate_flow_pauses_total", "Times one side of a proxied pair stopped being read until the other drained.", st.FlowPauses.Load()},
		{"wsgate_http_yields_total", "Times pipelined requests gave their event loop back.", st.HTTPYields.Load()},
		{"wsgate_head_parses_total", "Request head parses, including attempts on incomplete heads.", st.HeadParses.Load()},
		{"wsgate_static_read_bytes_total", "Bytes read from static files.", s.staticRead()},
	} {
		w.Family(c.name, metrics.TypeCounter, c.help)
		w.Int(c.name, c.v)
	}
	for _, e := range st.errorKinds() {
		w.Family(e.metric, metrics.TypeCounter, e.help)
		w.Int(e.metric, e.v)
	}
	w.Family("wsgate_connections", metrics.TypeGauge, "Open WebSocket connections.")
	w.Int("wsgate_connections", s.total.Load())
	w.Family("wsgate_handshaking", metrics.TypeGauge, "Connections accepted and still in the HTTP phase.")
	w.Int("wsgate_handshaking", s.inHS.Load())

	ls := s.Listeners()
	w.Family("wsgate_listener_up", metrics.TypeGauge, "1 while the listener accepts connections.")
	for _, l := range ls {
		w.Int("wsgate_listener_up", b2i(l.Up), metrics.L("listener", l.Name))
	}
	w.Family("wsgate_listener_connections", metrics.TypeGauge, "Open WebSocket connections per listener.")
	for _, l := range ls {
		w.Int("wsgate_listener_connections", l.Connections, metrics.L("listener", l.Name))
	}
	w.Family("wsgate_app_connections", metrics.TypeGauge, "Open WebSocket connections per application and listener.")
	for _, rt := range s.reg.Table().Routes() {
		c := rt.Counters()
		for _, l := range s.listenerList() {
			if rt.InScope(l.idx) {
				w.Int("wsgate_app_connections", c.OnListener(l.idx), metrics.L("app", rt.Spec.Name), metrics.L("listener", l.name))
			}
		}
	}

	type named struct {
		name string
		t    Traffic
	}
	var apps []named
	s.reg.EachCounters(func(name string, c *route.Counters) { apps = append(apps, named{name, trafficOf(c)}) })
	slices.SortFunc(apps, func(a, b named) int {
		if a.name < b.name {
			return -1
		}
		return 1
	})
	for _, f := range []struct {
		name, help string
		v          func(Traffic) uint64
	}{
		{"wsgate_messages_in_total", "WebSocket messages received from clients, per application.", func(t Traffic) uint64 { return t.MessagesIn }},
		{"wsgate_messages_out_total", "WebSocket messages queued to clients, per application.", func(t Traffic) uint64 { return t.MessagesOut }},
		{"wsgate_bytes_in_total", "Payload bytes of the messages received, per application (after decompression).", func(t Traffic) uint64 { return t.BytesIn }},
		{"wsgate_bytes_out_total", "Payload bytes of the messages queued to clients, per application (before compression).", func(t Traffic) uint64 { return t.BytesOut }},
	} {
		w.Family(f.name, metrics.TypeCounter, f.help)
		for _, a := range apps {
			w.Uint(f.name, f.v(a.t), metrics.L("app", a.name))
		}
	}
	w.Family("wsgate_handshake_seconds", metrics.TypeHistogram, "Time from accepting a connection to sending its 101, per listener.")
	for _, l := range s.listenerList() {
		w.Histogram("wsgate_handshake_seconds", l.handshake.Snapshot(), metrics.L("listener", l.name))
	}
	writeProcessGauges(w)
}

// HandshakeLatency returns the handshake latency histogram of the listener named name, or
// the zero snapshot for an unknown name.
func (s *Server) HandshakeLatency(name string) metrics.HistogramSnapshot {
	for _, l := range s.listenerList() {
		if l.name == name {
			return l.handshake.Snapshot()
		}
	}
	return metrics.HistogramSnapshot{}
}

// processSamples are the runtime metrics exported as gauges: what a soak run or an operator
// watches for leaks. runtime/metrics reads them without stopping the world.
var processSamples = []struct{ name, help, key string }{
	{"wsgate_goroutines", "Live goroutines.", "/sched/goroutines:goroutines"},
	{"wsgate_heap_objects_bytes", "Bytes of live and not yet swept heap objects.", "/memory/classes/heap/objects:bytes"},
	{"wsgate_memory_total_bytes", "All memory mapped by the Go runtime.", "/memory/classes/total:bytes"},
	// The runtime starts one GC mark worker goroutine per P at the first collection: a leak
	// check that compares goroutine counts across it allows this many.
	{"wsgate_gomaxprocs", "GOMAXPROCS: the processors the Go scheduler runs goroutines on.", "/sched/gomaxprocs:threads"},
}

func writeProcessGauges(w *metrics.Writer) {
	samples := make([]rtmetrics.Sample, len(processSamples))
	for i, p := range processSamples {
		samples[i].Name = p.key
	}
	rtmetrics.Read(samples)
	for i, p := range processSamples {
		if samples[i].Value.Kind() != rtmetrics.KindUint64 {
			continue
		}
		w.Family(p.name, metrics.TypeGauge, p.help)
		w.Uint(p.name, samples[i].Value.Uint64())
	}
}

// staticRead is the bytes the current static responder has read from files.
func (s *Server) staticRead() int64 {
	if st := s.static.Load(); st != nil {
		return st.BytesRead()
	}
	return 0
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
