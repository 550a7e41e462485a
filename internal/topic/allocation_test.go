//go:build !race

package topic

import "testing"

// TestMatchAllocs asserts that matching, the deduplicating match included, allocates
// nothing once the scratch pools are warm.
func TestMatchAllocs(t *testing.T) {
	tr := overlapTree(100, "a/b", "a/+")
	for i := range 100 {
		tr.Subscribe("#", &sub{1000 + i})
	}
	buf := make([]*sub, 0, 512)
	for _, topic := range []string{"a/b", "a/c", "zz"} {
		tr.Match(topic, buf[:0])
		if n := testing.AllocsPerRun(100, func() { tr.Match(topic, buf[:0]) }); n != 0 {
			t.Errorf("Match(%q): %v allocs", topic, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = ValidTopic("a/b/c") }); n != 0 {
		t.Errorf("ValidTopic: %v allocs", n)
	}
}
