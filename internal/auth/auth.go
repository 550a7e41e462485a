package auth

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strconv"

	"github.com/wsgate/wsgate/handshake"
)

// Authenticator checks one application's credentials. It is immutable after
// Load and safe for concurrent use; a reload builds a new one. A nil
// *Authenticator behaves as method None: everybody is let through.
type Authenticator struct {
	method       Method
	challenge    *handshake.Error      // 401 with WWW-Authenticate; nil for None
	names        map[string]*entry     // every name in the file
	tokens       map[tokenIndex]*entry // token: first half of the digest → entry
	dummy        []byte                // basic: bcrypt hash compared for unknown names
	cache        *successCache         // basic: recently verified credentials
	unknownUsers []string              // names in users without a line in the file
}

// entry is one line of the credentials file.
type entry struct {
	name      string
	permitted bool              // in users, or users is empty
	hash      []byte            // basic: the bcrypt hash
	digest    [sha256.Size]byte // token: SHA-256 of the token
}

// tokenIndex is the half of a token digest the lookup map is keyed by. The
// map's own comparison may take time that depends on the key, so it sees
// only half of the digest; the whole digest is then confirmed in constant
// time (digestEqual). Half a SHA-256 is still far too long to collide by
// chance, and the timing of a lookup reveals at most something about a
// digest of an unknown token, not the token.
type tokenIndex [sha256.Size / 2]byte

// basicBuf is scratch for Basic credentials: the cache salt followed by the
// decoded user-id:password. It lives on the caller's stack and is cleared
// after use.
type basicBuf [len(successCache{}.salt) + maxDecoded]byte

const saltLen = len(successCache{}.salt)

// Method returns the authentication method (None for a nil Authenticator).
func (a *Authenticator) Method() Method {
	if a == nil {
		return None
	}
	return a.method
}

// Challenge returns the prebuilt 401 response carrying WWW-Authenticate:
// `Basic realm="<app>", charset="UTF-8"` (RFC 7617 §2, §2.1) or
// `Bearer realm="<app>"` (RFC 6750 §3). It is nil for method None. Verify
// returns this very value for missing or wrong credentials.
func (a *Authenticator) Challenge() *handshake.Error {
	if a == nil {
		return nil
	}
	return a.challenge
}

// UnknownUsers returns the names given to Load in users that have no line in
// the credentials file, in the order given; nobody can log in as them. The
// caller may warn about them (a typo, or a user whose line was removed).
func (a *Authenticator) UnknownUsers() []string {
	if a == nil {
		return nil
	}
	return slices.Clone(a.unknownUsers)
}

// NeedsSlowCheck reports whether Verify would run a bcrypt comparison for
// this Authorization value: method Basic, well-formed Basic credentials, not
// verified within the last minute. Such a check takes tens of milliseconds,
// so the engine runs Verify on a worker goroutine instead of the event loop.
// Everything else (None, Token, missing or malformed credentials, a recent
// success) is answered in microseconds. A recent success may expire between
// this call and Verify; Verify is then still correct, only slow once.
// authorization is only read, not retained; it costs one SHA-256 and does not
// allocate.
func (a *Authenticator) NeedsSlowCheck(authorization []byte) bool {
	if a == nil || a.method != Basic {
		return false
	}
	var buf basicBuf // does not escape
	defer clear(buf[:])
	_, _, key, ok := a.basicKey(authorization, &buf)
	return ok && !a.cache.hit(&key)
}

// Verify checks a request's credentials: authorization is the Authorization
// header value (nil without one); protocols are the Sec-WebSocket-Protocol
// values as received, each a single entry or a comma-separated list (the
// handshake's Request.Protocols), searched for "bearer.<token>" when the
// header carries no Bearer token. Neither is retained or modified.
//
// It returns the user's name with a nil error; the name with
// handshake.ErrForbidden (403) for valid credentials of a user not permitted;
// or "" with Challenge() (401) for missing, malformed or wrong credentials
// and unknown names alike. With method None it returns "", nil.
//
// Token checks and recently verified Basic credentials take microseconds and
// do not allocate; other Basic checks cost one bcrypt comparison, even for a
// name that does not exist (see NeedsSlowCheck).
func (a *Authenticator) Verify(authorization []byte, protocols [][]byte) (user string, err error) {
	if a == nil {
		return "", nil
	}
	switch a.method {
	case Basic:
		return a.verifyBasic(authorization)
	case Token:
		return a.verifyToken(authorization, protocols)
	}
	return "", nil
}

func (a *Authenticator) verifyToken(authorization []byte, protocols [][]byte) (string, error) {
	t, ok := bearerToken(authorization, protocols)
	if !ok {
		return "", a.challenge
	}
	d := sha256.Sum256(t)
	e := a.tokens[tokenIndex(d[:len(tokenIndex{})])]
	if e == nil || !digestEqual(&e.digest, &d) {
		return "", a.challenge
	}
	return admit(e)
}

func (a *Authenticator) verifyBasic(authorization []byte) (string, error) {
	var buf basicBuf // does not escape
	defer clear(buf[:])
	n, colon, key, ok := a.basicKey(authorization, &buf)
	if !ok {
		return "", a.challenge
	}
	e := a.names[string(buf[saltLen:saltLen+colon])]
	if a.cache.hit(&key) && e != nil {
		return admit(e)
	}
	// An unknown name is compared against the dummy hash: the same work
	// as for a known one, and a result that is ignored.
	hash := a.dummy
	if e != nil {
		hash = e.hash
	}
	pw := bytes.Clone(buf[saltLen+colon+1 : saltLen+n]) // compareHash may keep it; buf must stay on the stack
	err := compareHash(hash, pw)
	clear(pw)
	if err != nil || e == nil {
		return "", a.challenge
	}
	a.cache.add(&key)
	return admit(e)
}

// basicKey decodes Basic credentials into buf after the cache salt and
// returns their length, the colon's index (both relative to the decoded
// part) and the cache key.
func (a *Authenticator) basicKey(authorization []byte, buf *basicBuf) (n, colon int, key cacheKey, ok bool) {
	n, colon, ok = decodeBasic(authorization, buf[saltLen:])
	if !ok {
		return 0, 0, key, false
	}
	copy(buf[:saltLen], a.cache.salt[:])
	return n, colon, sha256.Sum256(buf[:saltLen+n]), true
}

// admit returns the result for valid credentials of e.
func admit(e *entry) (string, error) {
	if !e.permitted {
		return e.name, handshake.ErrForbidden
	}
	return e.name, nil
}

// String describes the Authenticator without any hash or digest, so that
// logging one with %v or %s reveals nothing: e.g. "auth basic (3 users)".
func (a *Authenticator) String() string {
	if a == nil || a.method == None {
		return "auth none"
	}
	return "auth " + a.method.String() + " (" + strconv.Itoa(len(a.names)) + " users)"
}

// GoString is String, so that %#v reveals nothing either.
func (a *Authenticator) GoString() string { return a.String() }
