package engine

import (
	"context"
	"errors"
	"net/netip"
	"runtime"
	"slices"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/route"
)

// Authentication (docs/routing.md, status row 12). Checks that are fast (tokens, cached passwords) run on the
// loop. A bcrypt comparison takes tens of milliseconds, far too long for a loop, so it goes to
// a small pool of workers; the connection waits in the HTTP phase with its request head still
// unconsumed in the buffer, and when the verdict comes back on the loop the head is parsed
// again and the upgrade goes on from where it stopped.

// authVerdict is a finished check, kept on the connection until the head is parsed again.
type authVerdict struct {
	pending bool
	user    string
	err     error
}

// authJob is one slow check; Run delivers its verdict on the connection's loop.
type authJob struct {
	c             *conn
	src           netip.Addr // the source admitted by authGuard
	a             apps.Authenticator
	authorization []byte
	protocols     [][]byte
	user          string
	err           error
}

// authWorkers bounds the bcrypt comparisons running at once; authQueue bounds those waiting
// in each queue; authReserved workers serve only sources that have not failed (authguard.go).
var (
	authWorkers  = max(2, runtime.NumCPU())
	authReserved = max(1, authWorkers/2)
	authQueue    = 256
)

// startAuthWorkers starts the pool of slow-check workers.
func (s *Server) startAuthWorkers() {
	s.authJobs = make(chan *authJob, authQueue)
	s.authSuspect = make(chan *authJob, authQueue)
	s.authDone = make(chan struct{})
	run := func(j *authJob) {
		j.user, j.err = j.a.Verify(j.authorization, j.protocols)
		s.authGuard.done(j.src, j.err != nil, time.Now().UnixNano())
		// An error means the loops are stopping; the connection closes with them.
		_ = j.c.lp.el.Execute(context.Background(), j)
	}
	for i := range authWorkers {
		suspect := s.authSuspect
		if i < authReserved {
			suspect = nil // never ready: this worker serves only sources that have not failed
		}
		s.authWG.Add(1)
		go func() {
			defer s.authWG.Done()
			for {
				select {
				case <-s.authDone:
					return
				case j := <-s.authJobs:
					run(j)
				case j := <-suspect:
					run(j)
				}
			}
		}()
	}
}

// Run delivers the verdict on the loop and resumes the handshake.
func (j *authJob) Run(context.Context) error {
	c := j.c
	if v := c.authVerdict(); c.state != stateHTTP || v == nil || !v.pending {
		return nil // closed or timed out meanwhile
	}
	c.ext().auth = &authVerdict{user: j.user, err: j.err}
	c.lp.begin()
	action := c.serveHTTP()
	c.lp.end()
	if action == gnet.Close {
		return c.lp.el.Close(c.gc)
	}
	return nil
}

// authVerdict is the slow authentication check in progress or just finished, if any.
func (c *conn) authVerdict() *authVerdict {
	if x := c.extra.Load(); x != nil {
		return x.auth
	}
	return nil
}

// authenticate runs status row 12 for rt; loop only. It returns the user, or done=false when the
// check went to a worker (the caller returns and waits), or the refusal.
func (c *conn) authenticate(rt *route.Route, req *handshake.Request) (user string, done bool, refusal error) {
	a := rt.Spec.Auth
	if v := c.authVerdict(); v != nil {
		if v.pending {
			return "", false, nil
		}
		c.ext().auth = nil
		return v.user, true, authRefusal(v.err)
	}
	if !a.NeedsSlowCheck(req.Authorization) {
		user, err := a.Verify(req.Authorization, req.Protocols)
		return user, true, authRefusal(err)
	}
	s := c.lp.s
	src := sourceOf(c.remote)
	suspect, refusal := s.authGuard.admit(src, s.now.Load())
	if refusal != nil {
		s.stats.AuthThrottled.Add(1)
		return "", true, refusal
	}
	j := &authJob{c: c, src: src, a: a, authorization: slices.Clone(req.Authorization), protocols: cloneAll(req.Protocols)}
	queue := s.authJobs
	if suspect {
		queue = s.authSuspect
	}
	select {
	case queue <- j:
		c.ext().auth = &authVerdict{pending: true}
		return "", false, nil
	default:
		s.authGuard.cancel(src)
		s.stats.AuthThrottled.Add(1)
		if ok, held := s.g.authLog.allow(s.now.Load()); ok {
			s.log.Warn("authentication queue full; refusing", "app", rt.Spec.Name, "remote", c.remote,
				"suspect", suspect, "refused_since_last_line", held)
		}
		return "", true, handshake.ErrBusy
	}
}

// authRefusal maps a verifier's error to the answer: its own *handshake.Error (401 with a
// challenge, 403), else a bare 401.
func authRefusal(err error) error {
	if err == nil {
		return nil
	}
	var he *handshake.Error
	if errors.As(err, &he) {
		return he
	}
	return errUnauthorized
}

var errUnauthorized = handshake.NewError(401, "Unauthorized", "")

func cloneAll(list [][]byte) [][]byte {
	out := make([][]byte, len(list))
	for i, b := range list {
		out[i] = slices.Clone(b)
	}
	return out
}
