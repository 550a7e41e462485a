// Package topic is the topic engine of the pubsub application: MQTT-shaped topic and filter
// validation, a matcher (Tree) that finds the subscribers of a published topic, and a
// bounded store of retained values (Retained).
//
// Topics are UTF-8, 1 to 256 bytes, without NUL, with levels separated by '/'. Empty levels
// are levels ("a//b" has three). A filter may use '+' for exactly one level and '#' for all
// remaining levels, zero or more, as its last level only ("a/#" matches "a", "a/b" and
// "a/b/c"); a wildcard character inside a level ("a+", "#b") is an error. Published topics
// may not contain '+' or '#' at all. Topics starting with '$' are not special.
//
// Tree is a trie over levels with a '+' child and a '#' set per node: matching a topic walks
// only the branches its levels select, so its cost grows with the number of matching
// subscriptions, not with all subscriptions. Match collects the subscribers under a read
// lock and returns; the caller delivers with no lock held, so a slow delivery never holds up
// subscribes or other publishes. A subscriber with overlapping subscriptions ("a/+" and
// "a/#") is returned once per match.
//
//	var t topic.Tree[*client]
//	t.Subscribe("sensors/+/temp", c)
//	for _, s := range t.Match("sensors/k1/temp", buf[:0]) { deliver(s) }
package topic
