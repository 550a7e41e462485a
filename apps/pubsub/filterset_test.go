package pubsub

import (
	"slices"
	"strconv"
	"testing"
)

// A connection's filters stay exact across the size where the set gets an index, both
// ways, and the tree holds what the connection holds.
func TestFilterSet(t *testing.T) {
	a := New(Options{MaxSubscriptions: -1})
	c := newSink(1, false)
	attach(a, c)
	cl := c.value.(*client)
	var want []string
	for i := range 20 {
		f := "f/" + strconv.Itoa(i)
		if err := a.subscribe(cl, f, false, nil); err != nil {
			t.Fatal(err)
		}
		want = append(want, f)
	}
	a.subscribe(cl, "f/3", false, nil) // held already
	for i := 0; i < 20; i += 2 {
		a.unsubscribe(cl, "f/"+strconv.Itoa(i))
		want = slices.DeleteFunc(want, func(s string) bool { return s == "f/"+strconv.Itoa(i) })
	}
	got := slices.Clone(cl.filters.all())
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || a.tree.Len() != len(want) {
		t.Fatalf("filters %v (tree %d), want %v", got, a.tree.Len(), want)
	}
	for _, f := range want {
		if !cl.filters.has(f) {
			t.Errorf("lost %s", f)
		}
	}
	a.OnClose(c, 1000, "")
	if a.tree.Len() != 0 || cl.filters.len() != 0 {
		t.Errorf("after close: tree %d, filters %d", a.tree.Len(), cl.filters.len())
	}
}
