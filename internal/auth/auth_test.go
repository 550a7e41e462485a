package auth

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wsgate/wsgate/handshake"
)

// verifyCases feed TestVerify, BenchmarkVerify, the allocation test and the
// fuzz seeds. status is 0 for success, 401 or 403; bcrypt reports whether a
// bcrypt comparison runs with an empty cache (and so NeedsSlowCheck).
var verifyCases = []struct {
	name          string
	method        Method
	authorization string
	protocols     []string
	user          string
	status        int
	bcrypt        bool
}{
	{name: "basic", method: Basic, authorization: basicAuth("alice", alicePW), user: "alice", bcrypt: true},
	{name: "basic lower-case scheme", method: Basic, authorization: "basic " + basicAuth("alice", alicePW)[6:], user: "alice", bcrypt: true},
	{name: "basic upper-case scheme", method: Basic, authorization: "BASIC " + basicAuth("alice", alicePW)[6:], user: "alice", bcrypt: true},
	{name: "basic extra spaces", method: Basic, authorization: "  Basic   " + basicAuth("alice", alicePW)[6:] + " \t", user: "alice", bcrypt: true},
	{name: "basic tab", method: Basic, authorization: "Basic\t" + basicAuth("alice", alicePW)[6:], user: "alice", bcrypt: true},
	{name: "basic password with colons", method: Basic, authorization: basicAuth("carol", carolPW), user: "carol", bcrypt: true},
	{name: "basic not permitted", method: Basic, authorization: basicAuth("bob", bobPW), user: "bob", status: 403, bcrypt: true},
	{name: "basic wrong password", method: Basic, authorization: basicAuth("alice", "Wonderland"), status: 401, bcrypt: true},
	{name: "basic other user's password", method: Basic, authorization: basicAuth("alice", bobPW), status: 401, bcrypt: true},
	{name: "basic unknown user", method: Basic, authorization: basicAuth("mallory", alicePW), status: 401, bcrypt: true},
	{name: "basic empty user", method: Basic, authorization: basicAuth("", alicePW), status: 401, bcrypt: true},
	{name: "basic user case matters", method: Basic, authorization: basicAuth("Alice", alicePW), status: 401, bcrypt: true},
	{name: "basic empty password", method: Basic, authorization: basicAuth("alice", ""), status: 401, bcrypt: true},
	{name: "basic password of 72 bytes", method: Basic, authorization: basicAuth("alice", strings.Repeat("x", 72)), status: 401, bcrypt: true},
	{name: "basic password over 72 bytes", method: Basic, authorization: basicAuth("alice", alicePW+strings.Repeat("x", 63)), status: 401},
	{name: "basic name over 255 bytes", method: Basic, authorization: basicAuth(strings.Repeat("a", 256), alicePW), status: 401},
	{name: "basic missing", method: Basic, status: 401},
	{name: "basic scheme only", method: Basic, authorization: "Basic", status: 401},
	{name: "basic scheme and spaces", method: Basic, authorization: "Basic   ", status: 401},
	{name: "basic no space after scheme", method: Basic, authorization: "Basic" + basicAuth("alice", alicePW)[6:], status: 401},
	{name: "basic bad base64", method: Basic, authorization: "Basic YWxp!2U6d29uZGVybGFuZA==", status: 401},
	{name: "basic unpadded base64", method: Basic, authorization: strings.TrimRight(basicAuth("alice", alicePW), "="), status: 401},
	{name: "basic missing colon", method: Basic, authorization: "Basic YWxpY2V3b25kZXJsYW5k", status: 401}, // "alicewonderland"
	{name: "basic two tokens", method: Basic, authorization: basicAuth("alice", alicePW) + " x", status: 401},
	{name: "basic other scheme", method: Basic, authorization: "Bearer " + aliceToken, status: 401},
	{name: "basic ignores bearer protocol", method: Basic, protocols: []string{"bearer." + aliceToken}, status: 401},

	{name: "token header", method: Token, authorization: "Bearer " + aliceToken, user: "alice"},
	{name: "token lower-case scheme", method: Token, authorization: "bearer " + aliceToken, user: "alice"},
	{name: "token extra spaces", method: Token, authorization: " Bearer \t  " + aliceToken + "  ", user: "alice"},
	{name: "token protocol", method: Token, protocols: []string{"chat, bearer." + aliceToken}, user: "alice"},
	{name: "token protocol prefix case", method: Token, protocols: []string{"Bearer." + aliceToken + ", chat"}, user: "alice"},
	{name: "token protocol second line", method: Token, protocols: []string{"chat", " bearer." + aliceToken + " "}, user: "alice"},
	{name: "token other scheme then protocol", method: Token, authorization: basicAuth("alice", alicePW), protocols: []string{"bearer." + aliceToken}, user: "alice"},
	{name: "token not permitted", method: Token, authorization: "Bearer " + bobToken, user: "bob", status: 403},
	{name: "token not permitted via protocol", method: Token, protocols: []string{"bearer." + bobToken}, user: "bob", status: 403},
	{name: "token wrong", method: Token, authorization: "Bearer " + aliceToken + "x", status: 401},
	{name: "token case matters", method: Token, authorization: "Bearer " + strings.ToUpper(aliceToken), status: 401},
	{name: "token is a hash", method: Token, authorization: "Bearer " + HashToken(aliceToken), status: 401},
	{name: "token missing", method: Token, status: 401},
	{name: "token scheme only", method: Token, authorization: "Bearer", status: 401},
	{name: "token two tokens", method: Token, authorization: "Bearer " + aliceToken + " " + aliceToken, status: 401},
	{name: "token header wins over protocol", method: Token, authorization: "Bearer wrong", protocols: []string{"bearer." + aliceToken}, status: 401},
	{name: "token only the first bearer entry", method: Token, protocols: []string{"bearer.wrong, bearer." + aliceToken}, status: 401},
	{name: "token empty protocol token", method: Token, protocols: []string{"bearer., bearer." + aliceToken}, status: 401},
	{name: "token protocol without dot", method: Token, protocols: []string{"bearer" + aliceToken}, status: 401},

	{name: "none", method: None},
	{name: "none ignores credentials", method: None, authorization: "Bearer nothing", protocols: []string{"bearer.x"}},
}

