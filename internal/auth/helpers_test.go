package auth

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Test credentials. The fixtures use bcrypt's minimum cost so that the
// tests stay fast; the cost-10 path is exercised by TestHashPassword and the
// uncached benchmark.
const (
	alicePW = "wonderland"
	bobPW   = "builder"
	carolPW = "pa:ss:word" // a password may contain colons (RFC 7617 §2)

	aliceToken = "tok-alice-5f2b9c"
	bobToken   = "tok-bob-77a1e0"
)

// secrets lists every secret the fixtures hold; no error and no response
// may contain any of them.
var secrets = []string{alicePW, bobPW, carolPW, aliceToken, bobToken}

var fixtures struct {
	once                      sync.Once
	basicFile, tokenFile      string // file contents
	hashes                    []string
	basic, token, none, empty *Authenticator
}

// fixture returns the shared authenticators: basic (alice, bob, carol in
// the file; users alice and carol), token (alice and bob; users alice), none.
func fixture(tb testing.TB) *Authenticator {
	tb.Helper()
	fixtures.once.Do(func() {
		hash := func(pw string) string {
			h, err := bcryptGenerate(pw, bcrypt.MinCost)
			if err != nil {
				panic(err)
			}
			return h
		}
		// alice's line uses the "$2y$" prefix htpasswd -B writes.
		ha, hb, hc := "$2y$"+hash(alicePW)[4:], hash(bobPW), hash(carolPW)
		fixtures.hashes = []string{ha, hb, hc, HashToken(aliceToken), HashToken(bobToken)}
		fixtures.basicFile = "# users of the sensors app\nalice:" + ha + "\r\n\n  bob:" + hb + "  \ncarol:" + hc + "\n"
		fixtures.tokenFile = "alice:" + HashToken(aliceToken) + "\n# bob's token\nbob:" + HashToken(bobToken)
		var err error
		if fixtures.basic, err = build(Basic, "basic.txt", []byte(fixtures.basicFile), []string{"alice", "carol"}, "sensors"); err != nil {
			panic(err)
		}
		if fixtures.token, err = build(Token, "token.txt", []byte(fixtures.tokenFile), []string{"alice"}, "sensors"); err != nil {
			panic(err)
		}
		if fixtures.none, err = Load(None, "", nil, "sensors"); err != nil {
			panic(err)
		}
	})
	return fixtures.basic
}

// authenticator returns the fixture for m.
func authenticator(tb testing.TB, m Method) *Authenticator {
	fixture(tb)
	switch m {
	case Basic:
		return fixtures.basic
	case Token:
		return fixtures.token
	}
	return fixtures.none
}

// basicAuth returns an Authorization value for user and password.
func basicAuth(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

// lines turns protocol strings into the [][]byte Verify takes.
func lines(ps []string) [][]byte {
	var out [][]byte
	for _, p := range ps {
		out = append(out, []byte(p))
	}
	return out
}

// countCompares makes compareHash count its calls until the test ends.
func countCompares(tb testing.TB) *int {
	n := new(int)
	orig := compareHash
	compareHash = func(hash, pw []byte) error {
		*n++
		return orig(hash, pw)
	}
	tb.Cleanup(func() { compareHash = orig })
	return n
}

// resetCache empties a's success cache.
func resetCache(a *Authenticator) {
	if a.cache != nil {
		a.cache.mu.Lock()
		clear(a.cache.expires)
		a.cache.mu.Unlock()
	}
}

// writeFile writes content to a new file in a temporary directory.
func writeFile(tb testing.TB, name, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// assertNoSecret fails when s contains a secret or a hash of the fixtures,
// or one of the extra strings.
func assertNoSecret(tb testing.TB, what, s string, extra ...string) {
	tb.Helper()
	fixture(tb)
	for _, secret := range append(append(append([]string(nil), secrets...), fixtures.hashes...), extra...) {
		if secret != "" && strings.Contains(s, secret) {
			tb.Errorf("%s %q contains the secret %q", what, s, secret)
		}
	}
}

// bcryptGenerate returns a bcrypt hash of pw at cost (HashPassword has a
// fixed cost).
func bcryptGenerate(pw string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	return string(h), err
}
