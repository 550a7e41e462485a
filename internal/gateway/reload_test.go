package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/internal/auth"
)

// TestReloadUnderLoad: 200 clients of three applications while one is removed and one
// added. A publisher of the broadcast application sends throughout the reload and each of
// its 99 receivers counts every message, in order; the echo clients go on round-tripping;
// the removed application's clients get 1001; the added one serves; the unchanged
// applications keep their connection counts.
func TestReloadUnderLoad(t *testing.T) {
	const (
		receivers = 99
		echoers   = 50
		olds      = 50
		head      = 100 // messages before the reload starts
		tail      = 50  // messages after it returned
	)
	before := listeners + app("news", "broadcast", "/news", `scope = ["ws"]`) +
		app("echo", "echo", "/echo", `scope = ["ws"]`) + app("old", "broadcast", "/old", `scope = ["ws"]`)
	after := listeners + app("news", "broadcast", "/news", `scope = ["ws"]`) +
		app("echo", "echo", "/echo", `scope = ["ws"]`) + app("chat", "echo", "/chat", `scope = ["ws"]`)
	g := startGateway(t, before)
	addr := g.Server.Addr("ws")

	pub := mustDial(t, addr, "/news", nil)
	recv := make([]*websocket.Conn, receivers)
	for i := range recv {
		recv[i] = mustDial(t, addr, "/news", nil)
	}
	echo := make([]*websocket.Conn, echoers)
	for i := range echo {
		echo[i] = mustDial(t, addr, "/echo", nil)
	}
	old := make([]*websocket.Conn, olds)
	for i := range old {
		old[i] = mustDial(t, addr, "/old", nil)
	}
	// Every receiver is a member before the first message (OnOpen runs after the 101).
	news := g.App("news").(*builtin.Broadcast)
	for deadline := time.Now().Add(10 * time.Second); news.Members() < receivers+1; {
		if time.Now().After(deadline) {
			t.Fatalf("members: %d", news.Members())
		}
		time.Sleep(5 * time.Millisecond)
	}

	var wg sync.WaitGroup
	errs := make(chan error, receivers+echoers+olds+1)
	counts := make([]int, receivers)
	for i, c := range recv {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				_, got, err := c.ReadMessage()
				if err != nil {
					errs <- fmt.Errorf("receiver %d after %d messages: %w", i, n, err)
					return
				}
				if string(got) == "end" {
					counts[i] = n
					return
				}
				if string(got) != strconv.Itoa(n) {
					errs <- fmt.Errorf("receiver %d: message %q, want %d", i, got, n)
					return
				}
			}
		}()
	}
	reloaded := make(chan struct{})
	for i, c := range echo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n, after := 0, 0; after < 3; n++ {
				select {
				case <-reloaded:
					after++
				default:
				}
				if err := echoes(c, fmt.Sprintf("%d-%d", i, n)); err != nil {
					errs <- fmt.Errorf("echo client %d: %w", i, err)
					return
				}
			}
		}()
	}
	for i, c := range old {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code := closeCode(c); code != websocket.CloseGoingAway {
				errs <- fmt.Errorf("client %d of the removed application: close %d, want 1001", i, code)
			}
		}()
	}
	// The publisher sends head messages, then goes on one per millisecond while the reload
	// runs and for tail messages after it returned, then "end".
	started := make(chan struct{})
	sent := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer pub.WriteMessage(websocket.TextMessage, []byte("end"))
		for after := 0; after < tail; sent++ {
			if sent == head {
				close(started)
			}
			if err := pub.WriteMessage(websocket.TextMessage, []byte(strconv.Itoa(sent))); err != nil {
				errs <- fmt.Errorf("publisher: %w", err)
				return
			}
			if sent >= head {
				select {
				case <-reloaded:
					after++
				default:
					time.Sleep(time.Millisecond)
				}
			}
		}
	}()

	<-started
	sum := reload(t, g, after)
	close(reloaded)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, n := range counts {
		if n != sent {
			t.Fatalf("receiver %d got %d of %d messages", i, n, sent)
		}
	}
	t.Logf("%d messages to each of %d receivers, %d of them after the reload started", sent, receivers, sent-head)
	if !slices.Equal(sum.AppsAdded, []string{"chat"}) || !slices.Equal(sum.AppsRemoved, []string{"old"}) ||
		len(sum.AppsChanged)+len(sum.AppsReplaced) != 0 || sum.Closed != olds {
		t.Errorf("summary: %+v", sum)
	}
	for _, a := range g.Server.Applications() {
		want := map[string]int64{"news": receivers + 1, "echo": echoers, "chat": 0}[a.Name]
		if a.Connections != want {
			t.Errorf("%s: %d connections, want %d", a.Name, a.Connections, want)
		}
	}
	if err := echoes(mustDial(t, addr, "/chat", nil), "hello"); err != nil {
		t.Fatalf("added application: %v", err)
	}
	if code := upgradeStatus(t, addr, "/old", nil); code != http.StatusNotFound {
		t.Fatalf("removed application: %d", code)
	}
}

