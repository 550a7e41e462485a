package handshake

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

var errorCases = []struct {
	name   string
	err    *Error
	status int
	reason string
	header string // extra header lines expected, as "Name: value" joined by "|"
}{
	{name: "bad request", err: ErrBadRequest, status: 400, reason: "Bad Request"},
	{name: "header too large", err: ErrHeaderTooLarge, status: 431, reason: "Request Header Fields Too Large"},
	{name: "uri too long", err: ErrURITooLong, status: 414, reason: "URI Too Long"},
	{name: "upgrade failed", err: ErrUpgradeFailed, status: 404, reason: "Websockets upgrade failed"},
	{name: "method", err: ErrMethod, status: 405, reason: "Method Not Allowed", header: "Allow: GET"},
	{name: "no host", err: ErrNoHost, status: 400, reason: "Missing Host header"},
	{name: "body", err: ErrBody, status: 400, reason: "Request body not allowed"},
	{name: "bad key", err: ErrBadKey, status: 400, reason: "Invalid Sec-WebSocket-Key"},
	{name: "no version", err: ErrNoVersion, status: 400, reason: "Missing Sec-WebSocket-Version", header: "Sec-WebSocket-Version: 13"},
	{name: "bad version", err: ErrBadVersion, status: 426, reason: "Upgrade Required", header: "Sec-WebSocket-Version: 13"},
	{name: "forbidden", err: ErrForbidden, status: 403, reason: "Forbidden"},
	{name: "busy", err: ErrBusy, status: 503, reason: "Service Unavailable", header: "Retry-After: 5"},
	{name: "declined", err: ErrDeclined, status: 503, reason: "Connection declined"},
	{name: "failed", err: ErrFailed, status: 500, reason: "Internal Server Error"},
	{name: "not found", err: ErrNotFound, status: 404, reason: "Not Found"},
	{name: "timeout", err: ErrTimeout, status: 408, reason: "Request Timeout"},
	{name: "custom", err: NewError(401, "Unauthorized", "WWW-Authenticate: Basic realm=\"wsgate\"\r\n"),
		status: 401, reason: "Unauthorized", header: `WWW-Authenticate: Basic realm="wsgate"`},
	{name: "unknown status", err: NewError(599, "Odd", ""), status: 599, reason: "Odd"},
}

// TestErrorResponse reads every prebuilt response back with net/http's
// client-side parser and checks its exact bytes.
func TestErrorResponse(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.err
			if e.Status != tc.status || e.Reason != tc.reason {
				t.Fatalf("Status, Reason = %d, %q", e.Status, e.Reason)
			}
			if want := "handshake: " + strconv.Itoa(tc.status) + " " + tc.reason; e.Error() != want {
				t.Fatalf("Error() = %q, want %q", e.Error(), want)
			}
			raw := string(e.Response())
			var extra string
			if tc.header != "" {
				extra = strings.ReplaceAll(tc.header, "|", "\r\n") + "\r\n"
			}
			text := statusText(tc.status, tc.reason)
			want := "HTTP/1.1 " + strconv.Itoa(tc.status) + " " + text + "\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: " + strconv.Itoa(len(tc.reason)) + "\r\n" +
				"Connection: close\r\n" + extra + "\r\n" + tc.reason
			if raw != want {
				t.Fatalf("Response:\n%q\nwant\n%q", raw, want)
			}
			resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil || string(body) != tc.reason || resp.StatusCode != tc.status || !resp.Close {
				t.Fatalf("net/http read %d %q close=%v err=%v", resp.StatusCode, body, resp.Close, err)
			}
			// net/http still says "Request URI Too Long"; RFC 9110 §15.5.15 renamed it.
			if std := http.StatusText(tc.status); std != "" && text != std && tc.status != 414 {
				t.Fatalf("status text %q, net/http says %q", text, std)
			}
		})
	}
}

func TestNewErrorPanics(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		reason, header string
	}{
		{name: "status too small", status: 99, reason: "x"},
		{name: "status too big", status: 1000, reason: "x"},
		{name: "reason with newline", status: 400, reason: "a\nb"},
		{name: "reason with CR", status: 400, reason: "a\rb"},
		{name: "header without CRLF", status: 400, reason: "x", header: "Allow: GET"},
		{name: "header with LF only", status: 400, reason: "x", header: "Allow: GET\n"},
		{name: "header without colon", status: 400, reason: "x", header: "Allow GET\r\n"},
		{name: "header bad name", status: 400, reason: "x", header: "Al low: GET\r\n"},
		{name: "header injection", status: 400, reason: "x", header: "A: b\rc\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			NewError(tc.status, tc.reason, tc.header)
		})
	}
}

// TestResponseIsFullSlice checks that appending to a Response cannot write
// into the shared bytes.
func TestResponseIsFullSlice(t *testing.T) {
	r := ErrBadRequest.Response()
	if cap(r) != len(r) {
		t.Fatalf("cap %d > len %d", cap(r), len(r))
	}
}
