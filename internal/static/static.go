package static

import (
	"errors"
	"hash/fnv"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsgate/wsgate/handshake"
)

// Size bounds of the file cache.
const (
	maxCachedFile  = 1 << 20  // files up to this size are cached after first use
	maxFile        = 8 << 20  // larger files are refused with 500 "File too large"
	maxCacheBytes  = 16 << 20 // total cached body bytes
	inlineBody     = 16 << 10 // cached bodies up to this size are appended to the head
	recheckEvery   = time.Second
	allowedMethods = "GET, HEAD"
)

// httpDate is the IMF-fixdate layout of RFC 9110 §5.6.7.
const httpDate = "Mon, 02 Jan 2006 15:04:05 GMT"

// Errors returned by New.
var (
	// ErrNotDir is returned by New when root is not a directory.
	ErrNotDir = errors.New("static: root is not a directory")
)

// Responder answers ordinary HTTP requests (not upgrades) from a root
// directory, or from the default page when it has no root. It is safe for
// concurrent use by several event loops.
type Responder struct {
	root *os.Root // nil: serve only the default page
	page *entry   // the default page, when root is nil

	mu    sync.RWMutex
	cache map[string]*entry // by cleaned request path
	total int               // cached body bytes

	read atomic.Int64 // bytes read from files, for the gateway's metrics

	// Bounds, fields so that tests can shrink them.
	maxCachedFile, maxFile, maxCacheBytes int
	recheck                               time.Duration
}

// entry is one servable resource. Its fields are immutable once published
// in the cache, except checked.
type entry struct {
	head    []byte // status line and fixed headers of the 200, without Date/Connection/blank line
	body    []byte // nil for a file too large to cache: read from name as it is sent
	name    string // the file under the root
	etag    string
	modTime time.Time
	size    int64
	checked time.Time // last time the file's mtime was compared; guarded by Responder.mu
}

// New builds a Responder. With root "" it serves page (the HTML of the
// gateway's default index page, rendered by the engine) at "/" and
// "/index.html" and 404 for everything else. Otherwise it serves the files
// under root, which must be a directory; requests cannot escape it through
// ".." or symlinks (os.Root), and page is not used. The Responder keeps root
// open until Close.
func New(root string, page []byte) (*Responder, error) {
	s := &Responder{
		cache:         make(map[string]*entry),
		maxCachedFile: maxCachedFile,
		maxFile:       maxFile,
		maxCacheBytes: maxCacheBytes,
		recheck:       recheckEvery,
	}
	if root == "" {
		h := fnv.New64a()
		h.Write(page)
		body := append([]byte(nil), page...)
		etag := `"` + strconv.FormatUint(h.Sum64(), 16) + `"`
		s.page = newEntry("index.html", body, etag, time.Time{})
		return s, nil
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, ErrNotDir
	}
	if s.root, err = os.OpenRoot(root); err != nil {
		return nil, err
	}
	return s, nil
}

// BytesRead is the number of bytes read from files so far: what serving costs the disk
// (a cached file is read once, HEAD and 304 read nothing). Safe from any goroutine.
func (s *Responder) BytesRead() int64 { return s.read.Load() }

// Close releases the root directory. Respond must not be called after it.
func (s *Responder) Close() error {
	if s.root == nil {
		return nil
	}
	return s.root.Close()
}

// newEntry builds the resource for a file name (its extension picks the
// Content-Type), its body, ETag and modification time (zero: no
// Last-Modified).
func newEntry(name string, body []byte, etag string, mod time.Time) *entry {
	return newSizedEntry(name, body, int64(len(body)), etag, mod)
}

// newSizedEntry is newEntry for a body of size bytes, nil when it is not held in memory.
func newSizedEntry(name string, body []byte, size int64, etag string, mod time.Time) *entry {
	e := &entry{body: body, name: name, etag: etag, modTime: mod, size: size}
	h := append([]byte(nil), "HTTP/1.1 200 OK\r\nContent-Type: "...)
	h = append(h, contentType(name)...)
	h = append(h, "\r\nContent-Length: "...)
	h = strconv.AppendInt(h, size, 10)
	h = append(h, "\r\n"...)
	if !mod.IsZero() {
		h = append(h, "Last-Modified: "...)
		h = mod.UTC().AppendFormat(h, httpDate)
		h = append(h, "\r\n"...)
	}
	h = append(h, "ETag: "...)
	h = append(h, etag...)
	h = append(h, "\r\n"...)
	e.head = h
	return e
}

// Respond appends a complete HTTP/1.1 response for r to dst, body included, and reports
// whether the connection may stay open afterwards; see Serve for what it answers. It is for
// callers that want the whole response at once (tests, small sites); the event loop uses
// Serve and sends the body at the client's pace.
func (s *Responder) Respond(dst []byte, r *handshake.Request) (out []byte, keepAlive bool) {
	var b Body
	out, keepAlive = s.Serve(dst, r, &b)
	if b.Len() > 0 {
		var scratch [32 << 10]byte
		for b.Len() > 0 {
			p, err := b.Next(scratch[:], len(scratch))
			out = append(out, p...)
			if err != nil {
				return out, false
			}
		}
	}
	return out, keepAlive
}

