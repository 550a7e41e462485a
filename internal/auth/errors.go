package auth

import (
	"errors"
	"strconv"
	"strings"
)

// Errors returned by ParseMethod and Load. Errors about one line of a
// credentials file come wrapped in a *LineError that names the file and the
// line number; errors.Is finds the value below. None of them, wrapped or not,
// contains a secret or the content of a line.
var (
	// ErrUnknownMethod: the method is not "none", "basic" or "token".
	ErrUnknownMethod = errors.New("auth: unknown method (want none, basic or token)")
	// ErrNoCredentialsFile: basic or token without a credentials file.
	ErrNoCredentialsFile = errors.New("auth: a credentials file is required with basic or token")
	// ErrUnexpectedCredentials: a credentials file or users with method none.
	ErrUnexpectedCredentials = errors.New("auth: credentials and users need method basic or token")
	// ErrBadRealm: the realm (the application name) cannot be sent in a
	// quoted-string: it holds '"', '\\' or a control character.
	ErrBadRealm = errors.New("auth: realm must be printable without '\"' or '\\'")
	// ErrNoEntries: the credentials file holds no name:hash line, so nobody
	// could ever connect.
	ErrNoEntries = errors.New("auth: credentials file has no entries")

	// ErrMalformedLine: a line is not name:hash.
	ErrMalformedLine = errors.New("auth: malformed line (want name:hash)")
	// ErrBadName: a name is empty, over 255 bytes, or holds spaces or
	// control characters.
	ErrBadName = errors.New("auth: bad user name (1-255 bytes, no spaces or control characters)")
	// ErrDuplicateName: a name appears on an earlier line too.
	ErrDuplicateName = errors.New("auth: user name appears on an earlier line")
	// ErrBadHash: for basic, the hash is not bcrypt $2a$, $2b$ or $2y$; for
	// token, it is not 64 hex digits.
	ErrBadHash = errors.New("auth: hash is not bcrypt ($2a$, $2b$, $2y$) for basic or 64 hex digits of SHA-256 for token")
	// ErrDuplicateToken: a token digest appears on an earlier line too, so
	// the token would not name one user.
	ErrDuplicateToken = errors.New("auth: token hash appears on an earlier line")
)

// LineError is an error in one line of a credentials file. It names the file
// and the 1-based line number, never the line's content.
type LineError struct {
	File string // the path given to Load
	Line int    // 1-based
	Err  error  // one of the Err* values above
}

// Error returns "auth: FILE:LINE: reason".
func (e *LineError) Error() string {
	return "auth: " + e.File + ":" + strconv.Itoa(e.Line) + ": " + strings.TrimPrefix(e.Err.Error(), "auth: ")
}

// Unwrap returns Err, for errors.Is.
func (e *LineError) Unwrap() error { return e.Err }