// TestReloadInvalid: a file that does not validate, a credentials file that cannot be read,
// and a new listener that cannot bind each change nothing: the clients, the routes and the
// configuration in force stay, and the error names the field or the listener.
func TestReloadInvalid(t *testing.T) {
	before := listeners + app("echo", "echo", "/echo")
	g := startGateway(t, before)
	addr := g.Server.Addr("ws")
	c := mustDial(t, addr, "/echo", nil)
	cfgBefore := g.Config()

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	chat := app("chat", "echo", "/chat")
	for _, tc := range []struct {
		name string
		cfg  func() *config.Config
		want string
	}{
		{"scope", func() *config.Config {
			cfg := parse(t, before+chat)
			cfg.Apps[1].Scope = []string{"nope"}
			return cfg
		}, `app[1].scope`},
		{"kind", func() *config.Config {
			cfg := parse(t, before+chat)
			cfg.Apps[1].Kind = "shout"
			return cfg
		}, `app[1].kind: unknown kind "shout"`},
		{"credentials", func() *config.Config {
			return parse(t, before+app("chat", "echo", "/chat", `auth = "token"`, `credentials = "/nonexistent/tokens"`))
		}, `app[1].credentials`},
		{"bind", func() *config.Config {
			return parse(t, before+"[[standalone]]\nname = \"ws2\"\nlisten = \"127.0.0.1:0\"\n"+chat)
		}, `listener "ws2"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg()
			if tc.name == "bind" {
				cfg.Standalone[1].Listen = taken.Addr().String()
			}
			_, err := g.Reload(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
			var fe *config.FieldError
			if tc.name != "bind" && !errors.As(err, &fe) {
				t.Fatalf("not a *config.FieldError: %T", err)
			}
			if g.Config() != cfgBefore || g.Server.Addr("ws2") != "" || len(g.Server.Applications()) != 1 {
				t.Fatal("a failed reload changed the gateway")
			}
			if code := upgradeStatus(t, addr, "/chat", nil); code != http.StatusNotFound {
				t.Fatalf("the new application is served: %d", code)
			}
			if err := echoes(c, tc.name); err != nil {
				t.Fatalf("client after a failed reload: %v", err)
			}
		})
	}
}

// TestReloadListeners: a standalone server added is bound and serves; its application's
// clients on the other server stay; removed, it stops accepting (connection refused) and
// its clients get 1001 while the others stay.
func TestReloadListeners(t *testing.T) {
	one := listeners + app("echo", "echo", "/echo", `scope = ["ws"]`)
	two := listeners + "[[standalone]]\nname = \"ws2\"\nlisten = \"127.0.0.1:0\"\n" +
		app("echo", "echo", "/echo", `scope = ["ws", "ws2"]`)
	g := startGateway(t, one)
	onWS := mustDial(t, g.Server.Addr("ws"), "/echo", nil)

	sum := reload(t, g, two)
	if !slices.Equal(sum.ListenersAdded, []string{"ws2"}) || !slices.Equal(sum.AppsChanged, []string{"echo(scope)"}) || sum.Closed != 0 {
		t.Fatalf("summary: %+v", sum)
	}
	ws2 := g.Server.Addr("ws2")
	if ws2 == "" {
		t.Fatal("ws2 not bound")
	}
	onWS2 := mustDial(t, ws2, "/echo", nil)
	for _, c := range []*websocket.Conn{onWS, onWS2} {
		if err := echoes(c, "both"); err != nil {
			t.Fatal(err)
		}
	}

	sum = reload(t, g, one)
	if !slices.Equal(sum.ListenersRemoved, []string{"ws2"}) || sum.Closed != 1 {
		t.Fatalf("summary: %+v", sum)
	}
	if code := closeCode(onWS2); code != websocket.CloseGoingAway {
		t.Fatalf("client of the removed listener: close %d", code)
	}
	if _, err := net.DialTimeout("tcp", ws2, 5*time.Second); err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("removed listener still accepts: %v", err)
	}
	if err := echoes(onWS, "still"); err != nil {
		t.Fatalf("client of the remaining listener: %v", err)
	}
}

// TestReloadInPlace: origins and credentials changed in place: new connections meet the
// new rules, connected clients stay; the summary says what changed.
func TestReloadInPlace(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	writeTokens := func(users ...string) {
		var b strings.Builder
		for _, u := range users {
			sum := sha256.Sum256([]byte("secret-" + u))
			fmt.Fprintf(&b, "%s:%s\n", u, hex.EncodeToString(sum[:]))
		}
		if err := os.WriteFile(tokens, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bearer := func(u string) http.Header { return http.Header{"Authorization": {"Bearer secret-" + u}} }
	origin := func(o string) http.Header { return http.Header{"Origin": {o}} }
	file := func(origins string) string {
		return listeners + app("echo", "echo", "/echo", "origins = "+origins) +
			app("tok", "echo", "/tok", `auth = "token"`, fmt.Sprintf("credentials = %q", tokens))
	}
	writeTokens("ann")
	g := startGateway(t, file(`["https://a.example"]`))
	addr := g.Server.Addr("ws")
	fromA := mustDial(t, addr, "/echo", origin("https://a.example"))
	ann := mustDial(t, addr, "/tok", bearer("ann"))
	if code := upgradeStatus(t, addr, "/echo", origin("https://b.example")); code != http.StatusForbidden {
		t.Fatalf("origin b before: %d", code)
	}

	writeTokens("bob")
	sum := reload(t, g, file(`["https://b.example"]`))
	if !slices.Equal(sum.AppsChanged, []string{"echo(origins)", "tok(credentials)"}) || sum.Closed != 0 || len(sum.AppsReplaced) != 0 {
		t.Fatalf("summary: %+v", sum)
	}
	for _, tc := range []struct {
		path string
		hdr  http.Header
		want int
	}{
		{"/echo", origin("https://a.example"), http.StatusForbidden},
		{"/echo", origin("https://b.example"), http.StatusSwitchingProtocols},
		{"/tok", bearer("ann"), http.StatusUnauthorized},
		{"/tok", bearer("bob"), http.StatusSwitchingProtocols},
	} {
		if got := upgradeStatus(t, addr, tc.path, tc.hdr); got != tc.want {
			t.Errorf("%s %v: %d, want %d", tc.path, tc.hdr, got, tc.want)
		}
	}
	for _, c := range []*websocket.Conn{fromA, ann} {
		if err := echoes(c, "stayed"); err != nil {
			t.Fatalf("connected client after the change: %v", err)
		}
	}
	// The same file again: nothing changed.
	if sum := reload(t, g, file(`["https://b.example"]`)); sum.Changed() {
		t.Fatalf("same file: %+v", sum)
	}
}

// TestReloadSettings: [websocket] limits apply to new connections; a new HTTP service
// address is not applied and is reported as needing a restart.
func TestReloadSettings(t *testing.T) {
	g := startGateway(t, listeners+app("echo", "echo", "/echo"))
	addr := g.Server.Addr("ws")
	first := mustDial(t, addr, "/echo", nil)
	httpAddr := g.Server.Addr("http")
	sum := reload(t, g, strings.Replace(listeners, `listen = "127.0.0.1:0"`, `listen = "127.0.0.1:1"`, 1)+
		"[websocket]\nmax_connections = 1\n"+app("echo", "echo", "/echo"))
	if !slices.Equal(sum.SettingsChanged, []string{"max_connections"}) || len(sum.NeedRestart) != 1 ||
		!strings.Contains(sum.NeedRestart[0], `"http"`) {
		t.Fatalf("summary: %+v", sum)
	}
	if code := upgradeStatus(t, addr, "/echo", nil); code != http.StatusServiceUnavailable {
		t.Fatalf("over the new limit: %d", code)
	}
	if err := echoes(first, "kept"); err != nil {
		t.Fatal(err)
	}
	if g.Server.Addr("http") != httpAddr || g.Config().HTTP.Listen != "127.0.0.1:0" {
		t.Fatal("the HTTP service moved")
	}

	// A static root set by a reload serves its files; a root that does not open changes nothing.
	root := t.TempDir()
	writeFile(t, root, "hello.txt", "hello")
	withRoot := func(dir string) string {
		return strings.Replace(listeners, "[http]\n", fmt.Sprintf("[http]\nroot = %q\n", dir), 1) + app("echo", "echo", "/echo")
	}
	if _, err := g.Reload(parse(t, withRoot(filepath.Join(root, "missing")))); err == nil || !strings.Contains(err.Error(), "static root") {
		t.Fatalf("missing root: %v", err)
	}
	if sum := reload(t, g, withRoot(root)); !slices.Contains(sum.SettingsChanged, "http.root") {
		t.Fatalf("summary: %+v", sum)
	}
	if code, body := get(t, "http://"+httpAddr+"/hello.txt"); code != http.StatusOK || body != "hello" {
		t.Fatalf("static file after the reload: %d %q", code, body)
	}
}

// TestReloadScopeAndMove: a narrowed scope closes with 1001 only the clients that came
// through the server that left it; a standalone server moved to a new address keeps its
// clients, serves on the new address and refuses on the old one.
func TestReloadScopeAndMove(t *testing.T) {
	both := listeners + app("echo", "echo", "/echo", `scope = ["http", "ws"]`)
	g := startGateway(t, both)
	onHTTP := mustDial(t, g.Server.Addr("http"), "/echo", nil)
	oldWS := g.Server.Addr("ws")
	onWS := mustDial(t, oldWS, "/echo", nil)

	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	newWS := free.Addr().String()
	free.Close()
	moved := strings.Replace(listeners, "name = \"ws\"\nlisten = \"127.0.0.1:0\"", "name = \"ws\"\nlisten = \""+newWS+"\"", 1) +
		app("echo", "echo", "/echo", `scope = ["ws"]`)
	sum := reload(t, g, moved)
	if !slices.Equal(sum.ListenersMoved, []string{"ws"}) || !slices.Equal(sum.AppsChanged, []string{"echo(scope)"}) || sum.Closed != 1 {
		t.Fatalf("summary: %+v", sum)
	}
	if code := closeCode(onHTTP); code != websocket.CloseGoingAway {
		t.Fatalf("client on the server that left the scope: close %d", code)
	}
	if err := echoes(onWS, "stayed"); err != nil {
		t.Fatalf("client of the moved server: %v", err)
	}
	if g.Server.Addr("ws") != newWS {
		t.Fatalf("ws at %s, want %s", g.Server.Addr("ws"), newWS)
	}
	if err := echoes(mustDial(t, newWS, "/echo", nil), "new address"); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", oldWS, 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("old address: %v", err)
	}
}

// picky is a kind with an option of its own that it cannot change in place.
type picky struct {
	builtin.Echo
	refuse bool
}

func (p *picky) Reconfigure(config.App) error {
	if p.refuse {
		return errors.New("picky: cannot change in place")
	}
	return nil
}

// TestReloadReconfigurer: an instance that takes its new table keeps its clients; one that
// refuses is replaced and its clients get 1001.
func TestReloadReconfigurer(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprint("refuse=", refuse), func(t *testing.T) {
			kinds := Builtin()
			var made []*picky
			kinds["picky"] = func(*config.App) (apps.Application, error) {
				p := &picky{refuse: refuse}
				made = append(made, p)
				return p, nil
			}
			cfg := parse(t, listeners+app("p", "picky", "/p"))
			g := startWith(t, cfg, kinds, nil)
			c := mustDial(t, g.Server.Addr("ws"), "/p", nil)
			next, err := config.Parse([]byte(listeners + app("p", "picky", "/p", `origins = ["https://a.example"]`)))
			if err == nil {
				err = next.CheckKinds(kinds.Names())
			}
			if err != nil {
				t.Fatal(err)
			}
			sum, err := g.Reload(next)
			if err != nil {
				t.Fatal(err)
			}
			if !refuse {
				if len(made) != 1 || !slices.Equal(sum.AppsChanged, []string{"p(origins)"}) || sum.Closed != 0 {
					t.Fatalf("made %d, summary %+v", len(made), sum)
				}
				if err := echoes(c, "kept"); err != nil {
					t.Fatal(err)
				}
				return
			}
			if len(made) != 2 || !slices.Equal(sum.AppsReplaced, []string{"p(origins)"}) || sum.Closed != 1 {
				t.Fatalf("made %d, summary %+v", len(made), sum)
			}
			if code := closeCode(c); code != websocket.CloseGoingAway {
				t.Fatalf("client of the replaced instance: close %d", code)
			}
			hdr := http.Header{"Origin": {"https://a.example"}}
			if err := echoes(mustDial(t, g.Server.Addr("ws"), "/p", hdr), "new"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReloadPubSub: a pubsub application keeps its clients through a reload that leaves its
// table alone (its envelope subprotocol included), and is replaced, its clients closed with
// 1001, when one of its kind's own options changes: pubsub does not take changes in place.
func TestReloadPubSub(t *testing.T) {
	ps := func(max string) string {
		return app("ps", "pubsub", "/ps", `scope = ["ws"]`, "max_subscriptions = "+max)
	}
	g := startGateway(t, listeners+ps("10"))
	first := g.App("ps")
	c := mustDial(t, g.Server.Addr("ws"), "/ps?topic=a", nil)

	sum := reload(t, g, listeners+ps("10")+app("echo", "echo", "/echo"))
	if !slices.Equal(sum.AppsAdded, []string{"echo"}) || len(sum.AppsChanged)+len(sum.AppsReplaced) != 0 || g.App("ps") != first {
		t.Fatalf("summary: %+v", sum)
	}
	sum = reload(t, g, listeners+ps("20")+app("echo", "echo", "/echo"))
	if !slices.Equal(sum.AppsReplaced, []string{"ps(max_subscriptions)"}) || sum.Closed != 1 || g.App("ps") == first {
		t.Fatalf("summary: %+v", sum)
	}
	if code := closeCode(c); code != websocket.CloseGoingAway {
		t.Fatalf("client of the replaced instance: close %d", code)
	}
	mustDial(t, g.Server.Addr("ws"), "/ps?topic=a", nil)
}

// TestReloadRewrittenACL: an ACL file rewritten under the same name is noticed like a
// rewritten credentials file: the instance is rebuilt with the new rules and the summary
// names the key.
func TestReloadRewrittenACL(t *testing.T) {
	dir := t.TempDir()
	acl := writeFile(t, dir, "ps.acl", "* sub a\n")
	tokens := writeFile(t, dir, "tokens", "ann:"+auth.HashToken("ann-token")+"\n")
	text := listeners + app("ps", "pubsub", "/ps", `scope = ["ws"]`, `auth = "token"`,
		fmt.Sprintf("credentials = %q", tokens), fmt.Sprintf("acl = %q", acl))
	g := startGateway(t, text)
	addr, ann := g.Server.Addr("ws"), http.Header{"Authorization": {"Bearer ann-token"}}
	if a, b := upgradeStatus(t, addr, "/ps?topic=a", ann), upgradeStatus(t, addr, "/ps?topic=b", ann); a != 101 || b != 403 {
		t.Fatalf("before: topic a %d, topic b %d; want 101 and 403", a, b)
	}
	writeFile(t, dir, "ps.acl", "* sub b\n")
	sum := reload(t, g, text)
	if !slices.Equal(sum.AppsReplaced, []string{"ps(acl)"}) {
		t.Fatalf("summary: %+v", sum)
	}
	if a, b := upgradeStatus(t, addr, "/ps?topic=a", ann), upgradeStatus(t, addr, "/ps?topic=b", ann); a != 403 || b != 101 {
		t.Fatalf("after: topic a %d, topic b %d; want 403 and 101", a, b)
	}
	if sum := reload(t, g, text); sum.Changed() {
		t.Fatalf("the same file again: %+v", sum)
	}
}

// TestReloadProcess: [process] settings are applied at start only; a reload that changes
// them, event_loops back to its default included, says they need a restart (once, not
// again from the engine), and the clients stay.
func TestReloadProcess(t *testing.T) {
	g := startGateway(t, listeners+app("echo", "echo", "/echo"))
	c := mustDial(t, g.Server.Addr("ws"), "/echo", nil)
	for _, tc := range []struct {
		process string
		want    []string
	}{
		{"event_loops = 3\n", []string{"process.event_loops"}},
		{"event_loops = 3\ngc_percent = 50\nmemory_limit = \"64MiB\"\n", []string{"process.gc_percent", "process.memory_limit"}},
		{"", []string{"process.gc_percent", "process.memory_limit", "process.event_loops"}},
	} {
		sum := reload(t, g, listeners+"[process]\n"+tc.process+app("echo", "echo", "/echo"))
		if !slices.Equal(sum.NeedRestart, tc.want) || len(sum.SettingsChanged) != 0 {
			t.Fatalf("[process] %q: summary %+v, want needs_restart %v", tc.process, sum, tc.want)
		}
	}
	if err := echoes(c, "kept"); err != nil {
		t.Fatal(err)
	}
}
