package handshake

import (
	"strings"
	"testing"
)

// upgrade builds a valid upgrade request with the line for each header in
// repl replaced ("Name:" → new line, "" to drop it) and extra lines added.
func upgrade(method string, repl map[string]string, extra ...string) string {
	lines := []string{
		"Host: server.example.com",
		"Upgrade: websocket",
		"Connection: Upgrade",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
		"Sec-WebSocket-Version: 13",
	}
	var b strings.Builder
	b.WriteString(method + " /chat HTTP/1.1\r\n")
	for _, l := range lines {
		name := l[:strings.IndexByte(l, ':')+1]
		if v, ok := repl[name]; ok {
			l = v
		}
		if l != "" {
			b.WriteString(l + "\r\n")
		}
	}
	for _, l := range extra {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

var checkCases = []struct {
	name string
	in   string
	err  error
}{
	{name: "valid", in: upgrade("GET", nil)},
	{name: "rfc 6455 sample", in: rfcRequest},
	{name: "browser", in: browserRequest},
	{name: "key with whitespace", in: upgrade("GET", map[string]string{"Sec-WebSocket-Key:": "Sec-WebSocket-Key: \t dGhlIHNhbXBsZSBub25jZQ== "})},
	{name: "content-length zero", in: upgrade("GET", nil, "Content-Length: 0")},
	{name: "version with spaces", in: upgrade("GET", map[string]string{"Sec-WebSocket-Version:": "Sec-WebSocket-Version:  13 "})},

	// Row 6.
	{name: "post", in: upgrade("POST", nil), err: ErrMethod},
	{name: "head", in: upgrade("HEAD", nil), err: ErrMethod},
	{name: "lower-case get", in: upgrade("get", nil), err: ErrMethod},
	{name: "method before everything", in: upgrade("PUT", map[string]string{"Host:": "", "Sec-WebSocket-Key:": "", "Sec-WebSocket-Version:": ""}, "Content-Length: 3"), err: ErrMethod},
	// Row 7.
	{name: "no host", in: upgrade("GET", map[string]string{"Host:": ""}), err: ErrNoHost},
	{name: "empty host", in: upgrade("GET", map[string]string{"Host:": "Host: "}), err: ErrNoHost},
	{name: "no host before bad key", in: upgrade("GET", map[string]string{"Host:": "", "Sec-WebSocket-Key:": ""}), err: ErrNoHost},
	{name: "absolute-form without host", in: strings.Replace(upgrade("GET", map[string]string{"Host:": ""}), "/chat", "ws://server.example.com/chat", 1), err: ErrNoHost},
	{name: "content-length", in: upgrade("GET", nil, "Content-Length: 5"), err: ErrBody},
	{name: "transfer-encoding", in: upgrade("GET", nil, "Transfer-Encoding: chunked"), err: ErrBody},
	{name: "body before bad key", in: upgrade("GET", map[string]string{"Sec-WebSocket-Key:": ""}, "Content-Length: 1"), err: ErrBody},
	// Row 8.
	{name: "no key", in: upgrade("GET", map[string]string{"Sec-WebSocket-Key:": ""}), err: ErrBadKey},
	{name: "empty key", in: upgrade("GET", map[string]string{"Sec-WebSocket-Key:": "Sec-WebSocket-Key:"}), err: ErrBadKey},
	{name: "key not base64", in: upgrade("GET", map[string]string{"Sec-WebSocket-Key:": "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ!!"}), err: ErrBadKey},
	{name: "key 15 bytes", in: upgrade("GET", map[string]string{"Sec-WebSocket-Key:": "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA"}), err: ErrBadKey},
	{name: "key 17 bytes", in: upgrade("GET", map[string]string{"Sec-WebSocket-Key:": "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA="}), err: ErrBadKey},
	{name: "key 18 bytes", in: upgrade("GET", map[string]string{"Sec-WebSocket-Key:": "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAAA"}), err: ErrBadKey},
	{name: "key without padding", in: upgrade("GET", map[string]string{"Sec-WebSocket-Key:": "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ"}), err: ErrBadKey},
	{name: "key url alphabet", in: upgrade("GET", map[string]string{"Sec-WebSocket-Key:": "Sec-WebSocket-Key: ______________________=="}), err: ErrBadKey},
	{name: "key twice", in: upgrade("GET", nil, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="), err: ErrBadKey},
	{name: "bad key before version", in: upgrade("GET", map[string]string{"Sec-WebSocket-Key:": "", "Sec-WebSocket-Version:": ""}), err: ErrBadKey},
	// Row 9.
	{name: "no version", in: upgrade("GET", map[string]string{"Sec-WebSocket-Version:": ""}), err: ErrNoVersion},
	// Row 10.
	{name: "version 8", in: upgrade("GET", map[string]string{"Sec-WebSocket-Version:": "Sec-WebSocket-Version: 8"}), err: ErrBadVersion},
	{name: "empty version", in: upgrade("GET", map[string]string{"Sec-WebSocket-Version:": "Sec-WebSocket-Version:"}), err: ErrBadVersion},
	{name: "version list", in: upgrade("GET", map[string]string{"Sec-WebSocket-Version:": "Sec-WebSocket-Version: 13, 8"}), err: ErrBadVersion},
	{name: "version 013", in: upgrade("GET", map[string]string{"Sec-WebSocket-Version:": "Sec-WebSocket-Version: 013"}), err: ErrBadVersion},
	{name: "version twice", in: upgrade("GET", nil, "Sec-WebSocket-Version: 13"), err: ErrBadVersion},
}

func TestCheck(t *testing.T) {
	for _, tc := range checkCases {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			n, err := Parse([]byte(tc.in), &r, Limits{})
			if err != nil || n != len(tc.in) {
				t.Fatalf("Parse = %d, %v", n, err)
			}
			if !r.IsUpgrade() {
				t.Fatal("IsUpgrade = false")
			}
			if err := Check(&r); err != tc.err {
				t.Fatalf("Check = %v, want %v", err, tc.err)
			}
		})
	}
}

func TestKeepAliveAndHasBody(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		keepAlive bool
		hasBody   bool
	}{
		{name: "1.1 default", in: get(), keepAlive: true},
		{name: "1.1 close", in: get("Connection: close\r\n")},
		{name: "1.1 keep-alive and close", in: get("Connection: keep-alive, close\r\n")},
		{name: "1.0 default", in: "GET / HTTP/1.0\r\n\r\n"},
		{name: "1.0 keep-alive", in: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", keepAlive: true},
		{name: "content-length", in: get("Content-Length: 1\r\n"), keepAlive: true, hasBody: true},
		{name: "content-length zero", in: get("Content-Length: 0\r\n"), keepAlive: true},
		{name: "transfer-encoding", in: get("Transfer-Encoding: chunked\r\n"), keepAlive: true, hasBody: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			if _, err := Parse([]byte(tc.in), &r, Limits{}); err != nil {
				t.Fatal(err)
			}
			if r.KeepAlive() != tc.keepAlive || r.HasBody() != tc.hasBody {
				t.Fatalf("KeepAlive, HasBody = %v, %v; want %v, %v", r.KeepAlive(), r.HasBody(), tc.keepAlive, tc.hasBody)
			}
		})
	}
}

func TestForEachProtocol(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		stop  string // fn returns false on this token
		want  string
	}{
		{name: "none", want: ""},
		{name: "one line", lines: []string{"chat, superchat"}, want: "chat|superchat"},
		{name: "several lines", lines: []string{"a", "b ,c", "d"}, want: "a|b|c|d"},
		{name: "stop in first line", lines: []string{"a, b, c", "d"}, stop: "b", want: "a|b"},
		{name: "stop at end of line", lines: []string{"a, b", "c"}, stop: "b", want: "a|b"},
		{name: "empty elements", lines: []string{",a,,b,"}, want: "a|b"},
		{name: "malformed line yields its prefix", lines: []string{`a, "q", b`, "c"}, want: "a|c"},
		{name: "empty line", lines: []string{"", "a"}, want: "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := "GET / HTTP/1.1\r\nHost: h\r\n"
			for _, l := range tc.lines {
				in += "Sec-WebSocket-Protocol: " + l + "\r\n"
			}
			var r Request
			if _, err := Parse([]byte(in+"\r\n"), &r, Limits{}); err != nil {
				t.Fatal(err)
			}
			var got []string
			r.ForEachProtocol(func(p []byte) bool {
				got = append(got, string(p))
				return string(p) != tc.stop
			})
			if s := strings.Join(got, "|"); s != tc.want {
				t.Fatalf("got %q, want %q", s, tc.want)
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	for _, tc := range checkCases {
		switch tc.name {
		case "valid", "browser", "version 8":
		default:
			continue
		}
		b.Run(tc.name, func(b *testing.B) {
			var r Request
			if _, err := Parse([]byte(tc.in), &r, Limits{}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := Check(&r); err != tc.err {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCheckHTTP: the checks every ordinary request gets: HTTP/1.0 or 1.1 (505 past it), and
// a Host line on HTTP/1.1 (400 without one; an empty value is valid, RFC 9112 §3.2).
func TestCheckHTTP(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		version error
		host    error
	}{
		{name: "1.1 with host", in: "GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "1.1 empty host", in: "GET / HTTP/1.1\r\nHost:\r\n\r\n"},
		{name: "1.1 absolute form", in: "GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "1.1 without host", in: "GET / HTTP/1.1\r\n\r\n", host: ErrNoHost},
		{name: "1.0 without host", in: "GET / HTTP/1.0\r\n\r\n"},
		{name: "1.2", in: "GET / HTTP/1.2\r\nHost: h\r\n\r\n", version: ErrHTTPVersion},
		{name: "1.9 without host", in: "GET / HTTP/1.9\r\n\r\n", version: ErrHTTPVersion, host: ErrNoHost},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			if _, err := Parse([]byte(tc.in), &r, Limits{}); err != nil {
				t.Fatal(err)
			}
			if err := CheckVersion(&r); err != tc.version {
				t.Errorf("CheckVersion = %v, want %v", err, tc.version)
			}
			if err := CheckHTTP(&r); err != tc.host {
				t.Errorf("CheckHTTP = %v, want %v", err, tc.host)
			}
		})
	}
}
