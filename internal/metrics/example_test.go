package metrics_test

import (
	"os"
	"time"

	"github.com/wsgate/wsgate/internal/metrics"
)

// A counter and a histogram recorded on a hot path, written on a scrape.
func Example() {
	var in metrics.Counter
	hs := metrics.NewHistogram([]float64{0.001, 0.01})
	in.Add(3)                          // three messages
	hs.Observe(400 * time.Microsecond) // one handshake
	hs.Observe(20 * time.Millisecond)  // another

	w := metrics.NewWriter(os.Stdout)
	w.Family("wsgate_messages_in_total", metrics.TypeCounter, "Messages received.")
	w.Uint("wsgate_messages_in_total", in.Load(), metrics.L("app", "echo"))
	w.Family("wsgate_handshake_seconds", metrics.TypeHistogram, "Handshake latency.")
	w.Histogram("wsgate_handshake_seconds", hs.Snapshot())
	if err := w.Flush(); err != nil {
		panic(err)
	}
	// Output:
	// # HELP wsgate_messages_in_total Messages received.
	// # TYPE wsgate_messages_in_total counter
	// wsgate_messages_in_total{app="echo"} 3
	// # HELP wsgate_handshake_seconds Handshake latency.
	// # TYPE wsgate_handshake_seconds histogram
	// wsgate_handshake_seconds_bucket{le="0.001"} 1
	// wsgate_handshake_seconds_bucket{le="0.01"} 1
	// wsgate_handshake_seconds_bucket{le="+Inf"} 2
	// wsgate_handshake_seconds_sum 0.0204
	// wsgate_handshake_seconds_count 2
}
