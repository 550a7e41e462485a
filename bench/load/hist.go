package load

import (
	"math/bits"
	"time"
)

// Histogram buckets: values below histSub are exact; above, each power of two
// is split into histHalf buckets, so a bucket is at most 1/64 (1.6 %) wide.
const (
	histSubBits = 7
	histSub     = 1 << histSubBits
	histHalf    = histSub / 2
	histBuckets = (64-histSubBits)*histHalf + histSub
)

// Histogram records durations with bounded relative error and no allocation.
// It is not safe for concurrent use: each loop owns one and they are merged
// after the loops stop.
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    int64
}

func histIndex(v uint64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - histSubBits
	return e*histHalf + int(v>>uint(e))
}

// histValue is the midpoint of bucket i.
func histValue(i int) int64 {
	if i < histSub {
		return int64(i)
	}
	e := i/histHalf - 1
	m := i - e*histHalf
	return int64(m)<<uint(e) + (int64(1)<<uint(e))/2
}

// Record adds one duration in nanoseconds; negative values count as zero.
func (h *Histogram) Record(ns int64) {
	if ns < 0 {
		ns = 0
	}
	h.counts[histIndex(uint64(ns))]++
	h.n++
	if ns > h.max {
		h.max = ns
	}
}

// Merge adds every sample of o to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// Count is the number of samples recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest sample recorded.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Quantile returns the value below which a fraction q of the samples lie
// (0 when empty), to within one bucket.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(histValue(i), h.max))
		}
	}
	return time.Duration(h.max)
}
