package static

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsgate/wsgate/handshake"
)

const page = "<!doctype html><title>wsgate</title><h1>wsgate</h1>\n"

// site writes a small document root into a temporary directory and returns
// its path. Next to it lies secret.txt, outside the root, for escape tests.
// responder opens New(root, page) and closes it when tb ends.
func responder(tb testing.TB, root string, page []byte) *Responder {
	tb.Helper()
	s, err := New(root, page)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func site(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "www")
	files := map[string]string{
		"index.html":            "<h1>home</h1>",
		"style.css":             "body{}",
		"app.js":                "console.log(1)",
		"data.bin":              "\x00\x01\x02",
		"README":                "plain",
		"UPPER.PNG":             "\x89PNG",
		"sub/index.html":        "<h1>sub</h1>",
		"sub/page.json":         `{"a":1}`,
		"empty/.keep":           "",
		".hidden":               "secret",
		".well-known/probe.txt": "probe",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"out.txt":  filepath.Join(dir, "secret.txt"), // absolute, out of root
		"up.txt":   "../secret.txt",                  // relative, out of root
		"updir":    "..",                             // directory out of root
		"in.txt":   "style.css",                      // stays inside: served
		"sub/back": "../sub",                         // directory inside
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// result is a response as a client sees it.
type result struct {
	raw       string
	status    int
	header    http.Header
	body      string
	keepAlive bool
}

// parseRequest parses raw, failing the test if it is not a request.
func parseRequest(tb testing.TB, raw string) *handshake.Request {
	tb.Helper()
	var r handshake.Request
	if _, err := handshake.Parse([]byte(raw), &r, handshake.Limits{}); err != nil {
		tb.Fatalf("Parse(%q): %v", raw, err)
	}
	return &r
}

// warmRequest parses raw and has s answer it once, which fills s's cache: the request and
// an answer buffer with room, for the benchmark and the allocation test of cached answers.
func warmRequest(tb testing.TB, s *Responder, raw string) (*handshake.Request, []byte) {
	tb.Helper()
	r := parseRequest(tb, raw)
	dst, _ := s.Respond(make([]byte, 0, 4096), r)
	return r, dst
}

// respond parses the raw request, lets s answer it and reads the answer
// back with net/http's client parser, which also checks that it is valid.
func respond(t testing.TB, s *Responder, raw string) result {
	t.Helper()
	r := parseRequest(t, raw)
	out, keep := s.Respond([]byte("junk"), r)
	if !strings.HasPrefix(string(out), "junk") {
		t.Fatal("Respond did not append to dst")
	}
	out = out[len("junk"):]
	req := &http.Request{Method: string(r.Method)}
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(out))), req)
	if err != nil {
		t.Fatalf("response %q: %v", out, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("response %q: body: %v", out, err)
	}
	if cl := resp.Header.Get("Content-Length"); string(r.Method) != "HEAD" && resp.StatusCode != 304 && cl != strconv.Itoa(len(body)) {
		t.Fatalf("Content-Length %s for %d bytes", cl, len(body))
	}
	if !strings.HasSuffix(string(out), string(body)) || len(body) > 0 && strings.Count(string(out), "\r\n\r\n") == 0 {
		t.Fatalf("trailing bytes after the body in %q", out)
	}
	if resp.Close == keep {
		t.Fatalf("keepAlive %v but the response says close=%v: %q", keep, resp.Close, out)
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err != nil || time.Since(d) > time.Minute {
		t.Fatalf("Date %q: %v", resp.Header.Get("Date"), err)
	}
	return result{raw: string(out), status: resp.StatusCode, header: resp.Header, body: string(body), keepAlive: keep}
}

// req builds a request line plus Host and extra header lines.
func req(method, target string, lines ...string) string {
	return method + " " + target + " HTTP/1.1\r\nHost: gw\r\n" + strings.Join(lines, "\r\n") + map[bool]string{true: "\r\n", false: ""}[len(lines) > 0] + "\r\n"
}

type respondCase struct {
	name   string
	req    string
	status int
	body   string            // exact body
	header map[string]string // exact values; "" means absent
	keep   bool
}

var pageCases = []respondCase{
	{name: "root", req: req("GET", "/"), status: 200, body: page, keep: true,
		header: map[string]string{"Content-Type": "text/html; charset=utf-8", "Content-Length": strconv.Itoa(len(page)), "Connection": "", "Last-Modified": ""}},
	{name: "index.html", req: req("GET", "/index.html"), status: 200, body: page, keep: true},
	{name: "query ignored", req: req("GET", "/?x=1"), status: 200, body: page, keep: true},
	{name: "absolute-form", req: req("GET", "http://gw"), status: 200, body: page, keep: true},
	{name: "head", req: req("HEAD", "/"), status: 200, body: "", keep: true,
		header: map[string]string{"Content-Type": "text/html; charset=utf-8", "Content-Length": strconv.Itoa(len(page))}},
	{name: "missing", req: req("GET", "/favicon.ico"), status: 404, body: "Not Found", keep: true,
		header: map[string]string{"Content-Type": "text/plain; charset=utf-8", "Content-Length": "9", "Allow": ""}},
	{name: "head missing", req: req("HEAD", "/nope"), status: 404, body: "", keep: true, header: map[string]string{"Content-Length": "9"}},
	{name: "post", req: req("POST", "/"), status: 405, body: "Method Not Allowed", keep: true, header: map[string]string{"Allow": "GET, HEAD"}},
	{name: "delete missing", req: req("DELETE", "/nope"), status: 404, body: "Not Found", keep: true},
	{name: "options asterisk", req: req("OPTIONS", "*"), status: 200, body: "", keep: true, header: map[string]string{"Allow": "GET, HEAD", "Content-Length": "0"}},
	{name: "options resource", req: req("OPTIONS", "/"), status: 405, body: "Method Not Allowed", keep: true, header: map[string]string{"Allow": "GET, HEAD"}},
	{name: "upgrade headers are ignored", req: req("GET", "/", "Upgrade: websocket", "Connection: Upgrade"), status: 200, body: page, keep: true},
	{name: "if-none-match", req: req("GET", "/", "If-None-Match: "+pageETag()), status: 304, body: "", keep: true,
		header: map[string]string{"ETag": pageETag(), "Content-Length": "", "Content-Type": ""}},
	{name: "if-none-match weak in list", req: req("GET", "/", `If-None-Match: "x", W/`+pageETag()), status: 304, keep: true},
	{name: "if-none-match star", req: req("HEAD", "/", "If-None-Match: *"), status: 304, keep: true},
	{name: "if-none-match other", req: req("GET", "/", `If-None-Match: "other"`), status: 200, body: page, keep: true},

	// Keep-alive decisions (RFC 9112 §9.3).
	{name: "1.1 close", req: req("GET", "/", "Connection: close"), status: 200, body: page, header: map[string]string{"Connection": "close"}},
	{name: "1.0", req: "GET / HTTP/1.0\r\n\r\n", status: 200, body: page, header: map[string]string{"Connection": "close"}},
	{name: "1.0 keep-alive", req: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", status: 200, body: page, keep: true,
		header: map[string]string{"Connection": "keep-alive"}},
	{name: "1.0 keep-alive 404", req: "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", status: 404, body: "Not Found", keep: true},
	{name: "body closes", req: req("POST", "/", "Content-Length: 5"), status: 405, body: "Method Not Allowed", header: map[string]string{"Connection": "close"}},
	{name: "chunked body closes", req: req("GET", "/", "Transfer-Encoding: chunked"), status: 200, body: page},
	{name: "empty body keeps", req: req("GET", "/", "Content-Length: 0"), status: 200, body: page, keep: true},
	{name: "1.1 close on 404", req: req("GET", "/x", "Connection: close"), status: 404, body: "Not Found"},
}

func pageETag() string {
	s, err := New("", []byte(page))
	if err != nil {
		panic(err)
	}
	return s.page.etag
}

var fileCases = []respondCase{
	{name: "root index", req: req("GET", "/"), status: 200, body: "<h1>home</h1>", keep: true,
		header: map[string]string{"Content-Type": "text/html; charset=utf-8", "Content-Length": "13"}},
	{name: "css", req: req("GET", "/style.css"), status: 200, body: "body{}", keep: true, header: map[string]string{"Content-Type": "text/css; charset=utf-8"}},
	{name: "js", req: req("GET", "/app.js"), status: 200, body: "console.log(1)", keep: true, header: map[string]string{"Content-Type": "text/javascript; charset=utf-8"}},
	{name: "unknown extension", req: req("GET", "/data.bin"), status: 200, body: "\x00\x01\x02", keep: true, header: map[string]string{"Content-Type": "application/octet-stream"}},
	{name: "no extension", req: req("GET", "/README"), status: 200, body: "plain", keep: true, header: map[string]string{"Content-Type": "application/octet-stream"}},
	{name: "upper-case extension", req: req("GET", "/UPPER.PNG"), status: 200, body: "\x89PNG", keep: true, header: map[string]string{"Content-Type": "image/png"}},
	{name: "directory index", req: req("GET", "/sub/"), status: 200, body: "<h1>sub</h1>", keep: true},
	{name: "directory without slash", req: req("GET", "/sub"), status: 200, body: "<h1>sub</h1>", keep: true},
	{name: "nested file", req: req("GET", "/sub/page.json"), status: 200, body: `{"a":1}`, keep: true, header: map[string]string{"Content-Type": "application/json"}},
	{name: "double slashes", req: req("GET", "//sub//page.json"), status: 200, body: `{"a":1}`, keep: true},
	{name: "percent-encoded name", req: req("GET", "/%73tyle.css"), status: 200, body: "body{}", keep: true},
	{name: "directory without index", req: req("GET", "/empty/"), status: 404, body: "Not Found", keep: true},
	{name: "missing", req: req("GET", "/missing.html"), status: 404, body: "Not Found", keep: true},
	{name: "file as directory", req: req("GET", "/style.css/x"), status: 404, body: "Not Found", keep: true},
	{name: "head", req: req("HEAD", "/style.css"), status: 200, body: "", keep: true, header: map[string]string{"Content-Length": "6"}},
	{name: "put existing", req: req("PUT", "/style.css"), status: 405, body: "Method Not Allowed", keep: true, header: map[string]string{"Allow": "GET, HEAD"}},
	{name: "put missing", req: req("PUT", "/new.css"), status: 404, body: "Not Found", keep: true},
	{name: "symlink inside root", req: req("GET", "/in.txt"), status: 200, body: "body{}", keep: true, header: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
	{name: "symlinked directory inside root", req: req("GET", "/sub/back/page.json"), status: 200, body: `{"a":1}`, keep: true},
	{name: "well-known", req: req("GET", "/.well-known/probe.txt"), status: 200, body: "probe", keep: true},

	// Nothing outside the root, nothing hidden (all 404, revealing nothing).
	{name: "dot-dot", req: req("GET", "/../secret.txt"), status: 404, body: "Not Found", keep: true},
	{name: "dot-dot etc passwd", req: req("GET", "/../../../../etc/passwd"), status: 404, body: "Not Found", keep: true},
	{name: "encoded dot-dot", req: req("GET", "/%2e%2e/secret.txt"), status: 404, body: "Not Found", keep: true},
	{name: "encoded upper-case dot-dot", req: req("GET", "/%2E%2E/%2E%2E/etc/passwd"), status: 404, body: "Not Found", keep: true},
	{name: "encoded slash dot-dot", req: req("GET", "/sub/..%2f..%2fsecret.txt"), status: 404, body: "Not Found", keep: true},
	{name: "dot-dot inside root", req: req("GET", "/sub/../style.css"), status: 404, body: "Not Found", keep: true},
	{name: "dot segment", req: req("GET", "/./style.css"), status: 404, body: "Not Found", keep: true},
	{name: "absolute path", req: req("GET", "//etc/passwd"), status: 404, body: "Not Found", keep: true},
	{name: "absolute-form dot-dot", req: req("GET", "http://gw/../secret.txt"), status: 404, body: "Not Found", keep: true},
	{name: "hidden file", req: req("GET", "/.hidden"), status: 404, body: "Not Found", keep: true},
	{name: "symlink out of root", req: req("GET", "/out.txt"), status: 404, body: "Not Found", keep: true},
	{name: "relative symlink out of root", req: req("GET", "/up.txt"), status: 404, body: "Not Found", keep: true},
	{name: "symlinked directory out of root", req: req("GET", "/updir/secret.txt"), status: 404, body: "Not Found", keep: true},
	{name: "NUL", req: req("GET", "/style.css%00.html"), status: 404, body: "Not Found", keep: true},
	{name: "fifo", req: req("GET", "/fifo.txt"), status: 404, body: "Not Found", keep: true},
	{name: "bad escape", req: req("GET", "/%zz"), status: 400, body: "Bad Request", header: map[string]string{"Connection": "close"}},
	{name: "truncated escape", req: req("GET", "/a%2"), status: 400, body: "Bad Request"},
}

func runCases(t *testing.T, s *Responder, cases []respondCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := respond(t, s, tc.req)
			if res.status != tc.status || res.body != tc.body || res.keepAlive != tc.keep {
				t.Fatalf("got %d %q keep=%v, want %d %q keep=%v\n%s", res.status, res.body, res.keepAlive, tc.status, tc.body, tc.keep, res.raw)
			}
			for k, v := range tc.header {
				if got := rawHeader(res.raw, k); strings.Join(got, ",") != v {
					t.Fatalf("%s = %q, want %q\n%s", k, got, v, res.raw)
				}
			}
		})
	}
}

