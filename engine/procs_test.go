package engine

import "testing"

func TestDefaultEventLoops(t *testing.T) {
	for _, tc := range []struct{ ncpu, want int }{
		{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 2}, {8, 4}, {64, 32},
	} {
		if got := DefaultEventLoops(tc.ncpu); got != tc.want {
			t.Errorf("DefaultEventLoops(%d) = %d, want %d", tc.ncpu, got, tc.want)
		}
	}
}
