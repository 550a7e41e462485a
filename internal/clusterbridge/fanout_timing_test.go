package clusterbridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/gateway"

	"github.com/wsgate/wsgate/internal/wstest"
)

// BenchmarkFanout10k: one message published to 10,000 subscribers, the subscribers on one
// gateway (without and with a cluster configured) or split 5,000/5,000 over two gateways
// bridged by NATS; for a broadcast application (a client publishes) and a pubsub
// application (the server publishes from Go, as the admin API does; raw subscribers). The subscribers run
// in a child process, so the CPU time measured is the gateways', the NATS server's and
// the publishing client's: the metric is deliveries per CPU second of that process. Run
// with a fixed count: go test -run '^$' -bench Fanout10k -benchtime 200x.
func BenchmarkFanout10k(b *testing.B) {
	const subscribers = 10000
	for _, tc := range []struct {
		name     string
		gateways int
		cluster  bool
		pubsub   bool
	}{
		{"broadcast/one-gateway", 1, false, false},
		{"broadcast/one-gateway-clustered", 1, true, false},
		{"broadcast/two-gateways", 2, true, false},
		{"pubsub/one-gateway", 1, false, true},
		{"pubsub/one-gateway-clustered", 1, true, true},
		{"pubsub/two-gateways", 2, true, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			payload := []byte(strings.Repeat("x", 64))
			app, path := broadcastApp, "/chat"
			if tc.pubsub {
				app, path = pubsubApp, "/ps?topic=bench"
			}
			var gws []*gw
			if tc.cluster {
				natsURL := runNATS(b)
				for i := range tc.gateways {
					gws = append(gws, startGateway(b, natsURL, "gw-"+string(rune('a'+i)), app))
				}
			} else {
				gws = append(gws, startPlain(b, app))
			}
			var targets []string
			for _, g := range gws {
				targets = append(targets, g.srv.Addr(config.HTTPServer)+path)
			}
			child := startFanout(b, subscribers/len(gws), targets...)
			publish := func() error {
				_, err := gws[0].g.Publish("ps", "bench", pubsub.Text, payload, false)
				return err
			}
			if !tc.pubsub {
				pub := dial(b, gws[0].url(path))
				publish = func() error { return pub.WriteMessage(websocket.TextMessage, payload) }
			}
			appName := "chat"
			if tc.pubsub {
				appName = "ps"
			}
			want := map[*gw]int{}
			for i, g := range gws {
				want[g] = subscribers / len(gws)
				if i == 0 && !tc.pubsub {
					want[g]++ // the publishing client is a member too
				}
			}
			settleAll(b, appName, want)
			b.ReportAllocs()
			cpu0 := wstest.CPUTime()
			b.ResetTimer()
			for i := 1; i <= b.N; i++ {
				if err := publish(); err != nil {
					b.Fatal(err)
				}
				if i%10 == 0 || i == b.N { // at most 10 messages in flight per subscriber
					child.expect(b, int64(i)*subscribers)
				}
			}
			b.StopTimer()
			cpu := wstest.CPUTime() - cpu0
			b.ReportMetric(float64(b.N)*subscribers/cpu.Seconds(), "deliveries/cpu-s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/publish")
		})
	}
}

// startPlain is a gateway without a cluster.
func startPlain(tb testing.TB, apps string) *gw {
	tb.Helper()
	cfg, err := config.Parse([]byte("[http]\nlisten = \"127.0.0.1:0\"\n" + apps))
	if err != nil {
		tb.Fatal(err)
	}
	g, err := gateway.Build(cfg, nil, func(o *engine.Options) { o.Logger = quiet() }, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := g.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { g.Stop(context.Background()) })
	return &gw{g: g, srv: g.Server}
}

// settleAll is settle for gateways with or without a cluster node.
func settleAll(tb testing.TB, app string, want map[*gw]int) {
	tb.Helper()
	for g, n := range want {
		if g.node != nil {
			settle(tb, app, map[*gw]int{g: n})
			continue
		}
		deadline := time.Now().Add(30 * time.Second)
		for members(g, app) != n {
			if time.Now().After(deadline) {
				tb.Fatalf("%s: %d members, want %d", app, members(g, app), n)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}
