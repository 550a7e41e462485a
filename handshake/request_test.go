package handshake

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// rfcRequest is the opening handshake of RFC 6455 §1.2.
const rfcRequest = "GET /chat HTTP/1.1\r\n" +
	"Host: server.example.com\r\n" +
	"Upgrade: websocket\r\n" +
	"Connection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Origin: http://example.com\r\n" +
	"Sec-WebSocket-Protocol: chat, superchat\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"\r\n"

// browserRequest is what a current browser sends to open a WebSocket
// (about 500 bytes): the typical request on the hot path.
const browserRequest = "GET /ws/telemetry?device=42 HTTP/1.1\r\n" +
	"Host: gateway.local:8080\r\n" +
	"Connection: Upgrade\r\n" +
	"Pragma: no-cache\r\n" +
	"Cache-Control: no-cache\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n" +
	"Upgrade: websocket\r\n" +
	"Origin: http://gateway.local:8080\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n" +
	"Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
	"\r\n"

// fields is the comparable summary of a Request that the table checks.
type fields struct {
	Method, Target, Path, Query, Host string
	Minor                             int
	HasHost, IsUpgrade                bool
	Upgrade, ConnUpgrade, ConnClose   bool
	ConnKeepAlive                     bool
	Key, Version                      string
	HasVersion                        bool
	Origin                            string
	HasOrigin                         bool
	Authorization, IfNoneMatch        string
	ContentLength                     int64
	Chunked                           bool
	Protocols, Extensions             string // lines joined with "|"
}

func fieldsOf(r *Request) fields {
	return fields{
		Method: string(r.Method), Target: string(r.Target), Path: string(r.Path),
		Query: string(r.Query), Host: string(r.Host), Minor: r.ProtoMinor,
		HasHost: r.HasHost, IsUpgrade: r.IsUpgrade(), Upgrade: r.Upgrade,
		ConnUpgrade: r.ConnUpgrade, ConnClose: r.ConnClose, ConnKeepAlive: r.ConnKeepAlive,
		Key: string(r.Key), Version: string(r.Version), HasVersion: r.HasVersion,
		Origin: string(r.Origin), HasOrigin: r.HasOrigin,
		Authorization: string(r.Authorization), IfNoneMatch: string(r.IfNoneMatch),
		ContentLength: r.ContentLength, Chunked: r.Chunked,
		Protocols: string(bytes.Join(r.Protocols, []byte("|"))), Extensions: string(bytes.Join(r.Extensions, []byte("|"))),
	}
}

// plain is the fields of a minimal "GET <path> HTTP/1.1" with "Host: h".
func plain(path string) fields {
	return fields{Method: "GET", Target: path, Path: path, Host: "h", Minor: 1, HasHost: true, ContentLength: -1}
}

// with returns f changed by fn, to keep the table short.
func with(f fields, fn func(*fields)) fields { fn(&f); return f }

// get builds "GET / HTTP/1.1" with Host: h and the given header lines.
func get(lines ...string) string {
	return "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Join(lines, "") + "\r\n"
}

type parseCase struct {
	name  string
	in    string // the head, or the input when err != nil
	extra string // bytes after the head that Parse must not consume
	lim   Limits
	err   error   // nil, ErrNeedMore or an *Error
	want  *fields // checked when err == nil
}

