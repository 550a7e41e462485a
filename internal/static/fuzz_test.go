package static

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wsgate/wsgate/handshake"
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

// FuzzRespond answers every request handshake.Parse accepts, from files and
// from the default page, and checks that the answer is one valid HTTP/1.1
// response (read back by net/http) with a status the responder may give.
func FuzzRespond(f *testing.F) {
	for _, tc := range fileCases {
		f.Add([]byte(tc.req))
	}
	for _, tc := range pageCases {
		f.Add([]byte(tc.req))
	}
	files := responder(f, site(f), nil)
	pages := responder(f, "", []byte(page))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r handshake.Request
		if _, err := handshake.Parse(data, &r, handshake.Limits{}); err != nil {
			return
		}
		for _, s := range []*Responder{files, pages} {
			out, keep := s.Respond(nil, &r)
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), &http.Request{Method: string(r.Method)})
			if err != nil {
				t.Fatalf("%q -> %q: %v", data, out, err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("%q -> %q: %v", data, out, err)
			}
			switch resp.StatusCode {
			case 200, 304, 400, 404, 405, 500:
			default:
				t.Fatalf("status %d", resp.StatusCode)
			}
			if !bytes.HasSuffix(out, body) || resp.Close == keep {
				t.Fatalf("%q -> %q (keep %v)", data, out, keep)
			}
			if keep && (r.HasBody() || !r.KeepAlive()) {
				t.Fatalf("kept alive: %q", data)
			}
		}
	})
}
