//go:build !race

package metrics

import (
	"testing"
	"time"
)

// TestAllocations: what the engine calls per message or handshake allocates nothing.
func TestAllocations(t *testing.T) {
	var c Counter
	var g Gauge
	h := NewHistogram(nil)
	tests := []struct {
		name string
		fn   func()
	}{
		{"Counter.Add", func() { c.Add(3) }},
		{"Gauge.Add", func() { g.Add(-1) }},
		{"Histogram.Observe", func() { h.Observe(3 * time.Millisecond) }},
		{"Histogram.Observe past the last bucket", func() { h.Observe(time.Minute) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tc.fn); n != 0 {
				t.Fatalf("%v allocations per run, want 0", n)
			}
		})
	}
}
