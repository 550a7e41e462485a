package apps

import (
	"fmt"
	"strings"

	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/check"
)

// Refuse returns an error that, returned by OnHandshake (or an Authenticator's Verify),
// refuses the upgrade with status (400–599) and reason as a one-line text/plain body,
// plus the extra header fields given as name, value pairs, for example
//
//	return apps.Refuse(401, "Unauthorized", "WWW-Authenticate", `Bearer realm="chat"`)
//	return apps.Refuse(429, "Too Many Requests", "Retry-After", "30")
//
// The answer always carries Connection: close, and the connection is closed after it. The
// engine writes the values as given: do not put request data in them. An invalid refusal (a
// status out of range, a reason or value with a control character, a name that is not a
// token, an odd number of header strings, or a header the engine writes itself:
// Content-Length, Content-Type, Connection, Transfer-Encoding, Upgrade, Sec-WebSocket-*) is
// a programming error: the engine answers 500 and logs the error this returns.
func Refuse(status int, reason string, header ...string) error {
	if status < 400 || status > 599 {
		return fmt.Errorf("apps: Refuse: status %d not in 400-599", status)
	}
	if !check.HeaderValue(reason) || strings.ContainsRune(reason, '\t') {
		return fmt.Errorf("apps: Refuse: reason %q is not one line of text", reason)
	}
	if len(header)%2 != 0 {
		return fmt.Errorf("apps: Refuse: header %q: want name, value pairs", header)
	}
	var b strings.Builder
	for i := 0; i < len(header); i += 2 {
		name, value := header[i], strings.TrimSpace(header[i+1])
		if !check.IsToken(name) || !check.HeaderValue(value) {
			return fmt.Errorf("apps: Refuse: header %q: %q: not a valid field", name, value)
		}
		switch n := strings.ToLower(name); {
		case n == "content-length", n == "content-type", n == "connection", n == "transfer-encoding",
			n == "upgrade", strings.HasPrefix(n, "sec-websocket-"):
			return fmt.Errorf("apps: Refuse: header %q is the engine's", name)
		}
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	return handshake.NewError(status, reason, b.String())
}
