package cluster

import "testing"

// TestMirrorApply: a version newer than the one held replaces it (the later time, or at the
// same time the greater origin); an older one is stale; the very value held again (a live
// publish and a snapshot entry of it) is a second copy, not a stale message.
func TestMirrorApply(t *testing.T) {
	r := newMirror(10, 1<<10)
	if got := r.apply("k", Text, []byte("v1"), 100, "gw-b"); got != applyNewer {
		t.Fatalf("first value: %d, want applyNewer", got)
	}
	for _, tc := range []struct {
		name   string
		data   string
		time   int64
		origin string
		want   applyResult
	}{
		{"the same copy again", "v1", 100, "gw-b", applySame},
		{"same version, other bytes", "v2", 100, "gw-b", applyStale},
		{"older", "v0", 99, "gw-z", applyStale},
		{"same time, lesser origin", "v0", 100, "gw-a", applyStale},
		{"same time, greater origin", "v3", 100, "gw-c", applyNewer},
		{"later", "v4", 101, "gw-a", applyNewer},
		{"the later copy again", "v4", 101, "gw-a", applySame},
	} {
		if got := r.apply("k", Text, []byte(tc.data), tc.time, tc.origin); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if e := r.m["k"]; string(e.data) != "v4" || e.time != 101 || e.origin != "gw-a" {
		t.Fatalf("held %q at %d from %s, want v4 at 101 from gw-a", e.data, e.time, e.origin)
	}
}
