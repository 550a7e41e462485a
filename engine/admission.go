package engine

import (
	"net/netip"
	"sync"
	"sync/atomic"
)

// Admission per source. max_handshaking bounds the connections of all clients together in
// the HTTP phase (accepted, not yet upgraded: a handshake in progress, a kept-alive HTTP
// exchange); one address could fill it alone with stalled sockets, or hold its share for
// ever with a request every few seconds, and lock everyone else out. So each source address
// has its own, smaller bound, max_handshaking_per_source: past it the newest connection from
// that address is closed at once, and the other sources are not affected.

// applyBudgets sets the bounds shared by all loops that are not part of the settings
// snapshot (settings.go) because they live beside the counters they bound: at New, and again
// at every Reconfigure, so that a reload changes them for the connections already open.
func (s *Server) applyBudgets(o Options) {
	s.adm.max.Store(int32(o.MaxHandshakingPerSource))
	s.inMem.Max.Store(o.MaxInputMemory)
}

// admission counts the connections in the HTTP phase per source address. Safe from any
// goroutine: the loops share it, sharded by address to keep their locks apart.
type admission struct {
	max    atomic.Int32 // per source; 0 = no bound; a reload may change it
	shards [16]admissionShard
}

type admissionShard struct {
	mu sync.Mutex
	n  map[netip.Addr]int32
}

// sourceOf is the address a connection is counted under: its IP, IPv4-mapped IPv6 unmapped.
func sourceOf(p peer) netip.Addr { return netip.AddrFrom16(p.ip).Unmap() }

func (a *admission) shard(src netip.Addr) *admissionShard {
	b := src.As16()
	return &a.shards[(b[15]^b[14]^b[13]^b[11])%uint8(len(a.shards))]
}

// enter counts a new connection from src and reports whether it stays under the bound; a
// connection refused here is not counted.
func (a *admission) enter(src netip.Addr) bool {
	sh := a.shard(src)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	n := sh.n[src]
	if m := a.max.Load(); m > 0 && n >= m {
		return false
	}
	if sh.n == nil {
		sh.n = make(map[netip.Addr]int32)
	}
	sh.n[src] = n + 1
	return true
}

// leave uncounts a connection entered from src.
func (a *admission) leave(src netip.Addr) {
	sh := a.shard(src)
	sh.mu.Lock()
	if n := sh.n[src]; n > 1 {
		sh.n[src] = n - 1
	} else {
		delete(sh.n, src)
	}
	sh.mu.Unlock()
}

// admitSource counts c under its source address, or refuses it (counted and logged at a
// bounded rate): the caller closes it. Loop only.
func (c *conn) admitSource() bool {
	s := c.lp.s
	if s.adm.enter(sourceOf(c.remote)) {
		c.setFlag(flagInSource, true)
		return true
	}
	s.stats.SourceRefused.Add(1)
	if ok, held := s.g.handshakeLog.allow(s.now.Load()); ok {
		s.log.Warn("too many connections in the handshake from one address; closing the newest", "listener", c.l.name,
			"remote", c.remote, "max_per_source", s.adm.max.Load(), "refused_since_last_line", held)
	}
	return false
}

// leaveSource uncounts c when it leaves the HTTP phase (upgraded or closed); idempotent,
// loop only.
func (c *conn) leaveSource() {
	if c.has(flagInSource) {
		c.setFlag(flagInSource, false)
		c.lp.s.adm.leave(sourceOf(c.remote))
	}
}