var parseCases = []parseCase{
	{
		name: "rfc 6455 sample", in: rfcRequest,
		want: &fields{Method: "GET", Target: "/chat", Path: "/chat", Host: "server.example.com", Minor: 1,
			HasHost: true, IsUpgrade: true, Upgrade: true, ConnUpgrade: true,
			Key: "dGhlIHNhbXBsZSBub25jZQ==", Version: "13", HasVersion: true,
			Origin: "http://example.com", HasOrigin: true, ContentLength: -1, Protocols: "chat, superchat"},
	},
	{
		name: "browser upgrade", in: browserRequest,
		want: &fields{Method: "GET", Target: "/ws/telemetry?device=42", Path: "/ws/telemetry", Query: "device=42",
			Host: "gateway.local:8080", Minor: 1, HasHost: true, IsUpgrade: true, Upgrade: true, ConnUpgrade: true,
			Key: "x3JJHMbDL1EzLkh9GBhXDw==", Version: "13", HasVersion: true,
			Origin: "http://gateway.local:8080", HasOrigin: true, ContentLength: -1,
			Extensions: "permessage-deflate; client_max_window_bits"},
	},
	{name: "minimal", in: get(), want: ptr(plain("/"))},
	{name: "http/1.0 without host", in: "GET /index.html HTTP/1.0\r\n\r\n",
		want: &fields{Method: "GET", Target: "/index.html", Path: "/index.html", ContentLength: -1}},
	{name: "http/1.0 with upgrade headers is no upgrade",
		in:   "GET / HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
		want: ptr(with(plain("/"), func(f *fields) { f.Minor = 0; f.Upgrade = true; f.ConnUpgrade = true }))},
	{name: "http/1.9 is 1.x", in: "GET / HTTP/1.9\r\nHost: h\r\n\r\n", want: ptr(with(plain("/"), func(f *fields) { f.Minor = 9 }))},
	{name: "only upgrade header", in: get("Upgrade: websocket\r\n"), want: ptr(with(plain("/"), func(f *fields) { f.Upgrade = true }))},
	{name: "only connection header", in: get("Connection: Upgrade\r\n"), want: ptr(with(plain("/"), func(f *fields) { f.ConnUpgrade = true }))},
	{name: "bare LF line ends", in: "GET / HTTP/1.1\nHost: h\nUpgrade: websocket\nConnection: upgrade\n\n",
		want: ptr(with(plain("/"), func(f *fields) { f.Upgrade, f.ConnUpgrade, f.IsUpgrade = true, true, true }))},
	{name: "mixed line ends", in: "GET / HTTP/1.1\r\nHost: h\n\r\n", want: ptr(plain("/"))},
	{name: "leading empty lines skipped", in: "\r\n\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", want: ptr(plain("/"))},
	{name: "query split", in: "GET /a/b?x=1&y=?2 HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ptr(with(plain("/a/b"), func(f *fields) { f.Target = "/a/b?x=1&y=?2"; f.Query = "x=1&y=?2" }))},
	{name: "empty query", in: "GET /? HTTP/1.1\r\nHost: h\r\n\r\n", want: ptr(with(plain("/"), func(f *fields) { f.Target = "/?" }))},
	{name: "obs-text and punctuation in target", in: "GET /\xc3\xa4{|}#f HTTP/1.1\r\nHost: h\r\n\r\n", want: ptr(plain("/\xc3\xa4{|}#f"))},
	{name: "lower-case method is a token", in: "get / HTTP/1.1\r\nHost: h\r\n\r\n", want: ptr(with(plain("/"), func(f *fields) { f.Method = "get" }))},
	{name: "extension method", in: "M-SEARCH / HTTP/1.1\r\nHost: h\r\n\r\n", want: ptr(with(plain("/"), func(f *fields) { f.Method = "M-SEARCH" }))},
	{name: "header names ignore case",
		in: "GET / HTTP/1.1\r\nHOST: h\r\nuPgRaDe: WebSocket\r\nCONNECTION: UPGRADE\r\nsec-websocket-key: k\r\nSEC-WEBSOCKET-VERSION: 13\r\n\r\n",
		want: ptr(with(plain("/"), func(f *fields) {
			f.Upgrade, f.ConnUpgrade, f.IsUpgrade, f.Key, f.Version, f.HasVersion = true, true, true, "k", "13", true
		}))},
	{name: "values trimmed", in: get("Sec-WebSocket-Key: \t k \t\r\n", "Sec-WebSocket-Version:13\r\n"),
		want: ptr(with(plain("/"), func(f *fields) { f.Key, f.Version, f.HasVersion = "k", "13", true }))},
	{name: "empty and obs-text values", in: get("X-Empty:\r\n", "X-Blank: \t \r\n", "X-Latin: caf\xe9\r\n"), want: ptr(plain("/"))},
	{name: "empty host value", in: "GET / HTTP/1.1\r\nHost:\r\n\r\n", want: ptr(with(plain("/"), func(f *fields) { f.Host = "" }))},
	{name: "ipv6 host", in: "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", want: ptr(with(plain("/"), func(f *fields) { f.Host = "[::1]:8080" }))},

	// Connection and Upgrade are token lists (RFC 9110 §7.6.1, §7.8).
	{name: "connection keep-alive, Upgrade", in: get("Connection: keep-alive, Upgrade\r\n"),
		want: ptr(with(plain("/"), func(f *fields) { f.ConnKeepAlive, f.ConnUpgrade = true, true }))},
	{name: "connection list without spaces", in: get("Connection: upgrade,close\r\n"),
		want: ptr(with(plain("/"), func(f *fields) { f.ConnUpgrade, f.ConnClose = true, true }))},
	{name: "connection empty elements", in: get("Connection: , ,\tUpgrade ,\r\n"),
		want: ptr(with(plain("/"), func(f *fields) { f.ConnUpgrade = true }))},
	{name: "connection over two lines", in: get("Connection: keep-alive\r\n", "Connection: upgrade\r\n"),
		want: ptr(with(plain("/"), func(f *fields) { f.ConnKeepAlive, f.ConnUpgrade = true, true }))},
	{name: "connection look-alikes", in: get("Connection: upgraded, x-upgrade, websocket, keep-alive-ish, closed\r\n"), want: ptr(plain("/"))},
	{name: "upgrade list", in: get("Upgrade: h2c, WebSocket\r\n"), want: ptr(with(plain("/"), func(f *fields) { f.Upgrade = true }))},
	{name: "upgrade over two lines", in: get("Upgrade: h2c\r\n", "Upgrade: websocket\r\n"), want: ptr(with(plain("/"), func(f *fields) { f.Upgrade = true }))},
	{name: "upgrade look-alikes", in: get("Upgrade: websockets, web socket, websocket/13, HTTP/2.0\r\n"), want: ptr(plain("/"))},

	{name: "content-length", in: get("Content-Length: 42\r\n"), want: ptr(with(plain("/"), func(f *fields) { f.ContentLength = 42 }))},
	{name: "content-length zero", in: get("Content-Length: 0\r\n"), want: ptr(with(plain("/"), func(f *fields) { f.ContentLength = 0 }))},
	{name: "content-length repeated equal", in: get("Content-Length: 7\r\n", "content-length: 007\r\n"),
		want: ptr(with(plain("/"), func(f *fields) { f.ContentLength = 7 }))},
	{name: "content-length max int64", in: get("Content-Length: 9223372036854775807\r\n"),
		want: ptr(with(plain("/"), func(f *fields) { f.ContentLength = 1<<63 - 1 }))},
	{name: "transfer-encoding", in: get("Transfer-Encoding: chunked\r\n"), want: ptr(with(plain("/"), func(f *fields) { f.Chunked = true }))},
	{name: "transfer-encoding any value", in: get("Transfer-Encoding: gzip\r\n"), want: ptr(with(plain("/"), func(f *fields) { f.Chunked = true }))},
	{name: "protocol and extension lines", in: get("Sec-WebSocket-Protocol: a, b\r\n", "Sec-WebSocket-Extensions: x\r\n", "sec-websocket-protocol: c\r\n", "Sec-WebSocket-Extensions: y; p=1\r\n"),
		want: ptr(with(plain("/"), func(f *fields) { f.Protocols, f.Extensions = "a, b|c", "x|y; p=1" }))},
	{name: "eight protocol lines", in: get(strings.Repeat("Sec-WebSocket-Protocol: p\r\n", MaxFieldLines)),
		want: ptr(with(plain("/"), func(f *fields) { f.Protocols = strings.TrimSuffix(strings.Repeat("p|", MaxFieldLines), "|") }))},
	{name: "first origin, authorization, if-none-match win",
		in: get("Origin: http://a\r\n", "Origin: http://b\r\n", "Authorization: Basic x\r\n", "Authorization: Basic y\r\n", "If-None-Match: \"1\"\r\n", "If-None-Match: \"2\"\r\n"),
		want: ptr(with(plain("/"), func(f *fields) {
			f.Origin, f.HasOrigin, f.Authorization, f.IfNoneMatch = "http://a", true, "Basic x", `"1"`
		}))},
	{name: "empty origin", in: get("Origin:\r\n"), want: ptr(with(plain("/"), func(f *fields) { f.HasOrigin = true }))},

	// Target forms (RFC 9112 §3.2).
	{name: "absolute-form", in: "GET http://example.com:8080/chat?x=1 HTTP/1.1\r\nHost: other\r\n\r\n",
		want: ptr(with(plain("/chat"), func(f *fields) {
			f.Target, f.Query, f.Host = "http://example.com:8080/chat?x=1", "x=1", "example.com:8080"
		}))},
	{name: "absolute-form ws scheme any case", in: "GET WS://example.com/chat HTTP/1.1\r\nHost: example.com\r\n\r\n",
		want: ptr(with(plain("/chat"), func(f *fields) { f.Target, f.Host = "WS://example.com/chat", "example.com" }))},
	{name: "absolute-form empty path", in: "GET https://example.com?q HTTP/1.1\r\nHost: example.com\r\n\r\n",
		want: ptr(with(plain("/"), func(f *fields) { f.Target, f.Query, f.Host = "https://example.com?q", "q", "example.com" }))},
	{name: "absolute-form without host header", in: "GET http://example.com/ HTTP/1.1\r\n\r\n",
		want: ptr(with(plain("/"), func(f *fields) { f.Target, f.Host, f.HasHost = "http://example.com/", "example.com", false }))},
	{name: "options asterisk", in: "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ptr(with(plain("*"), func(f *fields) { f.Method = "OPTIONS" }))},

	// Pipelined bytes are not consumed.
	{name: "pipelined request", in: get(), extra: "GET /next HTTP/1.1\r\nHost: h\r\n\r\n", want: ptr(plain("/"))},
	{name: "frame after upgrade", in: rfcRequest, extra: "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
		want: &fields{Method: "GET", Target: "/chat", Path: "/chat", Host: "server.example.com", Minor: 1,
			HasHost: true, IsUpgrade: true, Upgrade: true, ConnUpgrade: true,
			Key: "dGhlIHNhbXBsZSBub25jZQ==", Version: "13", HasVersion: true,
			Origin: "http://example.com", HasOrigin: true, ContentLength: -1, Protocols: "chat, superchat"}},
	{name: "body after head", in: get("Content-Length: 5\r\n"), extra: "hello", want: ptr(with(plain("/"), func(f *fields) { f.ContentLength = 5 }))},

	// Incomplete heads.
	{name: "empty", in: "", err: ErrNeedMore},
	{name: "partial method", in: "GE", err: ErrNeedMore},
	{name: "partial target", in: "GET /ch", err: ErrNeedMore},
	{name: "partial version", in: "GET / HTTP/1.", err: ErrNeedMore},
	{name: "request line CR", in: "GET / HTTP/1.1\r", err: ErrNeedMore},
	{name: "no final empty line", in: "GET / HTTP/1.1\r\nHost: h\r\n", err: ErrNeedMore},
	{name: "final CR only", in: "GET / HTTP/1.1\r\nHost: h\r\n\r", err: ErrNeedMore},
	{name: "partial header name", in: "GET / HTTP/1.1\r\nHo", err: ErrNeedMore},
	{name: "partial header value", in: "GET / HTTP/1.1\r\nHost: h", err: ErrNeedMore},
	{name: "only empty lines", in: "\r\n\r\n", err: ErrNeedMore},

	// Row 1: malformed request line.
	{name: "empty method", in: " / HTTP/1.1\r\n\r\n", err: ErrBadRequest},
	{name: "non-token method", in: "GE(T / HTTP/1.1\r\n\r\n", err: ErrBadRequest},
	{name: "two spaces after method", in: "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "two spaces before version", in: "GET /  HTTP/1.1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "tab separator", in: "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "missing version", in: "GET /\r\n\r\n", err: ErrBadRequest},
	{name: "missing target", in: "GET HTTP/1.1\r\n\r\n", err: ErrBadRequest},
	{name: "trailing space", in: "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "lower-case version", in: "GET / http/1.1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "http/2", in: "GET / HTTP/2.0\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "http/0.9", in: "GET / HTTP/0.9\r\n\r\n", err: ErrBadRequest},
	{name: "two-digit minor", in: "GET / HTTP/1.10\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "garbage version", in: "GET / HTTP/1.x\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "short version", in: "GET / HTTP/1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "http/2 preface", in: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", err: ErrBadRequest},
	{name: "relative target", in: "GET chat HTTP/1.1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "authority-form", in: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", err: ErrBadRequest},
	{name: "asterisk with GET", in: "GET * HTTP/1.1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "absolute-form other scheme", in: "GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "absolute-form userinfo", in: "GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "absolute-form empty authority", in: "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "control in target", in: "GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "DEL in target", in: "GET /a\x7fb HTTP/1.1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "NUL in method", in: "G\x00T / HTTP/1.1\r\nHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "bare CR ends request line", in: "GET / HTTP/1.1\rHost: h\r\n\r\n", err: ErrBadRequest},
	{name: "bare CR before request line", in: "\rGET / HTTP/1.1\r\n\r\n", err: ErrBadRequest},
	{name: "binary garbage", in: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", err: ErrBadRequest},

	// Row 1: malformed header fields.
	{name: "no colon", in: get("Host2 h\r\n"), err: ErrBadRequest},
	{name: "space before colon", in: get("X-Foo : bar\r\n"), err: ErrBadRequest},
	{name: "tab before colon", in: get("X-Foo\t: bar\r\n"), err: ErrBadRequest},
	{name: "empty name", in: get(": bar\r\n"), err: ErrBadRequest},
	{name: "non-token name", in: get("X(Foo): bar\r\n"), err: ErrBadRequest},
	{name: "non-ascii name", in: get("X-F\xf6o: bar\r\n"), err: ErrBadRequest},
	{name: "obs-fold", in: get("X-Foo: bar\r\n", " baz\r\n"), err: ErrBadRequest},
	{name: "whitespace before first field", in: "GET / HTTP/1.1\r\n Host: h\r\n\r\n", err: ErrBadRequest},
	{name: "NUL in value", in: get("X-Foo: b\x00r\r\n"), err: ErrBadRequest},
	{name: "control in value", in: get("X-Foo: b\x1br\r\n"), err: ErrBadRequest},
	{name: "DEL in value", in: get("X-Foo: b\x7fr\r\n"), err: ErrBadRequest},
	{name: "bare CR in value", in: get("X-Foo: b\rr\r\n"), err: ErrBadRequest},
	{name: "CR CR LF", in: get("X-Foo: bar\r\r\n"), err: ErrBadRequest},
	{name: "bare CR as final line", in: "GET / HTTP/1.1\r\nHost: h\r\n\rX", err: ErrBadRequest},
	{name: "duplicate host", in: get("Host: h\r\n"), err: ErrBadRequest},
	{name: "invalid host", in: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", err: ErrBadRequest},
	{name: "host with slash", in: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", err: ErrBadRequest},
	{name: "content-length letters", in: get("Content-Length: abc\r\n"), err: ErrBadRequest},
	{name: "content-length negative", in: get("Content-Length: -1\r\n"), err: ErrBadRequest},
	{name: "content-length plus", in: get("Content-Length: +1\r\n"), err: ErrBadRequest},
	{name: "content-length empty", in: get("Content-Length:\r\n"), err: ErrBadRequest},
	{name: "content-length list", in: get("Content-Length: 5, 5\r\n"), err: ErrBadRequest},
	{name: "content-length overflow", in: get("Content-Length: 9223372036854775808\r\n"), err: ErrBadRequest},
	{name: "content-length conflict", in: get("Content-Length: 5\r\n", "Content-Length: 6\r\n"), err: ErrBadRequest},
	{name: "nine protocol lines", in: get(strings.Repeat("Sec-WebSocket-Protocol: p\r\n", MaxFieldLines+1)), err: ErrBadRequest},
	{name: "nine extension lines", in: get(strings.Repeat("Sec-WebSocket-Extensions: e\r\n", MaxFieldLines+1)), err: ErrBadRequest},

	// Rows 2 and 3: limits.
	{name: "head at header limit", in: sized(8192), want: ptr(with(plain("/"), func(f *fields) {}))},
	{name: "head one over header limit", in: sized(8193), err: ErrHeaderTooLarge},
	{name: "incomplete head at header limit", in: sized(8193)[:8192], err: ErrHeaderTooLarge},
	{name: "incomplete head under header limit", in: sized(8193)[:8191], err: ErrNeedMore},
	{name: "endless header line", in: get()[:len(get())-2] + "X: " + strings.Repeat("a", 9000), err: ErrHeaderTooLarge},
	{name: "endless empty lines", in: strings.Repeat("\r\n", 5000), err: ErrHeaderTooLarge},
	{name: "endless method", in: strings.Repeat("G", 9000), err: ErrHeaderTooLarge},
	{name: "bad line before limit wins", in: get("X : y\r\n", "X: "+strings.Repeat("a", 9000)+"\r\n"), err: ErrBadRequest},
	{name: "target at limit", in: "GET /" + strings.Repeat("a", 4095) + " HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ptr(plain("/" + strings.Repeat("a", 4095)))},
	{name: "target one over limit", in: "GET /" + strings.Repeat("a", 4096) + " HTTP/1.1\r\nHost: h\r\n\r\n", err: ErrURITooLong},
	{name: "target over limit without CRLF", in: "GET /" + strings.Repeat("a", 4096), err: ErrURITooLong},
	{name: "target at limit without CRLF", in: "GET /" + strings.Repeat("a", 4095), err: ErrNeedMore},
	{name: "target over limit in a bad request", in: "G(T /" + strings.Repeat("a", 5000), err: ErrBadRequest},
	{name: "target limit before header limit", in: "GET /" + strings.Repeat("a", 9000), err: ErrURITooLong},
	{name: "custom limits ok", in: get(), lim: Limits{MaxHeaderBytes: len(get()), MaxTargetBytes: 1}, want: ptr(plain("/"))},
	{name: "custom header limit", in: get(), lim: Limits{MaxHeaderBytes: len(get()) - 1}, err: ErrHeaderTooLarge},
	{name: "custom target limit", in: "GET /ab HTTP/1.1\r\nHost: h\r\n\r\n", lim: Limits{MaxTargetBytes: 2}, err: ErrURITooLong},
	{name: "target limit over header limit", in: "GET /" + strings.Repeat("a", 100), lim: Limits{MaxHeaderBytes: 64, MaxTargetBytes: 1000}, err: ErrHeaderTooLarge},
	{name: "negative limits take defaults", in: sized(8192), lim: Limits{MaxHeaderBytes: -1, MaxTargetBytes: -1}, want: ptr(plain("/"))},
}

func ptr[T any](v T) *T { return &v }

// sized returns a valid "GET / HTTP/1.1" head with Host: h of exactly n bytes,
// padded with one X-Pad header.
func sized(n int) string {
	base := get("X-Pad: \r\n")
	return strings.Replace(base, "X-Pad: ", "X-Pad: "+strings.Repeat("p", n-len(base)), 1)
}

// checkParse checks one result of Parse against the case.
func checkParse(t *testing.T, tc parseCase, r *Request, n int, err error) {
	t.Helper()
	if err != tc.err {
		t.Fatalf("err = %v, want %v", err, tc.err)
	}
	if err != nil {
		if n != 0 {
			t.Fatalf("n = %d with error %v", n, err)
		}
		return
	}
	if n != len(tc.in) {
		t.Fatalf("n = %d, want %d", n, len(tc.in))
	}
	if got := fieldsOf(r); tc.want != nil && got != *tc.want {
		t.Fatalf("fields:\n got %+v\nwant %+v", got, *tc.want)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			buf := []byte(tc.in + tc.extra)
			orig := string(buf)
			var r Request
			n, err := Parse(buf, &r, tc.lim)
			checkParse(t, tc, &r, n, err)
			if string(buf) != orig {
				t.Fatal("Parse modified its input")
			}
		})
	}
}

// TestParseResumes feeds every prefix of every case, as if the bytes arrived
// one at a time: Parse must say ErrNeedMore until it can decide, and then
// decide exactly what it decides on the whole input.
func TestParseResumes(t *testing.T) {
	for _, tc := range parseCases {
		if tc.err == ErrNeedMore {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			full := []byte(tc.in + tc.extra)
			var r Request
			decided := -1
			for _, i := range prefixes(len(full), tc.lim) {
				n, err := Parse(full[:i:i], &r, tc.lim) // capacity i: no peeking past the prefix
				if err == ErrNeedMore {
					if decided >= 0 {
						t.Fatalf("prefix %d: ErrNeedMore after deciding at %d", i, decided)
					}
					continue
				}
				if decided < 0 {
					decided = i
				}
				checkParse(t, tc, &r, n, err)
			}
			if decided < 0 {
				t.Fatal("never decided")
			}
			if tc.err == nil && decided != len(tc.in) {
				t.Fatalf("decided at %d, want %d (the end of the head)", decided, len(tc.in))
			}
		})
	}
}

// prefixes returns the prefix lengths TestParseResumes feeds for an input of
// n bytes: every one for short inputs; for long ones every one near the
// start, the end and the limits (where decisions fall), and a sample in
// between, which keeps the quadratic test fast under -race.
func prefixes(n int, lim Limits) []int {
	head, target := lim.normalize()
	near := func(i, p int) bool { return i >= p-64 && i <= p+64 }
	var is []int
	for i := 0; i <= n; i++ {
		if n <= 2048 || i <= 1024 || i >= n-1024 || near(i, head) || near(i, target+len("GET ")) || i%97 == 0 {
			is = append(is, i)
		}
	}
	return is
}

// TestParseReuse checks that Parse resets everything a previous request left
// in the Request.
func TestParseReuse(t *testing.T) {
	var r Request
	if _, err := Parse([]byte(browserRequest), &r, Limits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse([]byte(get("Sec-WebSocket-Key: a\r\n", "Sec-WebSocket-Key: b\r\n")), &r, Limits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse([]byte("GET / HTTP/1.0\r\n\r\n"), &r, Limits{}); err != nil {
		t.Fatal(err)
	}
	want := Request{Method: r.Method, Target: r.Target, Path: r.Path, ProtoMajor: 1, ContentLength: -1,
		Protocols: r.protoBuf[:0], Extensions: r.extBuf[:0]}
	if fmt.Sprintf("%+v", r) != fmt.Sprintf("%+v", want) {
		t.Fatalf("left over:\n got %+v\nwant %+v", r, want)
	}
}

func TestParseErrorsAreHandshakeErrors(t *testing.T) {
	for _, tc := range parseCases {
		if tc.err == nil || tc.err == ErrNeedMore {
			continue
		}
		var e *Error
		if !errors.As(tc.err, &e) {
			t.Fatalf("%s: %v is not an *Error", tc.name, tc.err)
		}
	}
}

func TestNextElement(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{name: "empty", in: "", want: nil},
		{name: "one", in: "a", want: []string{"a"}},
		{name: "trimmed", in: " \ta \t, b", want: []string{"a", "b"}},
		{name: "empty elements", in: ",a,,b,", want: []string{"", "a", "", "b"}},
		{name: "quotes not interpreted", in: `"x,y"`, want: []string{`"x`, `y"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for rest := []byte(tc.in); len(rest) > 0; {
				var e []byte
				e, rest = NextElement(rest)
				got = append(got, string(e))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, tc := range parseCases {
		switch tc.name {
		case "rfc 6455 sample", "browser upgrade", "minimal", "head at header limit":
		default:
			continue
		}
		b.Run(tc.name, func(b *testing.B) {
			buf := []byte(tc.in)
			var r Request
			b.ReportAllocs()
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				if _, err := Parse(buf, &r, tc.lim); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestHeaderValue(t *testing.T) {
	head := []byte("GET /x HTTP/1.1\r\nHost: gw\r\nX-Device-Id:  sensor-7 \r\nx-device-id: second\r\nEmpty:\r\n\r\n")
	cases := []struct {
		name, header, want string
		found              bool
	}{
		{name: "exact", header: "Host", want: "gw", found: true},
		{name: "case and whitespace", header: "x-DEVICE-id", want: "sensor-7", found: true},
		{name: "empty value", header: "Empty", want: "", found: true},
		{name: "missing", header: "Cookie"},
		{name: "not the request line", header: "GET /x HTTP/1.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := HeaderValue(head, tc.header)
			if (got != nil) != tc.found || string(got) != tc.want {
				t.Fatalf("HeaderValue(%q) = %q (found %v), want %q (found %v)", tc.header, got, got != nil, tc.want, tc.found)
			}
		})
	}
	if HeaderValue(nil, "Host") != nil {
		t.Fatal("nil head")
	}
	var all []string
	ForEachHeaderValue(head, "X-Device-Id", func(v []byte) bool { all = append(all, string(v)); return true })
	if strings.Join(all, "|") != "sensor-7|second" {
		t.Fatalf("ForEachHeaderValue: %q, want both lines in order", all)
	}
	all = all[:0]
	ForEachHeaderValue(head, "X-Device-Id", func(v []byte) bool { all = append(all, string(v)); return false })
	if len(all) != 1 {
		t.Fatalf("ForEachHeaderValue went on after false: %q", all)
	}
}
