//go:build !race

package load

import "testing"

// TestHotPathsDoNotAllocate covers what runs per message here; the frame and
// handshake code is internal/wstest's, which asserts the same of it.
func TestHotPathsDoNotAllocate(t *testing.T) {
	var h Histogram
	tests := []struct {
		name string
		f    func()
	}{
		{"Histogram.Record", func() { h.Record(12345) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tc.f); n != 0 {
				t.Fatalf("%v allocations", n)
			}
		})
	}
}
