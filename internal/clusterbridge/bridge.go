package clusterbridge

import (
	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/internal/cluster"
)

// Hook returns the function internal/gateway calls with every application it builds: it
// bridges the broadcast and pubsub applications over n and leaves the others alone. A nil
// n (no cluster) gives a nil hook.
func Hook(n *cluster.Node) func(name string, a apps.Application) {
	if n == nil {
		return nil
	}
	return func(name string, a apps.Application) {
		switch a := a.(type) {
		case *builtin.Broadcast:
			Broadcast(n, name, a)
		}
	}
}

// Broadcast bridges the broadcast application b, registered as app, over n: its members'
// messages travel on the one topic cluster.BroadcastTopic, subscribed while it has members.
func Broadcast(n *cluster.Node, app string, b *builtin.Broadcast) {
	n.Attach(app, cluster.ReceiverFunc(func(m cluster.Message) int {
		t := apps.Text
		if m.Kind == cluster.Binary {
			t = apps.Binary
		}
		return b.DeliverRemote(t, m.Data)
	}))
	b.SetBridge(app, broadcastBridge{n})
}

type broadcastBridge struct{ n *cluster.Node }

func (x broadcastBridge) Forward(app string, t apps.MessageType, data []byte) {
	k := cluster.Binary
	if t == apps.Text {
		k = cluster.Text
	}
	x.n.Forward(app, cluster.Message{Topic: cluster.BroadcastTopic, Kind: k, Data: data})
}

func (x broadcastBridge) Interest(app string, on bool) {
	x.n.Interest(app, cluster.BroadcastTopic, on)
}
