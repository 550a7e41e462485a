package topic

import (
	"errors"
	"slices"
	"testing"
)

func TestRetained(t *testing.T) {
	r := Retained[string]{MaxCount: 3, MaxBytes: 40}
	set := func(topic, v string) error { return r.Set(topic, v, len(v)) }
	steps := []struct {
		name      string
		do        func() error
		wantErr   error
		wantLen   int
		wantBytes int64
	}{
		{"first", func() error { return set("a/b", "12345") }, nil, 1, 8},
		{"replace", func() error { return set("a/b", "1") }, nil, 1, 4},
		{"second", func() error { return set("a/c", "xy") }, nil, 2, 9},
		{"third", func() error { return set("b", "z") }, nil, 3, 11},
		{"count bound", func() error { return set("c", "z") }, ErrRetainedFull, 3, 11},
		{"replace at the count bound", func() error { return set("b", "zz") }, nil, 3, 12},
		{"byte bound", func() error { return set("a/c", string(make([]byte, 40))) }, ErrRetainedFull, 3, 12},
		{"delete", func() error { r.Delete("a/b"); return nil }, nil, 2, 8},
		{"delete absent", func() error { r.Delete("nope/x"); return nil }, nil, 2, 8},
		{"room again", func() error { return set("c", "z") }, nil, 3, 10},
	}
	for _, st := range steps {
		if err := st.do(); !errors.Is(err, st.wantErr) {
			t.Errorf("%s: err %v, want %v", st.name, err, st.wantErr)
		}
		if r.Len() != st.wantLen || r.Bytes() != st.wantBytes {
			t.Errorf("%s: len %d bytes %d, want %d %d", st.name, r.Len(), r.Bytes(), st.wantLen, st.wantBytes)
		}
	}
	if v, ok := r.Get("b"); !ok || v != "zz" {
		t.Errorf("Get(b) = %q %v", v, ok)
	}
	if _, ok := r.Get("a/b"); ok {
		t.Error("deleted value still there")
	}
}

func TestRetainedMatch(t *testing.T) {
	var r Retained[int]
	topics := []string{"a", "a/b", "a/c", "a/b/c", "x/b", "/b", "a//b"}
	for i, tp := range topics {
		r.Set(tp, i, 1)
	}
	tests := []struct {
		filter string
		want   []string
	}{
		{"a", []string{"a"}},
		{"a/+", []string{"a/b", "a/c"}},
		{"a/#", []string{"a", "a/b", "a/b/c", "a/c", "a//b"}},
		{"+/b", []string{"/b", "a/b", "x/b"}},
		{"#", topics},
		{"+", []string{"a"}},
		{"a/+/c", []string{"a/b/c"}},
		{"q/#", nil},
	}
	for _, tt := range tests {
		var got []string
		r.Match(tt.filter, func(tp string, v int) {
			if topics[v] != tp {
				t.Errorf("value %d under %q", v, tp)
			}
			got = append(got, tp)
		})
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tt.want))
		if !slices.Equal(got, want) {
			t.Errorf("Match(%q) = %v, want %v", tt.filter, got, want)
		}
		// The oracle: the same answer as checking every topic.
		var naive []string
		for _, tp := range topics {
			if Matches(tt.filter, tp) {
				naive = append(naive, tp)
			}
		}
		slices.Sort(naive)
		if !slices.Equal(got, naive) {
			t.Errorf("Match(%q) = %v, naive %v", tt.filter, got, naive)
		}
	}
	for _, tp := range topics {
		r.Delete(tp)
	}
	if len(r.root.children) != 0 || r.Len() != 0 || r.Bytes() != 0 {
		t.Errorf("empty store keeps nodes or counts: %d %d %d", len(r.root.children), r.Len(), r.Bytes())
	}
}
