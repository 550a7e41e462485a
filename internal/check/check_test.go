package check

import (
	"errors"
	"testing"
)

func TestOrigins(t *testing.T) {
	cases := []struct {
		name    string
		allowed []string
		origin  string
		want    bool
	}{
		{name: "empty list allows any", origin: "https://x.example", want: true},
		{name: "empty list allows null", origin: "null", want: true},
		{name: "exact", allowed: []string{"https://app.example"}, origin: "https://app.example", want: true},
		{name: "exact is case-insensitive", allowed: []string{"https://app.example"}, origin: "HTTPS://App.Example", want: true},
		{name: "exact entry case-insensitive", allowed: []string{"HTTPS://APP.example"}, origin: "https://app.example", want: true},
		{name: "exact port matters", allowed: []string{"https://app.example"}, origin: "https://app.example:8443"},
		{name: "exact with port", allowed: []string{"http://b.example:8080"}, origin: "http://b.example:8080", want: true},
		{name: "exact scheme matters", allowed: []string{"https://app.example"}, origin: "http://app.example"},
		{name: "other host", allowed: []string{"https://app.example"}, origin: "https://evil.example"},
		{name: "exact with a path", allowed: []string{"https://app.example"}, origin: "https://app.example/"},
		{name: "wildcard any scheme", allowed: []string{"*.example.com"}, origin: "http://a.b.example.com", want: true},
		{name: "wildcard https", allowed: []string{"*.example.com"}, origin: "https://a.example.com", want: true},
		{name: "wildcard other scheme", allowed: []string{"*.example.com"}, origin: "ftp://a.example.com"},
		{name: "wildcard needs a label", allowed: []string{"*.example.com"}, origin: "https://example.com"},
		{name: "wildcard empty label", allowed: []string{"*.example.com"}, origin: "https://.example.com"},
		{name: "wildcard suffix trick", allowed: []string{"*.example.com"}, origin: "https://evilexample.com"},
		{name: "wildcard path trick", allowed: []string{"*.trusted.example"}, origin: "https://evil.com/.trusted.example"},
		{name: "wildcard query trick", allowed: []string{"*.trusted.example"}, origin: "https://evil.com?.trusted.example"},
		{name: "wildcard fragment trick", allowed: []string{"*.trusted.example"}, origin: "https://evil.com#.trusted.example"},
		{name: "wildcard user trick", allowed: []string{"*.trusted.example"}, origin: "https://a.trusted.example@evil.com"},
		{name: "wildcard user trick reversed", allowed: []string{"*.trusted.example"}, origin: "https://evil.com@a.trusted.example"},
		{name: "wildcard port not listed", allowed: []string{"*.example.com"}, origin: "https://a.example.com:8443"},
		{name: "wildcard with port", allowed: []string{"*.example.com:8443"}, origin: "https://a.example.com:8443", want: true},
		{name: "wildcard with scheme", allowed: []string{"https://*.example.com"}, origin: "http://a.example.com"},
		{name: "wildcard with scheme ok", allowed: []string{"https://*.example.com"}, origin: "https://a.example.com", want: true},
		{name: "trailing space", allowed: []string{"https://app.example"}, origin: "https://app.example "},
		{name: "bad port", allowed: []string{"https://app.example"}, origin: "https://app.example:0"},
		{name: "ipv6", allowed: []string{"http://[::1]:8080"}, origin: "http://[::1]:8080", want: true},
		{name: "null origin", allowed: []string{"https://app.example"}, origin: "null"},
		{name: "star", allowed: []string{"*"}, origin: "null", want: true},
		{name: "star among others", allowed: []string{"https://app.example", "*"}, origin: "https://x", want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ParseOrigins(tc.allowed)
			if err != nil {
				t.Fatal(err)
			}
			if got := o.Allows([]byte(tc.origin)); got != tc.want {
				t.Fatalf("Allows(%q) = %v, want %v", tc.origin, got, tc.want)
			}
		})
	}
}

