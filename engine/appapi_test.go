package engine

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/builtin"
)

// TestRefuseFromHandshake: an application refuses with a status and headers of its choice,
// answered as a one-line text/plain body with Connection: close and then closed; an invalid
// refusal is a 500, ErrDeclined stays 503 and any other error 500.
func TestRefuseFromHandshake(t *testing.T) {
	refusals := map[string]error{
		"unauthorized": apps.Refuse(401, "Unauthorized", "WWW-Authenticate", `Bearer realm="chat"`),
		"forbidden":    apps.Refuse(403, "Forbidden"),
		"missing":      apps.Refuse(404, "No such room"),
		"slowdown":     apps.Refuse(429, "Too Many Requests", "Retry-After", "30"),
		"maintenance":  apps.Refuse(503, "Down for maintenance", "Retry-After", "120"),
		"invalid":      apps.Refuse(200, "OK"),
		"injection":    apps.Refuse(401, "Unauthorized", "X-A", "b\r\nSet-Cookie: x=y"),
		"wrapped":      fmt.Errorf("room full: %w", apps.ErrDeclined),
		"plain":        errors.New("backend down"),
	}
	srv := startServer(t, nil, func(s *Server) {
		for name, err := range refusals {
			err := err
			if e := s.Register(apps.Spec{Name: name, Path: "/" + name}, apps.Funcs{
				Handshake: func(*apps.Handshake) error { return err },
			}); e != nil {
				t.Fatal(e)
			}
		}
	})
	cases := []struct {
		path   string
		status int
		body   string
		header map[string]string
	}{
		{"/unauthorized", 401, "Unauthorized", map[string]string{"WWW-Authenticate": `Bearer realm="chat"`}},
		{"/forbidden", 403, "Forbidden", nil},
		{"/missing", 404, "No such room", nil},
		{"/slowdown", 429, "Too Many Requests", map[string]string{"Retry-After": "30"}},
		{"/maintenance", 503, "Down for maintenance", map[string]string{"Retry-After": "120"}},
		{"/invalid", 500, "Internal Server Error", nil},
		{"/injection", 500, "Internal Server Error", map[string]string{"Set-Cookie": ""}},
		{"/wrapped", 503, "Connection declined", nil},
		{"/plain", 500, "Internal Server Error", nil},
	}
	for _, listener := range []string{"http", "ws"} {
		for _, tc := range cases {
			t.Run(listener+tc.path, func(t *testing.T) {
				r := roundTrip(t, srv.Addr(listener), upgradeRequest(tc.path), 0)
				if r.status != tc.status || r.body != tc.body || !r.connClose || !r.closed {
					t.Fatalf("status %d body %q close %v closed %v; want %d %q, closed", r.status, r.body, r.connClose, r.closed, tc.status, tc.body)
				}
				if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
					t.Fatalf("Content-Type %q", ct)
				}
				for k, v := range tc.header {
					if got := r.header.Get(k); got != v {
						t.Fatalf("%s: %q, want %q", k, got, v)
					}
				}
			})
		}
	}
}

// headerAuth is an embedder's own Authenticator: a fixed bearer token per user.
type headerAuth map[string]string

func (headerAuth) NeedsSlowCheck([]byte) bool { return false }

func (a headerAuth) Verify(authorization []byte, _ [][]byte) (string, error) {
	if u, ok := a[string(authorization)]; ok {
		return u, nil
	}
	return "", apps.Refuse(401, "Unauthorized", "WWW-Authenticate", `Bearer realm="t"`)
}

