package apps

import (
	"bytes"
	"fmt"
	"strings"
)

// originSet matches Origin header values (RFC 6454 serialisations such as
// "https://app.example:8443") against the configured list.
type originSet struct {
	any      bool
	exact    []string // full origins, lower case
	suffixes []originSuffix
}

// originSuffix is a wildcard entry: "*.example.com" (any scheme) or "https://*.example.com".
type originSuffix struct {
	scheme string // "" = any
	suffix string // ".example.com", lower case, may carry ":port"
}

func parseOrigins(list []string) (originSet, error) {
	s := originSet{any: len(list) == 0}
	for _, o := range list {
		o = strings.ToLower(strings.TrimSpace(o))
		if o == "*" {
			s.any = true
			continue
		}
		scheme, host, hasScheme := strings.Cut(o, "://")
		if !hasScheme {
			scheme, host = "", o
		}
		if host == "" || strings.ContainsAny(host, "/?# ") {
			return s, fmt.Errorf("bad origin %q", o)
		}
		if rest, ok := strings.CutPrefix(host, "*."); ok {
			if rest == "" || strings.Contains(rest, "*") {
				return s, fmt.Errorf("bad origin %q", o)
			}
			s.suffixes = append(s.suffixes, originSuffix{scheme: scheme, suffix: "." + rest})
			continue
		}
		if !hasScheme || strings.Contains(host, "*") {
			return s, fmt.Errorf("bad origin %q: want scheme://host[:port] or *.domain", o)
		}
		s.exact = append(s.exact, o)
	}
	return s, nil
}

func (s *originSet) allows(origin []byte) bool {
	if s.any {
		return true
	}
	for _, e := range s.exact {
		if len(e) == len(origin) && bytes.EqualFold([]byte(e), origin) {
			return true
		}
	}
	if len(s.suffixes) == 0 {
		return false
	}
	i := bytes.Index(origin, []byte("://"))
	if i < 0 {
		return false
	}
	scheme, host := origin[:i], origin[i+3:]
	for _, w := range s.suffixes {
		if w.scheme != "" && !bytes.EqualFold([]byte(w.scheme), scheme) {
			continue
		}
		// The wildcard stands for at least one label: "example.com" itself does not match.
		if len(host) > len(w.suffix) && bytes.EqualFold(host[len(host)-len(w.suffix):], []byte(w.suffix)) {
			return true
		}
	}
	return false
}
