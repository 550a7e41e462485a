package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"

	"golang.org/x/crypto/bcrypt"
)

// PasswordCost is the bcrypt cost HashPassword uses: 2^10 rounds, tens of
// milliseconds per check on a gateway-class CPU (htpasswd -B uses 5; 10 is
// bcrypt's own default).
const PasswordCost = 10

// compareHash is bcrypt.CompareHashAndPassword, a variable so that tests can
// count the comparisons that run (an unknown user must cost one too).
var compareHash = bcrypt.CompareHashAndPassword

// HashToken returns the line content a token credentials file holds for
// token: the lower-case hex SHA-256 of it.
func HashToken(token string) string {
	d := sha256.Sum256([]byte(token))
	return hex.EncodeToString(d[:])
}

// HashPassword returns a bcrypt hash of pw at PasswordCost, in the "$2a$"
// form, for a basic credentials file. It refuses passwords over 72 bytes,
// which bcrypt would silently truncate.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), PasswordCost)
	return string(h), err
}

// digestEqual reports whether two SHA-256 digests are equal, in time that
// does not depend on where they differ.
func digestEqual(a, b *[sha256.Size]byte) bool {
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
