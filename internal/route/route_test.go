package route

import (
	"errors"
	"github.com/wsgate/wsgate/apps"
	"strings"
	"sync"
	"testing"
)

var listeners = []string{"http", "ws", "iot"}

func TestLookup(t *testing.T) {
	reg := NewRegistry(listeners, 0)
	for _, s := range []apps.Spec{
		{Name: "root", Path: "/"},
		{Name: "echo", Path: "/echo", Scope: []string{"http", "ws"}},
		{Name: "deep", Path: "/a/b/c", Scope: []string{"iot"}},
		{Name: "slash", Path: "/a/b/"},
	} {
		if err := reg.Register(s, apps.Base{}); err != nil {
			t.Fatalf("register %s: %v", s.Name, err)
		}
	}
	cases := []struct {
		name     string
		path     string
		listener int
		want     string // "" = no route
	}{
		{name: "root", path: "/", listener: 0, want: "root"},
		{name: "exact", path: "/echo", listener: 1, want: "echo"},
		{name: "out of scope is missing", path: "/echo", listener: 2},
		{name: "deep", path: "/a/b/c", listener: 2, want: "deep"},
		{name: "deep out of scope", path: "/a/b/c", listener: 0},
		{name: "trailing slash differs", path: "/a/b/", listener: 0, want: "slash"},
		{name: "prefix is not a match", path: "/a/b", listener: 2},
		{name: "longer is not a match", path: "/echo/x", listener: 0},
		{name: "case matters", path: "/ECHO", listener: 0},
		{name: "empty", path: "", listener: 0},
		{name: "no leading slash", path: "echo", listener: 0},
		{name: "double slash", path: "//echo", listener: 0},
	}
	tab := reg.Table()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tab.Lookup([]byte(tc.path), tc.listener)
			got := ""
			if r != nil {
				got = r.Spec.Name
			}
			if got != tc.want {
				t.Fatalf("Lookup(%q, %d) = %q, want %q", tc.path, tc.listener, got, tc.want)
			}
		})
	}
}