func TestVerify(t *testing.T) {
	compares := countCompares(t)
	for _, tc := range verifyCases {
		t.Run(tc.name, func(t *testing.T) {
			a := authenticator(t, tc.method)
			resetCache(a)
			authz, protos := []byte(tc.authorization), lines(tc.protocols)
			if tc.authorization == "" {
				authz = nil
			}
			if slow := a.NeedsSlowCheck(authz); slow != tc.bcrypt {
				t.Errorf("NeedsSlowCheck = %v, want %v", slow, tc.bcrypt)
			}
			*compares = 0
			user, err := a.Verify(authz, protos)
			if user != tc.user {
				t.Errorf("user = %q, want %q", user, tc.user)
			}
			var want error
			switch tc.status {
			case 401:
				want = a.Challenge()
			case 403:
				want = handshake.ErrForbidden
			}
			if err != want {
				t.Errorf("err = %v, want %v", err, want)
			}
			if ran := *compares > 0; ran != tc.bcrypt || *compares > 1 {
				t.Errorf("%d bcrypt comparisons, want bcrypt=%v", *compares, tc.bcrypt)
			}
			if err != nil {
				assertNoSecret(t, "error", err.Error())
				assertNoSecret(t, "response", string(err.(*handshake.Error).Response()))
			}
			// Verify must not modify its arguments.
			if string(authz) != tc.authorization {
				t.Errorf("authorization modified: %q", authz)
			}
			for i, p := range protos {
				if string(p) != tc.protocols[i] {
					t.Errorf("protocol %d modified: %q", i, p)
				}
			}
		})
	}
}

// TestUnknownUserCostsBcrypt checks that a name not in the file is compared
// against a dummy hash of the file's cost, so that it takes as long as a
// known name with a wrong password.
func TestUnknownUserCostsBcrypt(t *testing.T) {
	a := fixture(t)
	var hashes [][]byte
	orig := compareHash
	compareHash = func(hash, pw []byte) error {
		hashes = append(hashes, hash)
		return orig(hash, pw)
	}
	t.Cleanup(func() { compareHash = orig })

	for _, user := range []string{"mallory", "alice"} {
		if _, err := a.Verify([]byte(basicAuth(user, "guess")), nil); err != a.Challenge() {
			t.Fatalf("%s: err = %v, want the challenge", user, err)
		}
	}
	if len(hashes) != 2 {
		t.Fatalf("%d bcrypt comparisons, want 2", len(hashes))
	}
	if string(hashes[0]) != string(a.dummy) || string(hashes[1]) != string(a.names["alice"].hash) {
		t.Fatal("compared against the wrong hashes")
	}
	dummyCost, ok1 := bcryptCost(a.dummy)
	aliceCost, ok2 := bcryptCost(a.names["alice"].hash)
	if !ok1 || !ok2 || dummyCost != aliceCost {
		t.Fatalf("dummy cost %d, user cost %d: want equal", dummyCost, aliceCost)
	}
}

