package engine

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/internal/auth"
)

// authApps registers two echo applications on both listeners: /token (token auth, users
// alice and bob permitted) and /basic (basic auth, only alice permitted).
func authApps(t *testing.T) func(*Server) {
	t.Helper()
	dir := t.TempDir()
	tokens := fmt.Sprintf("alice:%s\nbob:%s\ncarol:%s\n", auth.HashToken("tok-alice"), auth.HashToken("tok-bob"), auth.HashToken("tok-carol"))
	tokenFile := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokenFile, []byte(tokens), 0o600); err != nil {
		t.Fatal(err)
	}
	var pw strings.Builder
	for _, u := range []string{"alice", "bob"} {
		h, err := auth.HashPassword("pw-" + u)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&pw, "%s:%s\n", u, h)
	}
	pwFile := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(pwFile, []byte(pw.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenAuth, err := auth.Load(auth.Token, tokenFile, []string{"alice", "bob"}, "token")
	if err != nil {
		t.Fatal(err)
	}
	basicAuth, err := auth.Load(auth.Basic, pwFile, []string{"alice"}, "basic")
	if err != nil {
		t.Fatal(err)
	}
	return func(s *Server) {
		for _, spec := range []apps.Spec{
			{Name: "token", Path: "/token", Scope: []string{"http", "ws"}, Subprotocols: []string{"chat"}, Auth: tokenAuth},
			{Name: "basic", Path: "/basic", Scope: []string{"http", "ws"}, Auth: basicAuth},
		} {
			if err := s.Register(spec, builtin.Echo{}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func basicHeader(user, pw string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

// TestAuthRows covers row 12 on both listener kinds: 401 with a challenge for missing or
// wrong credentials, 403 for a valid user not permitted, 101 otherwise; a token passed as a
// subprotocol is never echoed.
func TestAuthRows(t *testing.T) {
	srv := startServer(t, nil, authApps(t))
	cases := []struct {
		name      string
		req       string
		status    int
		challenge string // WWW-Authenticate prefix on 401
		protocol  string // Sec-WebSocket-Protocol answered on 101
	}{
		{name: "token missing", req: upgradeRequest("/token"), status: 401, challenge: "Bearer"},
		{name: "token wrong", req: upgradeRequest("/token", "Authorization: Bearer nope"), status: 401, challenge: "Bearer"},
		{name: "token in header", req: upgradeRequest("/token", "Authorization: Bearer tok-alice"), status: 101},
		{name: "token as subprotocol", req: upgradeRequest("/token", "Sec-WebSocket-Protocol: bearer.tok-bob, chat"), status: 101, protocol: "chat"},
		{name: "token as only subprotocol", req: upgradeRequest("/token", "Sec-WebSocket-Protocol: bearer.tok-bob"), status: 101, protocol: ""},
		{name: "token not permitted", req: upgradeRequest("/token", "Authorization: Bearer tok-carol"), status: 403},
		{name: "basic missing", req: upgradeRequest("/basic"), status: 401, challenge: "Basic"},
		{name: "basic wrong password", req: upgradeRequest("/basic", basicHeader("alice", "wrong")), status: 401, challenge: "Basic"},
		{name: "basic unknown user", req: upgradeRequest("/basic", basicHeader("mallory", "pw")), status: 401, challenge: "Basic"},
		{name: "basic ok", req: upgradeRequest("/basic", basicHeader("alice", "pw-alice")), status: 101},
		{name: "basic ok again (cached)", req: upgradeRequest("/basic", basicHeader("alice", "pw-alice")), status: 101},
		{name: "basic not permitted", req: upgradeRequest("/basic", basicHeader("bob", "pw-bob")), status: 403},
		{name: "bad key before auth", req: strings.Replace(upgradeRequest("/basic"), "dGhlIHNhbXBsZSBub25jZQ==", "x", 1), status: 400},
	}
	for _, tc := range cases {
		for _, listener := range []string{"http", "ws"} {
			t.Run(listener+"/"+tc.name, func(t *testing.T) {
				r := roundTrip(t, srv.Addr(listener), tc.req, 0)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d (%q)", r.status, tc.status, r.body)
				}
				if tc.challenge != "" && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), tc.challenge) {
					t.Errorf("WWW-Authenticate %q, want %s...", r.header.Get("WWW-Authenticate"), tc.challenge)
				}
				if r.status >= 400 && (!r.closed || !r.connClose) {
					t.Errorf("refusal not closed")
				}
				if r.status == 101 && r.header.Get("Sec-WebSocket-Protocol") != tc.protocol {
					t.Errorf("subprotocol %q, want %q", r.header.Get("Sec-WebSocket-Protocol"), tc.protocol)
				}
				for _, secret := range []string{"tok-", "pw-"} {
					if strings.Contains(r.body, secret) || strings.Contains(fmt.Sprint(r.header), secret) {
						t.Errorf("response carries a secret: %v %q", r.header, r.body)
					}
				}
			})
		}
	}
}

// TestBasicAuthOffLoop: a bcrypt check runs on a worker while the loop keeps serving others.
func TestBasicAuthOffLoop(t *testing.T) {
	srv := startServer(t, nil, authApps(t))
	echoErr := make(chan error, 1)
	go func() { // echo keeps upgrading while the password is checked
		for range 20 {
			c, _, err := websocket.DefaultDialer.Dial("ws://"+srv.Addr("ws")+"/echo", nil)
			if err != nil {
				echoErr <- err
				return
			}
			c.Close()
		}
		echoErr <- nil
	}()
	if r := roundTrip(t, srv.Addr("ws"), upgradeRequest("/basic", basicHeader("alice", "pw-alice")), 0); r.status != 101 {
		t.Fatalf("basic: %d", r.status)
	}
	if err := <-echoErr; err != nil {
		t.Fatalf("echo during the check: %v", err)
	}
}
