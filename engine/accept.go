package engine

import (
	"errors"
	"net"
	"time"
)

// acceptorsPerListener is how many goroutines accept on each listener: handing a socket to a
// loop waits for the loop to open it, so two keep accepting while one waits.
const acceptorsPerListener = 2

// Accepting runs on net.Listener rather than on gnet's own acceptor so that running out of
// file descriptors is survivable: gnet shuts its engine down when accept fails with EMFILE,
// while here the accept loop backs off and the connections already open are served as
// before. The pending clients wait in the listen backlog until descriptors free up.
//
// Handing a socket to a loop (gnet.Client.EnrollContext) duplicates its descriptor, so it
// too can fail for want of descriptors after Accept succeeded; that client is closed and
// the loop backs off the same way rather than accept, fail and close in a tight cycle.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// accept hands the listener's sockets to the event loops until the listener closes. Errors
// back off (acceptBackoffMin doubling to acceptBackoffMax, reset by a success) and are logged
// at most once per logEvery for the whole server, with the count of those not logged.
func (s *Server) accept(l *listener) {
	defer s.acceptWG.Done()
	spare := newSpareFD() // sparefd.go
	defer spare.release()
	var backoff time.Duration
	for {
		var nc net.Conn
		err := errNoSpare
		if spare.hold() {
			nc, err = l.ln.Accept()
		}
		if err == nil {
			if s.stopping.Load() {
				nc.Close()
				continue
			}
			s.stats.Accepted.Add(1)
			// EnrollContext closes nc in every case; the spare's descriptor is there for
			// its duplicate.
			spare.release()
			if _, err = s.cli.EnrollContext(nc, l); err == nil {
				backoff = 0
				continue
			}
			err = &handOffError{err}
		}
		if s.stopping.Load() || errors.Is(err, net.ErrClosed) {
			return
		}
		s.stats.AcceptErrors.Add(1)
		backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
		if ok, held := s.g.acceptLog.allow(time.Now().UnixNano()); ok {
			s.log.Warn("accept failed; backing off", "listener", l.name, "err", err, "backoff", backoff,
				"errors_since_last_line", held)
		}
		s.sleepUnlessStopping(backoff)
	}
}

// errNoSpare: the spare descriptor could not be taken again; accepting waits for one.
var errNoSpare = errors.New("engine: no descriptor for the spare; not accepting")

// handOffError is a failure to hand an accepted socket to a loop.
type handOffError struct{ err error }

func (e *handOffError) Error() string { return "handing the connection to a loop: " + e.err.Error() }
func (e *handOffError) Unwrap() error { return e.err }
