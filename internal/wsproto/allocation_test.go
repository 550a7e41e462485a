//go:build !race

package wsproto

import "testing"

// TestFeedAllocs asserts that decoding allocates nothing per message in
// steady state: message buffers and flate decoders come from pools.
func TestFeedAllocs(t *testing.T) {
	for _, fb := range feedBenches() {
		t.Run(fb.name, func(t *testing.T) {
			var r Reader
			r.Init(fb.cfg)
			defer r.Release()
			h := &countHandler{}
			pending := make([]byte, 0, len(fb.input))
			runs := 100
			if fb.allocs {
				// A pool emptied by a GC costs a few allocations once;
				// spread over enough runs they round down to 0.
				runs = 1000
			}
			allocs := testing.AllocsPerRun(runs, func() {
				if err := fb.feedOnce(&r, h, pending); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Fatalf("%v allocs per message", allocs)
			}
		})
	}
}

func TestWriteAllocs(t *testing.T) {
	payload := telemetry(4096)
	buf := make([]byte, 0, 2*FrameSize(len(payload)))
	tests := []struct {
		name string
		fn   func()
	}{
		{name: "AppendFrame", fn: func() { buf = AppendFrame(buf[:0], OpText, false, payload) }},
		{name: "AppendClose", fn: func() { buf = AppendClose(buf[:0], CloseGoingAway, "shutting down") }},
		{name: "AppendDeflatedFrame stateless", fn: func() { buf = AppendDeflatedFrame(buf[:0], OpText, payload, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if allocs := testing.AllocsPerRun(1000, tt.fn); allocs != 0 {
				t.Fatalf("%v allocs per call", allocs)
			}
		})
	}
}
