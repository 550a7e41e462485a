// Package pubsub is the pubsub application kind: clients subscribe to MQTT-shaped topics,
// the server (and, if allowed, clients) publish, topics may keep a retained last value.
//
// # Connections
//
// A client that offers the subprotocol wsgate.pubsub.v1 speaks JSON envelopes, one object
// per text frame:
//
//	→ {"type":"subscribe","topic":"sensors/+/temp","id":1}
//	← {"type":"ack","id":1}
//	← {"type":"message","topic":"sensors/k1/temp","data":21.5,"retained":true}
//	→ {"type":"publish","topic":"sensors/k1/temp","data":{"v":22},"retain":true,"id":2}
//	← {"type":"error","id":2,"error":"publishing is not allowed"}
//
// Bad requests (malformed JSON, unknown type, a wildcard in a publish topic, a topic that
// is too long or not UTF-8, an ACL refusal, the subscription cap) get an error answer
// carrying the request's id; the connection stays open. A client that negotiates no
// subprotocol is in raw mode: it subscribes with ?topic=T in the URL (repeatable, for
// either mode), receives payloads as they are, and what it sends is published to its one
// URL topic (with ?retain=1, as retained values) when ClientPublish is on and that topic
// has no wildcard; otherwise a send closes it with 1008. A URL that cannot be served is
// refused at the handshake: 400 for an invalid topic or too many, 403 for one the ACL
// refuses. A client sending faster than MaxMessageRate is closed with 1008.
//
// # Payloads
//
// A publish has a Kind: JSON (D is the value), Text (D is a JSON string) or Binary (D is
// {"base64":"..."}); raw receivers get JSON and Text as text frames and Binary as binary
// frames. An envelope publish whose data is a JSON string is Text, so raw receivers get
// the string's text; other data is JSON.
//
// # Fan-out
//
// A publish finds its receivers in a topic trie (internal/topic) under a read lock held
// only while their pointers are copied, then writes to them with no lock held. It encodes
// the frame once per receiver mode (raw, envelope) and shares it: each connection's write
// copies the shared frame into its output, and connections with permessage-deflate share
// one compressed frame. A receiver whose backlog passes max_pending_bytes is closed with
// 1008 by the engine; the others go on. A connection whose filters overlap gets each
// message once. Nothing is allocated per delivery or per publish.
//
// # Embedding
//
// App.Publish publishes from any goroutine; App.Subscribe adds a subscriber function
// inside the application; Options.OnSubscribe and Options.OnPublish let an application
// built on this one refuse or rewrite what its clients ask; PublishHandler serves the HTTP
// publish API; SetBridge and DeliverRemote connect gateways.
package pubsub