// Serve appends the head of an HTTP/1.1 response for r to dst (with the one-line body of
// an error answer, or a cached body of at most 16 KiB), sets body to the file's body that
// follows it (nothing for HEAD, 304 and the error answers), and reports whether the connection may
// stay open afterwards: HTTP/1.1 without "Connection: close", or HTTP/1.0 with
// "keep-alive", and no request body (a request announcing a body is answered and the
// connection closed, since the body is never read).
//
//   - GET and HEAD of an existing file: 200 with Content-Type (by
//     extension), Content-Length, Last-Modified and ETag, and the body for
//     GET; 304 when If-None-Match matches the ETag. "/" and any directory
//     serve its index.html; a directory without one is 404. HEAD and 304
//     never read the file's contents.
//   - Missing or unservable paths: 404 text/plain "Not Found", for every
//     method. A malformed percent-escape: 400 "Bad Request".
//   - Other methods on an existing resource: 405 with "Allow: GET, HEAD".
//   - OPTIONS *: 200 with "Allow: GET, HEAD".
//   - Files over 8 MiB, or unreadable ones: 500.
//
// Every response carries Date and, when the connection is to close,
// "Connection: close". r and its borrowed bytes are only read during the
// call. A hit on a cached file allocates nothing when dst has room. body must be
// empty; the caller sends it after out and closes it if it does not finish.
func (s *Responder) Serve(dst []byte, r *handshake.Request, body *Body) (out []byte, keepAlive bool) {
	keepAlive = r.KeepAlive() && !r.HasBody()
	get := string(r.Method) == "GET"
	head := string(r.Method) == "HEAD"

	if string(r.Path) == "*" {
		if string(r.Method) == "OPTIONS" {
			return s.appendPlain(dst, r, keepAlive, 200, "OK", "Allow: "+allowedMethods+"\r\n", ""), keepAlive
		}
		return s.appendPlain(dst, r, keepAlive, 404, "Not Found", "", "Not Found"), keepAlive
	}

	var buf [maxPath]byte
	p, status := cleanPath(&buf, r.Path)
	var e *entry
	if status == 0 {
		e, status = s.lookup(p)
	}
	switch {
	case status == 400:
		// The request line itself is broken: do not risk reading on.
		keepAlive = false
		return s.appendPlain(dst, r, keepAlive, 400, "Bad Request", "", "Bad Request"), keepAlive
	case status == 404:
		return s.appendPlain(dst, r, keepAlive, 404, "Not Found", "", "Not Found"), keepAlive
	case status == 413:
		return s.appendPlain(dst, r, keepAlive, 500, "Internal Server Error", "", "File too large"), keepAlive
	case status != 0:
		return s.appendPlain(dst, r, keepAlive, 500, "Internal Server Error", "", "Internal Server Error"), keepAlive
	case !get && !head:
		return s.appendPlain(dst, r, keepAlive, 405, "Method Not Allowed", "Allow: "+allowedMethods+"\r\n", "Method Not Allowed"), keepAlive
	}

	if r.IfNoneMatch != nil && etagMatch(r.IfNoneMatch, e.etag) {
		// RFC 9110 §15.4.5: a 304 carries the ETag and Last-Modified the
		// 200 would have, and no body.
		dst = append(dst, "HTTP/1.1 304 Not Modified\r\nETag: "...)
		dst = append(dst, e.etag...)
		dst = append(dst, "\r\n"...)
		if !e.modTime.IsZero() {
			dst = append(dst, "Last-Modified: "...)
			dst = e.modTime.UTC().AppendFormat(dst, httpDate)
			dst = append(dst, "\r\n"...)
		}
		return appendTail(dst, r, keepAlive), keepAlive
	}
	if get && e.size > 0 {
		if e.body == nil {
			// Not cached: the file is read as it is sent.
			f, _, status := s.open(e.name)
			if status != 0 {
				return s.appendPlain(dst, r, keepAlive, 500, "Internal Server Error", "", "Internal Server Error"), keepAlive
			}
			*body = Body{f: f, n: e.size, read: &s.read}
		} else if e.size > inlineBody {
			*body = Body{data: e.body, n: e.size}
		}
	}
	dst = append(dst, e.head...)
	dst = appendTail(dst, r, keepAlive)
	if get && body.Len() == 0 {
		dst = append(dst, e.body...) // small enough to go with the head
	}
	return dst, keepAlive
}

// appendPlain appends a response with a one-line text/plain body (no body
// for HEAD, but its Content-Length all the same, RFC 9110 §9.3.2).
func (s *Responder) appendPlain(dst []byte, r *handshake.Request, keepAlive bool, status int, text, header, body string) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, text...)
	if body != "" {
		dst = append(dst, "\r\nContent-Type: text/plain; charset=utf-8"...)
	}
	dst = append(dst, "\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\n"...)
	dst = append(dst, header...)
	dst = appendTail(dst, r, keepAlive)
	if string(r.Method) != "HEAD" {
		dst = append(dst, body...)
	}
	return dst
}

// appendTail appends Date, the Connection header the keep-alive decision
// needs, and the blank line ending the head.
func appendTail(dst []byte, r *handshake.Request, keepAlive bool) []byte {
	dst = append(dst, "Date: "...)
	dst = time.Now().UTC().AppendFormat(dst, httpDate)
	switch {
	case !keepAlive:
		dst = append(dst, "\r\nConnection: close\r\n\r\n"...)
	case r.ProtoMinor == 0:
		// HTTP/1.0 closes by default; confirm the persistent connection.
		dst = append(dst, "\r\nConnection: keep-alive\r\n\r\n"...)
	default:
		dst = append(dst, "\r\n\r\n"...)
	}
	return dst
}

// etagMatch reports whether the If-None-Match list has "*" or an entity tag
// weakly equal to etag (RFC 9110 §13.1.2).
func etagMatch(list []byte, etag string) bool {
	for len(list) > 0 {
		var e []byte
		e, list = handshake.NextElement(list)
		if len(e) >= 2 && e[0] == 'W' && e[1] == '/' {
			e = e[2:]
		}
		if string(e) == "*" || string(e) == etag {
			return true
		}
	}
	return false
}