// TestDummyCost checks that the dummy hash takes the cost most lines use.
func TestDummyCost(t *testing.T) {
	hash := func(cost int) string {
		h, err := bcryptGenerate("password", cost)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h4, h5 := hash(4), hash(5)
	for _, tc := range []struct {
		name  string
		file  string
		wantC int
	}{
		{name: "one cost", file: "a:" + h4 + "\nb:" + h4, wantC: 4},
		{name: "most lines", file: "a:" + h5 + "\nb:" + h4 + "\nc:" + h4, wantC: 4},
		{name: "tie takes the higher", file: "a:" + h4 + "\nb:" + h5, wantC: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := build(Basic, "f", []byte(tc.file), nil, "app")
			if err != nil {
				t.Fatal(err)
			}
			if c, _ := bcryptCost(a.dummy); c != tc.wantC {
				t.Fatalf("dummy cost %d, want %d", c, tc.wantC)
			}
		})
	}
}

// TestTokenDigestConfirmed checks that a token whose digest shares the
// lookup half with a stored digest but differs in the other half is refused:
// the constant-time comparison of the whole digest decides.
func TestTokenDigestConfirmed(t *testing.T) {
	a, err := build(Token, "f", []byte("alice:"+HashToken(aliceToken)), nil, "app")
	if err != nil {
		t.Fatal(err)
	}
	if user, err := a.Verify([]byte("Bearer "+aliceToken), nil); err != nil || user != "alice" {
		t.Fatalf("Verify = %q, %v; want alice", user, err)
	}
	e := a.names["alice"]
	e.digest[len(e.digest)-1] ^= 1 // same index half, different digest
	if user, err := a.Verify([]byte("Bearer "+aliceToken), nil); err != a.Challenge() || user != "" {
		t.Fatalf("Verify = %q, %v; want the challenge", user, err)
	}
}

