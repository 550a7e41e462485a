package topic

import (
	"slices"
	"sync"
	"testing"
)

type sub struct{ id int }

func ids(ss []*sub) []int {
	out := make([]int, len(ss))
	for i, s := range ss {
		out[i] = s.id
	}
	slices.Sort(out)
	return out
}

func TestTreeMatch(t *testing.T) {
	subs := make([]*sub, 8)
	for i := range subs {
		subs[i] = &sub{id: i}
	}
	var tr Tree[*sub]
	for _, x := range []struct {
		filter string
		s      int
	}{
		{"a/b", 0}, {"a/+", 1}, {"a/#", 2}, {"#", 3}, {"+/b", 4}, {"a/b/c", 5},
		{"a/b", 6}, {"a/+", 6}, {"a/#", 6}, // 6 overlaps: once per match
		{"/x", 7},
	} {
		if _, _, err := tr.Subscribe(x.filter, subs[x.s]); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		topic string
		want  []int
	}{
		{"a/b", []int{0, 1, 2, 3, 4, 6}},
		{"a", []int{2, 3, 6}},
		{"a/c", []int{1, 2, 3, 6}},
		{"a/b/c", []int{2, 3, 5, 6}},
		{"x/b", []int{3, 4}},
		{"/x", []int{3, 7}},
		{"zzz", []int{3}},
	}
	for _, tt := range tests {
		if got := ids(tr.Match(tt.topic, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("Match(%q) = %v, want %v", tt.topic, got, tt.want)
		}
	}
	if n := tr.Len(); n != 10 {
		t.Errorf("Len = %d, want 10", n)
	}
}

func TestTreeFirstLast(t *testing.T) {
	var tr Tree[*sub]
	a, b := &sub{1}, &sub{2}
	steps := []struct {
		name       string
		sub        bool
		filter     string
		s          *sub
		changed    bool
		firstLast  bool
		wantLength int
	}{
		{"first of a filter", true, "t/+", a, true, true, 1},
		{"again: no change", true, "t/+", a, false, false, 1},
		{"second subscriber", true, "t/+", b, true, false, 2},
		{"other filter", true, "t/#", a, true, true, 3},
		{"unsubscribe not last", false, "t/+", a, true, false, 2},
		{"unsubscribe absent", false, "t/+", a, false, false, 2},
		{"unsubscribe last", false, "t/+", b, true, true, 1},
		{"unsubscribe never subscribed", false, "q", b, false, false, 1},
		{"last of all", false, "t/#", a, true, true, 0},
	}
	for _, st := range steps {
		var changed, fl bool
		if st.sub {
			var err error
			changed, fl, err = tr.Subscribe(st.filter, st.s)
			if err != nil {
				t.Fatal(err)
			}
		} else {
			changed, fl = tr.Unsubscribe(st.filter, st.s)
		}
		if changed != st.changed || fl != st.firstLast || tr.Len() != st.wantLength {
			t.Errorf("%s: changed %v first/last %v len %d, want %v %v %d", st.name, changed, fl, tr.Len(),
				st.changed, st.firstLast, st.wantLength)
		}
	}
	if !tr.root.empty() {
		t.Errorf("empty tree keeps nodes: %+v", tr.root)
	}
}

func TestTreeBadFilter(t *testing.T) {
	var tr Tree[*sub]
	if _, _, err := tr.Subscribe("a/#/b", &sub{}); err != ErrBadWildcard {
		t.Errorf("Subscribe(a/#/b) = %v", err)
	}
}

// TestTreeLargeSet crosses the size where a set gets an index, both ways.
func TestTreeLargeSet(t *testing.T) {
	var tr Tree[*sub]
	subs := make([]*sub, 100)
	for i := range subs {
		subs[i] = &sub{i}
		tr.Subscribe("t", subs[i])
		tr.Subscribe("#", subs[i]) // every subscriber overlaps
	}
	if got := tr.Match("t", nil); len(got) != 100 {
		t.Fatalf("Match = %d subscribers, want 100", len(got))
	}
	for i := 0; i < 95; i++ {
		tr.Unsubscribe("t", subs[i])
	}
	got := ids(tr.Match("t", nil))
	if len(got) != 100 {
		t.Errorf("after unsubscribes Match = %d, want 100 (via #)", len(got))
	}
	for i := 0; i < 100; i++ {
		tr.Unsubscribe("#", subs[i])
	}
	if got := ids(tr.Match("t", nil)); !slices.Equal(got, []int{95, 96, 97, 98, 99}) {
		t.Errorf("Match = %v", got)
	}
}

// TestTreeConcurrent races publishes against subscribes from other goroutines (run with
// -race); each publisher's own subscriber must be found every time.
func TestTreeConcurrent(t *testing.T) {
	var tr Tree[*sub]
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := &sub{1000 + g}
			tr.Subscribe("c/+", mine)
			other := &sub{g}
			buf := make([]*sub, 0, 16)
			for i := 0; i < 500; i++ {
				tr.Subscribe("c/x", other)
				if !slices.Contains(tr.Match("c/x", buf[:0]), mine) {
					t.Error("own subscription not matched")
					return
				}
				tr.Unsubscribe("c/x", other)
			}
		}()
	}
	wg.Wait()
}

func TestTreeFilters(t *testing.T) {
	var tr Tree[*sub]
	for _, f := range []string{"a/b", "a/+", "#", "/x", "a/#"} {
		tr.Subscribe(f, &sub{})
	}
	var got []string
	tr.Filters(func(f string, n int) { got = append(got, f) })
	slices.Sort(got)
	if want := []string{"#", "/x", "a/#", "a/+", "a/b"}; !slices.Equal(got, want) {
		t.Errorf("Filters = %v, want %v", got, want)
	}
}
