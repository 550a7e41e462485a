//go:build !race

package auth

import "testing"

// TestAllocations asserts that everything the engine runs on the event loop
// allocates nothing: token checks, cached Basic checks, refusals of malformed
// credentials, NeedsSlowCheck and IsBearerProtocol. (A bcrypt comparison
// allocates; it runs on a worker.)
func TestAllocations(t *testing.T) {
	basic, token := authenticator(t, Basic), authenticator(t, Token)
	good := []byte(basicAuth("alice", alicePW))
	basic.Verify(good, nil) // cache it
	var tests []struct {
		name string
		fn   func()
	}
	add := func(name string, fn func()) {
		tests = append(tests, struct {
			name string
			fn   func()
		}{name, fn})
	}
	for _, tc := range verifyCases {
		if tc.bcrypt && tc.status != 0 {
			continue // bcrypt on every call: not a loop path
		}
		a, authz, protos := authenticator(t, tc.method), []byte(tc.authorization), lines(tc.protocols)
		add("Verify "+tc.name, func() { a.Verify(authz, protos) })
	}
	add("NeedsSlowCheck cached", func() { basic.NeedsSlowCheck(good) })
	add("NeedsSlowCheck uncached", func() { basic.NeedsSlowCheck([]byte("Basic YWxpY2U6eA==")) })
	add("NeedsSlowCheck token", func() { token.NeedsSlowCheck(good) })
	bearer := []byte("bearer.abc")
	add("IsBearerProtocol", func() { IsBearerProtocol(bearer) })

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn() // warm up (caches successful Basic logins)
			if n := testing.AllocsPerRun(100, tc.fn); n != 0 {
				t.Fatalf("%v allocations per run, want 0", n)
			}
		})
	}
}
