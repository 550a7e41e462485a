package handshake

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unsafe"
)

// FuzzParse checks Parse's invariants on any input, and checks it against
// net/http.ReadRequest: when net/http accepts a simple, well-formed request
// (see simpleRequest), Parse must accept it too and agree on method, target,
// path and host.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in + tc.extra))
	}
	for _, tc := range checkCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Request
		n, err := Parse(data, &r, Limits{})
		if n < 0 || n > len(data) || err != nil && n != 0 {
			t.Fatalf("n = %d, err = %v, len = %d", n, err, len(data))
		}
		var herr *Error
		if err != nil && err != ErrNeedMore && !errors.As(err, &herr) {
			t.Fatalf("err %v is not ErrNeedMore or *Error", err)
		}
		if err == ErrNeedMore && len(data) >= DefaultMaxHeaderBytes {
			t.Fatalf("ErrNeedMore with %d bytes", len(data))
		}

		// Any prefix is undecided or decided the same way.
		k := len(data) / 2
		if len(data) > 0 {
			k = int(data[0]) * len(data) / 256
		}
		var p Request
		if pn, perr := Parse(data[:k:k], &p, Limits{}); perr != ErrNeedMore && (pn != n || perr != err) {
			t.Fatalf("prefix %d: %d, %v; whole: %d, %v", k, pn, perr, n, err)
		}

		// Fed through a Scanner in pieces of k bytes, Parse runs a few times and
		// decides as it does on the whole input.
		if step := max(1, k); true {
			var sc Scanner
			var sr Request
			sn, serr, runs := 0, ErrNeedMore, 0
			for end := step; serr == ErrNeedMore; end += step {
				end = min(end, len(data))
				if sc.Ready(data[:end:end], Limits{}) {
					runs++
					sn, serr = Parse(data[:end:end], &sr, Limits{})
				}
				if end == len(data) {
					break
				}
			}
			// Undecided is allowed only for a head broken after the first piece that
			// never ends (no empty line after the request line; under the limit).
			rest := bytes.TrimLeft(data, "\r\n")
			ends := bytes.Contains(rest, []byte("\n\n")) || bytes.Contains(rest, []byte("\n\r\n"))
			undecided := serr == ErrNeedMore && err != ErrNeedMore && !ends
			if serr != ErrNeedMore && (sn != n || serr != err) || serr == ErrNeedMore && err != ErrNeedMore && !undecided {
				t.Fatalf("through a Scanner by %d: %d, %v; whole: %d, %v", step, sn, serr, n, err)
			}
			if runs > 4 {
				t.Fatalf("through a Scanner by %d: Parse ran %d times", step, runs)
			}
		}

		if err != nil {
			return
		}
		// The head delimits itself: the same n and fields from data[:n],
		// ErrNeedMore from data[:n-1].
		var r2 Request
		if n2, err2 := Parse(data[:n:n], &r2, Limits{}); n2 != n || err2 != nil || fieldsOf(&r2) != fieldsOf(&r) {
			t.Fatalf("head alone: %d, %v, %+v; with tail: %d, %+v", n2, err2, fieldsOf(&r2), n, fieldsOf(&r))
		}
		if _, err2 := Parse(data[:n-1:n-1], &r2, Limits{}); err2 != ErrNeedMore {
			t.Fatalf("head minus one byte: %v", err2)
		}
		// Every borrowed field points into the head.
		for _, b := range [][]byte{r.Method, r.Target, r.Path, r.Query, r.Host, r.Key, r.Version, r.Origin, r.Authorization, r.IfNoneMatch} {
			if len(b) > 0 && !within(b, data[:n]) && !(len(b) == 1 && &b[0] == &rootPath[0]) {
				t.Fatalf("field %q does not point into the head", b)
			}
		}
		if len(r.Method) == 0 || len(r.Target) == 0 || r.ProtoMajor != 1 {
			t.Fatalf("accepted without method, target or HTTP/1: %+v", fieldsOf(&r))
		}
		// The rest of the API does not panic on what Parse accepted.
		checkErr := Check(&r)
		r.ForEachProtocol(func(p []byte) bool {
			if len(p) == 0 {
				t.Fatal("empty protocol token")
			}
			return true
		})
		if r.IsUpgrade() && checkErr == nil {
			AppendSwitching(nil, r.Key, nil, nil)
		}

		head := data[:n]
		if !simpleRequest(head) {
			return
		}
		req, gerr := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
		if gerr != nil {
			return
		}
		path, _, _ := strings.Cut(req.RequestURI, "?")
		if req.Method != string(r.Method) || req.RequestURI != string(r.Target) || path != string(r.Path) || req.Host != string(r.Host) {
			t.Fatalf("net/http: %q %q %q; Parse: %q %q %q", req.Method, req.RequestURI, req.Host, r.Method, r.Target, r.Host)
		}
	})
}

// within reports whether b lies inside buf.
func within(b, buf []byte) bool {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= start && p+uintptr(len(b)) <= start+uintptr(len(buf))
}

