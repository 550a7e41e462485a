package check

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzOriginsAllows checks the matcher against net/url: whatever it lets through for a
// wildcard list is an origin with nothing after the authority, whose host is a subdomain of
// the entry.
func FuzzOriginsAllows(f *testing.F) {
	for _, s := range []string{
		"https://a.trusted.example", "https://evil.com/.trusted.example", "https://trusted.example",
		"http://a.trusted.example:80", "https://x@a.trusted.example", "null", "https://[::1]",
		"HTTPS://A.TRUSTED.EXAMPLE", "https://a.trusted.example.", "https://a..trusted.example",
	} {
		f.Add(s)
	}
	o, err := ParseOrigins([]string{"*.trusted.example", "https://exact.example:8443"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, origin string) {
		if !o.Allows([]byte(origin)) {
			return
		}
		u, err := url.Parse(origin)
		if err != nil {
			t.Fatalf("allowed %q, which net/url rejects: %v", origin, err)
		}
		if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			t.Fatalf("allowed %q with more than scheme://host[:port]: %+v", origin, u)
		}
		if strings.Count(origin, "/") != 2 || strings.ContainsAny(origin, "?#@ ") {
			t.Fatalf("allowed %q with more than scheme://host[:port]", origin)
		}
		host := strings.ToLower(u.Hostname())
		switch {
		case strings.HasSuffix(host, ".trusted.example") && len(host) > len(".trusted.example"):
			if s := strings.ToLower(u.Scheme); s != "http" && s != "https" || u.Port() != "" {
				t.Fatalf("allowed %q: scheme or port", origin)
			}
		case host == "exact.example" && u.Port() == "8443" && strings.EqualFold(u.Scheme, "https"):
		default:
			t.Fatalf("allowed %q, host %q", origin, host)
		}
	})
}
