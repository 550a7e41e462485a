package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/builtin"
)

// TestStaticRoot: the HTTP service serves files from Options.StaticRoot beside the
// applications; a root that is not a directory is an error from New.
func TestStaticRoot(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello, file"), 0o644); err != nil {
		t.Fatal(err)
	}
	opt := testOptions()
	opt.StaticRoot = dir
	srv := startServer(t, opt, nil)
	r := roundTrip(t, srv.Addr("http"), "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0)
	if r.status != 200 || r.body != "hello, file" {
		t.Fatalf("static file: %d %q", r.status, r.body)
	}
	if r := roundTrip(t, srv.Addr("http"), upgradeRequest("/echo"), 0); r.status != 101 {
		t.Fatalf("upgrade beside the static root: %d", r.status)
	}
	opt.StaticRoot = filepath.Join(dir, "hello.txt")
	opt.Logger = testLogger(t)
	if _, err := New(*opt); err == nil || !strings.Contains(err.Error(), "static root") {
		t.Fatalf("a file as root: %v", err)
	}
}

// TestDefaultPageFollowsRegistrations: without a static root the default page lists the
// applications registered so far, also those registered after Start.
func TestDefaultPageFollowsRegistrations(t *testing.T) {
	srv := startServer(t, nil, nil)
	get := func() string {
		return roundTrip(t, srv.Addr("http"), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0).body
	}
	if page := get(); !strings.Contains(page, "/echo") || strings.Contains(page, "/late") {
		t.Fatalf("page before: %s", page)
	}
	if err := srv.Register(apps.Spec{Name: "late", Path: "/late"}, builtin.Echo{}); err != nil {
		t.Fatal(err)
	}
	if page := get(); !strings.Contains(page, "/late") {
		t.Fatalf("page after Register: %s", page)
	}
	if err := srv.Unregister("late"); err != nil {
		t.Fatal(err)
	}
	if page := get(); strings.Contains(page, "/late") {
		t.Fatalf("page after Unregister: %s", page)
	}
}
