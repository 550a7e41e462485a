package static

// maxPath bounds the request path the responder looks up; longer paths are
// answered 404 (the parser's default target limit is 4096 as well).
const maxPath = 4096

// cleanPath percent-decodes the request path p (RFC 3986 §2.1) into buf,
// collapses repeated slashes and checks every segment. It returns the cleaned
// absolute path (a subslice of buf, keeping a trailing slash) and 0, or a
// status: 400 for a malformed escape, 404 for a path that must not be
// served: not absolute, too long, a NUL byte, or a segment starting with '.'
// ("..", ".", hidden files) other than ".well-known". Checking after
// decoding is what catches "%2e%2e" and "..%2f".
func cleanPath(buf *[maxPath]byte, p []byte) ([]byte, int) {
	if len(p) == 0 || p[0] != '/' || len(p) > len(buf) {
		return nil, 404
	}
	n := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' {
			if i+2 >= len(p) {
				return nil, 400
			}
			hi, ok1 := unhex(p[i+1])
			lo, ok2 := unhex(p[i+2])
			if !ok1 || !ok2 {
				return nil, 400
			}
			c = hi<<4 | lo
			i += 2
		}
		if c == 0 {
			return nil, 404
		}
		buf[n] = c
		n++
	}

	// Rewrite in place: the write index never passes the read index.
	d := buf[:n]
	w := 0
	for i := 0; i < len(d); {
		for i < len(d) && d[i] == '/' {
			i++
		}
		d[w] = '/'
		w++
		j := i
		for j < len(d) && d[j] != '/' {
			j++
		}
		seg := d[i:j]
		if len(seg) > 0 && seg[0] == '.' && string(seg) != ".well-known" {
			return nil, 404
		}
		w += copy(d[w:], seg)
		i = j
	}
	return d[:w], 0
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