// simpleRequest reports whether the complete head h is a simple, well-formed
// HTTP/1.x request of the kind where net/http and Parse must agree: CRLF line
// ends only, printable ASCII, an origin-form target within the limits, no
// leading empty lines, no folded lines, and none of the things RFC 9112 makes
// a 400 that net/http.ReadRequest lets pass (whitespace before a colon) or
// leaves to its Server (a repeated Host, an invalid Host), nor what wsgate
// bounds (protocol and extension lines).
func simpleRequest(h []byte) bool {
	if len(h) > DefaultMaxHeaderBytes {
		return false
	}
	for i, c := range h {
		switch {
		case c == '\r':
			if i+1 == len(h) || h[i+1] != '\n' {
				return false
			}
		case c == '\n':
			if i == 0 || h[i-1] != '\r' {
				return false
			}
		case c < 0x20 && c != '\t' || c >= 0x7f:
			return false
		}
	}
	lines := strings.Split(strings.TrimSuffix(string(h), "\r\n\r\n"), "\r\n")
	parts := strings.Split(lines[0], " ")
	if len(parts) != 3 || !strings.HasPrefix(parts[1], "/") || len(parts[1]) > DefaultMaxTargetBytes ||
		!strings.HasPrefix(parts[2], "HTTP/1.") {
		return false
	}
	var hosts, protocols, extensions int
	for _, l := range lines[1:] {
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			return false
		}
		name, value, _ := strings.Cut(l, ":")
		if strings.ContainsAny(name, " \t") {
			// RFC 9112 §5.1: MUST be a 400; net/http lets it pass (go.dev/issue/34540).
			return false
		}
		switch strings.ToLower(name) {
		case "host":
			hosts++
			for _, c := range []byte(strings.Trim(value, " \t")) {
				if octets[c]&octHost == 0 {
					return false
				}
			}
		case "sec-websocket-protocol":
			protocols++
		case "sec-websocket-extensions":
			extensions++
		}
	}
	return hosts <= 1 && protocols <= MaxFieldLines && extensions <= MaxFieldLines
}

// FuzzParseParts builds requests from fuzzed parts, so that the net/http
// oracle of FuzzParse sees many more well-formed requests than byte-level
// mutation finds, and checks the same agreement.
func FuzzParseParts(f *testing.F) {
	f.Add("GET", "/chat?x=1", "1.1", "Host", "example.com", "Upgrade", "websocket")
	f.Add("OPTIONS", "*", "1.1", "Host", "h", "Connection", "keep-alive, Upgrade")
	f.Add("POST", "/a%20b", "1.0", "Content-Length", "5", "X-Y", "z")
	f.Add("get", "http://h/p", "1.1", "hOsT", "[::1]:80", "Transfer-Encoding", "chunked")
	f.Fuzz(func(t *testing.T, method, target, version, name1, value1, name2, value2 string) {
		in := method + " " + target + " HTTP/" + version + "\r\n" +
			name1 + ": " + value1 + "\r\n" + name2 + ":" + value2 + "\r\n\r\n"
		data := []byte(in)
		var r Request
		n, err := Parse(data, &r, Limits{})
		oneHead := !strings.ContainsAny(method+target+version+name1+value1+name2+value2, "\r\n")
		if n < 0 || n > len(data) || err != nil && n != 0 || oneHead && err == nil && n != len(data) {
			t.Fatalf("n = %d, err = %v, len = %d", n, err, len(data))
		}
		if !simpleRequest(data) {
			return
		}
		req, gerr := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
		if gerr != nil {
			return
		}
		if err != nil {
			t.Fatalf("net/http accepts %q, Parse: %v", in, err)
		}
		path, _, _ := strings.Cut(req.RequestURI, "?")
		if req.Method != string(r.Method) || req.RequestURI != string(r.Target) || path != string(r.Path) || req.Host != string(r.Host) {
			t.Fatalf("net/http: %q %q %q; Parse: %q %q %q", req.Method, req.RequestURI, req.Host, r.Method, r.Target, r.Host)
		}
		if cl := req.ContentLength; req.TransferEncoding == nil && r.ContentLength != cl && !(cl == 0 && r.ContentLength == -1) {
			t.Fatalf("Content-Length: net/http %d, Parse %d", cl, r.ContentLength)
		}
	})
}

// FuzzParseResponse checks ParseResponse's invariants on any input (bounds, resumability: a
// prefix of an accepted head needs more) and checks it against net/http.ReadResponse: a head
// ParseResponse accepts is one net/http reads with the same status.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno"))
	f.Add([]byte("HTTP/1.0 101\nSec-WebSocket-Protocol: mqtt\nSec-WebSocket-Extensions: permessage-deflate\n\n\x81\x02hi"))
	f.Add([]byte("SSH-2.0-OpenSSH\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Response
		n, err := ParseResponse(data, &r, Limits{})
		if n < 0 || n > len(data) || err != nil && n != 0 {
			t.Fatalf("n = %d, err = %v, len = %d", n, err, len(data))
		}
		if err != nil {
			return
		}
		if r.Status < 100 || r.Status > 999 {
			t.Fatalf("status %d", r.Status)
		}
		var r2 Response
		if _, err := ParseResponse(data[:n-1], &r2, Limits{}); !errors.Is(err, ErrNeedMore) {
			t.Fatalf("a prefix of an accepted head: %v, want ErrNeedMore", err)
		}
		hr, herr := http.ReadResponse(bufio.NewReader(bytes.NewReader(data[:n])), nil)
		if herr != nil {
			// net/http may refuse what ParseResponse accepts (its rules on some header
			// forms differ); where both read a status, it must be the same.
			return
		}
		if hr.StatusCode != r.Status {
			t.Fatalf("net/http reads status %d, ParseResponse %d", hr.StatusCode, r.Status)
		}
	})
}
