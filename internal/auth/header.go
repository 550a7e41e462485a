package auth

import (
	"bytes"
	"encoding/base64"

	"github.com/wsgate/wsgate/handshake"
)

// Limits on Basic credentials. A name longer than maxName cannot be in a
// credentials file (Load refuses it), and bcrypt reads only the first 72
// bytes of a password, so a longer one is refused rather than truncated.
const (
	maxName     = 255
	maxPassword = 72
	// maxDecoded is room for the decoded user-pass of the longest
	// acceptable credentials, rounded up to whole base64 quanta.
	maxDecoded = (maxName + 1 + maxPassword + 2) / 3 * 3
)

// bearerPrefix starts a subprotocol entry that carries a token.
const bearerPrefix = "bearer."

// IsBearerProtocol reports whether the Sec-WebSocket-Protocol entry p carries
// a bearer token ("bearer.<token>", the prefix in any case). The engine must
// never choose such an entry as the subprotocol, so the token is never echoed
// back. p is only read.
func IsBearerProtocol(p []byte) bool {
	return len(p) >= len(bearerPrefix) && bytes.EqualFold(p[:len(bearerPrefix)], []byte(bearerPrefix))
}

// credentials returns the token68 of an Authorization value whose
// auth-scheme is scheme (lower case; compared case-insensitively, RFC 9110
// §11.1). Following RFC 9110 §11.4, credentials = auth-scheme 1*SP token68;
// surrounding whitespace and extra spaces after the scheme are tolerated. The
// result is a subslice of v.
func credentials(v []byte, scheme string) ([]byte, bool) {
	v = bytes.Trim(v, " \t")
	i := bytes.IndexAny(v, " \t")
	if i < 0 || !bytes.EqualFold(v[:i], []byte(scheme)) {
		return nil, false
	}
	t := bytes.TrimLeft(v[i:], " \t")
	if len(t) == 0 || bytes.IndexAny(t, " \t") >= 0 {
		return nil, false // token68 has no whitespace; auth-params are not Basic or Bearer
	}
	return t, true
}

// decodeBasic decodes "Basic base64(user-id:password)" (RFC 7617 §2) into
// dst and returns the decoded length and the index of the first colon: the
// user-id cannot contain one, the password may. It fails on another scheme,
// bad base64 (padding required, RFC 4648 §4), a missing colon, or a name or
// password over the limits. dst must hold maxDecoded bytes.
func decodeBasic(authorization, dst []byte) (n, colon int, ok bool) {
	b64, ok := credentials(authorization, "basic")
	if !ok || base64.StdEncoding.DecodedLen(len(b64)) > len(dst) {
		return 0, 0, false
	}
	n, err := base64.StdEncoding.Decode(dst, b64)
	if err != nil {
		return 0, 0, false
	}
	colon = bytes.IndexByte(dst[:n], ':')
	if colon < 0 || colon > maxName || n-colon-1 > maxPassword {
		return 0, 0, false
	}
	return n, colon, true
}

// bearerToken returns the token of "Authorization: Bearer <token>" or, when
// the header carries no bearer token, of the first "bearer.<token>" entry of
// the Sec-WebSocket-Protocol values (each a comma-separated list, RFC 6455
// §11.3.4). Only one token is ever taken from a request, so a request cannot
// try several. The result is a subslice of an argument.
func bearerToken(authorization []byte, protocols [][]byte) ([]byte, bool) {
	if t, ok := credentials(authorization, "bearer"); ok {
		return t, true
	}
	for _, line := range protocols {
		for len(line) > 0 {
			var p []byte
			p, line = handshake.NextElement(line)
			if IsBearerProtocol(p) {
				t := p[len(bearerPrefix):]
				return t, len(t) > 0
			}
		}
	}
	return nil, false
}
