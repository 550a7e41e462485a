package auth

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/wsgate/wsgate/handshake"
)

// FuzzVerify feeds arbitrary Authorization and Sec-WebSocket-Protocol values
// to every method. Verify must never panic, must answer only with success,
// the challenge or 403, and must accept only names from the file. The Basic
// parser is checked against net/http's Request.BasicAuth as an oracle: what
// net/http decodes (within the length limits) must decode to the same
// user-id and password here.
func FuzzVerify(f *testing.F) {
	for _, tc := range verifyCases {
		f.Add(tc.authorization, joinProtocols(tc.protocols))
	}
	f.Add("Basic "+string(bytes.Repeat([]byte("A"), 1000)), "")
	f.Add("Basic \nYWxpY2U6eA==", "bearer.\x00")
	f.Add("Bearer \xff\xfe", ",,, bearer.x ,")

	fixture(f)
	f.Fuzz(func(t *testing.T, authorization, protocol string) {
		authz, protos := []byte(authorization), [][]byte{[]byte(protocol)}
		for _, m := range []Method{None, Basic, Token} {
			a := authenticator(t, m)
			slow := a.NeedsSlowCheck(authz)
			user, err := a.Verify(authz, protos)
			switch {
			case err == nil && m == None:
				if user != "" {
					t.Fatalf("none: user %q", user)
				}
			case err == nil || err == handshake.ErrForbidden:
				if e := a.names[user]; e == nil || e.permitted != (err == nil) {
					t.Fatalf("%v: user %q with %v", m, user, err)
				}
			case err == a.Challenge():
				if user != "" {
					t.Fatalf("%v: user %q with the challenge", m, user)
				}
			default:
				t.Fatalf("%v: unexpected error %v", m, err)
			}
			if slow && m != Basic {
				t.Fatalf("%v: NeedsSlowCheck", m)
			}
			if string(authz) != authorization || string(protos[0]) != protocol {
				t.Fatal("arguments modified")
			}
		}

		r := http.Request{Header: http.Header{"Authorization": {authorization}}}
		u, p, ok := r.BasicAuth()
		if !ok || len(u) > maxName || len(p) > maxPassword {
			return
		}
		var buf [maxDecoded]byte
		n, colon, ok := decodeBasic(authz, buf[:])
		if !ok || string(buf[:colon]) != u || string(buf[colon+1:n]) != p {
			t.Fatalf("decodeBasic(%q) = %q, %q, %v; net/http: %q, %q", authorization, buf[:colon], buf[colon+1:n], ok, u, p)
		}
	})
}

func joinProtocols(ps []string) string {
	var b []byte
	for i, p := range ps {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, p...)
	}
	return string(b)
}
