package apps

import (
	"errors"
	"strings"
	"testing"

	"github.com/wsgate/wsgate/handshake"
)

func TestRefuse(t *testing.T) {
	cases := []struct {
		name   string
		status int
		reason string
		header []string
		want   string // the response head and body; "" = an invalid refusal
	}{
		{name: "401 with challenge", status: 401, reason: "Unauthorized", header: []string{"WWW-Authenticate", `Basic realm="x"`},
			want: "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\nConnection: close\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\r\nUnauthorized"},
		{name: "429", status: 429, reason: "Slow down", header: []string{"Retry-After", "30"},
			want: "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\nConnection: close\r\nRetry-After: 30\r\n\r\nSlow down"},
		{name: "no header", status: 404, reason: "Not here",
			want: "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 8\r\nConnection: close\r\n\r\nNot here"},
		{name: "status 200", status: 200, reason: "OK"},
		{name: "status 600", status: 600, reason: "x"},
		{name: "reason with newline", status: 403, reason: "a\r\nb"},
		{name: "odd header", status: 403, reason: "x", header: []string{"Retry-After"}},
		{name: "bad name", status: 403, reason: "x", header: []string{"Bad Name", "v"}},
		{name: "value injection", status: 403, reason: "x", header: []string{"X-A", "v\r\nSet-Cookie: a=b"}},
		{name: "engine's header", status: 403, reason: "x", header: []string{"Connection", "keep-alive"}},
		{name: "engine's websocket header", status: 403, reason: "x", header: []string{"Sec-WebSocket-Accept", "x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Refuse(tc.status, tc.reason, tc.header...)
			var he *handshake.Error
			isRefusal := errors.As(err, &he)
			if tc.want == "" {
				if isRefusal || err == nil || !strings.HasPrefix(err.Error(), "apps: Refuse: ") {
					t.Fatalf("invalid refusal accepted: %v", err)
				}
				return
			}
			if !isRefusal || string(he.Response()) != tc.want {
				t.Fatalf("got %v\n%q\nwant\n%q", err, he.Response(), tc.want)
			}
		})
	}
}

func TestSpecValidate(t *testing.T) {
	cases := []struct {
		spec Spec
		ok   bool
	}{
		{Spec{Name: "a", Path: "/a"}, true},
		{Spec{Name: "a", Path: "/a", Subprotocols: []string{"v1", "v2"}, DefaultSubprotocol: "v2", Origins: []string{"*.example.com"}}, true},
		{Spec{Path: "/a"}, false},
		{Spec{Name: "a/b", Path: "/a"}, false},
		{Spec{Name: "a", Path: "a"}, false},
		{Spec{Name: "a", Path: "/a?x"}, false},
		{Spec{Name: "a", Path: "/a", Subprotocols: []string{"a b"}}, false},
		{Spec{Name: "a", Path: "/a", DefaultSubprotocol: "x"}, false},
		{Spec{Name: "a", Path: "/a", MaxConnections: -1}, false},
		{Spec{Name: "a", Path: "/a", Origins: []string{"https://evil.com/.trusted.example"}}, false},
	}
	for _, tc := range cases {
		err := tc.spec.Validate()
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrBadSpec)) {
			t.Errorf("Validate(%+v) = %v, want ok %v", tc.spec, err, tc.ok)
		}
	}
}