// rawHeader returns the values of the header lines called name in the head
// of the raw response, as sent (net/http's reader removes Connection).
func rawHeader(raw, name string) []string {
	head, _, _ := strings.Cut(raw, "\r\n\r\n")
	var vs []string
	for _, l := range strings.Split(head, "\r\n")[1:] {
		if k, v, _ := strings.Cut(l, ": "); k == name {
			vs = append(vs, v)
		}
	}
	return vs
}

func TestRespondPage(t *testing.T) {
	s := responder(t, "", []byte(page))
	runCases(t, s, pageCases)
}

func TestRespondFiles(t *testing.T) {
	s := responder(t, site(t), []byte("unused"))
	runCases(t, s, fileCases)
	// Twice: the second round is served from the cache.
	runCases(t, s, fileCases)
}

func TestRespondFileHeaders(t *testing.T) {
	root := site(t)
	mod := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(root, "style.css"), mod, mod); err != nil {
		t.Fatal(err)
	}
	s := responder(t, root, nil)
	res := respond(t, s, req("GET", "/style.css"))
	if lm := strings.Join(rawHeader(res.raw, "Last-Modified"), ","); lm != "Mon, 06 May 2024 07:08:09 GMT" {
		t.Fatalf("Last-Modified %q", lm)
	}
	etag := res.header.Get("ETag")
	if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
		t.Fatalf("ETag %q", etag)
	}
	res = respond(t, s, req("GET", "/style.css", "If-None-Match: "+etag))
	if res.status != 304 || res.header.Get("ETag") != etag || res.header.Get("Last-Modified") != "Mon, 06 May 2024 07:08:09 GMT" {
		t.Fatalf("conditional GET: %s", res.raw)
	}
}

