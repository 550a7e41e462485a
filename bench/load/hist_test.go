package load

import (
	"math"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	tests := []struct {
		name string
		n    int
		f    func(i int) int64 // i-th sample, ascending
	}{
		{"small exact", 100, func(i int) int64 { return int64(i + 1) }},
		{"microseconds", 10000, func(i int) int64 { return int64(i+1) * 1000 }},
		{"seconds", 1000, func(i int) int64 { return int64(i+1) * int64(time.Millisecond) * 7 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h Histogram
			for i := tc.n - 1; i >= 0; i-- {
				h.Record(tc.f(i))
			}
			if h.Count() != uint64(tc.n) {
				t.Fatalf("count %d", h.Count())
			}
			for _, q := range []float64{0.5, 0.99, 0.999, 1} {
				want := float64(tc.f(int(math.Ceil(q*float64(tc.n))) - 1))
				got := float64(h.Quantile(q))
				if math.Abs(got-want) > want/60+1 {
					t.Errorf("q%.3f = %v, want %v ± 1.6%%", q, got, want)
				}
			}
			if h.Max() != time.Duration(tc.f(tc.n-1)) {
				t.Errorf("max %v", h.Max())
			}
		})
	}
}

func TestHistogramMergeAndEmpty(t *testing.T) {
	var a, b Histogram
	if a.Quantile(0.5) != 0 {
		t.Fatal("empty histogram has a median")
	}
	a.Record(-5)
	b.Record(1000)
	b.Record(1000)
	a.Merge(&b)
	if a.Count() != 3 || a.Quantile(0.1) != 0 || a.Quantile(0.9) != 1000 {
		t.Fatalf("merged: n=%d q10=%v q90=%v", a.Count(), a.Quantile(0.1), a.Quantile(0.9))
	}
}

func TestHistIndexMonotonic(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<20; v += 1 + v/97 {
		i := histIndex(v)
		if i < prev || i >= histBuckets {
			t.Fatalf("index(%d) = %d after %d", v, i, prev)
		}
		if lo := histValue(i); math.Abs(float64(lo)-float64(v)) > float64(v)/60+1 {
			t.Fatalf("value(index(%d)) = %d", v, lo)
		}
		prev = i
	}
	if histIndex(math.MaxUint64) >= histBuckets {
		t.Fatal("max value out of range")
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	b.ReportAllocs()
	v := int64(1)
	for b.Loop() {
		h.Record(v)
		v = v*3 + 1&0xFFFFFFF
	}
}
