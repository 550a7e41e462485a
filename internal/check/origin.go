package check

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Origins is a parsed Origin allow-list. An entry is "*" (any origin, "null" included), an
// exact origin "scheme://host[:port]", "*.domain[:port]" (any subdomain, http or https) or
// "scheme://*.domain[:port]" (any subdomain, that scheme). The scheme is http or https. A
// wildcard stands for at least one label: "example.com" itself does not match
// "*.example.com". The port must match as written: an entry without one matches only origins
// without one (browsers leave the default port out, RFC 6454 §6.2). Comparison is
// case-insensitive. The zero value allows any origin.
type Origins struct {
	restricted bool // false: any origin
	exact      []originParts
	wild       []originParts // host is the suffix after "*.", scheme "" = http or https
}

type originParts struct{ scheme, host, port string }

// ParseOrigins parses an allow-list; an empty list, or one holding "*", allows any origin.
// The error names the first bad entry.
func ParseOrigins(list []string) (Origins, error) {
	var o Origins
	star := false
	for _, e := range list {
		p, wild, err := parsePattern(e)
		if err != nil {
			return Origins{}, fmt.Errorf("%q: %w", e, err)
		}
		switch {
		case p == nil:
			star = true
		case wild:
			o.wild = append(o.wild, *p)
		default:
			o.exact = append(o.exact, *p)
		}
	}
	o.restricted = len(list) > 0 && !star
	return o, nil
}

// OriginPattern returns what is wrong with one allow-list entry, or nil.
func OriginPattern(e string) error {
	_, _, err := parsePattern(e)
	return err
}

var (
	errScheme   = errors.New("scheme must be http or https")
	errPattern  = errors.New("want scheme://host[:port], *.domain or scheme://*.domain")
	errHost     = errors.New("bad host (an origin has no path, query or user)")
	errPort     = errors.New("bad port")
	errIPv6     = errors.New("bad IPv6 address")
	errWildcard = errors.New("a wildcard stands for whole labels: *.domain")
)

// parsePattern parses an entry; nil parts means "*".
func parsePattern(e string) (p *originParts, wild bool, err error) {
	e = strings.ToLower(strings.TrimSpace(e))
	if e == "*" {
		return nil, false, nil
	}
	scheme, rest, hasScheme := strings.Cut(e, "://")
	if hasScheme {
		if scheme != "http" && scheme != "https" {
			return nil, false, errScheme
		}
	} else {
		scheme, rest = "", e
	}
	if r, ok := strings.CutPrefix(rest, "*."); ok {
		wild, rest = true, r
	} else if !hasScheme {
		return nil, false, errPattern
	}
	host, port, err := splitHostPort(rest)
	if err != nil {
		return nil, false, err
	}
	switch {
	case strings.Contains(host, "*"):
		return nil, false, errWildcard
	case strings.HasPrefix(host, "["):
		if wild {
			return nil, false, errWildcard
		}
		if ip := net.ParseIP(host[1 : len(host)-1]); ip == nil || ip.To4() != nil {
			return nil, false, errIPv6
		}
	case !IsHostname(host):
		return nil, false, errHost
	}
	return &originParts{scheme: scheme, host: host, port: port}, wild, nil
}

// splitHostPort splits host[:port] of a pattern; an IPv6 host keeps its brackets.
func splitHostPort(s string) (host, port string, err error) {
	host = s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", errIPv6
		}
		host, s = s[:end+1], s[end+1:]
		if s == "" {
			return host, "", nil
		}
		if s[0] != ':' {
			return "", "", errHost
		}
		port = s[1:]
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
	} else {
		return host, "", nil
	}
	if !validPort(port) {
		return "", "", errPort
	}
	return host, port, nil
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 || p[0] == '0' {
		return false
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && p[0] != '+' && p[0] != '-'
}

// IsHostname reports whether s is dot-separated labels of letters, digits and hyphens (which
// covers IPv4 literals), each 1–63 bytes, not starting or ending with a hyphen.
func IsHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			b := label[i]
			if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-') {
				return false
			}
		}
	}
	return true
}

// Allows reports whether a request whose Origin header is v may connect. v is parsed
// strictly as scheme "://" host [":" port] (RFC 6454 §6.2): anything after the authority
// (a path, a query, user information) makes it match no entry, so
// "https://evil.example/.trusted.example" never passes "*.trusted.example". It does not
// allocate.
func (o *Origins) Allows(v []byte) bool {
	if !o.restricted {
		return true
	}
	scheme, host, port, ok := splitOrigin(v)
	if !ok {
		return false
	}
	for i := range o.exact {
		e := &o.exact[i]
		if equalFold(scheme, e.scheme) && equalFold(host, e.host) && equalFold(port, e.port) {
			return true
		}
	}
	for i := range o.wild {
		w := &o.wild[i]
		if w.scheme == "" && !equalFold(scheme, "http") && !equalFold(scheme, "https") {
			continue
		}
		if w.scheme != "" && !equalFold(scheme, w.scheme) {
			continue
		}
		// At least one label, then a dot, then the suffix.
		n := len(w.host)
		if len(host) < n+2 || host[len(host)-n-1] != '.' || !equalFold(host[len(host)-n:], w.host) {
			continue
		}
		if equalFold(port, w.port) {
			return true
		}
	}
	return false
}

// splitOrigin splits an Origin header value into its scheme, host and port and checks each
// strictly: the scheme is letters (then letters, digits, + - .), the host a hostname or a
// bracketed IPv6 address, the port 1–65535 without a leading zero.
func splitOrigin(v []byte) (scheme, host, port []byte, ok bool) {
	i := bytes.Index(v, []byte("://"))
	if i <= 0 {
		return nil, nil, nil, false
	}
	scheme, rest := v[:i], v[i+3:]
	for j, b := range scheme {
		alpha := b|0x20 >= 'a' && b|0x20 <= 'z'
		if !alpha && (j == 0 || !(b >= '0' && b <= '9' || b == '+' || b == '-' || b == '.')) {
			return nil, nil, nil, false
		}
	}
	host = rest
	if len(rest) > 0 && rest[0] == '[' {
		end := bytes.IndexByte(rest, ']')
		if end < 0 {
			return nil, nil, nil, false
		}
		for _, b := range rest[1:end] {
			if !(b >= '0' && b <= '9' || b|0x20 >= 'a' && b|0x20 <= 'f' || b == ':' || b == '.') {
				return nil, nil, nil, false
			}
		}
		host, rest = rest[:end+1], rest[end+1:]
		if len(rest) > 0 {
			if rest[0] != ':' {
				return nil, nil, nil, false
			}
			port = rest[1:]
		}
	} else {
		if j := bytes.LastIndexByte(rest, ':'); j >= 0 {
			host, port = rest[:j], rest[j+1:]
		}
		if !hostnameBytes(host) {
			return nil, nil, nil, false
		}
	}
	if port != nil && !validPortBytes(port) {
		return nil, nil, nil, false
	}
	return scheme, host, port, true
}

func hostnameBytes(s []byte) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			b := s[i]
			if !(b|0x20 >= 'a' && b|0x20 <= 'z' || b >= '0' && b <= '9' || b == '-') {
				return false
			}
			continue
		}
		label := s[start:i]
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		start = i + 1
	}
	return true
}

func validPortBytes(p []byte) bool {
	if len(p) == 0 || len(p) > 5 || p[0] == '0' {
		return false
	}
	n := 0
	for _, b := range p {
		if b < '0' || b > '9' {
			return false
		}
		n = n*10 + int(b-'0')
	}
	return n <= 65535
}

// equalFold compares ASCII case-insensitively without allocating.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
