package wsproto

import (
	"errors"
	"testing"
)

// TestReaderBudget: message buffers start at what arrived, not at the announced length;
// Readers sharing a Budget count their buffers in it, give them back when the message
// completes or the Reader is released, and a Reader whose buffer would pass Max fails with
// ErrInputBudget while the others go on.
func TestReaderBudget(t *testing.T) {
	const announced = 1 << 20
	tests := []struct {
		name    string
		readers int
		max     int64
		arrived int // payload bytes of the 1 MiB frame that arrive
		failed  int // readers over the budget
	}{
		{name: "header only", readers: 100, max: 1 << 20, arrived: 0},
		{name: "a few bytes", readers: 100, max: 1 << 20, arrived: 10},
		// 100 KiB takes a 128 KiB buffer (size classes): four fit in 512 KiB.
		{name: "over the budget", readers: 10, max: 512 << 10, arrived: 100 << 10, failed: 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			budget := &Budget{}
			budget.Max.Store(tc.max)
			cfg := &Config{MaxMessageSize: 2 << 20, Budget: budget}
			frame := clientFrame(true, OpBinary, make([]byte, announced))
			hn := len(frame) - announced
			readers := make([]Reader, tc.readers)
			failed := 0
			for i := range readers {
				readers[i].Init(cfg)
				in := append([]byte(nil), frame[:hn+tc.arrived]...)
				if _, err := readers[i].Feed(in, &recorder{}); errors.Is(err, ErrInputBudget) {
					failed++
				} else if err != nil {
					t.Fatal(err)
				}
			}
			used := cfg.Budget.Used.Load()
			if perReader := used / int64(tc.readers); failed == 0 && perReader > int64(max(tc.arrived, 512)*2) {
				t.Errorf("%d bytes held per reader for %d arrived", perReader, tc.arrived)
			}
			if failed != tc.failed || used > tc.max {
				t.Errorf("%d failed, %d used; want %d failed and at most %d", failed, used, tc.failed, tc.max)
			}
			for i := range readers {
				readers[i].Release()
			}
			if n := cfg.Budget.Used.Load(); n != 0 {
				t.Fatalf("%d bytes still counted after Release", n)
			}
		})
	}
}
