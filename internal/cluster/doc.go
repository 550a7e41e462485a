// Package cluster bridges the gateway's broadcast and pubsub applications across gateways
// over core NATS (github.com/nats-io/nats.go): what a client publishes on one gateway
// reaches the matching clients of every gateway sharing the broker, exactly once and in the
// order its publisher sent it.
//
// A Node is one gateway's connection. Each bridged application is attached with Attach and
// a Receiver (the application's "deliver a remote message locally only"); the application
// calls Interest when its first local client subscribes to a topic filter and when the last
// one goes, and Forward for every local publish. A broadcast application is bridged on the
// one topic BroadcastTopic with interest while it has members.
//
// # Subjects
//
//	<prefix>.<app>.<level>.<level>…     a message published to topic "<level>/<level>/…"
//	<prefix>.$retain.<app>.<level>…     a retained publish (every gateway of the app listens)
//	<prefix>.$snapshot.<app>            a request for the retained values of an app
//	<prefix>.$reply.<node>.<app>        the answers to that request
//
// The prefix (default "wsgate") lets two deployments share one NATS. An application name
// and every topic level are escaped into one NATS token (EscapeToken): bytes other than
// printable ASCII, and '.', '*', '>', '%', '+', '#' and '$', become %XX (upper-case hex); an
// empty level becomes a lone "%". The escape is reversible (UnescapeToken accepts only the
// canonical form) and no escaped token starts with '$', so control subjects never collide
// with topics. A filter maps onto NATS wildcards (FilterSubjects): '+' is '*', a final '#'
// is '>', and "a/#" is two subscriptions, "….a" and "….a.>", since MQTT's "a/#" also matches
// "a".
//
// # Exactly once, in order
//
// The connection is opened with NoEcho, so a node never receives its own publishes. Every
// publish carries the node's ID and a sequence number (headers Wsgate-Origin, Wsgate-Seq)
// assigned by the one goroutine that publishes, in the order Forward was called. Every
// subscription feeds one bounded channel, filled by nats.go's single reader goroutine and
// emptied by one consumer goroutine, so messages are handled in the order the broker sent
// them. The broker keeps the order of one publisher's messages towards each subscriber
// connection and sends one copy per matching subscription, all copies of a message before
// the next message of that publisher; so a copy whose number is not above the last one seen
// from its publisher is a duplicate and is dropped (counted as deduplicated).
//
// # Interest
//
// Subscriptions are reference-counted per NATS subject (two filters may share one, as "a"
// and "a/#" do) and kept by a reconciler goroutine, so Interest never blocks on the network;
// Sync waits for them. An attached application also holds its $retain and $snapshot
// subscriptions; the node holds its reply subscription.
//
// # Retained values
//
// Retained publishes go to every gateway of the application on the $retain subjects; each
// node keeps a bounded mirror with a version per topic (the publisher's clock and ID, last
// writer wins, clears kept as tombstones), delivers a newer value as retained and an older
// one as a plain message. A node attaching an application or coming back after an outage
// asks its peers for their mirrors ($snapshot) and applies the newer entries. Retained
// changes made on a gateway while it was cut off from the broker reach the others when they
// next ask (join or reconnect); this is a documented limit, not a replay.
//
// # Outages and bounds
//
// When the broker is unreachable, local delivery goes on (it is the application's), Ready
// reports false with the reason, and nats.go reconnects forever with a doubling, jittered
// delay and restores the subscriptions. Its reconnect buffer is disabled: a publish while
// disconnected is dropped at once and counted as "disconnected" (not delivered remotely),
// never sent late. The outbound queue (Forward to broker) is bounded in messages and bytes,
// the inbound queue in messages and bytes (past it messages are dropped, counted as
// slow_consumer), the retained mirror in entries and bytes, the deduplication table in
// publishers. Every drop is counted by reason in Status. One log line per state change, none per message.
//
// Example:
//
//	n, err := cluster.New(cluster.Options{URLs: []string{"nats://127.0.0.1:4222"}})
//	if err != nil { … }
//	defer n.Close()
//	n.Attach("chat", cluster.ReceiverFunc(func(m cluster.Message) int { … }))
//	n.Interest("chat", "room/+", true)
//	n.Forward("chat", cluster.Message{Topic: "room/1", Kind: cluster.Text, Data: []byte("hi")})
package cluster
