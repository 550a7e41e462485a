package auth

// Method is how an application authenticates its clients.
type Method uint8

// The methods of the configuration's auth key.
const (
	// None lets every client through (the default).
	None Method = iota
	// Basic is HTTP Basic authentication (RFC 7617) against bcrypt hashes.
	Basic
	// Token is a bearer token (RFC 6750 §2.1), in the Authorization header
	// or as a "bearer.<token>" subprotocol entry, against SHA-256 digests.
	Token
)

// ParseMethod parses the configuration's auth value: "none" (or ""), "basic"
// or "token", in lower case as the configuration writes them.
func ParseMethod(s string) (Method, error) {
	switch s {
	case "", "none":
		return None, nil
	case "basic":
		return Basic, nil
	case "token":
		return Token, nil
	}
	return None, ErrUnknownMethod
}

// String returns "none", "basic" or "token" ("unknown" for other values).
func (m Method) String() string {
	switch m {
	case None:
		return "none"
	case Basic:
		return "basic"
	case Token:
		return "token"
	}
	return "unknown"
}
