package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"

	"golang.org/x/crypto/bcrypt"

	"github.com/wsgate/wsgate/handshake"
)

// bcryptHashLen is the length of "$2y$10$" + 22 salt + 31 hash characters.
const bcryptHashLen = 60

// Load reads an application's credentials file and returns its
// Authenticator. realm is the application's name, sent in the challenge.
// users, when not empty, narrows who is permitted: names from the file that
// are not listed get 403 with valid credentials. A listed name without a line
// in the file is not an error (removing a line must revoke that user, not
// break a reload); UnknownUsers returns such names so the caller can warn.
//
// With method None, credentialsFile and users must be empty. For Basic, Load
// also runs one bcrypt hash (for the dummy comparison of unknown users), so
// it takes as long as one login. Errors name the file and, for a bad line,
// the line number (*LineError); they never contain a line's content.
func Load(method Method, credentialsFile string, users []string, realm string) (*Authenticator, error) {
	switch method {
	case None:
		if credentialsFile != "" || len(users) > 0 {
			return nil, ErrUnexpectedCredentials
		}
		return &Authenticator{method: None}, nil
	case Basic, Token:
	default:
		return nil, ErrUnknownMethod
	}
	if credentialsFile == "" {
		return nil, ErrNoCredentialsFile
	}
	data, err := os.ReadFile(credentialsFile)
	if err != nil {
		return nil, fmt.Errorf("auth: reading credentials: %w", err) // *PathError: op, path, errno
	}
	defer clear(data)
	return build(method, credentialsFile, data, users, realm)
}

// build is Load after the file is read; file only names it in errors.
func build(method Method, file string, data []byte, users []string, realm string) (*Authenticator, error) {
	if !validRealm(realm) {
		return nil, ErrBadRealm
	}
	a := &Authenticator{method: method, names: make(map[string]*entry)}
	if method == Token {
		a.tokens = make(map[tokenIndex]*entry)
	}
	costs := make(map[int]int) // basic: how many hashes use each cost
	for lineNo := 1; len(data) > 0; lineNo++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.Trim(line, " \t\r")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if err := a.addLine(line, costs); err != nil {
			return nil, &LineError{File: file, Line: lineNo, Err: err}
		}
	}
	if len(a.names) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoEntries, file)
	}

	for _, e := range a.names {
		e.permitted = len(users) == 0
	}
	for _, u := range users {
		if e := a.names[u]; e != nil {
			e.permitted = true
		} else {
			a.unknownUsers = append(a.unknownUsers, u)
		}
	}

	switch method {
	case Basic:
		a.challenge = handshake.NewError(401, "Unauthorized",
			`WWW-Authenticate: Basic realm="`+realm+`", charset="UTF-8"`+"\r\n")
		a.cache = newSuccessCache()
		// The dummy is a hash of a random password at the cost most lines
		// use, so that checking an unknown name takes as long as checking
		// most known ones.
		cost, most := bcrypt.DefaultCost, 0
		for c, n := range costs {
			if n > most || n == most && c > cost {
				cost, most = c, n
			}
		}
		var pw [16]byte
		rand.Read(pw[:])
		dummy, err := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(pw[:])), cost)
		if err != nil {
			return nil, fmt.Errorf("auth: dummy hash: %w", err) // cost came from a valid hash: cannot happen
		}
		a.dummy = dummy
	case Token:
		a.challenge = handshake.NewError(401, "Unauthorized", `WWW-Authenticate: Bearer realm="`+realm+`"`+"\r\n")
	}
	return a, nil
}

// addLine adds the entry of one trimmed, non-comment line.
func (a *Authenticator) addLine(line []byte, costs map[int]int) error {
	name, hash, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return ErrMalformedLine
	}
	if !validName(name) {
		return ErrBadName
	}
	if a.names[string(name)] != nil {
		return ErrDuplicateName
	}
	e := &entry{name: string(name)}
	switch a.method {
	case Basic:
		cost, ok := bcryptCost(hash)
		if !ok {
			return ErrBadHash
		}
		costs[cost]++
		e.hash = bytes.Clone(hash)
	case Token:
		if len(hash) != 2*sha256.Size {
			return ErrBadHash
		}
		if _, err := hex.Decode(e.digest[:], hash); err != nil {
			return ErrBadHash
		}
		i := tokenIndex(e.digest[:len(tokenIndex{})])
		if a.tokens[i] != nil {
			return ErrDuplicateToken
		}
		a.tokens[i] = e
	}
	a.names[e.name] = e
	return nil
}

// validName reports whether a user name is 1–255 bytes without spaces or
// control characters (the colon is the separator, so it cannot occur). The
// configuration's users key follows the same rule.
func validName(name []byte) bool {
	if len(name) == 0 || len(name) > maxName {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// bcryptCost checks that hash is a complete "$2a$", "$2b$" or "$2y$" bcrypt
// hash — a two-digit cost and 53 characters of bcrypt's base64 alphabet —
// and returns its cost. bcrypt itself checks the salt only when comparing,
// which would turn a corrupt line into a user who can never log in.
func bcryptCost(hash []byte) (int, bool) {
	if len(hash) != bcryptHashLen || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$' {
		return 0, false
	}
	if v := hash[2]; v != 'a' && v != 'b' && v != 'y' {
		return 0, false
	}
	for _, c := range hash[7:] {
		if !(c == '.' || c == '/' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return 0, false
		}
	}
	cost, err := bcrypt.Cost(hash) // parses and range-checks the cost digits
	return cost, err == nil
}

// validRealm reports whether realm can go into a quoted-string as it is
// (RFC 9110 §5.6.4): no control characters, '"' or '\\'.
func validRealm(realm string) bool {
	for i := 0; i < len(realm); i++ {
		if c := realm[i]; c < ' ' || c == 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
