package conformance

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Case is one scenario of the Autobahn|Testsuite (or, with an ID starting
// with "x", one added here). The runner dials, lets Script send, then
// closes as Autobahn's client does: when Close.ByClient, it sends a close
// frame with Close.Codes[0] as soon as the events received equal Expect
// (finishWhenDone); otherwise it waits for the server to fail the
// connection. It then checks what Autobahn's Case.onConnectionLost checks.
type Case struct {
	// ID is Autobahn's case id ("5.19", "7.9.3").
	ID string
	// Title says what the case sends.
	Title string
	// Offers are the permessage-deflate offers of the handshake; with any,
	// the server must accept one (Autobahn reports UNIMPLEMENTED otherwise).
	Offers []Offer
	// Script sends the case's frames and waits; it may take events with
	// Recv and check them itself, returning an error for a failure.
	Script func(s *Session) error
	// Expect is Autobahn's expected[OK]: the events, in order, that must
	// have arrived when the connection ends (those the Script did not take).
	Expect []Event
	// Close is Autobahn's expectedClose.
	Close Close
	// Note says where this case asserts more than, or other than, Autobahn.
	Note string
}

// Close is what a case expects of the end of the connection.
type Close struct {
	// ByClient is Autobahn's closedByMe: the client sends the first close
	// frame. When false the server must fail the connection itself.
	ByClient bool
	// Codes are the close codes the server's close frame may carry
	// (CloseNoStatus: a close frame without payload). Autobahn also lets
	// a server drop the TCP connection without a close frame when Clean is
	// false; this runner does not: the server must say why.
	Codes []uint16
	// Clean is Autobahn's requireClean: both close frames exchanged and
	// the TCP connection closed by the server.
	Clean bool
}

// Section returns the section number of an Autobahn id ("7" for "7.9.3").
func (c *Case) Section() string {
	id := strings.TrimPrefix(c.ID, "x")
	s, _, _ := strings.Cut(id, ".")
	return s
}

// Run runs the case against the WebSocket endpoint path on addr and returns
// nil when the server behaved as the case expects.
func (c *Case) Run(addr, path string, opts Options) error {
	opts.normalize()
	s, err := Dial(addr, path, c.Offers, c.ID, opts)
	if err != nil {
		return err
	}
	defer s.Drop()
	if len(c.Offers) > 0 && s.codec == nil {
		return fmt.Errorf("%w: permessage-deflate was offered and not accepted", ErrHandshake)
	}
	var scriptErr error
	if c.Script != nil {
		scriptErr = c.Script(s)
	}
	if c.Close.ByClient {
		// finishWhenDone: close once the events are those expected, or
		// once they can no longer become so (Autobahn would wait for its
		// closeAfter timer, with the same verdict).
		s.waitFor(opts.Timeout, func() bool {
			got := s.events[s.consumed:]
			return s.state != stateOpen || !isPrefix(got, c.Expect) || len(got) == len(c.Expect)
		})
		code := c.Close.Codes[0]
		if code == CloseNoStatus {
			code = 0
		}
		s.Close(code)
	}
	// The server's close frame: the answer to ours within closeHandshakeTimeout,
	// or its own within killAfter; then the end of the TCP connection within
	// serverConnectionDropTimeout, or the client drops it.
	wait := opts.Timeout
	s.mu.Lock()
	if s.closedByMe {
		wait = opts.DropTimeout
	}
	s.mu.Unlock()
	s.waitFor(wait, func() bool { return s.gotClose || s.state == stateClosed })
	if !s.waitFor(opts.DropTimeout, func() bool { return s.state == stateClosed }) {
		s.Drop()
	}
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return c.verdict(s, scriptErr, opts.DropTimeout)
}

// verdict compares what happened on s with the case; s.mu held.
func (c *Case) verdict(s *Session, scriptErr error, dropTimeout time.Duration) error {
	got := s.events[s.consumed:]
	closing := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format+" (%s)", append([]any{ErrClosing}, append(args, s.closeSummary())...)...)
	}
	switch {
	case s.violation != nil:
		return s.violation
	case scriptErr != nil:
		return scriptErr
	case !eventsEqual(got, c.Expect):
		return fmt.Errorf("%w:\n  got  %s\n  want %s\n  (%s)", ErrEvents, eventList(got), eventList(c.Expect), s.closeSummary())
	case s.closedByMe != c.Close.ByClient:
		if c.Close.ByClient {
			return closing("the server closed first; the client should have")
		}
		return closing("the server did not fail the connection; the client had to close")
	case !s.gotClose:
		return closing("no close frame from the server")
	case !slices.Contains(c.Close.Codes, s.remoteCode):
		return closing("close code %d, want one of %v", s.remoteCode, c.Close.Codes)
	case s.droppedByMe:
		return closing("the server did not close the TCP connection within %v of the closing handshake; the client had to", dropTimeout)
	case c.Close.Clean && !(s.sentClose && s.serverEOF):
		return closing("not a clean close")
	}
	return nil
}

// closeSummary describes how the connection ended; s.mu held.
func (s *Session) closeSummary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "closedByMe=%v", s.closedByMe)
	if s.gotClose {
		fmt.Fprintf(&b, " serverClose=%d %q", s.remoteCode, s.remoteWhy)
	} else {
		b.WriteString(" serverClose=none")
	}
	fmt.Fprintf(&b, " serverClosedTCP=%v droppedByMe=%v", s.serverEOF, s.droppedByMe)
	if s.readErr != nil {
		fmt.Fprintf(&b, " readErr=%v", s.readErr)
	}
	return b.String()
}

func eventsEqual(a, b []Event) bool {
	return len(a) == len(b) && isPrefix(a, b)
}

// isPrefix reports whether a is a prefix of b.
func isPrefix(a, b []Event) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if !a[i].equal(b[i]) {
			return false
		}
	}
	return true
}

func eventList(es []Event) string {
	if len(es) == 0 {
		return "[]"
	}
	var b strings.Builder
	b.WriteString("[")
	for i, e := range es {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 8 && len(es) > 10 {
			fmt.Fprintf(&b, "… %d more", len(es)-i)
			break
		}
		b.WriteString(e.String())
	}
	b.WriteString("]")
	return b.String()
}
