//go:build !race

package static

import (
	"testing"
)

// TestAllocations asserts that answering from the cache allocates nothing
// when dst has room: the cached file, the default page, 404, 405 and 304.
func TestAllocations(t *testing.T) {
	files := responder(t, site(t), nil)
	pages := responder(t, "", []byte(page))
	tests := []struct {
		name string
		s    *Responder
		req  string
	}{
		{name: "cached file", s: files, req: req("GET", "/style.css")},
		{name: "cached directory index", s: files, req: req("GET", "/sub/")},
		{name: "head", s: files, req: req("HEAD", "/style.css")},
		{name: "default page", s: pages, req: req("GET", "/")},
		{name: "not modified", s: pages, req: req("GET", "/", "If-None-Match: "+pages.page.etag)},
		{name: "not found", s: pages, req: req("GET", "/missing")},
		{name: "method not allowed", s: pages, req: req("POST", "/")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, dst := warmRequest(t, tc.s, tc.req)
			if n := testing.AllocsPerRun(100, func() { dst, _ = tc.s.Respond(dst[:0], r) }); n != 0 {
				t.Fatalf("%v allocations per run, want 0", n)
			}
		})
	}
}
