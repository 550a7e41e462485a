package pubsub

import (
	"testing"

	"github.com/wsgate/wsgate/apps"
)

// A publish is encoded once per receiver mode, whatever the number of receivers: every
// envelope receiver is given the same prepared message, every raw receiver another one.
func TestEncodedOncePerPublish(t *testing.T) {
	a := New(Options{})
	var conns []*sinkConn
	for i := range 20 {
		c := newSink(uint64(i), i%2 == 0)
		c.seen = map[*apps.PreparedMessage]int{}
		attach(a, c, "t/+", "t/#") // overlapping: still once each
		conns = append(conns, c)
	}
	n, err := a.Publish("t/1", JSON, []byte(`{"a":1}`), false)
	if err != nil || n != 20 {
		t.Fatalf("Publish = %d, %v", n, err)
	}
	distinct := map[*apps.PreparedMessage]bool{}
	for _, c := range conns {
		if c.frames != 1 {
			t.Errorf("conn %d got %d frames, want 1", c.id, c.frames)
		}
		for m := range c.seen {
			distinct[m] = true
		}
	}
	if len(distinct) != 2 {
		t.Errorf("%d encodings for one publish, want 2 (raw and envelope)", len(distinct))
	}
	// Only one mode among the receivers: one encoding.
	b := New(Options{})
	seen := map[*apps.PreparedMessage]int{}
	for i := range 5 {
		c := newSink(uint64(i), false)
		c.seen = seen
		attach(b, c, "x")
	}
	b.Publish("x", Text, []byte("hi"), false)
	if len(seen) != 1 || seen[firstKey(seen)] != 5 {
		t.Errorf("envelope receivers saw %v, want one message five times", seen)
	}
}

func firstKey[K comparable, V any](m map[K]V) K {
	for k := range m {
		return k
	}
	var zero K
	return zero
}
