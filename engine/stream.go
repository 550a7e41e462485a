package engine

import (
	"github.com/panjf2000/gnet/v2"
)

// Response bodies go out at the client's pace. A static file is not copied whole into
// gnet's buffer (a client that does not read would pin the whole file in memory per
// request): the connection sends it in chunks while gnet holds less than the output bound
// (max_pending_bytes), the same bound as every other output, and when gnet holds that much
// it waits for the ticker to wake it (every clockInterval) and looks again. gnet has no
// event for "the socket took the buffered bytes", so this is a poll, but only of the
// connections that wait, and each look costs one Wake.
//
// One connection's pipelined requests get a bounded share of the loop per wake:
// requestsPerWake requests and pumpPerWake bytes of bodies. Past either, the connection
// wakes itself again (gnet queues the wake behind the other connections' events) and
// resumes where it stopped.

const (
	requestsPerWake = 32
	pumpPerWake     = 1 << 20
	chunkSize       = 64 << 10 // the loop's scratch for reading a file
	minChunk        = 4 << 10  // less room than this in the bound: wait rather than dribble
)

// outputBound is what gnet may hold for one connection: max_pending_bytes.
func (s *Server) outputBound() int {
	if max := int(s.opt().MaxPendingBytes); max > 0 {
		return max
	}
	return 256 << 10
}

// pump sends what it may of the response body and reports whether the body is finished;
// if not, the connection has been set to be woken. A failure to read the file closes the
// connection (its head promised a length). Loop only.
func (c *conn) pump() (done bool, action gnet.Action) {
	s := c.lp.s
	bound := s.outputBound()
	sent := 0
	body := &c.hp.body
	for body.Len() > 0 {
		room := bound - c.gc.OutboundBuffered()
		if room < minChunk {
			c.waitWritable()
			break
		}
		if sent >= pumpPerWake {
			s.stats.HTTPYields.Add(1)
			_ = c.gc.Wake(nil) // the rest after the loop's other connections
			break
		}
		p, err := body.Next(c.lp.chunk[:], min(room, chunkSize))
		if err != nil {
			if ok, held := s.g.refuseLog.allow(s.now.Load()); ok {
				s.log.Warn("static file read failed mid-response; closing", "listener", c.l.name, "remote", c.remote,
					"err", err, "refused_since_last_line", held)
			}
			return false, gnet.Close
		}
		c.write(p)
		sent += len(p)
	}
	if sent > 0 {
		// A client that keeps reading keeps its connection; one that stops is cut at the
		// handshake timeout like any idle HTTP client.
		c.setDeadline(s.now.Load() + int64(s.opt().HandshakeTimeout))
	}
	return body.Len() == 0, gnet.None
}

// waitWritable puts c on its loop's list of connections to wake at the next tick; loop only.
func (c *conn) waitWritable() {
	lp := c.lp
	lp.mu.Lock()
	if !c.waitingWrite {
		c.waitingWrite = true
		lp.stalled = append(lp.stalled, c)
	}
	lp.mu.Unlock()
}

// wakeWriters wakes the connections waiting for gnet's buffer to drain; ticker only.
func (s *Server) wakeWriters() {
	s.loopOf.Range(func(_, v any) bool {
		lp := v.(*loop)
		lp.mu.Lock()
		s.g.woken = append(s.g.woken[:0], lp.stalled...)
		for _, c := range lp.stalled {
			c.waitingWrite = false
		}
		clear(lp.stalled)
		lp.stalled = lp.stalled[:0]
		lp.mu.Unlock()
		for _, c := range s.g.woken {
			_ = c.gc.Wake(nil)
		}
		clear(s.g.woken)
		return true
	})
}
