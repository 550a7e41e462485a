package pubsub_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/auth"
)

// withTokenAuth makes the application require bearer tokens: "<name>-token" for each name.
func withTokenAuth(t *testing.T, names ...string) gwOption {
	var lines []string
	for _, n := range names {
		lines = append(lines, n+":"+auth.HashToken(n+"-token"))
	}
	file := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := auth.Load(auth.Token, file, nil, "ps")
	if err != nil {
		t.Fatal(err)
	}
	return func(_ *engine.Options, s *apps.Spec) { s.Auth = a }
}

func bearer(name string) http.Header {
	return http.Header{"Authorization": {"Bearer " + name + "-token"}}
}

// With auth, per-user topic rules (%u = the user) decide subscribes and publishes; a
// refused one is an error answer, never a silent drop.
func TestACL(t *testing.T) {
	acl, err := pubsub.ParseACL(strings.NewReader(`
# user  sub|pub  pattern
alice   sub      sensors/#
*       sub      users/%u/#
*       pub      users/%u/+
bob     pub      sensors/bob
`))
	if err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, pubsub.Options{ClientPublish: true, ACL: acl}, withTokenAuth(t, "alice", "bob"))
	alice := g.dialEnv(t, "", bearer("alice"))
	bob := g.dialEnv(t, "", bearer("bob"))
	tests := []struct {
		name string
		c    *client
		req  string
		ok   bool
	}{
		{"alice subscribes sensors/#", alice, `{"type":"subscribe","topic":"sensors/#"}`, true},
		{"alice subscribes within sensors", alice, `{"type":"subscribe","topic":"sensors/+/t"}`, true},
		{"alice subscribes all", alice, `{"type":"subscribe","topic":"#"}`, false},
		{"alice subscribes her own", alice, `{"type":"subscribe","topic":"users/alice/inbox"}`, true},
		{"alice subscribes bob's", alice, `{"type":"subscribe","topic":"users/bob/inbox"}`, false},
		{"alice subscribes every user's", alice, `{"type":"subscribe","topic":"users/+/inbox"}`, false},
		{"bob subscribes sensors", bob, `{"type":"subscribe","topic":"sensors/#"}`, false},
		{"bob subscribes his own", bob, `{"type":"subscribe","topic":"users/bob/#"}`, true},
		{"bob publishes to alice", bob, `{"type":"publish","topic":"users/alice/inbox","data":1}`, false},
		{"bob publishes to himself", bob, `{"type":"publish","topic":"users/bob/inbox","data":1}`, true},
		{"bob publishes a sensor", bob, `{"type":"publish","topic":"sensors/bob","data":2}`, true},
		{"alice publishes a sensor", alice, `{"type":"publish","topic":"sensors/bob","data":3}`, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.t = t
			id := strconv.Itoa(i)
			req := strings.TrimSuffix(tt.req, "}") + `,"id":` + id + `}`
			want := `{"type":"ack","id":` + id + `}`
			if !tt.ok {
				want = `{"type":"error","id":` + id + `,"error":"not allowed"}`
			}
			tt.c.send(req)
			for {
				got := tt.c.readText()
				if strings.Contains(got, `"message"`) {
					continue // a delivery of an earlier publish
				}
				if !jsonEqual(got, want) {
					t.Fatalf("got %s, want %s", got, want)
				}
				break
			}
		})
	}
	// URL topics obey the rules too: a refused one refuses the upgrade with 403.
	if body := g.refused(t, "?topic=sensors/x", bearer("bob"), 403); !strings.Contains(body, "not allowed") {
		t.Errorf("body %q", body)
	}
	g.dialRaw(t, "?topic=users/bob/x", bearer("bob"))
}

func TestParseACLErrors(t *testing.T) {
	for _, in := range []string{"alice sub", "alice read a/b", "alice sub a/#/b", "alice pub a b c"} {
		if _, err := pubsub.ParseACL(strings.NewReader(in)); err == nil {
			t.Errorf("ParseACL(%q) accepted", in)
		}
	}
}

// A connection has at most max_subscriptions; past it, an error answer.
func TestMaxSubscriptions(t *testing.T) {
	g := startGateway(t, pubsub.Options{MaxSubscriptions: 3})
	c := g.dialEnv(t, "?topic=u", nil)
	c.request(`{"type":"subscribe","topic":"a","id":1}`, `{"type":"ack","id":1}`)
	c.request(`{"type":"subscribe","topic":"b","id":2}`, `{"type":"ack","id":2}`)
	c.request(`{"type":"subscribe","topic":"c","id":3}`, `{"type":"error","id":3,"error":"subscription limit reached"}`)
	c.request(`{"type":"subscribe","topic":"a","id":4}`, `{"type":"ack","id":4}`) // held already
	c.request(`{"type":"unsubscribe","topic":"a","id":5}`, `{"type":"ack","id":5}`)
	c.request(`{"type":"subscribe","topic":"c","id":6}`, `{"type":"ack","id":6}`)
	// Too many URL topics: the upgrade is refused with 400.
	if body := g.refused(t, "?topic=1&topic=2&topic=3&topic=4", nil, 400); !strings.Contains(body, "max_subscriptions") {
		t.Errorf("body %q", body)
	}
}

// Past the message rate (burst = rate) the connection is closed with 1008; other clients
// go on.
func TestMessageRate(t *testing.T) {
	g := startGateway(t, pubsub.Options{MaxMessageRate: 5})
	c := g.dialEnv(t, "", nil)
	other := g.dialEnv(t, "?topic=x", nil)
	for i := 0; i < 50; i++ {
		if err := c.ws.WriteMessage(1, []byte(`{"type":"unsubscribe","topic":"q"}`)); err != nil {
			break // closed under us
		}
	}
	if reason := c.expectClose(1008); reason != "message rate exceeded" {
		t.Errorf("reason %q", reason)
	}
	other.sync()
	g.publish(t, "x", pubsub.JSON, "1", false)
	other.expect(`{"type":"message","topic":"x","data":1}`)
}

// A bad ?topic= (or query) refuses the upgrade with 400, saying why.
func TestBadURLTopic(t *testing.T) {
	g := startGateway(t, pubsub.Options{})
	for _, tt := range []struct{ query, want string }{
		{"?topic=a/%23/b", "'+' must be a whole level"},
		{"?topic=%FF", "not valid UTF-8"},
		{"?topic=", "empty topic"},
		{"?topic=a%00", "NUL"},
		{"?topic=" + strings.Repeat("a", 257), "longer than 256"},
		{"?topic=a&retain=maybe", "retain must be"},
		{"?topic=%zz", "malformed query"},
	} {
		if body := g.refused(t, tt.query, nil, 400); !strings.Contains(body, tt.want) {
			t.Errorf("%.40s: body %q, want %q", tt.query, body, tt.want)
		}
	}
}