func TestRespondReloadsChangedFiles(t *testing.T) {
	root := site(t)
	s := responder(t, root, nil)
	s.recheck = 0 // compare with the file system on every request
	name := filepath.Join(root, "style.css")

	if res := respond(t, s, req("GET", "/style.css")); res.body != "body{}" {
		t.Fatalf("first: %q", res.body)
	}
	later := time.Now().Add(time.Hour)
	if err := os.WriteFile(name, []byte("body{color:red}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(name, later, later); err != nil {
		t.Fatal(err)
	}
	if res := respond(t, s, req("GET", "/style.css")); res.body != "body{color:red}" {
		t.Fatalf("after change: %q", res.body)
	}
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
	if res := respond(t, s, req("GET", "/style.css")); res.status != 404 {
		t.Fatalf("after removal: %d", res.status)
	}
	if _, ok := s.cache["/style.css"]; ok {
		t.Fatal("removed file still cached")
	}
}

func TestRespondServesCachedWithinRecheck(t *testing.T) {
	root := site(t)
	s := responder(t, root, nil)
	s.recheck = time.Hour
	respond(t, s, req("GET", "/style.css"))
	if err := os.Remove(filepath.Join(root, "style.css")); err != nil {
		t.Fatal(err)
	}
	if res := respond(t, s, req("GET", "/style.css")); res.status != 200 || res.body != "body{}" {
		t.Fatalf("within the recheck interval the cache answers: %d %q", res.status, res.body)
	}
}

func TestRespondSizeLimits(t *testing.T) {
	root := site(t)
	for name, size := range map[string]int{"small.txt": 10, "medium.txt": 100, "large.txt": 1000} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := responder(t, root, nil)
	s.maxCachedFile, s.maxFile, s.maxCacheBytes = 50, 500, 60

	tests := []struct {
		name   string
		path   string
		status int
		body   string
		cached bool
	}{
		{name: "small is cached", path: "/small.txt", status: 200, body: strings.Repeat("x", 10), cached: true},
		{name: "medium is served uncached", path: "/medium.txt", status: 200, body: strings.Repeat("x", 100)},
		{name: "large is refused", path: "/large.txt", status: 500, body: "File too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 {
				res := respond(t, s, req("GET", tc.path))
				if res.status != tc.status || res.body != tc.body {
					t.Fatalf("got %d %q", res.status, res.body)
				}
			}
			if _, ok := s.cache[tc.path]; ok != tc.cached {
				t.Fatalf("cached = %v", ok)
			}
		})
	}
}

