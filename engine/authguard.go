package engine

import (
	"net/netip"
	"sync"
	"time"

	"github.com/wsgate/wsgate/handshake"
)

// Authentication under a flood of wrong credentials. A bcrypt comparison costs tens of
// milliseconds of a worker, so a client sending wrong passwords as fast as it can would fill
// the queue and lock valid users out. Three rules keep them in:
//
//   - Per source address, at most authPerSource checks are queued or running; past it that
//     source is answered 503 at once, and the others still queue.
//   - A source whose checks failed authFreeFails times in a row (a user mistyping gets a few
//     tries) is throttled: for authBackoffMin, doubling with each further failure up to
//     authBackoffMax, its slow checks are answered 429 without being run. A success clears
//     it.
//   - Sources that have failed queue apart (authSuspect), and part of the workers
//     (authReserved) serve only the sources that have not: a valid user from elsewhere
//     never waits behind a flood.
const (
	authPerSource  = 4
	authFreeFails  = 5
	authBackoffMin = 100 * time.Millisecond
	authBackoffMax = 5 * time.Second
	authForget     = time.Minute // a source's failures are forgotten this long after its backoff
)

// errAuthThrottled answers a slow check from a source in its backoff.
var errAuthThrottled = handshake.NewError(429, "Too Many Requests", "Retry-After: 5\r\n")

// authGuard is the per-source state of slow checks; safe from any goroutine.
type authGuard struct {
	shards [16]authShard
}

type authShard struct {
	mu sync.Mutex
	m  map[netip.Addr]*authSource
}

type authSource struct {
	queued int   // checks queued or running
	fails  int   // failures since the last success
	until  int64 // end of the backoff (unix nanos)
}

func (g *authGuard) shard(src netip.Addr) *authShard {
	b := src.As16()
	return &g.shards[(b[15]^b[14]^b[13]^b[11])%uint8(len(g.shards))]
}

// admit decides whether a slow check from src may queue at now: it returns the refusal, or
// whether the source has failed before (its check goes to the suspect queue). An admitted
// check must be followed by done.
func (g *authGuard) admit(src netip.Addr, now int64) (suspect bool, refusal error) {
	sh := g.shard(src)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	r := sh.m[src]
	if r != nil && r.fails > 0 && r.queued == 0 && now > r.until+int64(authForget) {
		delete(sh.m, src)
		r = nil
	}
	switch {
	case r != nil && now < r.until:
		return false, errAuthThrottled
	case r != nil && r.queued >= authPerSource:
		return false, handshake.ErrBusy
	}
	if r == nil {
		if sh.m == nil {
			sh.m = make(map[netip.Addr]*authSource)
		}
		r = &authSource{}
		sh.m[src] = r
	}
	r.queued++
	return r.fails > 0, nil
}

// cancel forgets an admitted check that was not queued after all.
func (g *authGuard) cancel(src netip.Addr) {
	sh := g.shard(src)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if r := sh.m[src]; r != nil {
		r.queued--
		if r.queued == 0 && r.fails == 0 {
			delete(sh.m, src)
		}
	}
}

// done records the outcome of an admitted check.
func (g *authGuard) done(src netip.Addr, failed bool, now int64) {
	sh := g.shard(src)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	r := sh.m[src]
	if r == nil {
		return
	}
	r.queued--
	if failed {
		r.fails++
		if n := r.fails - authFreeFails; n > 0 {
			r.until = now + int64(min(authBackoffMin<<min(n-1, 16), authBackoffMax))
		}
	} else {
		r.fails, r.until = 0, 0
	}
	if r.queued == 0 && r.fails == 0 {
		delete(sh.m, src)
	}
}
