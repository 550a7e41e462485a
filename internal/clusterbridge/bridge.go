package clusterbridge

import (
	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/internal/cluster"
)

// Hook returns the function gateway.Build calls with every application it builds (its
// built argument): it bridges the broadcast and pubsub applications over n, before they are
// registered. Any other application, or a nil a (an application a reload removed), detaches
// the name from n, which drops its subscriptions on the broker: a name a reload gave to
// another kind is no longer bridged either. A nil n (no cluster) gives a nil hook.
func Hook(n *cluster.Node) func(name string, a apps.Application) {
	if n == nil {
		return nil
	}
	return func(name string, a apps.Application) {
		switch a := a.(type) {
		default:
			n.Detach(name) // nothing to undo for a name never attached
		case *builtin.Broadcast:
			Broadcast(n, name, a)
		case *pubsub.App:
			PubSub(n, name, a)
		}
	}
}

// PubSub bridges the pubsub application a, registered as app, over n: its local publishes
// go to the other gateways, its subscriptions become the node's interest, and what other
// gateways publish is delivered to its local subscribers. The kinds share their values.
func PubSub(n *cluster.Node, app string, a *pubsub.App) {
	n.Attach(app, cluster.ReceiverFunc(func(m cluster.Message) int {
		return a.DeliverRemote(pubsub.Message{Topic: m.Topic, Kind: pubsub.Kind(m.Kind), Data: m.Data, Retain: m.Retain})
	}))
	a.SetBridge(pubsubBridge{n})
}

type pubsubBridge struct{ n *cluster.Node }

// Forward hands the publish over without a copy: pubsub gives the Bridge its Topic and Data.
func (x pubsubBridge) Forward(app string, m pubsub.Message) {
	x.n.ForwardOwned(app, cluster.Message{Topic: m.Topic, Kind: cluster.Kind(m.Kind), Data: m.Data, Retain: m.Retain})
}

func (x pubsubBridge) Interest(app, filter string, on bool) { x.n.Interest(app, filter, on) }

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