func TestOriginPattern(t *testing.T) {
	cases := []struct {
		entry string
		want  error // nil = valid
	}{
		{"*", nil},
		{"https://a.example", nil},
		{"http://b.example:8080", nil},
		{"*.example.com", nil},
		{"https://*.example.com", nil},
		{"http://[::1]:8080", nil},
		{"example.com", errPattern},
		{"ftp://a.example", errScheme},
		{"https://a.example/", errHost},
		{"https://a.example/path", errHost},
		{"https://user@a.example", errHost},
		{"https://a.example:99999", errPort},
		{"https://a.example:", errPort},
		{"https://*", errWildcard},
		{"https://a.*.example", errWildcard},
		{"*.*.example", errWildcard},
		{"http://[::1", errIPv6},
		{"http://[1.2.3.4]", errIPv6},
		{"https://", errHost},
	}
	for _, tc := range cases {
		if err := OriginPattern(tc.entry); !errors.Is(err, tc.want) {
			t.Errorf("OriginPattern(%q) = %v, want %v", tc.entry, err, tc.want)
		}
	}
}

func TestPath(t *testing.T) {
	cases := []struct {
		path string
		max  int
		ok   bool
	}{
		{"/", 0, true},
		{"/echo", 0, true},
		{"/a/b/", 0, true},
		{"", 0, false},
		{"echo", 0, false},
		{"/a?b", 0, false},
		{"/a#b", 0, false},
		{"/a b", 0, false},
		{"/é", 0, false},
		{"/abcdef", 4, false},
		{"/abc", 4, true},
	}
	for _, tc := range cases {
		if err := Path(tc.path, tc.max); (err == nil) != tc.ok {
			t.Errorf("Path(%q, %d) = %v, want ok %v", tc.path, tc.max, err, tc.ok)
		}
	}
}

func TestSubprotocols(t *testing.T) {
	cases := []struct {
		name string
		list []string
		def  string
		ok   bool
	}{
		{name: "none", ok: true},
		{name: "tokens", list: []string{"chat.v1", "mqtt"}, def: "mqtt", ok: true},
		{name: "space", list: []string{"a b"}},
		{name: "comma", list: []string{"a,b"}},
		{name: "duplicate", list: []string{"a", "a"}},
		{name: "default missing", list: []string{"a"}, def: "b"},
	}
	for _, tc := range cases {
		if err := Subprotocols(tc.list, tc.def); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	var de *DefaultError
	if !errors.As(Subprotocols([]string{"a"}, "b"), &de) || de.Default != "b" {
		t.Fatal("default error not typed")
	}
}

func TestName(t *testing.T) {
	for s, want := range map[string]bool{"echo": true, "a.b_c-1": true, "": false, "a b": false, "a/b": false} {
		if Name(s) != want {
			t.Errorf("Name(%q) != %v", s, want)
		}
	}
}

func BenchmarkOriginsAllows(b *testing.B) {
	o, _ := ParseOrigins([]string{"https://app.example", "*.example.com"})
	v := []byte("https://chat.eu.example.com")
	b.ReportAllocs()
	for b.Loop() {
		if !o.Allows(v) {
			b.Fatal("refused")
		}
	}
}

func TestForwardHeader(t *testing.T) {
	cases := []struct {
		name string
		want bool
	}{
		{"Cookie", true}, {"X-Trace-Id", true}, {"authorization", true},
		{"", false}, {"X Bad", false}, {"X:Bad", false},
		{"Host", false}, {"connection", false}, {"Upgrade", false}, {"Content-Length", false}, {"Transfer-Encoding", false},
		{"Sec-WebSocket-Key", false}, {"sec-websocket-protocol", false},
		{"X-Forwarded-For", false}, {"x-forwarded-proto", false}, {"X-Forwarded-Host", false}, {"X-Wsgate-User", false},
	}
	for _, tc := range cases {
		if got := ForwardHeader(tc.name); got != tc.want {
			t.Errorf("ForwardHeader(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
