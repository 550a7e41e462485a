package engine

import (
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/builtin"
)

// gatedHandshake stops every upgrade in OnHandshake, between the route lookup and the 101,
// until the test lets it go.
type gatedHandshake struct {
	builtin.Echo
	entered, release chan struct{}
}

func (g *gatedHandshake) OnHandshake(*apps.Handshake) error {
	g.entered <- struct{}{}
	<-g.release
	return nil
}

// TestReconfigureRacingUpgrade: an application removed while an upgrade to it is between
// its route lookup and its 101. The upgrade is refused with 503 rather than left open on
// an application that is gone (which the removal's sweep, run before the 101, could not
// close); the same for a listener removed meanwhile. Ten rounds each; the other
// application's client notices nothing.
func TestReconfigureRacingUpgrade(t *testing.T) {
	srv := startServer(t, nil, nil)
	opt := srv.opt().Options
	stay := currentApps(srv)
	bystander, _ := dial(t, srv.Addr("ws"), "/echo", nil)
	withWS2 := opt
	withWS2.Standalone = append(slices.Clone(opt.Standalone), Listener{Name: "ws2", Address: "127.0.0.1:0"})

	for _, what := range []string{"application", "listener"} {
		for round := range 10 {
			g := &gatedHandshake{entered: make(chan struct{}), release: make(chan struct{})}
			set := append(slices.Clone(stay), AppEntry{Spec: apps.Spec{Name: "gated", Path: "/gated"}, App: g})
			on, after := opt, stay
			if what == "listener" {
				on, after = withWS2, set
			}
			if _, err := srv.Reconfigure(on, set); err != nil {
				t.Fatal(err)
			}
			addr := srv.Addr("ws")
			if what == "listener" {
				addr = srv.Addr("ws2")
			}
			done := make(chan int, 1)
			go func() {
				d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
				c, resp, err := d.Dial("ws://"+addr+"/gated", nil)
				switch {
				case err == nil:
					c.Close()
					done <- http.StatusSwitchingProtocols
				case resp != nil:
					done <- resp.StatusCode
				default:
					t.Errorf("dial: %v", err)
					done <- 0
				}
			}()
			<-g.entered
			ch, err := srv.Reconfigure(opt, after)
			close(g.release)
			if err != nil {
				t.Fatal(err)
			}
			if got := <-done; got != http.StatusServiceUnavailable {
				t.Fatalf("%s removed during the upgrade, round %d: status %d, want 503 (changes %+v)", what, round, got, ch)
			}
		}
	}
	if _, err := srv.Reconfigure(opt, stay); err != nil {
		t.Fatal(err)
	}
	bystander.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := bystander.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := bystander.ReadMessage(); err != nil || string(got) != "still here" {
		t.Fatalf("other application's client: %q %v", got, err)
	}
	if n := srv.Applications(); len(n) != 2 || srv.Connections() != 1 {
		t.Fatalf("applications %+v, connections %d", n, srv.Connections())
	}
}

// TestReconfigureWhileStatusIsRead: the admin listener reads the status (Ready, Listeners,
// Applications, the metrics) from its own goroutines while a reload replaces the listener
// list. Under -race a read of the list outside its lock is reported (a reload with the
// admin page open did so). Each round adds or removes a standalone server and checks it
// answers, or is gone from the status.
func TestReconfigureWhileStatusIsRead(t *testing.T) {
	srv := startServer(t, nil, nil)
	opt := srv.opt().Options
	set := currentApps(srv)
	withWS2 := opt
	withWS2.Standalone = append(slices.Clone(opt.Standalone), Listener{Name: "ws2", Address: "127.0.0.1:0"})

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			srv.Ready()
			srv.Listeners()
			srv.Applications()
			srv.HandshakeLatency("ws2")
			if err := srv.WritePrometheus(io.Discard); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for round := range 10 {
		on := opt
		if round%2 == 0 {
			on = withWS2
		}
		if _, err := srv.Reconfigure(on, set); err != nil {
			t.Fatal(err)
		}
		has := slices.ContainsFunc(srv.Listeners(), func(l ListenerStatus) bool { return l.Name == "ws2" })
		if has != (round%2 == 0) {
			t.Fatalf("round %d: ws2 in the status: %v", round, has)
		}
		if has {
			// A standalone server answers what is not an upgrade with 404.
			resp, err := http.Get("http://" + srv.Addr("ws2") + "/")
			if err != nil {
				t.Fatalf("round %d: ws2: %v", round, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("round %d: ws2 answered %d, want 404", round, resp.StatusCode)
			}
		}
	}
	close(stop)
	<-done
	if ok, why := srv.Ready(); !ok {
		t.Fatalf("not ready after the reloads: %s", why)
	}
}
