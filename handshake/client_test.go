package handshake

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

const testKey = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455 §1.3

func TestParseResponse(t *testing.T) {
	accept := "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
	tests := []struct {
		name    string
		head    string
		err     error
		status  int
		proto   string
		exts    int
		checkOK bool
	}{
		{
			name:    "switching",
			head:    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
			status:  101,
			proto:   "mqtt",
			checkOK: true,
		},
		{
			name:    "bare LF, no reason, extensions, token lists",
			head:    "HTTP/1.1 101\nupgrade: WebSocket\nconnection: keep-alive, upgrade\nsec-websocket-accept: " + accept + "\nSec-WebSocket-Extensions: permessage-deflate\n\n",
			status:  101,
			exts:    1,
			checkOK: true,
		},
		{name: "wrong accept", head: "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: xxx\r\n\r\n", status: 101},
		{name: "no upgrade header", head: "HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n", status: 101},
		{name: "refused", head: "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", status: 403},
		{name: "two protocols", head: "HTTP/1.1 101 OK\r\nSec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: b\r\n\r\n", err: ErrBadResponse},
		{name: "not HTTP", head: "SSH-2.0-OpenSSH_9.2p1 Debian\r\n\r\n", err: ErrBadResponse},
		{name: "bad status", head: "HTTP/1.1 1x1 OK\r\n\r\n", err: ErrBadResponse},
		{name: "control character", head: "HTTP/1.1 101 OK\r\nX: a\x01b\r\n\r\n", err: ErrBadResponse},
		{name: "space before colon", head: "HTTP/1.1 101 OK\r\nUpgrade : websocket\r\n\r\n", err: ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.head + "trailing frame bytes"
			// Every prefix of the head needs more; the whole head parses alike.
			for i := 0; i < len(tt.head); i++ {
				var r Response
				if _, err := ParseResponse([]byte(in[:i]), &r, Limits{}); err != ErrNeedMore && !(tt.err != nil && errors.Is(err, tt.err)) {
					t.Fatalf("prefix %d: %v", i, err)
				}
			}
			var r Response
			n, err := ParseResponse([]byte(in), &r, Limits{})
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if n != len(tt.head) || r.Status != tt.status || string(r.Protocol) != tt.proto || len(r.Extensions) != tt.exts {
				t.Fatalf("n=%d status=%d proto=%q exts=%d", n, r.Status, r.Protocol, len(r.Extensions))
			}
			if ok := CheckResponse(&r, []byte(testKey)) == nil; ok != tt.checkOK {
				t.Fatalf("CheckResponse ok=%v, want %v", ok, tt.checkOK)
			}
			// net/http agrees on the status.
			hr, err := http.ReadResponse(bufio.NewReader(strings.NewReader(tt.head)), nil)
			if err != nil || hr.StatusCode != r.Status {
				t.Fatalf("net/http: %v status %v", err, hr)
			}
		})
	}
}

func TestParseResponseLimit(t *testing.T) {
	head := "HTTP/1.1 101 OK\r\nX: " + strings.Repeat("a", 9000) + "\r\n\r\n"
	var r Response
	if _, err := ParseResponse([]byte(head), &r, Limits{}); !errors.Is(err, ErrHeaderTooLarge) {
		t.Fatalf("err %v", err)
	}
}

func TestAppendUpgradeRequestParses(t *testing.T) {
	b := AppendUpgradeRequest(nil, []byte("/mqtt?x=1"), []byte("broker:8080"), []byte(testKey),
		[][]byte{[]byte("mqtt"), []byte("mqttv3.1")}, "permessage-deflate; client_no_context_takeover")
	b = AppendHeader(b, "Origin", []byte("https://app.example"))
	b = AppendHeader(b, "X-Evil", []byte("a\r\nInjected: 1")) // dropped
	b = AppendHeader(b, "Bad Name", []byte("x"))              // dropped
	b = append(b, "\r\n"...)
	var req Request
	n, err := Parse(b, &req, Limits{})
	if err != nil || n != len(b) {
		t.Fatalf("Parse: n=%d err=%v\n%s", n, err, b)
	}
	if err := Check(&req); err != nil {
		t.Fatalf("Check: %v", err)
	}
	var offered []string
	req.ForEachProtocol(func(p []byte) bool { offered = append(offered, string(p)); return true })
	if string(req.Path) != "/mqtt" || string(req.Host) != "broker:8080" || string(req.Origin) != "https://app.example" ||
		strings.Join(offered, ",") != "mqtt,mqttv3.1" || len(req.Extensions) != 1 || bytes.Contains(b, []byte("Injected")) {
		t.Fatalf("request:\n%s", b)
	}
}

func TestUpstreamRefusal(t *testing.T) {
	cases := []struct {
		name   string
		head   string
		status int
		want   []string // header lines the client's answer carries
		absent []string
	}{
		{name: "401 relays its challenges", head: "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"up\"\r\nwww-authenticate: Bearer\r\n\r\n",
			status: 401, want: []string{"WWW-Authenticate: Basic realm=\"up\"\r\n", "WWW-Authenticate: Bearer\r\n"}},
		{name: "401 without a challenge", head: "HTTP/1.1 401 Unauthorized\r\n\r\n", status: 401, absent: []string{"WWW-Authenticate"}},
		{name: "429 relays Retry-After", head: "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n\r\n", status: 429, want: []string{"Retry-After: 7\r\n"}},
		{name: "404 relays nothing", head: "HTTP/1.1 404 Not Found\r\nWWW-Authenticate: Basic\r\nRetry-After: 7\r\n\r\n", status: 404, absent: []string{"WWW-Authenticate", "Retry-After"}},
		{name: "5xx is a bad gateway", head: "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\n\r\n", status: 502, absent: []string{"Retry-After"}},
		{name: "a redirect is a bad gateway", head: "HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", status: 502, absent: []string{"Location"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r Response
			if _, err := ParseResponse([]byte(tc.head), &r, Limits{}); err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			e := UpstreamRefusal(&r)
			resp := string(e.Response())
			if e.Status != tc.status || !strings.HasPrefix(resp, "HTTP/1.1 "+strconv.Itoa(tc.status)+" ") {
				t.Fatalf("status %d, want %d:\n%s", e.Status, tc.status, resp)
			}
			for _, w := range tc.want {
				if !strings.Contains(resp, "\r\n"+w) {
					t.Errorf("answer lacks %q:\n%s", w, resp)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(resp, a) {
					t.Errorf("answer carries %q:\n%s", a, resp)
				}
			}
		})
	}
	plain := Response{Status: 403}
	if UpstreamRefusal(&plain) != UpstreamRefusal(&plain) {
		t.Error("UpstreamRefusal builds a new error each time for a plain refusal")
	}
}
