package conformance

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Kind is the kind of an Event.
type Kind uint8

// Event kinds: what Autobahn's cases record in their "received" list.
const (
	KindMessage Kind = iota + 1 // a complete data message from the server
	KindPing                    // a ping from the server
	KindPong                    // a pong from the server
	KindTimeout                 // a mark the script set while the connection was still open
)

// Event is one thing the client received, in order (or a mark of the script).
type Event struct {
	Kind   Kind
	Binary bool   // KindMessage: a binary message
	Data   []byte // the message, ping or pong payload; the tag of a mark
}

// Text, Binary, Pong and Timeout build expected events.
func Text(s string) Event      { return Event{Kind: KindMessage, Data: []byte(s)} }
func Binary(b []byte) Event    { return Event{Kind: KindMessage, Binary: true, Data: b} }
func Pong(s string) Event      { return Event{Kind: KindPong, Data: []byte(s)} }
func Timeout(tag string) Event { return Event{Kind: KindTimeout, Data: []byte(tag)} }
func textBytes(b []byte) Event { return Event{Kind: KindMessage, Data: b} }
func message(op byte, b []byte) Event {
	return Event{Kind: KindMessage, Binary: op == OpBinary, Data: b}
}

func (e Event) equal(o Event) bool {
	return e.Kind == o.Kind && e.Binary == o.Binary && bytes.Equal(e.Data, o.Data)
}

// String shows an event the way Autobahn's reports do, long payloads cut.
func (e Event) String() string {
	d := e.Data
	cut := ""
	if len(d) > 48 {
		d, cut = d[:48], fmt.Sprintf("…(%d bytes)", len(e.Data))
	}
	switch e.Kind {
	case KindMessage:
		if e.Binary {
			return fmt.Sprintf("(message, %x%s, binary)", d, cut)
		}
		return fmt.Sprintf("(message, %q%s, text)", d, cut)
	case KindPing:
		return fmt.Sprintf("(ping, %q%s)", d, cut)
	case KindPong:
		return fmt.Sprintf("(pong, %q%s)", d, cut)
	}
	return fmt.Sprintf("(timeout, %s)", d)
}

// Connection states, as Autobahn's protocol has them.
const (
	stateOpen    = iota
	stateClosing // a close frame was sent
	stateClosed  // the TCP connection is gone
)

// Session is one client connection running a case. Scripts call its methods
// from one goroutine; a reader goroutine decodes what the server sends,
// answers pings and close frames as Autobahn's client does, and records
// events.
type Session struct {
	nc     net.Conn
	br     *bufio.Reader
	opts   Options
	rngMu  sync.Mutex
	rng    *rand.Rand // masking keys, reproducible from the case id
	codec  *codec     // nil without permessage-deflate
	autoFr int        // auto-fragment size for SendMessage, 0 = none

	wmu sync.Mutex // serialises writes: the script's and the reader's replies

	mu          sync.Mutex
	changed     chan struct{} // closed and replaced on every change below
	events      []Event
	consumed    int // events handed to the script by Recv
	state       int
	closedByMe  bool   // we sent the first close frame
	sentClose   bool   // we sent a close frame (first or reply)
	gotClose    bool   // the server's close frame arrived
	remoteCode  uint16 // its code, CloseNoStatus when it had none
	remoteWhy   string
	serverEOF   bool  // the server closed the TCP connection
	droppedByMe bool  // we had to close it
	violation   error // the first protocol violation of the server
	readErr     error // how reading ended, when not by EOF
	done        chan struct{}
}