func TestRegisterErrors(t *testing.T) {
	reg := NewRegistry(listeners, 0)
	if err := reg.Register(apps.Spec{Name: "a", Path: "/a"}, apps.Base{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		spec apps.Spec
		app  apps.Application
		want error
	}{
		{name: "duplicate name", spec: apps.Spec{Name: "a", Path: "/b"}, app: apps.Base{}, want: apps.ErrDuplicateName},
		{name: "duplicate path", spec: apps.Spec{Name: "b", Path: "/a"}, app: apps.Base{}, want: apps.ErrDuplicatePath},
		{name: "empty name", spec: apps.Spec{Path: "/c"}, app: apps.Base{}, want: apps.ErrBadSpec},
		{name: "relative path", spec: apps.Spec{Name: "c", Path: "c"}, app: apps.Base{}, want: apps.ErrBadSpec},
		{name: "query in path", spec: apps.Spec{Name: "c", Path: "/c?x"}, app: apps.Base{}, want: apps.ErrBadSpec},
		{name: "unknown scope", spec: apps.Spec{Name: "c", Path: "/c", Scope: []string{"nope"}}, app: apps.Base{}, want: apps.ErrBadSpec},
		{name: "default not supported", spec: apps.Spec{Name: "c", Path: "/c", Subprotocols: []string{"x"}, DefaultSubprotocol: "y"}, app: apps.Base{}, want: apps.ErrBadSpec},
		{name: "bad origin", spec: apps.Spec{Name: "c", Path: "/c", Origins: []string{"example.com"}}, app: apps.Base{}, want: apps.ErrBadSpec},
		{name: "nil app", spec: apps.Spec{Name: "c", Path: "/c"}, want: apps.ErrBadSpec},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := reg.Register(tc.spec, tc.app); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestUnregisterSwapsTable(t *testing.T) {
	reg := NewRegistry(listeners, 0)
	reg.Register(apps.Spec{Name: "a", Path: "/a"}, apps.Base{})
	old := reg.Table()
	rt := old.Lookup([]byte("/a"), 0)
	if !rt.Acquire() {
		t.Fatal("acquire")
	}
	if _, err := reg.Unregister("a"); err != nil {
		t.Fatal(err)
	}
	if reg.Table().Lookup([]byte("/a"), 0) != nil {
		t.Fatal("still routed after Unregister")
	}
	if old.Lookup([]byte("/a"), 0) != rt {
		t.Fatal("an old table changed")
	}
	// Registering again under the same name keeps counting the connections still open.
	reg.Register(apps.Spec{Name: "a", Path: "/a2"}, apps.Base{})
	if n := reg.Table().Lookup([]byte("/a2"), 0).Connections(); n != 1 {
		t.Fatalf("connections %d, want 1", n)
	}
	if _, err := reg.Unregister("zzz"); !errors.Is(err, apps.ErrUnknownApp) {
		t.Fatalf("unknown: %v", err)
	}
}

func TestAcquireNeverPassesLimit(t *testing.T) {
	cases := []struct {
		name        string
		own, server int
		wantLimit   int64
	}{
		{name: "own", own: 10, wantLimit: 10},
		{name: "server", server: 7, wantLimit: 7},
		{name: "lower of both", own: 20, server: 5, wantLimit: 5},
		{name: "none", wantLimit: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := NewRegistry(listeners, tc.server)
			reg.Register(apps.Spec{Name: "a", Path: "/a", MaxConnections: tc.own}, apps.Base{})
			rt := reg.Table().Lookup([]byte("/a"), 0)
			if rt.Limit() != tc.wantLimit {
				t.Fatalf("limit %d, want %d", rt.Limit(), tc.wantLimit)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			got := 0
			for range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 10 {
						if rt.Acquire() {
							mu.Lock()
							got++
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			want := 640
			if tc.wantLimit > 0 {
				want = int(tc.wantLimit)
			}
			if got != want || rt.Connections() != int64(want) {
				t.Fatalf("acquired %d (count %d), want %d", got, rt.Connections(), want)
			}
		})
	}
}

func TestPickSubprotocol(t *testing.T) {
	bs := func(s ...string) (out [][]byte) {
		for _, x := range s {
			out = append(out, []byte(x))
		}
		return out
	}
	cases := []struct {
		name      string
		supported []string
		def       string
		offered   [][]byte
		want      string
	}{
		{name: "none offered", supported: []string{"a"}, want: ""},
		{name: "client order", supported: []string{"a", "b"}, offered: bs("b", "a"), want: "b"},
		{name: "default preferred when offered", supported: []string{"a", "b"}, def: "a", offered: bs("b", "a"), want: "a"},
		{name: "default not offered", supported: []string{"a", "b"}, def: "a", offered: bs("b"), want: "b"},
		{name: "nothing supported", supported: []string{"a"}, offered: bs("x", "y"), want: ""},
		{name: "app speaks none", offered: bs("x"), want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := NewRegistry(listeners, 0)
			if err := reg.Register(apps.Spec{Name: "a", Path: "/a", Subprotocols: tc.supported, DefaultSubprotocol: tc.def}, apps.Base{}); err != nil {
				t.Fatal(err)
			}
			if got := reg.Table().Lookup([]byte("/a"), 0).PickSubprotocol(tc.offered); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	reg := NewRegistry(listeners, 0)
	for _, p := range []string{"/echo", "/broadcast", "/iot/sensors/temperature", "/iot/sensors/humidity", "/chat"} {
		reg.Register(apps.Spec{Name: strings.ReplaceAll(p[1:], "/", "."), Path: p}, apps.Base{})
	}
	tab := reg.Table()
	path := []byte("/iot/sensors/humidity")
	b.ReportAllocs()
	for b.Loop() {
		if tab.Lookup(path, 1) == nil {
			b.Fatal("no route")
		}
	}
}

// TestReplace: the whole set changes in one table; a kept name keeps its counter, a removed
// one is returned; an invalid set changes nothing.
func TestReplace(t *testing.T) {
	reg := NewRegistry(listeners, 0)
	reg.Register(apps.Spec{Name: "keep", Path: "/keep", MaxConnections: 2}, apps.Base{})
	reg.Register(apps.Spec{Name: "drop", Path: "/drop"}, apps.Base{})
	keep := reg.Table().Lookup([]byte("/keep"), 0)
	keep.Acquire()
	drop := reg.Table().Lookup([]byte("/drop"), 0)

	before := reg.Table()
	if _, err := reg.Replace([]Entry{{apps.Spec{Name: "a", Path: "/a"}, apps.Base{}}, {apps.Spec{Name: "b", Path: "/a"}, apps.Base{}}}); !errors.Is(err, apps.ErrDuplicatePath) {
		t.Fatalf("duplicate path: %v", err)
	}
	if _, err := reg.Replace([]Entry{{apps.Spec{Name: "a", Path: "/a", Scope: []string{"nope"}}, apps.Base{}}}); !errors.Is(err, apps.ErrBadSpec) {
		t.Fatalf("bad scope: %v", err)
	}
	if reg.Table() != before {
		t.Fatal("a failed Replace changed the table")
	}

	gone, err := reg.Replace([]Entry{
		{apps.Spec{Name: "keep", Path: "/kept", MaxConnections: 2}, apps.Base{}},
		{apps.Spec{Name: "new", Path: "/new"}, apps.Base{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != 1 || gone[0] != drop {
		t.Fatalf("gone %v", gone)
	}
	tab := reg.Table()
	if tab.Lookup([]byte("/drop"), 0) != nil || tab.Lookup([]byte("/keep"), 0) != nil || tab.Lookup([]byte("/new"), 0) == nil {
		t.Fatal("table not replaced")
	}
	kept := tab.Lookup([]byte("/kept"), 0)
	if kept.Connections() != 1 || !kept.Acquire() || kept.Acquire() {
		t.Fatalf("kept counter: %d", kept.Connections())
	}
	keep.Release() // a connection opened before the reload releases on the same counter
	if kept.Connections() != 1 {
		t.Fatalf("after release: %d", kept.Connections())
	}
}
