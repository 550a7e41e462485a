package check

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Path returns what is wrong with an application path, or nil. A path starts with "/", has
// no "?" or "#" (the query is not part of the match and a fragment never reaches a server),
// is printable ASCII (a request target is, RFC 9112 §3.2: anything else never matches), and
// is at most maxTarget bytes when maxTarget > 0.
func Path(p string, maxTarget int) error {
	switch {
	case p == "" || p[0] != '/':
		return fmt.Errorf("%q: must start with \"/\"", p)
	case strings.ContainsAny(p, "?#"):
		return fmt.Errorf("%q: must not contain \"?\" or \"#\"", p)
	case strings.IndexFunc(p, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0:
		return fmt.Errorf("%q: must be printable ASCII (percent-encode the rest)", p)
	case maxTarget > 0 && len(p) > maxTarget:
		return fmt.Errorf("%q: longer than the request target limit (%d)", p, maxTarget)
	}
	return nil
}

// Name reports whether s is a listener or application name: 1–64 of A-Z a-z 0-9 . _ -.
func Name(s string) bool {
	return s != "" && len(s) <= 64 && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	})
}

// NameRule describes Name for error messages.
const NameRule = "want 1-64 of A-Z a-z 0-9 . _ -"

// SubjectPrefix reports whether p can begin every NATS subject of a cluster: tokens of
// A-Z a-z 0-9 - _ separated by single dots, no wildcard, at most 64 bytes.
func SubjectPrefix(p string) bool {
	if p == "" || len(p) > 64 {
		return false
	}
	for _, tok := range strings.Split(p, ".") {
		if tok == "" || strings.ContainsFunc(tok, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		}) {
			return false
		}
	}
	return true
}

// SubjectPrefixRule describes SubjectPrefix for error messages.
const SubjectPrefixRule = "want tokens of A-Z a-z 0-9 - _ separated by '.', at most 64 bytes"

// NATSURL checks one NATS server URL: nats://, tls://, ws:// or wss:// with a host.
func NATSURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return fmt.Errorf("%q: not a URL with a host", redactURL(u))
	}
	switch p.Scheme {
	case "nats", "tls", "ws", "wss":
		return nil
	}
	return fmt.Errorf("%q: the scheme must be nats, tls, ws or wss", redactURL(u))
}

// redactURL hides a URL's user information (a NATS URL may carry a password).
func redactURL(u string) string {
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "…@" + u[i+1:]
		}
		return "…@" + u[i+1:]
	}
	return u
}

// IsToken reports whether s is an RFC 9110 §5.6.2 token, as a subprotocol must be
// (RFC 6455 §4.1) and as a header name is.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) {
			return false
		}
	}
	return true
}

func tokenByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
}

// Subprotocols returns what is wrong with a list of subprotocols and its default, or nil:
// each is a token, none repeats, and def is "" or one of them.
func Subprotocols(list []string, def string) error {
	var errs []error
	for j, s := range list {
		switch {
		case !IsToken(s):
			errs = append(errs, fmt.Errorf("%q: not a token (RFC 6455 §4.1, RFC 9110 §5.6.2)", s))
		case indexOf(list, s) < j:
			errs = append(errs, fmt.Errorf("duplicate %q", s))
		}
	}
	if def != "" && indexOf(list, def) < 0 {
		errs = append(errs, &DefaultError{Default: def})
	}
	return errors.Join(errs...)
}

// DefaultError is a default subprotocol missing from the list; config reports it under its
// own field.
type DefaultError struct{ Default string }

func (e *DefaultError) Error() string { return fmt.Sprintf("%q is not in subprotocols", e.Default) }

// HeaderValue reports whether s may be sent as a header field value: visible ASCII, spaces
// and tabs, no control characters (RFC 9110 §5.5).
func HeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// ForwardHeader reports whether a proxy may pass the client's request header name on to its
// upstream (forward_headers): a token, and not one of the lines the gateway writes itself —
// the request framing and upgrade fields (Host, Connection, Upgrade, Content-Length,
// Transfer-Encoding, Sec-WebSocket-*) and what it vouches for (X-Forwarded-For, -Proto,
// -Host, X-Wsgate-User). Passing one of those on would duplicate it, and a client could then
// smuggle a second request or claim another user.
func ForwardHeader(name string) bool {
	if !IsToken(name) {
		return false
	}
	switch n := strings.ToLower(name); {
	case n == "host", n == "connection", n == "upgrade", n == "content-length", n == "transfer-encoding",
		n == "x-forwarded-for", n == "x-forwarded-proto", n == "x-forwarded-host", n == "x-wsgate-user",
		strings.HasPrefix(n, "sec-websocket-"):
		return false
	}
	return true
}
