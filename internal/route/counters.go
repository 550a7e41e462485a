package route

import (
	"sync/atomic"

	"github.com/wsgate/wsgate/internal/metrics"
)

// maxListeners is the most listeners a registry knows (the scope is a 64-bit mask).
const maxListeners = 64

// Counters are one application's counters. They are kept by name, so they survive a
// re-registration and a reload, and are updated with atomic adds from every event loop:
// nothing on these paths locks or allocates.
type Counters struct {
	conns      atomic.Int64
	byListener [maxListeners]atomic.Int64

	// MessagesIn and BytesIn count the messages received from clients and their payload
	// bytes (after decompression); MessagesOut and BytesOut the messages queued to clients.
	MessagesIn, MessagesOut, BytesIn, BytesOut metrics.Counter
}

// Opened counts an upgraded connection on the listener with index listener; Closed undoes
// it. (Acquire and Release count the application's total, which the limit applies to.)
func (c *Counters) Opened(listener int) { c.byListener[listener].Add(1) }

// Closed undoes Opened.
func (c *Counters) Closed(listener int) { c.byListener[listener].Add(-1) }

// OnListener returns the open connections on the listener with index listener.
func (c *Counters) OnListener(listener int) int64 { return c.byListener[listener].Load() }

// In counts one message of n payload bytes received.
func (c *Counters) In(n int) {
	c.MessagesIn.Inc()
	c.BytesIn.Add(uint64(n))
}

// Out counts one message of n payload bytes queued to a client.
func (c *Counters) Out(n int) {
	c.MessagesOut.Inc()
	c.BytesOut.Add(uint64(n))
}
