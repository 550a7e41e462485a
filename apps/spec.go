package apps

import (
	"errors"
	"fmt"

	"github.com/wsgate/wsgate/internal/check"
)

// Spec declares an application: where it is reachable and on what terms.
type Spec struct {
	// Name identifies the application in logs, metrics and Unregister: 1–64 of
	// A-Z a-z 0-9 . _ -. Required, unique.
	Name string
	// Path is the application's alias: the exact request path it owns (query ignored).
	// Required, unique, starts with "/", printable ASCII without "?" or "#".
	Path string
	// Scope names the servers the application is reachable on ("http" for the HTTP service,
	// otherwise a standalone server's name). Empty means every server.
	Scope []string
	// Subprotocols the application speaks (tokens), and the one it assumes when the client
	// offers none ("" or one of Subprotocols).
	Subprotocols       []string
	DefaultSubprotocol string
	// MaxConnections bounds the application's connections; 0 means no limit of its own. The
	// lower of this and the server's per-application limit applies.
	MaxConnections int
	// Compression offers permessage-deflate (RFC 7692) to this application's clients.
	Compression bool
	// Origins lists the allowed Origin values: "*", an exact origin
	// ("https://app.example:8443"), or a wildcard host ("*.example.com" for http and https,
	// "https://*.example.com"). Empty allows any origin. See docs/configuration.md.
	Origins []string
	// Auth authenticates the application's clients (docs/routing.md, status row 12); nil
	// lets anyone in.
	Auth Authenticator
}

// Validate checks the spec on its own (the server checks Scope and uniqueness when it is
// registered). Errors wrap ErrBadSpec and name the application and field.
func (s *Spec) Validate() error {
	bad := func(field string, err error) error {
		return fmt.Errorf("%w: %q: %s: %v", ErrBadSpec, s.Name, field, err)
	}
	if !check.Name(s.Name) {
		return fmt.Errorf("%w: name %q: %s", ErrBadSpec, s.Name, check.NameRule)
	}
	if err := check.Path(s.Path, 0); err != nil {
		return bad("path", err)
	}
	if err := check.Subprotocols(s.Subprotocols, s.DefaultSubprotocol); err != nil {
		return bad("subprotocols", err)
	}
	if s.MaxConnections < 0 {
		return bad("max connections", errors.New("must be >= 0"))
	}
	if _, err := check.ParseOrigins(s.Origins); err != nil {
		return bad("origins", err)
	}
	return nil
}

// Authenticator decides who may connect to an application. wsgate builds one from
// auth = "basic" | "token" in its configuration; an embedding program may supply its own.
type Authenticator interface {
	// NeedsSlowCheck reports whether Verify would be slow for this Authorization value (a
	// bcrypt comparison, say): the engine then calls Verify on a worker goroutine, off the
	// event loop.
	NeedsSlowCheck(authorization []byte) bool
	// Verify checks the Authorization header value and the raw Sec-WebSocket-Protocol values
	// (a token may come as a "bearer.<token>" entry). It returns the user name, or an error:
	// one made by Refuse is answered as it is (401 with WWW-Authenticate, 403); any other
	// error is answered 401 without a challenge. It must not retain its arguments and must
	// be safe for concurrent use.
	Verify(authorization []byte, protocols [][]byte) (user string, err error)
}

// Errors of registration; they report programmer mistakes.
var (
	ErrBadSpec       = errors.New("apps: invalid application spec")
	ErrDuplicateName = errors.New("apps: duplicate application name")
	ErrDuplicatePath = errors.New("apps: duplicate application path")
	ErrUnknownApp    = errors.New("apps: unknown application")
)
