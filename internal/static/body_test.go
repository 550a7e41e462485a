package static

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeBody: Serve puts only short bodies in the head it appends; a GET of a larger
// one hands it over as a Body (cached bytes, or the file read as it is sent), HEAD and 304 get none and do not
// open an uncached file's contents; Next hands out at most the chunk asked for.
func TestServeBody(t *testing.T) {
	root := site(t)
	big := strings.Repeat("0123456789", inlineBody/10+1) // over maxCachedFile below
	if err := os.WriteFile(filepath.Join(root, "big.txt"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	mid := strings.Repeat("m", inlineBody+1) // cached, not inline
	if err := os.WriteFile(filepath.Join(root, "mid.txt"), []byte(mid), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.maxCachedFile = inlineBody + 1
	etag := func(path string) string {
		return respond(t, s, req("HEAD", path)).header.Get("ETag")
	}
	tests := []struct {
		name  string
		raw   string
		body  string
		file  bool // the body is read from the file
		chunk int
		tail  string // a short error body stays in the head's buffer
	}{
		{name: "small cached GET", raw: req("GET", "/style.css"), tail: "body{}"},
		{name: "cached GET", raw: req("GET", "/mid.txt"), body: mid, chunk: 4096},
		{name: "uncached GET", raw: req("GET", "/big.txt"), body: big, file: true, chunk: 7},
		{name: "uncached HEAD", raw: req("HEAD", "/big.txt")},
		{name: "uncached 304", raw: req("GET", "/big.txt", "If-None-Match: "+etag("/big.txt"))},
		{name: "cached 304", raw: req("GET", "/style.css", "If-None-Match: "+etag("/style.css"))},
		{name: "404", raw: req("GET", "/missing"), tail: "Not Found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := parseRequest(t, tc.raw)
			var b Body
			head, _ := s.Serve(nil, r, &b)
			if !strings.HasSuffix(string(head), "\r\n\r\n"+tc.tail) {
				t.Fatalf("head %q does not end at the blank line", head)
			}
			if b.Len() != int64(len(tc.body)) || (b.f != nil) != tc.file {
				t.Fatalf("body of %d bytes (file %v), want %d (file %v)", b.Len(), b.f != nil, len(tc.body), tc.file)
			}
			var got []byte
			scratch := make([]byte, 64)
			for b.Len() > 0 {
				p, err := b.Next(scratch, tc.chunk)
				if err != nil || len(p) == 0 || len(p) > tc.chunk {
					t.Fatalf("Next: %d bytes, %v", len(p), err)
				}
				got = append(got, p...)
			}
			if string(got) != tc.body || b.f != nil {
				t.Fatalf("body %q (file left open: %v), want %q", got, b.f != nil, tc.body)
			}
		})
	}
}
