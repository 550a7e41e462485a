package gateway

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsgate/wsgate/internal/admin"
	"github.com/wsgate/wsgate/internal/metrics"
	"github.com/wsgate/wsgate/internal/metrics/metricstest"
)

// TestAdminOverRealGateway runs the gateway of a configuration with its admin listener,
// connects real WebSocket clients to both listeners, exchanges messages, and reads the
// admin's /api/status, /metrics and /readyz: every count is the traffic the test made.
func TestAdminOverRealGateway(t *testing.T) {
	cfg := parse(t, listeners+adminListener+app("echo", "echo", "/echo")+
		app("news", "broadcast", "/news", `scope = ["ws"]`)+app("feed", "pubsub", "/feed", `scope = ["http"]`))
	srv, base := startAdmin(t, cfg, nil, nil)
	if status, body := get(t, base+"/readyz"); status != 200 || body != "ready\n" {
		t.Fatalf("readyz: %d %q", status, body)
	}

	dial := func(listener, path string) *websocket.Conn {
		t.Helper()
		return mustDial(t, srv.Addr(listener), path, nil)
	}
	// echo: 2 clients on http, 1 on ws; 5 messages of 10 bytes each from each.
	var echoes []*websocket.Conn
	for _, l := range []string{"http", "http", "ws"} {
		echoes = append(echoes, dial(l, "/echo"))
	}
	for _, c := range echoes {
		for i := range 5 {
			msg := fmt.Sprintf("message-%d", i) // 9 bytes
			if err := c.WriteMessage(websocket.TextMessage, []byte(msg+"!")); err != nil {
				t.Fatal(err)
			}
			if _, got, err := c.ReadMessage(); err != nil || string(got) != msg+"!" {
				t.Fatalf("echo: %q %v", got, err)
			}
		}
	}
	// news: 3 clients on ws; one message of 4 bytes reaches the two others.
	var readers []*websocket.Conn
	for range 3 {
		readers = append(readers, dial("ws", "/news"))
	}
	waitFor(t, "3 news connections", func() bool { return appOf(t, base, "news").Connections == 3 })
	if err := readers[0].WriteMessage(websocket.BinaryMessage, []byte("tick")); err != nil {
		t.Fatal(err)
	}
	for _, r := range readers[1:] {
		if _, got, err := r.ReadMessage(); err != nil || string(got) != "tick" {
			t.Fatalf("broadcast: %q %v", got, err)
		}
	}

	st := status(t, base)
	echo, news := appOf(t, base, "echo"), appOf(t, base, "news")
	wantEcho := admin.Traffic{MessagesIn: 15, MessagesOut: 15, BytesIn: 150, BytesOut: 150}
	if echo.Traffic != wantEcho || echo.Connections != 3 || echo.ByListener["http"] != 2 || echo.ByListener["ws"] != 1 || echo.Kind != "echo" {
		t.Errorf("echo: %+v, want traffic %+v and 2+1 connections", echo, wantEcho)
	}
	wantNews := admin.Traffic{MessagesIn: 1, MessagesOut: 2, BytesIn: 4, BytesOut: 8}
	if news.Traffic != wantNews || news.ByListener["ws"] != 3 || len(news.ByListener) != 1 {
		t.Errorf("news: %+v, want traffic %+v and 3 connections on ws only", news, wantNews)
	}
	if st.Connections != 6 || len(st.Listeners) != 2 || st.Listeners[0].Connections != 2 || st.Listeners[1].Connections != 4 ||
		!st.Listeners[1].Up || st.Listeners[1].Kind != "standalone" {
		t.Errorf("listeners: %+v, connections %d", st.Listeners, st.Connections)
	}
	if want := (admin.Traffic{MessagesIn: 16, MessagesOut: 17, BytesIn: 154, BytesOut: 158}); st.Totals != want {
		t.Errorf("totals %+v, want %+v", st.Totals, want)
	}
	if st.Version != "v-test" || !st.Ready || st.Errors == nil {
		t.Errorf("version %q ready %v errors %v", st.Version, st.Ready, st.Errors)
	}

	// The metrics say the same, in a form Prometheus reads.
	code, body := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	fams := metricstest.Parse(t, []byte(body), metrics.Lint)
	for _, want := range []string{
		`wsgate_messages_in_total{app="echo"} 15`,
		`wsgate_bytes_out_total{app="news"} 8`,
		`wsgate_app_connections{app="echo",listener="http"} 2`,
		`wsgate_app_connections{app="news",listener="ws"} 3`,
		`wsgate_listener_connections{listener="ws"} 4`,
		`wsgate_handshake_seconds_count{listener="ws"} 4`,
		`wsgate_build_info{version="v-test",goversion="go`,
	} {
		if !strings.Contains(body, "\n"+want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if h := fams["wsgate_handshake_seconds"]; h == nil || h.GetType().String() != "HISTOGRAM" {
		t.Errorf("handshake histogram: %v", h)
	}

	// The publish API reaches the pubsub application's subscribers (raw mode: ?topic=).
	subs := []*websocket.Conn{dial("http", "/feed?topic=alerts/disk"), dial("http", "/feed?topic=alerts/%2B")}
	waitFor(t, "2 feed subscribers", func() bool { return appOf(t, base, "feed").Connections == 2 })
	if code, answer := post(t, base+"/api/apps/feed/publish?topic=alerts/disk", "90% full"); code != 200 || answer != `{"delivered":2}`+"\n" {
		t.Fatalf("publish: %d %s", code, answer)
	}
	for _, c := range subs {
		if typ, got, err := c.ReadMessage(); err != nil || typ != websocket.TextMessage || string(got) != "90% full" {
			t.Fatalf("subscriber got %d %q %v", typ, got, err)
		}
	}
	if code, answer := post(t, base+"/api/apps/echo/publish?topic=x", "x"); code != 404 || !strings.HasPrefix(answer, `{"error":"pubsub: unknown pubsub application \"echo\""`) {
		t.Errorf("publish to a non-pubsub application: %d %s", code, answer)
	}

	// Closing clients is seen per listener and application.
	for _, c := range echoes[:2] {
		c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
		c.Close()
	}
	waitFor(t, "http connections to close", func() bool { return appOf(t, base, "echo").ByListener["http"] == 0 })
	if st := status(t, base); st.Listeners[0].Connections != 2 || st.Connections != 6 {
		t.Errorf("after closing: %+v", st.Listeners)
	}
}

// TestAdminSourceReadiness: not ready before Start and after Stop; with a cluster hook,
// not ready while the broker is disconnected, with the reason.
func TestAdminSourceReadiness(t *testing.T) {
	cfg := parse(t, httpOnly+app("e", "echo", "/e"))
	srv, err := New(cfg, nil, quiet)
	if err != nil {
		t.Fatal(err)
	}
	src := NewAdminSource(srv, cfg)
	if ok, reason := src.Ready(); ok || reason != "not started" {
		t.Errorf("before Start: %v %q", ok, reason)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if ok, reason := src.Ready(); !ok || reason != "" {
		t.Errorf("started: %v %q", ok, reason)
	}
	broker := admin.Cluster{Broker: "nats://127.0.0.1:4222", Detail: "connection refused"}
	src.Cluster = func() admin.Cluster { return broker }
	if ok, reason := src.Ready(); ok || reason != "cluster broker nats://127.0.0.1:4222 not connected: connection refused" {
		t.Errorf("broker down: %v %q", ok, reason)
	}
	if st := src.Status(); st.Cluster == nil || st.Cluster.Connected || st.Listeners[0].Up != true {
		t.Errorf("status: %+v", st)
	}
	broker.Connected, broker.Detail = true, ""
	if ok, _ := src.Ready(); !ok {
		t.Error("broker up: not ready")
	}
	srv.Stop(context.Background())
	if ok, reason := src.Ready(); ok || reason != "shutting down" {
		t.Errorf("after Stop: %v %q", ok, reason)
	}
	if st := src.Status(); st.Listeners[0].Up {
		t.Errorf("after Stop the listener is still up: %+v", st.Listeners)
	}
}
