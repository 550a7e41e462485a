package route

import (
	"errors"
	"slices"
	"testing"

	"github.com/wsgate/wsgate/apps"
)

type counter struct {
	apps.Base
	n int
}

// TestPlan: what a new application set does to each registration, by the rules in
// reconfigure.go, and what Commit publishes.
func TestPlan(t *testing.T) {
	reg := NewRegistry(listeners, 0)
	inst := &counter{}
	specs := map[string]apps.Spec{
		"same":    {Name: "same", Path: "/same", Scope: []string{"http", "ws"}},
		"origins": {Name: "origins", Path: "/origins"},
		"path":    {Name: "path", Path: "/path"},
		"scope":   {Name: "scope", Path: "/scope", Scope: []string{"ws"}},
		"kind":    {Name: "kind", Path: "/kind"},
		"gone":    {Name: "gone", Path: "/gone"},
	}
	appOf := map[string]apps.Application{"same": inst, "origins": inst, "path": inst, "scope": inst, "kind": inst, "gone": inst}
	for _, n := range []string{"same", "origins", "path", "scope", "kind", "gone"} {
		if err := reg.Register(specs[n], appOf[n]); err != nil {
			t.Fatal(err)
		}
	}
	old := map[string]*Route{}
	for _, rt := range reg.Table().Routes() {
		old[rt.Spec.Name] = rt
	}
	origins := specs["origins"]
	origins.Origins = []string{"https://a.example"}
	path := specs["path"]
	path.Path = "/moved"
	scope := specs["scope"]
	scope.Scope = []string{"ws", "http"} // a different set
	same := specs["same"]
	same.Scope = []string{"ws", "http"} // the same set in another order: not identical, continues
	entries := []Entry{
		{same, inst},
		{origins, inst},
		{path, inst},
		{scope, inst},
		{specs["kind"], &counter{}}, // another instance
		{apps.Spec{Name: "new", Path: "/new"}, inst},
	}
	p, err := reg.Plan(listeners, 0, entries)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what      string
		got, want []string
	}{
		{"added", p.Added, []string{"new"}},
		{"removed", p.Removed, []string{"gone"}},
		{"replaced", p.Replaced, []string{"path", "kind"}},
		{"updated", p.Updated, []string{"same", "origins", "scope"}},
		{"kept", p.Kept, nil},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if len(p.Gone) != 3 {
		t.Fatalf("gone: %d", len(p.Gone))
	}
	if reg.Table().Lookup([]byte("/gone"), 0) == nil {
		t.Fatal("Plan changed the table")
	}
	if err := reg.Commit(p); err != nil {
		t.Fatal(err)
	}
	tab := reg.Table()
	if cur := tab.Current(old["same"]); cur == nil || cur == old["same"] || tab.Current(old["gone"]) != nil {
		t.Fatal("Current")
	}
	nr := tab.Lookup([]byte("/origins"), 0)
	if nr == old["origins"] || !nr.SameApp(old["origins"]) || nr.Ended() || nr.OriginAllowed([]byte("https://b.example")) {
		t.Fatal("updated entry: new route of the same registration with the new origins")
	}
	for _, n := range []string{"path", "kind", "gone"} {
		if !old[n].Ended() {
			t.Errorf("%s: registration not ended", n)
		}
	}
	if tab.Lookup([]byte("/kind"), 0).SameApp(old["kind"]) {
		t.Fatal("a new instance continued the registration")
	}
	// A plan made before a change in between is refused.
	p, _ = reg.Plan(listeners, 0, nil)
	reg.Register(apps.Spec{Name: "late", Path: "/late"}, inst)
	if err := reg.Commit(p); err == nil || reg.Table().Lookup([]byte("/late"), 0) == nil {
		t.Fatalf("stale plan: %v", err)
	}
	// The same set again: every route stays as it is.
	before := reg.Table().Routes()
	var again []Entry
	for _, rt := range before {
		again = append(again, Entry{rt.Spec, rt.App})
	}
	p, err = reg.Plan(listeners, 0, again)
	if err != nil || len(p.Kept) != len(before) {
		t.Fatalf("same set: %v %+v", err, p)
	}
	reg.Commit(p)
	if !slices.Equal(reg.Table().Routes(), before) {
		t.Fatal("an identical entry did not keep its route")
	}
}

// TestPlanListeners: a listener index left unused is in no scope, an empty scope covers the
// listeners in use, a scope naming a listener gone is an error, and the per-application limit
// follows the plan.
func TestPlanListeners(t *testing.T) {
	reg := NewRegistry(listeners, 0)
	p, err := reg.Plan([]string{"http", "", "ws2"}, 3, []Entry{{apps.Spec{Name: "all", Path: "/all"}, apps.Base{}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Commit(p); err != nil {
		t.Fatal(err)
	}
	tab := reg.Table()
	if tab.Lookup([]byte("/all"), 1) != nil || tab.Lookup([]byte("/all"), 2) == nil || tab.Lookup([]byte("/all"), 2).Limit() != 3 {
		t.Fatal("scope or limit after the plan")
	}
	_, err = reg.Plan([]string{"http", "", "ws2"}, 0, []Entry{{apps.Spec{Name: "x", Path: "/x", Scope: []string{"ws"}}, apps.Base{}}})
	if !errors.Is(err, apps.ErrBadSpec) {
		t.Fatalf("scope naming a removed listener: %v", err)
	}
}

// TestPlanEveryField: a spec that differs in any field, one added after the rules were
// written included, is an update, not the same route kept.
func TestPlanEveryField(t *testing.T) {
	reg := NewRegistry(listeners, 0)
	app := &counter{}
	spec := apps.Spec{Name: "a", Path: "/a"}
	reg.Register(spec, app)
	spec.PauseSlowConsumers = true
	p, err := reg.Plan(listeners, 0, []Entry{{spec, app}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Updated, []string{"a"}) || len(p.Kept) != 0 {
		t.Fatalf("updated %v, kept %v", p.Updated, p.Kept)
	}
}
