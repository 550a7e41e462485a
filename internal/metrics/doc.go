// Package metrics records counters, gauges and histograms without locks and
// writes them in the Prometheus text exposition format (version 0.0.4).
//
// Recording is an atomic add: [Counter.Add], [Gauge.Add] and
// [Histogram.Observe] take no lock and allocate nothing, so the engine can
// call them on its event loops for every message. Writing is for scrapes: a
// [Writer] emits each family once with its HELP and TYPE lines and refuses
// (through [Writer.Err]) what Prometheus would reject or misread: invalid
// names, a counter without the _total suffix, a gauge with it, a sample
// outside its family, a family written twice.
//
//	var msgs metrics.Counter
//	msgs.Add(1) // hot path
//
//	w := metrics.NewWriter(out) // on a scrape
//	w.Family("wsgate_messages_in_total", metrics.TypeCounter, "Messages received from clients.")
//	w.Uint("wsgate_messages_in_total", msgs.Load(), metrics.L("app", "echo"))
//	if err := w.Flush(); err != nil { ... }
//
// The package is wsgate's own: VictoriaMetrics/metrics adds about 300 KB to
// the stripped gateway binary and client_golang about 2.6 MB, for what is
// here a few hundred lines.
package metrics
