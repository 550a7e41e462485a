package static

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzCleanPath checks that whatever the request path, cleanPath either
// refuses it or returns an absolute path without empty, dot or NUL segments
// (".well-known" aside), so that nothing it lets through can climb out of
// the root or name a hidden file.
func FuzzCleanPath(f *testing.F) {
	for _, tc := range fileCases {
		target := strings.Fields(tc.req)[1]
		f.Add([]byte(target))
	}
	for _, s := range []string{"/", "//", "/a/", "/%2e%2e", "/..%2f", "/%2F%2E%2E%2F", "/%00", "/.well-known/x", "/a%2"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		var buf [maxPath]byte
		clean, status := cleanPath(&buf, p)
		switch status {
		case 0:
		case 400, 404:
			if clean != nil {
				t.Fatalf("status %d with path %q", status, clean)
			}
			return
		default:
			t.Fatalf("status %d", status)
		}
		if len(clean) == 0 || clean[0] != '/' || bytes.Contains(clean, []byte("//")) || bytes.IndexByte(clean, 0) >= 0 {
			t.Fatalf("%q -> %q", p, clean)
		}
		for _, seg := range bytes.Split(clean[1:], []byte("/")) {
			if len(seg) > 0 && seg[0] == '.' && string(seg) != ".well-known" {
				t.Fatalf("%q -> %q has segment %q", p, clean, seg)
			}
		}
		if len(clean) > len(p) {
			t.Fatalf("%q grew to %q", p, clean)
		}
	})
}
