//go:build !race

package wsproto

import "testing"

// TestFeedAllocs asserts that decoding allocates nothing per message in
// steady state: message buffers and flate decoders come from pools.
func TestFeedAllocs(t *testing.T) {
	for _, fb := range feedBenches() {
		t.Run(fb.name, func(t *testing.T) {
			f := fb.feeder(t)
			runs := 100
			if fb.allocs {
				// A pool emptied by a GC costs a few allocations once;
				// spread over enough runs they round down to 0.
				runs = 1000
			}
			allocs := testing.AllocsPerRun(runs, func() {
				if err := f.once(); err != nil {
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

// TestDecodeAllocs asserts that the steps Feed is made of allocate nothing on
// their own: header parse, unmask, incremental UTF-8 validation.
func TestDecodeAllocs(t *testing.T) {
	text := telemetry(4096)
	masked := append([]byte(nil), text...)
	hdr := clientFrame(true, OpText, text)[:8]
	tests := []struct {
		name string
		fn   func()
	}{
		{name: "parseHeader", fn: func() {
			if _, hn, _ := parseHeader(hdr); hn != 8 {
				t.Fatal("header not parsed")
			}
		}},
		{name: "unmask 4 KiB", fn: func() { unmask(masked, testMask) }},
		{name: "validate 4 KiB in 1000-byte chunks", fn: func() {
			s := utf8Accept
			for i := 0; i < len(text); i += 1000 {
				s = s.validate(text[i:min(i+1000, len(text))])
			}
			if s != utf8Accept {
				t.Fatal("valid text rejected")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if allocs := testing.AllocsPerRun(1000, tt.fn); allocs != 0 {
				t.Fatalf("%v allocs per call", allocs)
			}
		})
	}
}
