package metrics

import (
	"math"
	"sync/atomic"
	"time"
)

// Counter is a monotonically increasing count. Its zero value is ready; it is
// safe for concurrent use and must not be copied after first use.
type Counter struct{ v atomic.Uint64 }

// Add adds n. It is one atomic add and does not allocate.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Load returns the current count.
func (c *Counter) Load() uint64 { return c.v.Load() }

// Gauge is a value that goes up and down. Its zero value is ready; it is safe
// for concurrent use and must not be copied after first use.
type Gauge struct{ v atomic.Int64 }

// Add adds n (negative to decrease). It is one atomic add.
func (g *Gauge) Add(n int64) { g.v.Add(n) }

// Set replaces the value.
func (g *Gauge) Set(n int64) { g.v.Store(n) }

// Load returns the current value.
func (g *Gauge) Load() int64 { return g.v.Load() }

// DefaultLatencyBuckets are upper bounds in seconds for handshake latency:
// from 100 µs (a parse on the loop) to 10 s (a handshake timeout, a slow
// bcrypt or upstream).
var DefaultLatencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Histogram counts durations into fixed buckets. Build it with NewHistogram;
// Observe is safe for concurrent use, lock-free and allocation-free. A
// snapshot taken while observations run may see one observation in the count
// and not yet in its bucket (or the sum); the next scrape is consistent again.
type Histogram struct {
	bounds []time.Duration // upper bounds, ascending
	le     []float64       // the same in seconds, for the le label
	counts []atomic.Uint64 // one per bound, plus +Inf; not cumulative
	sum    atomic.Int64    // nanoseconds
}

// NewHistogram returns a histogram with the given upper bounds in seconds
// (ascending, finite, positive; nil for DefaultLatencyBuckets). It panics on
// bounds that are not ascending: they are a programming error.
func NewHistogram(bucketsSeconds []float64) *Histogram {
	if bucketsSeconds == nil {
		bucketsSeconds = DefaultLatencyBuckets
	}
	h := &Histogram{le: append([]float64(nil), bucketsSeconds...), counts: make([]atomic.Uint64, len(bucketsSeconds)+1)}
	for i, b := range bucketsSeconds {
		if !(b > 0) || math.IsInf(b, 0) || i > 0 && b <= bucketsSeconds[i-1] {
			panic("metrics: histogram buckets must be positive, finite and ascending")
		}
		h.bounds = append(h.bounds, time.Duration(b*float64(time.Second)))
	}
	return h
}

// Observe records one duration. Negative durations count as zero.
func (h *Histogram) Observe(d time.Duration) {
	d = max(d, 0)
	i := 0
	for i < len(h.bounds) && d > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

// HistogramSnapshot is a histogram's state at one moment, cumulative as the
// exposition format wants it.
type HistogramSnapshot struct {
	Bounds     []float64 // upper bounds in seconds (without +Inf)
	Cumulative []uint64  // observations ≤ each bound; len(Bounds)+1, the last is +Inf
	Sum        float64   // seconds
	Count      uint64
}

// Snapshot returns the current state. The +Inf bucket equals Count.
func (h *Histogram) Snapshot() HistogramSnapshot {
	s := HistogramSnapshot{Bounds: h.le, Cumulative: make([]uint64, len(h.counts))}
	var acc uint64
	for i := range h.counts {
		acc += h.counts[i].Load()
		s.Cumulative[i] = acc
	}
	s.Count = acc // the +Inf bucket, so count and buckets always agree
	s.Sum = time.Duration(h.sum.Load()).Seconds()
	return s
}
