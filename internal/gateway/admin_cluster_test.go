package gateway

import (
	"strings"
	"testing"

	"github.com/wsgate/wsgate/internal/cluster"
	"github.com/wsgate/wsgate/internal/clusterbridge"
	"github.com/wsgate/wsgate/internal/metrics"
	"github.com/wsgate/wsgate/internal/natstest"
)

// TestAdminWithCluster runs a gateway bridged over an embedded NATS server: the admin
// listener is ready while the broker is connected, reports it in /api/status and serves
// the cluster's metric families in a valid exposition; when the broker goes away,
// /readyz answers 503 with the reason.
func TestAdminWithCluster(t *testing.T) {
	ns := natstest.Run(t, 0, nil)
	url := natstest.URL(ns)

	cfg := parse(t, httpOnly+adminListener+"[cluster]\nnats = \""+url+"\"\nname = \"gw-test\"\n"+app("feed", "pubsub", "/feed"))
	node, err := cluster.New(ClusterOptions(&cfg.Cluster, quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	_, base := startAdmin(t, cfg, node, clusterbridge.Hook(node))

	waitFor(t, "ready with the broker", func() bool { code, _ := get(t, base+"/readyz"); return code == 200 })
	// The bridge subscribes the application's subjects on its own goroutine once connected.
	waitFor(t, "the application's subjects", func() bool { st := status(t, base); return st.Cluster != nil && st.Cluster.Subjects >= 1 })
	st := status(t, base)
	if st.Cluster == nil || !st.Cluster.Connected || !strings.HasPrefix(st.Cluster.Broker, "nats://127.0.0.1:") {
		t.Errorf("cluster in status: %+v", st.Cluster)
	} else if _, ok := st.Cluster.Dropped["slow_consumer"]; st.Cluster.Subjects < 1 || !ok {
		t.Errorf("cluster status lacks its subjects or drop counters: %+v", st.Cluster)
	}
	_, body := get(t, base+"/metrics")
	if err := metrics.Lint([]byte(body)); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	for _, want := range []string{"\nwsgate_cluster_connected 1\n", "\nwsgate_ready 1\n", `wsgate_cluster_dropped_total{reason="disconnected"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	ns.Shutdown()
	waitFor(t, "not ready without the broker", func() bool { code, _ := get(t, base+"/readyz"); return code == 503 })
	code, reason := get(t, base+"/readyz")
	if code != 503 || !strings.HasPrefix(reason, "not ready: cluster broker ") {
		t.Errorf("readyz without the broker: %d %q", code, reason)
	}
	if st := status(t, base); st.Ready || st.Cluster == nil || st.Cluster.Connected {
		t.Errorf("status without the broker: ready %v cluster %+v", st.Ready, st.Cluster)
	}
}
