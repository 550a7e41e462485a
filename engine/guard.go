package engine

import (
	"context"
	"sync/atomic"
	"time"
)

// guard is the server's self-protection state: logs for events that come in floods (accept
// errors under EMFILE, connections refused at max_handshaking, slow consumers, slow
// callbacks, and every line a client can cause per request: refusals, protocol errors, TLS
// failures, a full authentication queue, application failures), limited to one line per
// interval with the count of those held back, and the watch on application callbacks and
// event loops.
//
// Callbacks are timed with the coarse clock (Server.now, advanced every clockInterval by the
// ticker), not with time.Now: two atomic loads per callback, nothing else on the hot path. A
// callback that returns at least slowCallback after it started is logged with its
// application and duration. A callback that never returns is caught by the loop watch: the
// ticker queues a probe task on each loop every stuckLoop/2, and a probe not run within
// stuckLoop means the loop is blocked; that is logged once while it lasts.
type guard struct {
	acceptLog, handshakeLog, slowLog, callbackLog   rateLog
	refuseLog, protocolLog, tlsLog, authLog, appLog rateLog

	// slowCallback and stuckLoop are the thresholds above; 0 means the default. Internal
	// knobs, for tests.
	slowCallback time.Duration
	stuckLoop    time.Duration

	nextSweep int64      // next connection sweep (unix nanos); ticker only
	nextTrim  int64      // next trim of the loops' queue caches (unix nanos); ticker only
	woken     []*conn    // scratch of wakeWriters; ticker only
	shed      []shedding // scratch of shedOutput; ticker only
}

const (
	defaultSlowCallback = 100 * time.Millisecond
	defaultStuckLoop    = time.Second
	// clockInterval is the resolution of the coarse clock, and so of callback timing.
	clockInterval = 25 * time.Millisecond
	// logEvery is the interval of rate-limited log lines.
	logEvery = time.Second
)

func (g *guard) slowAfter() int64 {
	if g.slowCallback > 0 {
		return int64(g.slowCallback)
	}
	return int64(defaultSlowCallback)
}

func (g *guard) stuckAfter() int64 {
	if g.stuckLoop > 0 {
		return int64(g.stuckLoop)
	}
	return int64(defaultStuckLoop)
}

// rateLog lets a line through at most once per logEvery and counts the events it held
// back, so a flood costs one line per interval that says how many it stands for.
type rateLog struct {
	last atomic.Int64 // unix nanos of the last line
	held atomic.Int64 // events since then
}

// allow reports whether to log the event at now, and how many events were held back since
// the last line. Safe from any goroutine.
func (r *rateLog) allow(now int64) (ok bool, held int64) {
	last := r.last.Load()
	if (last != 0 && now-last < int64(logEvery)) || !r.last.CompareAndSwap(last, now) {
		r.held.Add(1)
		return false, 0
	}
	return true, r.held.Swap(0)
}

// appDone runs after an application callback that started at start (coarse clock); it
// notes the callback if it was slow. Loop only.
func (c *conn) appDone(where string, start int64) {
	s := c.lp.s
	d := s.now.Load() - start
	if d < s.g.slowAfter() {
		return
	}
	s.stats.SlowCallbacks.Add(1)
	if ok, held := s.g.callbackLog.allow(s.now.Load()); ok {
		s.log.Warn("slow application callback held its event loop", "app", c.appName(), "callback", where,
			"conn", c.id, "took", time.Duration(d).Round(time.Millisecond), "slow_since_last_line", held)
	}
}

// loopWatch is the probe state of one event loop.
type loopWatch struct {
	sent     atomic.Int64 // when the outstanding probe was queued; 0 = none outstanding
	next     int64        // when to queue the next probe; ticker only
	reported bool         // this blockage has been logged; ticker only
}

// Run is the probe task: reaching it means the loop is running tasks.
func (w *loopWatch) Run(context.Context) error {
	w.sent.Store(0)
	return nil
}

// watchLoops probes every loop and reports the blocked ones; ticker only.
func (s *Server) watchLoops(now int64) {
	stuck := s.g.stuckAfter()
	s.loopOf.Range(func(_, v any) bool {
		lp := v.(*loop)
		w := &lp.watch
		sent := w.sent.Load()
		switch {
		case sent == 0:
			w.reported = false
			if now >= w.next {
				w.next = now + stuck/2
				w.sent.Store(now)
				if err := lp.el.Execute(context.Background(), w); err != nil {
					w.sent.Store(0) // the loops are stopping
				}
			}
		case !w.reported && now-sent >= stuck:
			w.reported = true
			s.stats.LoopStalls.Add(1)
			lp.connsMu.Lock()
			n := len(lp.conns)
			lp.connsMu.Unlock()
			s.log.Warn("event loop blocked: its connections wait (a slow or stuck application callback?)",
				"blocked_for", time.Duration(now-sent).Round(time.Millisecond), "connections", n)
		}
		return true
	})
}
