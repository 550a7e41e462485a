// Package clusterbridge connects the gateway's broadcast and pubsub applications to a
// cluster.Node, so their messages reach the clients of every gateway sharing the broker.
package clusterbridge
