package gcpace

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// liveHeap is the runtime metric of the heap marked live by the last collection.
const liveHeap = "/gc/heap/live:bytes"

// Percent is the collector target for a live heap of live bytes: percent, raised so that
// the headroom is at least floor bytes, but not past Go's default of 100 (whose smallest
// heap goal, 4 MB, already gives a small heap room; above 100 that minimum grows with the
// target). A live heap not known yet (0) gives 100. The result is rounded up to a multiple
// of 5, so that a slowly growing heap does not change it at every look.
func Percent(percent int, floor, live int64) int {
	const ceiling = 100
	need := int64(ceiling)
	if live > 0 {
		need = min(floor*100/live, ceiling)
	}
	p := max(percent, int(need))
	return (p + 4) / 5 * 5
}

// Run sets the collector target from the live heap every interval until ctx ends; percent
// < 0 turns the collector off and Run returns at once.
func Run(ctx context.Context, percent int, floor int64, every time.Duration) {
	if percent < 0 {
		debug.SetGCPercent(-1)
		return
	}
	sample := []metrics.Sample{{Name: liveHeap}}
	set := -2
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		metrics.Read(sample)
		var live int64
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = int64(sample[0].Value.Uint64())
		}
		if p := Percent(percent, floor, live); p != set {
			debug.SetGCPercent(p)
			set = p
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