func TestDigestEqual(t *testing.T) {
	var zero, one, last, first [32]byte
	for i := range one {
		one[i] = 0xff
	}
	last[31], first[0] = 1, 1
	for _, tc := range []struct {
		name string
		a, b *[32]byte
		want bool
	}{
		{name: "equal zero", a: &zero, b: &zero, want: true},
		{name: "equal ones", a: &one, b: &one, want: true},
		{name: "differ in last byte", a: &zero, b: &last},
		{name: "differ in first byte", a: &zero, b: &first},
		{name: "differ everywhere", a: &zero, b: &one},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := digestEqual(tc.a, tc.b); got != tc.want {
				t.Fatalf("digestEqual = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestChallenge(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method Method
		header string
	}{
		{name: "basic", method: Basic, header: "WWW-Authenticate: Basic realm=\"sensors\", charset=\"UTF-8\"\r\n"},
		{name: "token", method: Token, header: "WWW-Authenticate: Bearer realm=\"sensors\"\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := authenticator(t, tc.method).Challenge()
			if c.Status != 401 || c.Header != tc.header {
				t.Fatalf("challenge %d %q, want 401 %q", c.Status, c.Header, tc.header)
			}
			resp := string(c.Response())
			if !strings.HasPrefix(resp, "HTTP/1.1 401 Unauthorized\r\n") || !strings.Contains(resp, "\r\n"+tc.header) {
				t.Fatalf("response %q", resp)
			}
		})
	}
	if c := authenticator(t, None).Challenge(); c != nil {
		t.Fatalf("none: challenge %v, want nil", c)
	}
}

func TestNilAuthenticator(t *testing.T) {
	var a *Authenticator
	if a.Method() != None || a.Challenge() != nil || a.NeedsSlowCheck([]byte(basicAuth("a", "b"))) || a.UnknownUsers() != nil {
		t.Fatal("nil Authenticator is not method none")
	}
	if user, err := a.Verify([]byte("Bearer x"), nil); user != "" || err != nil {
		t.Fatalf("Verify = %q, %v; want \"\", nil", user, err)
	}
	if a.String() != "auth none" {
		t.Fatalf("String = %q", a.String())
	}
}

// TestFormatting checks that printing an Authenticator shows no hash.
func TestFormatting(t *testing.T) {
	for _, m := range []Method{Basic, Token, None} {
		a := authenticator(t, m)
		s := fmt.Sprintf("%v %+v %s %#v", a, a, a, a)
		assertNoSecret(t, "formatted Authenticator", s)
		if !strings.Contains(s, "auth "+m.String()) {
			t.Errorf("%s: formatted as %q", m, s)
		}
	}
}

func TestIsBearerProtocol(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    string
		want bool
	}{
		{name: "token", p: "bearer.abc", want: true},
		{name: "upper case", p: "BEARER.abc", want: true},
		{name: "mixed case", p: "Bearer.abc", want: true},
		{name: "empty token", p: "bearer.", want: true},
		{name: "no dot", p: "bearer", want: false},
		{name: "other", p: "chat", want: false},
		{name: "suffix only", p: "x.bearer.abc", want: false},
		{name: "empty", p: "", want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsBearerProtocol([]byte(tc.p)); got != tc.want {
				t.Fatalf("IsBearerProtocol(%q) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestParseMethod(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Method
		err  error
	}{
		{name: "empty", in: "", want: None},
		{name: "none", in: "none", want: None},
		{name: "basic", in: "basic", want: Basic},
		{name: "token", in: "token", want: Token},
		{name: "upper case", in: "Basic", err: ErrUnknownMethod},
		{name: "other", in: "oauth", err: ErrUnknownMethod},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMethod(tc.in)
			if m != tc.want || err != tc.err {
				t.Fatalf("ParseMethod(%q) = %v, %v; want %v, %v", tc.in, m, err, tc.want, tc.err)
			}
			if err == nil && tc.in != "" && m.String() != tc.in {
				t.Fatalf("String() = %q, want %q", m.String(), tc.in)
			}
		})
	}
	if s := Method(9).String(); s != "unknown" {
		t.Fatalf("Method(9).String() = %q", s)
	}
}

func TestHashToken(t *testing.T) {
	// SHA-256("abc"), FIPS 180-2 appendix B.1.
	if got := HashToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashToken(abc) = %s", got)
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword(alicePW)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := bcryptCost([]byte(h)); !ok || c != PasswordCost {
		t.Fatalf("hash %q: cost %d (valid %v), want %d", h, c, ok, PasswordCost)
	}
	a, err := build(Basic, "f", []byte("alice:"+h+"\n"), nil, "app")
	if err != nil {
		t.Fatal(err)
	}
	if user, err := a.Verify([]byte(basicAuth("alice", alicePW)), nil); err != nil || user != "alice" {
		t.Fatalf("Verify = %q, %v; want alice", user, err)
	}
	if _, err := HashPassword(strings.Repeat("x", 73)); err == nil {
		t.Fatal("HashPassword accepted 73 bytes")
	} else {
		assertNoSecret(t, "error", err.Error(), strings.Repeat("x", 73))
	}
}

func TestCache(t *testing.T) {
	compares := countCompares(t)
	a := fixture(t)
	resetCache(a)
	clock := time.Now()
	a.cache.now = func() time.Time { return clock }
	t.Cleanup(func() { a.cache.now = time.Now })
	good := []byte(basicAuth("alice", alicePW))

	steps := []struct {
		name     string
		advance  time.Duration
		authz    []byte
		status   int
		compares int
		entries  int
	}{
		{name: "first login runs bcrypt", authz: good, compares: 1, entries: 1},
		{name: "second login is cached", authz: good, compares: 0, entries: 1},
		{name: "other spelling of the same credentials is cached", authz: []byte("basic   " + string(good[6:])), compares: 0, entries: 1},
		{name: "wrong password is not cached", authz: []byte(basicAuth("alice", "x")), status: 401, compares: 1, entries: 1},
		{name: "wrong password again runs bcrypt", authz: []byte(basicAuth("alice", "x")), status: 401, compares: 1, entries: 1},
		{name: "unknown user is not cached", authz: []byte(basicAuth("mallory", alicePW)), status: 401, compares: 1, entries: 1},
		{name: "not permitted is cached and still 403", authz: []byte(basicAuth("bob", bobPW)), status: 403, compares: 1, entries: 2},
		{name: "not permitted again", authz: []byte(basicAuth("bob", bobPW)), status: 403, compares: 0, entries: 2},
		{name: "still cached just before expiry", advance: cacheTTL - time.Second, authz: good, compares: 0, entries: 2},
		{name: "hits do not extend", advance: time.Second, authz: good, compares: 1, entries: 2},
		{name: "cached again after the new check", advance: time.Second, authz: good, compares: 0, entries: 2},
	}
	for _, s := range steps {
		clock = clock.Add(s.advance)
		*compares = 0
		_, err := a.Verify(s.authz, nil)
		var want error
		switch s.status {
		case 401:
			want = a.Challenge()
		case 403:
			want = handshake.ErrForbidden
		}
		if err != want || *compares != s.compares || a.cache.len() != s.entries {
			t.Fatalf("%s: err %v, %d comparisons, %d entries; want %v, %d, %d",
				s.name, err, *compares, a.cache.len(), want, s.compares, s.entries)
		}
		if slow := a.NeedsSlowCheck(s.authz); slow != (s.status == 401) {
			t.Fatalf("%s: NeedsSlowCheck after Verify = %v", s.name, slow)
		}
	}

	// A reload is a new Authenticator: an empty cache with its own salt.
	b, err := build(Basic, "basic.txt", []byte(fixtures.basicFile), []string{"alice"}, "sensors")
	if err != nil {
		t.Fatal(err)
	}
	if !b.NeedsSlowCheck(good) {
		t.Fatal("new Authenticator has a cached entry")
	}
	var ba, bb basicBuf
	_, _, ka, _ := a.basicKey(good, &ba)
	_, _, kb, _ := b.basicKey(good, &bb)
	if ka == kb {
		t.Fatal("two Authenticators share the cache salt")
	}
}

func TestCacheBound(t *testing.T) {
	c := newSuccessCache()
	clock := time.Now()
	c.now = func() time.Time { return clock }
	key := func(i int) *cacheKey {
		var k cacheKey
		k[0], k[1], k[2] = byte(i), byte(i>>8), 0xaa
		return &k
	}
	for i := 0; i < cacheSize; i++ {
		c.add(key(i))
	}
	if c.len() != cacheSize {
		t.Fatalf("%d entries, want %d", c.len(), cacheSize)
	}
	c.add(key(cacheSize)) // full, nothing expired: one arbitrary entry goes
	if c.len() != cacheSize || !c.hit(key(cacheSize)) {
		t.Fatalf("%d entries after adding to a full cache (newest hit: %v)", c.len(), c.hit(key(cacheSize)))
	}
	c.add(key(cacheSize)) // already present: nothing is dropped
	if c.len() != cacheSize {
		t.Fatalf("%d entries after re-adding", c.len())
	}
	clock = clock.Add(cacheTTL)
	c.add(key(cacheSize + 1)) // full of expired entries: all go
	if c.len() != 1 || !c.hit(key(cacheSize+1)) || c.hit(key(cacheSize)) {
		t.Fatalf("%d entries after expiry, want 1", c.len())
	}
}

// TestConcurrentVerify runs Verify from several goroutines on one
// Authenticator (the engine's workers do), for the race detector.
func TestConcurrentVerify(t *testing.T) {
	a := fixture(t)
	tok := authenticator(t, Token)
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			var err error
			for i := 0; i < 20 && err == nil; i++ {
				if user, e := a.Verify([]byte(basicAuth("alice", alicePW)), nil); e != nil || user != "alice" {
					err = fmt.Errorf("basic: %q, %v", user, e)
				}
				if user, e := tok.Verify(nil, [][]byte{[]byte("bearer." + aliceToken)}); e != nil || user != "alice" {
					err = fmt.Errorf("token: %q, %v", user, e)
				}
			}
			done <- err
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, tc := range verifyCases {
		b.Run(tc.name, func(b *testing.B) {
			a := authenticator(b, tc.method)
			authz, protos := []byte(tc.authorization), lines(tc.protocols)
			a.Verify(authz, protos) // successful Basic logins are cached from here on
			b.ReportAllocs()
			for b.Loop() {
				a.Verify(authz, protos)
			}
		})
	}
}

// BenchmarkVerifyBasicUncached is a first login against a hash of
// HashPassword's cost: the work NeedsSlowCheck sends to a worker.
func BenchmarkVerifyBasicUncached(b *testing.B) {
	h, err := HashPassword(alicePW)
	if err != nil {
		b.Fatal(err)
	}
	a, err := build(Basic, "f", []byte("alice:"+h), nil, "app")
	if err != nil {
		b.Fatal(err)
	}
	authz := []byte(basicAuth("alice", alicePW))
	b.ReportAllocs()
	for b.Loop() {
		resetCache(a)
		if _, err := a.Verify(authz, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNeedsSlowCheck(b *testing.B) {
	a := fixture(b)
	authz := []byte(basicAuth("alice", alicePW))
	b.ReportAllocs()
	for b.Loop() {
		a.NeedsSlowCheck(authz)
	}
}