// Options tune a run. The zero value uses the defaults.
type Options struct {
	// Pace is the wait that Autobahn's cases make 1 s long (continueLater,
	// closeAfter): how long the server has to react for the case to count
	// it as immediate. Default 500 ms.
	Pace time.Duration
	// Timeout bounds each wait for the server's events and for it to fail
	// the connection (Autobahn's killAfter and closeAfter). Default 5 s.
	Timeout time.Duration
	// DropTimeout bounds the closing handshake as Autobahn's client does:
	// how long the server may take to answer our close frame
	// (closeHandshakeTimeout) and to close the TCP connection once both
	// close frames are out (serverConnectionDropTimeout). Default 1 s, as
	// in Autobahn.
	DropTimeout time.Duration
	// Host is sent in the Host header; default the address dialled.
	Host string
	// TLS, when set, runs the connection over TLS with this configuration
	// (wss://, as Autobahn does for a secure URL).
	TLS *tls.Config
}

func (o *Options) normalize() {
	if o.Pace <= 0 {
		o.Pace = 500 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.DropTimeout <= 0 {
		o.DropTimeout = time.Second
	}
}

// Dial connects to addr and performs the opening handshake for path with the
// given permessage-deflate offers (none: no Sec-WebSocket-Extensions), checking
// the server's answer as Autobahn's client does, and more strictly the
// extension parameters (RFC 7692 §7.1). seed makes the masking keys
// reproducible.
func Dial(addr, path string, offers []Offer, seed string, opts Options) (*Session, error) {
	opts.normalize()
	nc, err := net.DialTimeout("tcp", addr, opts.Timeout)
	if err != nil {
		return nil, err
	}
	if opts.TLS != nil {
		tc := tls.Client(nc, opts.TLS)
		tc.SetDeadline(time.Now().Add(opts.Timeout))
		if err := tc.Handshake(); err != nil {
			nc.Close()
			return nil, fmt.Errorf("%w: TLS: %v", ErrHandshake, err)
		}
		nc = tc
	}
	h := fnv.New64a()
	h.Write([]byte(seed))
	s := &Session{nc: nc, opts: opts, rng: rand.New(rand.NewPCG(h.Sum64(), 0x5ca1ab1e)),
		changed: make(chan struct{}), done: make(chan struct{})}
	if err := s.handshake(addr, path, offers); err != nil {
		nc.Close()
		return nil, err
	}
	go s.read()
	return s, nil
}

// handshake sends the upgrade request and checks the response (RFC 6455 §4.1,
// the client's side of §4.2.2).
func (s *Session) handshake(addr, path string, offers []Offer) error {
	var key [16]byte
	for i := range key {
		key[i] = byte(s.rng.Uint32())
	}
	k := base64.StdEncoding.EncodeToString(key[:])
	host := s.opts.Host
	if host == "" {
		host = addr
	}
	// The request Autobahn's client (autobahn 0.10.9) sends, header for header.
	var req strings.Builder
	req.WriteString("GET " + path + " HTTP/1.1\r\nUser-Agent: AutobahnTestSuite/0.8.2-0.10.9\r\nHost: " + host +
		"\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n" +
		"Sec-WebSocket-Key: " + k + "\r\n")
	if len(offers) > 0 {
		ext := make([]string, len(offers))
		for i, o := range offers {
			ext[i] = o.String()
		}
		req.WriteString("Sec-WebSocket-Extensions: " + strings.Join(ext, ", ") + "\r\n")
	}
	req.WriteString("Sec-WebSocket-Version: 13\r\n\r\n")
	s.nc.SetDeadline(time.Now().Add(s.opts.Timeout))
	defer s.nc.SetDeadline(time.Time{})
	if _, err := io.WriteString(s.nc, req.String()); err != nil {
		return err
	}
	s.br = bufio.NewReaderSize(s.nc, 64<<10)
	resp, err := http.ReadResponse(s.br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrHandshake, err)
	}
	sum := sha1.Sum([]byte(k + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	accept := base64.StdEncoding.EncodeToString(sum[:])
	hdr := resp.Header
	switch {
	case resp.StatusCode != http.StatusSwitchingProtocols:
		return fmt.Errorf("%w: status %s", ErrHandshake, resp.Status)
	case resp.Proto != "HTTP/1.1":
		return fmt.Errorf("%w: %s", ErrHandshake, resp.Proto)
	case !strings.EqualFold(strings.TrimSpace(hdr.Get("Upgrade")), "websocket"):
		return fmt.Errorf("%w: Upgrade %q", ErrHandshake, hdr.Get("Upgrade"))
	case !hasToken(hdr.Values("Connection"), "upgrade"):
		return fmt.Errorf("%w: Connection %q", ErrHandshake, hdr.Values("Connection"))
	case len(hdr.Values("Sec-WebSocket-Accept")) != 1 || strings.TrimSpace(hdr.Get("Sec-WebSocket-Accept")) != accept:
		return fmt.Errorf("%w: Sec-WebSocket-Accept %q, want %q", ErrHandshake, hdr.Values("Sec-WebSocket-Accept"), accept)
	case len(hdr.Values("Sec-WebSocket-Protocol")) != 0:
		return fmt.Errorf("%w: subprotocol %q answered though none was offered", ErrHandshake, hdr.Values("Sec-WebSocket-Protocol"))
	}
	d, err := negotiate(hdr.Values("Sec-WebSocket-Extensions"), offers)
	if err != nil {
		return err
	}
	if d != nil {
		s.codec = newCodec(*d)
	}
	return nil
}

func hasToken(values []string, token string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// Deflate returns the permessage-deflate parameters in force, nil without.
func (s *Session) Deflate() *Deflate {
	if s.codec == nil {
		return nil
	}
	d := s.codec.d
	return &d
}

// notifyLocked wakes whoever waits for a change; s.mu held.
func (s *Session) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// read decodes the server's frames until the connection ends.
func (s *Session) read() {
	defer close(s.done)
	var (
		hdr        [14]byte
		msg        []byte
		msgOp      byte
		inMsg      bool
		compressed bool
	)
	fail := func(err error) {
		s.mu.Lock()
		if s.violation == nil {
			s.violation = err
		}
		s.mu.Unlock()
		s.Drop()
	}
	for {
		f, err := readFrame(s.br, &hdr)
		if err != nil {
			s.mu.Lock()
			switch {
			case errors.Is(err, ErrViolation):
				if s.violation == nil {
					s.violation = err
				}
			case err == io.EOF && !s.droppedByMe:
				s.serverEOF = true
			case !s.droppedByMe:
				// A reset after the close handshake also ends the
				// connection from the server's side.
				s.serverEOF = true
				s.readErr = err
			}
			s.state = stateClosed
			s.notifyLocked()
			s.mu.Unlock()
			if errors.Is(err, ErrViolation) {
				s.Drop()
			}
			return
		}
		s.mu.Lock()
		afterClose := s.gotClose
		s.mu.Unlock()
		if afterClose {
			fail(fmt.Errorf("%w: frame %#x after the close frame (RFC 6455 §5.5.1)", ErrViolation, f.op))
			return
		}
		if f.rsv != 0 && (s.codec == nil || f.op != OpText && f.op != OpBinary) {
			fail(fmt.Errorf("%w: RSV1 on frame %#x without permessage-deflate on a first data frame (RFC 7692 §6)", ErrViolation, f.op))
			return
		}
		switch f.op {
		case OpText, OpBinary, OpContinuation:
			if f.op == OpContinuation && !inMsg {
				fail(fmt.Errorf("%w: continuation frame without a message (RFC 6455 §5.4)", ErrViolation))
				return
			}
			if f.op != OpContinuation {
				if inMsg {
					fail(fmt.Errorf("%w: new data frame inside a fragmented message (RFC 6455 §5.4)", ErrViolation))
					return
				}
				inMsg, msgOp, compressed, msg = true, f.op, f.rsv != 0, nil
			}
			msg = append(msg, f.payload...)
			if !f.fin {
				continue
			}
			inMsg = false
			if compressed {
				if msg, err = s.codec.decompress(msg, maxServerFrame); err != nil {
					fail(fmt.Errorf("%w: %w", ErrViolation, err))
					return
				}
			}
			if msgOp == OpText && !utf8.Valid(msg) {
				fail(fmt.Errorf("%w: text message is not UTF-8 (RFC 6455 §8.1)", ErrViolation))
				return
			}
			s.record(message(msgOp, msg))
		case OpPing:
			s.record(Event{Kind: KindPing, Data: f.payload})
			s.mu.Lock()
			open := s.state == stateOpen
			s.mu.Unlock()
			if open { // Autobahn answers pings only while open
				s.write(appendFrame(nil, &Frame{Op: OpPong, Fin: true, Payload: f.payload}, s.key()))
			}
		case OpPong:
			s.record(Event{Kind: KindPong, Data: f.payload})
		case OpClose:
			code, why, err := checkClose(f.payload)
			if err != nil {
				fail(err)
				return
			}
			s.mu.Lock()
			s.gotClose, s.remoteCode, s.remoteWhy = true, code, string(why)
			reply := s.state == stateOpen
			if reply {
				// Autobahn answers with 1000, not the server's code
				// (echoCloseCodeReason is off), and expects the
				// server to close the TCP connection next.
				s.state, s.sentClose = stateClosing, true
			}
			s.notifyLocked()
			s.mu.Unlock()
			if reply {
				s.write(appendFrame(nil, &Frame{Op: OpClose, Fin: true, Payload: ClosePayload(int(CloseNormal), nil)}, s.key()))
			}
		}
	}
}

// record appends an event; reader only.
func (s *Session) record(e Event) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.notifyLocked()
	s.mu.Unlock()
}

// Drop closes the TCP connection from the client's side (Autobahn's
// dropConnection). Case.Run ends its session so; a caller of Dial must.
func (s *Session) Drop() {
	s.mu.Lock()
	if s.state != stateClosed && !s.serverEOF {
		s.droppedByMe = true
	}
	s.state = stateClosed
	s.notifyLocked()
	s.mu.Unlock()
	s.nc.Close()
}

// key returns a fresh masking key; the script and the reader both mask.
func (s *Session) key() [4]byte {
	var k [4]byte
	s.rngMu.Lock()
	v := s.rng.Uint32()
	s.rngMu.Unlock()
	k[0], k[1], k[2], k[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	return k
}

// write sends b in one write; errors after the server closed are expected
// (the cases keep sending into a failed connection) and ignored.
func (s *Session) write(b []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.nc.SetWriteDeadline(time.Now().Add(s.opts.Timeout))
	_, _ = s.nc.Write(b)
}

// closed reports whether the TCP connection is gone.
func (s *Session) closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateClosed
}

// Pauses between the writes of chopped and synced frames, so that the
// pieces reach the server in separate reads. Autobahn waits 10 µs in its
// reactor; a sleep that short lasts a few tens of µs.
const (
	chopPause = 10 * time.Microsecond
	syncPause = time.Millisecond
)

// Send writes frames as Autobahn's sendFrame calls made one after another
// do: frames without Chop or Sync are written together, a synced frame
// alone, a chopped one in pieces. It sends nothing once the TCP connection
// is gone (Autobahn's writes stop in STATE_CLOSED).
func (s *Session) Send(frames ...Frame) {
	var pending []byte
	flush := func() {
		if len(pending) > 0 {
			s.write(pending)
			pending = nil
		}
	}
	for i := range frames {
		if s.closed() {
			return
		}
		f := &frames[i]
		b := appendFrame(nil, f, s.key())
		switch {
		case f.Chop > 0:
			flush()
			for len(b) > 0 && !s.closed() {
				n := min(f.Chop, len(b))
				s.write(b[:n])
				b = b[n:]
				time.Sleep(chopPause)
			}
		case f.Sync:
			flush()
			s.write(b)
			time.Sleep(syncPause)
		default:
			pending = append(pending, b...)
		}
	}
	flush()
}

// SetAutoFragment sets the fragment size SendMessage uses when it is given
// none (Autobahn's autoFragmentSize); 0 sends whole messages.
func (s *Session) SetAutoFragment(n int) { s.autoFr = n }

// SendMessage sends a message as Autobahn's sendMessage does: compressed
// when permessage-deflate is in force (RSV1 on the first frame), then split
// into frames of fragSize bytes (or the auto-fragment size); a payload that
// is an exact multiple of the size gets an empty final frame, as Autobahn's
// loop produces.
func (s *Session) SendMessage(op byte, payload []byte, fragSize int) {
	var rsv byte
	if s.codec != nil {
		payload, rsv = s.codec.compress(payload), 4
	}
	if fragSize <= 0 {
		fragSize = s.autoFr
	}
	if fragSize <= 0 || len(payload) <= fragSize {
		s.Send(Frame{Op: op, Fin: true, Rsv: rsv, Payload: payload})
		return
	}
	var frames []Frame
	for i := 0; ; i += fragSize {
		j := i + fragSize
		done := j > len(payload)
		j = min(j, len(payload))
		f := Frame{Op: OpContinuation, Fin: done, Payload: payload[i:j]}
		if i == 0 {
			f.Op, f.Rsv = op, rsv
		}
		frames = append(frames, f)
		if done {
			break
		}
	}
	s.Send(frames...)
}

// CloseFrame sends a close frame with payload p and starts the closing
// handshake from our side (Autobahn's sendCloseFrame): only while open.
func (s *Session) CloseFrame(p []byte) {
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	s.state, s.closedByMe, s.sentClose = stateClosing, true, true
	s.notifyLocked()
	s.mu.Unlock()
	s.write(appendFrame(nil, &Frame{Op: OpClose, Fin: true, Payload: p}, s.key()))
}

// Close starts the closing handshake with code (Autobahn's sendClose);
// code 0 sends a close frame without payload.
func (s *Session) Close(code uint16) {
	if code == 0 {
		s.CloseFrame(nil)
		return
	}
	s.CloseFrame(ClosePayload(int(code), nil))
}

// Open reports whether the connection is open: the server has not closed it,
// nor started its closing handshake, nor have we.
func (s *Session) Open() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateOpen
}

// Sleep waits d (the cases' continueLater).
func (s *Session) Sleep(d time.Duration) { time.Sleep(d) }

// Pace is the wait Autobahn makes 1 s long.
func (s *Session) Pace() time.Duration { return s.opts.Pace }

// Mark records a timeout mark with tag if the connection is still open, as
// Autobahn's 6.4.x and 9.9.1 do after a wait; it reports whether it did.
func (s *Session) Mark(tag string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen {
		return false
	}
	s.events = append(s.events, Timeout(tag))
	s.notifyLocked()
	return true
}

// Has reports whether e arrived (and was not taken by Recv).
func (s *Session) Has(e Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.events[s.consumed:] {
		if x.equal(e) {
			return true
		}
	}
	return false
}

// Recv returns the next event the script has not taken yet, waiting up to
// the timeout. Events taken by Recv are the script's to check and are not
// compared with the case's Expect.
func (s *Session) Recv() (Event, error) {
	deadline := time.NewTimer(s.opts.Timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.consumed < len(s.events) {
			e := s.events[s.consumed]
			s.consumed++
			s.mu.Unlock()
			return e, nil
		}
		if s.state == stateClosed || s.gotClose {
			err := s.violation
			s.mu.Unlock()
			if err != nil {
				return Event{}, err
			}
			return Event{}, ErrNotOpen
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return Event{}, fmt.Errorf("%w: no message within %v", ErrTimeout, s.opts.Timeout)
		}
	}
}

// waitFor waits until cond holds (checked under s.mu) or the timeout passes.
func (s *Session) waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			s.mu.Lock()
			defer s.mu.Unlock()
			return cond()
		}
	}
}
