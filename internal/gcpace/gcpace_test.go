package gcpace

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name        string
		percent     int
		floor, live int64
		want        int
	}{
		{name: "large heap: the percentage", percent: 25, floor: 2 * mib, live: 100 * mib, want: 25},
		{name: "floor just reached", percent: 25, floor: 2 * mib, live: 8 * mib, want: 25},
		{name: "smaller heap: the floor decides", percent: 25, floor: 2 * mib, live: 4 * mib, want: 50},
		{name: "rounded up to a multiple of 5", percent: 25, floor: 2 * mib, live: 6 * mib, want: 35},
		{name: "tiny heap: Go's default", percent: 25, floor: 2 * mib, live: 100 << 10, want: 100},
		{name: "unknown live heap", percent: 25, floor: 2 * mib, live: 0, want: 100},
		{name: "no floor", percent: 25, floor: 0, live: 1 * mib, want: 25},
		{name: "percentage above the floor's", percent: 200, floor: 2 * mib, live: 4 * mib, want: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percent(tc.percent, tc.floor, tc.live); got != tc.want {
				t.Fatalf("Percent(%d, %d, %d) = %d, want %d", tc.percent, tc.floor, tc.live, got, tc.want)
			}
		})
	}
}

// TestRun: Run applies the target for the process's own live heap (from 500 set before, to
// 100 for a heap far below the floor), and stops with ctx.
func TestRun(t *testing.T) {
	old := debug.SetGCPercent(500)
	defer debug.SetGCPercent(old)
	runtime.GC()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Run(ctx, 30, 1<<40, time.Millisecond); close(done) }() // a floor no test heap reaches
	deadline := time.Now().Add(5 * time.Second)
	gogc := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	for {
		if metrics.Read(gogc); gogc[0].Value.Uint64() == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not set Go's default (100) for a heap far below its floor")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return when ctx ended")
	}
}