func TestCacheBound(t *testing.T) {
	root := t.TempDir()
	for i := range 20 {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%d.txt", i)), []byte(strings.Repeat("y", 10)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := responder(t, root, nil)
	s.maxCacheBytes = 35
	for i := range 20 {
		if res := respond(t, s, req("GET", fmt.Sprintf("/f%d.txt", i))); res.status != 200 {
			t.Fatalf("f%d: %d", i, res.status)
		}
		sum := 0
		for _, e := range s.cache {
			sum += len(e.body)
		}
		if sum != s.total || s.total > s.maxCacheBytes || len(s.cache) != 3 && i >= 2 {
			t.Fatalf("after f%d: %d entries, total %d (sum %d), bound %d", i, len(s.cache), s.total, sum, s.maxCacheBytes)
		}
	}
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		root  string
		isErr func(error) bool
	}{
		{name: "page", root: "", isErr: func(err error) bool { return err == nil }},
		{name: "directory", root: dir, isErr: func(err error) bool { return err == nil }},
		{name: "missing", root: filepath.Join(dir, "nope"), isErr: func(err error) bool { return errors.Is(err, os.ErrNotExist) }},
		{name: "file", root: file, isErr: func(err error) bool { return err == ErrNotDir }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.root, []byte(page))
			if !tc.isErr(err) {
				t.Fatalf("err = %v", err)
			}
			if err == nil {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestRespondConcurrent lets several goroutines (as several event loops
// would) answer requests while files change under them; run with -race.
func TestRespondConcurrent(t *testing.T) {
	root := site(t)
	s := responder(t, root, nil)
	s.recheck = 0
	s.maxCacheBytes = 20 // forces evictions
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			var r handshake.Request
			buf := make([]byte, 0, 4096)
			for i := range 200 {
				tc := fileCases[(g+i)%len(fileCases)]
				if _, err := handshake.Parse([]byte(tc.req), &r, handshake.Limits{}); err != nil {
					t.Error(err)
					return
				}
				buf, _ = s.Respond(buf[:0], &r)
				if !strings.HasPrefix(string(buf), "HTTP/1.1 "+strconv.Itoa(tc.status)+" ") {
					t.Errorf("%s: %q", tc.name, buf)
					return
				}
			}
		})
	}
	for i := range 50 {
		mod := time.Now().Add(time.Duration(i) * time.Second)
		os.Chtimes(filepath.Join(root, "style.css"), mod, mod)
	}
	wg.Wait()
}

func TestContentType(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{name: "html", file: "a.html", want: "text/html; charset=utf-8"},
		{name: "upper", file: "A.HTM", want: "text/html; charset=utf-8"},
		{name: "none", file: "Makefile", want: "application/octet-stream"},
		{name: "dot in directory", file: "a.d/file", want: "application/octet-stream"},
		{name: "unknown", file: "x.xyz", want: "application/octet-stream"},
		{name: "wasm", file: "m.wasm", want: "application/wasm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := contentType(tc.file); got != tc.want {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func BenchmarkRespond(b *testing.B) {
	root := site(b)
	s := responder(b, root, nil)
	page := responder(b, "", []byte(page))
	for _, bc := range []struct {
		name string
		s    *Responder
		req  string
	}{
		{name: "cached file", s: s, req: fileCases[1].req},
		{name: "default page", s: page, req: pageCases[0].req},
		{name: "not found", s: page, req: pageCases[5].req},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r, dst := warmRequest(b, bc.s, bc.req)
			b.ReportAllocs()
			for b.Loop() {
				dst, _ = bc.s.Respond(dst[:0], r)
			}
		})
	}
}