// TestConnCarriesTheHandshake: the authenticated user, the path, the query and the value
// the handshake attached are readable from Conn in every callback.
func TestConnCarriesTheHandshake(t *testing.T) {
	type session struct{ device string }
	srv := startServer(t, nil, func(s *Server) {
		err := s.Register(apps.Spec{Name: "who", Path: "/who", Auth: headerAuth{"Bearer t-alice": "alice"}}, apps.Funcs{
			Handshake: func(h *apps.Handshake) error {
				h.SetValue(&session{device: string(h.Header("X-Device"))})
				return nil
			},
			Message: func(c apps.Conn, t apps.MessageType, _ []byte) {
				s, _ := c.Value().(*session)
				c.WriteMessage(t, fmt.Appendf(nil, "%s %s %s %s", c.User(), c.Path(), c.Query(), s.device))
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Register(apps.Spec{Name: "anon", Path: "/anon"}, apps.Funcs{
			Open: func(c apps.Conn) {
				c.WriteMessage(apps.Text, fmt.Appendf(nil, "%q %q %q %v", c.User(), c.Path(), c.Query(), c.Value()))
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	c, _ := dial(t, srv.Addr("ws"), "/who?room=7&x=%20", http.Header{"Authorization": {"Bearer t-alice"}, "X-Device": {"tv"}})
	c.WriteMessage(websocket.TextMessage, []byte("?"))
	if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "alice /who room=7&x=%20 tv" {
		t.Fatalf("%q %v", msg, err)
	}
	a, _ := dial(t, srv.Addr("http"), "/anon", nil)
	if _, msg, err := a.ReadMessage(); err != nil || string(msg) != `"" "/anon" "" <nil>` {
		t.Fatalf("%q %v", msg, err)
	}
	r := roundTrip(t, srv.Addr("ws"), upgradeRequest("/who", "Authorization: Bearer wrong"), 0)
	if r.status != 401 || r.header.Get("WWW-Authenticate") != `Bearer realm="t"` {
		t.Fatalf("wrong token: %d %v", r.status, r.header)
	}
}

// TestValueFromManyGoroutines: the application's goroutines and the loop use Value and
// SetValue at once (the race detector checks it), and the last value set is what is read.
func TestValueFromManyGoroutines(t *testing.T) {
	opened := make(chan apps.Conn, 1)
	srv := startServer(t, nil, withApp(t, apps.Spec{Name: "val", Path: "/val"}, apps.Funcs{
		Open: func(c apps.Conn) { opened <- c },
		Message: func(c apps.Conn, t apps.MessageType, _ []byte) {
			n, _ := c.Value().(int)
			c.WriteMessage(t, fmt.Appendf(nil, "%d", n))
		},
	}))
	ws, _ := dial(t, srv.Addr("http"), "/val", nil)
	c := <-opened
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				c.SetValue(g*1000 + i)
				_ = c.Value()
			}
		}()
	}
	for range 20 {
		ws.WriteMessage(websocket.TextMessage, nil)
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	c.SetValue(42)
	ws.WriteMessage(websocket.TextMessage, nil)
	if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "42" {
		t.Fatalf("%q %v", msg, err)
	}
	c.SetValue(nil)
	if c.Value() != nil {
		t.Fatal("nil not kept")
	}
}

// TestUnregisterClosesItsConnections: removing an application closes its clients with 1001
// and routes its path nowhere, leaves other applications' clients alone, and a new
// registration under the same name counts the connections from zero again once they are
// gone.
func TestUnregisterClosesItsConnections(t *testing.T) {
	srv := startServer(t, nil, withApp(t, apps.Spec{Name: "gone", Path: "/gone"}, builtin.Echo{}))
	a, _ := dial(t, srv.Addr("ws"), "/gone", nil)
	b, _ := dial(t, srv.Addr("http"), "/gone", nil)
	other, _ := dial(t, srv.Addr("ws"), "/echo", nil)
	waitFor(t, "two connections", func() bool { return appConns(srv, "gone") == 2 })
	if err := srv.Unregister("gone"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*websocket.Conn{a, b} {
		_, _, err := c.ReadMessage()
		if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Fatalf("read after Unregister: %v, want close 1001", err)
		}
	}
	if r := roundTrip(t, srv.Addr("ws"), upgradeRequest("/gone"), 0); r.status != 404 {
		t.Fatalf("removed path: %d", r.status)
	}
	other.WriteMessage(websocket.TextMessage, []byte("still here"))
	if _, msg, err := other.ReadMessage(); err != nil || string(msg) != "still here" {
		t.Fatalf("other application disturbed: %q %v", msg, err)
	}
	if err := srv.Unregister("gone"); !errors.Is(err, apps.ErrUnknownApp) {
		t.Fatalf("second Unregister: %v", err)
	}
	if err := srv.Register(apps.Spec{Name: "gone", Path: "/back"}, builtin.Echo{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "count back to zero", func() bool { return appConns(srv, "gone") == 0 })
	dial(t, srv.Addr("ws"), "/back", nil)
	waitFor(t, "one connection", func() bool { return appConns(srv, "gone") == 1 })
}

// TestRegisterErrors: registration errors wrap the apps errors and name the application.
func TestRegisterErrors(t *testing.T) {
	srv := startServer(t, nil, nil)
	cases := []struct {
		spec apps.Spec
		want error
	}{
		{apps.Spec{Name: "echo", Path: "/other"}, apps.ErrDuplicateName},
		{apps.Spec{Name: "x", Path: "/echo"}, apps.ErrDuplicatePath},
		{apps.Spec{Name: "x", Path: "/x", Scope: []string{"nope"}}, apps.ErrBadSpec},
		{apps.Spec{Name: "x", Path: "/x", Origins: []string{"https://a/b"}}, apps.ErrBadSpec},
		{apps.Spec{Name: "bad name", Path: "/x"}, apps.ErrBadSpec},
	}
	for _, tc := range cases {
		if err := srv.Register(tc.spec, builtin.Echo{}); !errors.Is(err, tc.want) {
			t.Errorf("Register(%+v) = %v, want %v", tc.spec, err, tc.want)
		}
	}
}

// appConns is the connection count Server.Applications reports for name, -1 if absent.
func appConns(s *Server, name string) int64 {
	for _, a := range s.Applications() {
		if a.Name == name {
			return a.Connections
		}
	}
	return -1
}
