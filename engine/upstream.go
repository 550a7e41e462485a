package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/panjf2000/gnet/v2"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/auth"
	"github.com/wsgate/wsgate/internal/bufpool"
	"github.com/wsgate/wsgate/internal/route"
	"github.com/wsgate/wsgate/internal/tlsconn"
	"github.com/wsgate/wsgate/internal/wsproto"
)

// Upstream states; loop only.
const (
	upDialing   uint8 = iota // the connect runs on a goroutine
	upTLS                    // wss://: TLS handshake in progress
	upHandshake              // ws(s)://: upgrade request sent, waiting for the 101
	upReady                  // relaying (the client gets or got its 101)
	upClosed
)

// closeBadGateway is close code 1014 (IANA registry, RFC 6455 §11.7): the gateway got an
// invalid response from, or lost, its upstream.
const closeBadGateway apps.CloseCode = wsproto.CloseBadGateway

// upstream is the gateway's connection to the upstream of one proxied client, and the state
// of the pair. Every field is the loop's.
type upstream struct {
	px *Proxy
	c  *conn        // the client, on the same loop
	rt *route.Route // the route whose connection slot is held until the 101
	gc gnet.Conn    // nil until enrolled

	tls    *tlsconn.Session // wss:// only
	plain  []byte           // TLS: decrypted and unconsumed (pooled), nil when empty
	reader wsproto.Reader   // ws(s)://: the upstream's frames
	rcfg   wsproto.Config

	req      []byte   // the upgrade request until it is written
	key      [24]byte // its Sec-WebSocket-Key
	offered  [][]byte // the client's subprotocols, offered upstream (copies)
	subproto string   // the upstream's choice
	user     string

	state        uint8
	slot         bool // holds a connection slot of rt (released here unless the upgrade takes it over)
	abandoned    bool // the client is gone or was answered: no relaying, close once enrolled
	closeSent    bool // a close frame went upstream
	gotClose     bool // the upstream's close frame arrived
	pausedClient bool // flow.go: the client's reading is paused until the upstream drains
	pausedUp     bool // flow.go: the upstream's reading is paused until the client drains
	pingSent     bool // ws(s)://: a ping went upstream and nothing came back since

	lastRead int64 // ws(s)://: when the upstream last sent anything (unix nanos)
}

// proxyStart begins a proxied upgrade at the point where an ordinary one reserves its
// connection slot: it reserves it, builds the upstream request, pauses reading the client
// and starts the connect. The client's request head stays unconsumed; the upgrade resumes in
// clientUpgrade. Loop only.
func (c *conn) proxyStart(px *Proxy, req *handshake.Request, rt *route.Route, user string, n int) gnet.Action {
	s := c.lp.s
	if !s.acquire(rt) {
		s.stats.LimitRefused.Add(1)
		return c.refuse(handshake.ErrBusy, "connection limit reached")
	}
	u := &upstream{px: px, c: c, rt: rt, slot: true, user: user}
	c.ext().up = u
	if px.ws {
		u.buildRequest(req, c.input()[:n])
	}
	// Nothing more is read from the client until the upstream answers: the 101 comes first.
	if err := c.gc.PauseRead(); err != nil {
		s.log.Debug("pause read failed", "conn", c.id, "err", err)
	}
	c.setDeadline(s.now.Load() + int64(px.cfg.ConnectTimeout))
	go u.dial(c.gc.EventLoop())
	return gnet.None
}

// buildRequest prepares the upgrade request to a WebSocket upstream (SPEC.md "proxy"): the
// client's subprotocols, the forwarded headers, X-Forwarded-*, X-Wsgate-User.
func (u *upstream) buildRequest(req *handshake.Request, head []byte) {
	px, c, x := u.px, u.c, &u.c.lp.px
	var raw [16]byte
	x.random(raw[:])
	base64.StdEncoding.Encode(u.key[:], raw[:])
	req.ForEachProtocol(func(p []byte) bool {
		if !auth.IsBearerProtocol(p) {
			u.offered = append(u.offered, slices.Clone(p))
		}
		return true
	})
	target := px.target
	if !px.hasQuery && len(req.Query) > 0 {
		target += "?" + string(req.Query)
	}
	ext := ""
	if u.rt.Spec.Compression {
		ext = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	}
	b := handshake.AppendUpgradeRequest(x.req[:0], []byte(target), []byte(px.host), u.key[:], u.offered, ext)
	for _, name := range px.cfg.ForwardHeaders {
		handshake.ForEachHeaderValue(head, name, func(v []byte) bool { // every line, as it came
			b = handshake.AppendHeader(b, name, v)
			return true
		})
	}
	if host, _, err := net.SplitHostPort(c.remote.String()); err == nil {
		// The chain the client's request carried (it came through proxies), then the
		// client's address, as nginx's $proxy_add_x_forwarded_for does.
		var xff []byte
		handshake.ForEachHeaderValue(head, "X-Forwarded-For", func(v []byte) bool {
			xff = append(append(xff, v...), ", "...)
			return true
		})
		b = handshake.AppendHeader(b, "X-Forwarded-For", append(xff, host...))
	}
	proto := "http"
	if c.tlsConn() != nil {
		proto = "https"
	}
	b = handshake.AppendHeader(b, "X-Forwarded-Proto", []byte(proto))
	if req.HasHost {
		b = handshake.AppendHeader(b, "X-Forwarded-Host", req.Host)
	}
	if u.user != "" {
		b = handshake.AppendHeader(b, "X-Wsgate-User", []byte(u.user))
	}
	b = append(b, "\r\n"...)
	u.req = slices.Clone(b)
	x.req = b[:0]
}

// dial connects to the upstream and enrolls the socket on the client's loop; it runs on its
// own goroutine, for the connect only. Failures go back to the loop.
func (u *upstream) dial(el gnet.EventLoop) {
	d := net.Dialer{Timeout: u.px.cfg.ConnectTimeout, KeepAlive: -1}
	if pi := u.c.lp.s.opt().PingInterval; !u.px.ws && u.px.network == "tcp" && pi > 0 {
		streamKeepAlive(&d, pi)
	}
	nc, err := d.Dial(u.px.network, u.px.address)
	if err == nil {
		var ch <-chan gnet.RegisteredResult
		if ch, err = el.Enroll(gnet.NewContext(context.Background(), u), nc); err != nil {
			nc.Close()
		} else if res := <-ch; res.Err != nil {
			err = res.Err
		}
	}
	if err != nil {
		// An error here means the loops are stopping; the client closes with them.
		_ = el.Execute(context.Background(), &dialFailed{u: u, err: err})
	}
}

// streamKeepAlive has TCP notice a byte-stream upstream that vanished without a FIN or a
// reset (a crashed host, a dropped route), which no ping of the gateway's can reach: its
// protocol is not the gateway's. As for a WebSocket upstream (checkAlive), about two ping
// intervals of silence end the pair: keep-alive probes start after one interval and go
// every half interval, and two unanswered ones end the connection; TCP_USER_TIMEOUT bounds
// by the same time data the upstream does not acknowledge, which keep-alive does not cover.
// The client then gets 1014 (onClose). A unix:// upstream shares the host, so it cannot
// vanish this way.
func streamKeepAlive(d *net.Dialer, pingInterval time.Duration) {
	idle := max(pingInterval, time.Second) // the kernel counts in seconds
	probe := max(idle/2, time.Second)
	d.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: idle, Interval: probe, Count: 2}
	timeout := int((idle + 2*probe) / time.Millisecond)
	d.Control = func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, timeout)
		}); err != nil {
			return err
		}
		return os.NewSyscallError("setsockopt TCP_USER_TIMEOUT", serr)
	}
}

// dialFailed delivers a failed connect to the loop.
type dialFailed struct {
	u   *upstream
	err error
}

func (d *dialFailed) Run(context.Context) error {
	if d.u.state == upDialing {
		d.u.state = upClosed
		d.u.refuseClient(handshake.ErrBadGateway, "upstream unreachable: "+d.err.Error())
	}
	return nil
}

// refuseClient answers a client still waiting for its 101 with herr and gives up the pair.
func (u *upstream) refuseClient(herr *handshake.Error, why string) {
	c := u.c
	u.abandoned = true
	u.releaseSlot()
	if c.state != stateHTTP {
		return
	}
	c.lp.s.stats.UpstreamFailures.Add(1)
	_ = c.gc.ResumeRead() // so that the drain sees the client go
	c.lp.begin()
	a := c.refuse(herr, why)
	c.lp.end()
	if a == gnet.Close {
		_ = c.gc.Close()
	}
}

func (u *upstream) releaseSlot() {
	if u.slot {
		u.slot = false
		u.c.lp.s.release(u.rt)
	}
}

// resume is called by upgrade when the client's request is parsed again. ok reports that
// the upstream is ready and the upgrade may go on, holding the slot proxyStart reserved;
// otherwise a is the action to return.
func (u *upstream) resume(rt *route.Route) (a gnet.Action, ok bool) {
	switch {
	case u.abandoned || u.state == upClosed:
		return gnet.Close, false
	case u.state != upReady:
		return gnet.None, false // still connecting (reading is paused; a wake-up got here)
	case rt != u.rt:
		// The application was replaced while the upstream answered.
		u.abandoned = true
		u.releaseSlot()
		if u.gc != nil {
			_ = u.gc.Close()
		}
		return u.c.refuse(handshake.ErrBusy, "application changed during the upstream handshake"), false
	}
	u.slot = false // upgrade takes the slot over: released with the connection, or on refusal
	return gnet.None, true
}

// clientUpgrade resumes the client's upgrade once the upstream is ready; loop only, inside a
// dispatch (lp.begin/end).
func (u *upstream) clientUpgrade() {
	c := u.c
	if c.state != stateHTTP || u.abandoned {
		return
	}
	_ = c.gc.ResumeRead()
	if a := c.serveHTTP(); a == gnet.Close {
		_ = c.gc.Close()
	}
}

// upgradeTimeout answers a client whose upstream did not answer within connect_timeout.
func (c *conn) upgradeTimeout() gnet.Action {
	u := c.proxied()
	u.abandoned = true
	u.releaseSlot()
	if u.gc != nil {
		_ = u.gc.Close()
	}
	c.lp.s.stats.UpstreamFailures.Add(1)
	_ = c.gc.ResumeRead()
	return c.refuse(handshake.ErrGatewayTimeout, "upstream did not answer within connect_timeout")
}

// abandon gives up the pair when the client closed before its 101.
func (u *upstream) abandon() {
	u.abandoned = true
	u.releaseSlot()
	if u.gc != nil && u.state != upClosed {
		_ = u.gc.Close()
	}
}

// onOpen runs when the upstream socket is enrolled on the loop.
func (u *upstream) onOpen(gc gnet.Conn) gnet.Action {
	u.gc = gc
	if u.abandoned || u.state != upDialing {
		return gnet.Close
	}
	lp := u.c.lp
	lp.begin()
	defer lp.end()
	switch {
	case u.px.tls != nil:
		u.state = upTLS
		u.tls = tlsconn.NewClientSession(u.px.tls)
		return u.feedTLS(nil)
	case u.px.ws:
		u.state = upHandshake
		u.write(u.req)
		u.req = nil
	default:
		u.state = upReady
		u.clientUpgrade()
	}
	return gnet.None
}

// onTraffic runs the upstream's side of the pair over what arrived.
func (u *upstream) onTraffic() gnet.Action {
	if u.abandoned {
		_, _ = u.gc.Discard(-1)
		return gnet.Close
	}
	lp := u.c.lp
	u.lastRead, u.pingSent = lp.s.now.Load(), false // any input shows the upstream alive
	lp.begin()
	a := u.serve()
	lp.end()
	if a == gnet.None {
		u.checkClientBacklog()
	}
	return a
}

func (u *upstream) serve() gnet.Action {
	if u.tls != nil {
		in, _ := u.gc.Next(-1)
		if a := u.feedTLS(in); a != gnet.None {
			return a
		}
	}
	switch u.state {
	case upHandshake:
		return u.readResponse()
	case upReady:
		return u.relay()
	}
	return gnet.None
}

// feedTLS moves ciphertext through the client TLS session and sends the upgrade request once
// the handshake is done.
func (u *upstream) feedTLS(in []byte) gnet.Action {
	lp := u.c.lp
	if u.plain == nil && len(in) > 0 {
		u.plain = bufpool.Get(len(in))
	}
	out, plain, err := u.tls.Feed(in, lp.sealed[:0], u.plain)
	u.plain = plain
	if len(out) > 0 {
		_, _ = u.gc.Write(out)
	}
	lp.sealed = out[:0]
	if len(u.plain) == 0 {
		bufpool.Put(u.plain)
		u.plain = nil
	}
	if err != nil {
		if u.state != upReady {
			u.state = upClosed
			u.refuseClient(handshake.ErrBadGateway, "upstream TLS: "+err.Error())
			return gnet.Close
		}
		return u.lost(closeBadGateway, "upstream TLS error")
	}
	if u.state == upTLS && u.tls.HandshakeComplete() {
		u.state = upHandshake
		u.write(u.req)
		u.req = nil
	}
	return gnet.None
}

// readResponse parses the upstream's answer to the upgrade request.
func (u *upstream) readResponse() gnet.Action {
	buf := u.input()
	var resp handshake.Response
	n, err := handshake.ParseResponse(buf, &resp, u.c.lp.s.opt().limits)
	switch {
	case errors.Is(err, handshake.ErrNeedMore):
		return gnet.None
	case err != nil:
		return u.refuse(handshake.ErrBadGateway, "invalid upstream response")
	case resp.Status != 101:
		return u.refuse(handshake.UpstreamRefusal(&resp), fmt.Sprintf("upstream answered %d", resp.Status))
	case handshake.CheckResponse(&resp, u.key[:]) != nil:
		return u.refuse(handshake.ErrBadGateway, "upstream 101 fails the RFC 6455 checks")
	}
	if resp.Protocol != nil {
		i := slices.IndexFunc(u.offered, func(p []byte) bool { return bytes.Equal(p, resp.Protocol) })
		if i < 0 {
			return u.refuse(handshake.ErrBadGateway, "upstream chose a subprotocol the client did not offer")
		}
		u.subproto = string(u.offered[i])
	}
	u.rcfg = wsproto.Config{MaxMessageSize: u.c.lp.s.opt().wsPlain.MaxMessageSize, Client: true}
	if len(resp.Extensions) > 0 {
		params, ok := upstreamDeflate(resp.Extensions, u.rt.Spec.Compression)
		if !ok {
			return u.refuse(handshake.ErrBadGateway, "upstream accepted an extension that was not offered")
		}
		u.rcfg.Deflate = params
	}
	u.consume(n)
	u.state = upReady
	u.reader.Init(&u.rcfg)
	u.clientUpgrade()
	if u.c.state != stateOpen {
		return gnet.Close // the client was refused after all, or went away
	}
	return u.relay() // frames that came with the 101
}

// upstreamDeflate checks the upstream's Sec-WebSocket-Extensions answer against the offer
// (permessage-deflate with no context takeover either way, when offered) and returns the
// parameters the upstream's messages are inflated with.
func upstreamDeflate(answer [][]byte, offered bool) (*wsproto.DeflateParams, bool) {
	var params *wsproto.DeflateParams
	for _, line := range answer {
		for len(line) > 0 {
			var ext []byte
			ext, line = handshake.NextElement(line)
			name, rest, _ := bytes.Cut(ext, []byte(";"))
			if !offered || params != nil || !bytes.EqualFold(bytes.TrimSpace(name), []byte("permessage-deflate")) {
				return nil, false
			}
			params = &wsproto.DeflateParams{
				ClientNoContextTakeover: true,
				ServerNoContextTakeover: bytes.Contains(bytes.ToLower(rest), []byte("server_no_context_takeover")),
			}
		}
	}
	return params, true
}

// refuse gives up an upstream that refused or failed its handshake; the client gets herr.
func (u *upstream) refuse(herr *handshake.Error, why string) gnet.Action {
	u.state = upClosed
	u.refuseClient(herr, why)
	return gnet.Close
}

// relay passes what the upstream sent to the client.
func (u *upstream) relay() gnet.Action {
	buf := u.input()
	if len(buf) == 0 {
		return gnet.None
	}
	c := u.c
	if c.state != stateOpen {
		u.consume(-1) // the client is closing: nothing more reaches it
		return gnet.None
	}
	if !u.px.ws {
		n := len(buf)
		t := apps.Binary
		if u.px.text {
			t = apps.Text
			n = completeUTF8(buf)
			if !utf8.Valid(buf[:n]) {
				return u.lost(closeBadGateway, "upstream sent invalid UTF-8")
			}
		}
		if n > 0 {
			_ = c.WriteMessage(t, buf[:n])
			u.consume(n)
		}
		return gnet.None
	}
	n, err := u.reader.Feed(buf, u)
	u.consume(n)
	if err == nil {
		return gnet.None
	}
	var ce *wsproto.CloseError
	switch {
	case errors.Is(err, errPeerClosed):
		return gnet.Close // its close frame was answered; the client has it
	case errors.As(err, &ce):
		u.sendClose(ce.Code, ce.Reason)
		return u.lost(closeBadGateway, "upstream protocol error: "+ce.Reason)
	default:
		return u.lost(apps.CloseInternal, "internal error")
	}
}

// completeUTF8 is the length of b without an incomplete UTF-8 sequence at its end.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// checkAlive is the client's ping timer looking at a WebSocket upstream (conn.onTimer): the
// gateway pings the upstream as it pings the client, every ping_interval of silence, so
// that an upstream that vanished without a FIN (a crashed host, a dropped route) ends the
// pair with 1014 instead of holding it open. It reports whether the pair was ended. An
// upstream paused by flow control is not read, so not idle. Loop only.
func (u *upstream) checkAlive(now, interval int64) bool {
	if !u.px.ws || u.state != upReady || u.closeSent {
		return false
	}
	if u.pausedUp {
		u.lastRead = now
	}
	idle := now - u.lastRead
	switch {
	case idle >= 2*interval || (u.pingSent && idle >= interval):
		u.c.lp.s.log.Debug("upstream ping timeout", "conn", u.c.id, "app", u.c.appName(), "upstream", u.px.cfg.Upstream)
		u.lost(closeBadGateway, "upstream ping timeout")
		_ = u.gc.Close()
		return true
	case idle >= interval && !u.pingSent:
		x := &u.c.lp.px
		x.frame = wsproto.AppendMaskedFrame(x.frame[:0], wsproto.OpPing, nil, x.maskKey())
		u.write(x.frame)
		u.pingSent = true
	}
	return false
}

// lost ends a pair whose upstream failed during the session: the client gets code with a
// reason, the upstream is closed.
func (u *upstream) lost(code apps.CloseCode, reason string) gnet.Action {
	u.state = upClosed
	u.c.lp.s.stats.UpstreamFailures.Add(1)
	if u.c.state == stateOpen {
		_ = u.c.Close(code, reason)
	}
	u.resumeClient()
	return gnet.Close
}

// OnMessage implements wsproto.Handler: an upstream message for the client.
func (u *upstream) OnMessage(op wsproto.OpCode, payload []byte) error {
	_ = u.c.WriteMessage(apps.MessageType(op), payload) // fails only once the client is closing
	return nil
}

// OnPing answers the upstream's ping; each side's pings are its own.
func (u *upstream) OnPing(payload []byte) error {
	if !u.closeSent {
		x := &u.c.lp.px
		x.frame = wsproto.AppendMaskedFrame(x.frame[:0], wsproto.OpPong, payload, x.maskKey())
		u.write(x.frame)
	}
	return nil
}

func (u *upstream) OnPong([]byte) error { return nil }

// OnClose passes the upstream's close frame on to the client and answers it.
func (u *upstream) OnClose(code uint16, reason []byte) error {
	u.gotClose = true
	if code == wsproto.CloseNoStatus {
		code = 0 // an empty close frame stays empty
	}
	_ = u.c.Close(apps.CloseCode(code), string(reason))
	u.sendClose(code, "")
	u.state = upClosed
	u.resumeClient()
	return errPeerClosed
}

// sendClose sends a masked close frame upstream, once.
func (u *upstream) sendClose(code uint16, reason string) {
	if u.closeSent || u.gc == nil {
		return
	}
	u.closeSent = true
	x := &u.c.lp.px
	x.frame = wsproto.AppendMaskedClose(x.frame[:0], code, reason, x.maskKey())
	u.write(x.frame)
}

// fromClient relays a client message upstream: a masked frame of the same type, or its
// bytes for a byte stream.
func (u *upstream) fromClient(t apps.MessageType, data []byte) {
	if u.state != upReady || u.closeSent || u.gc == nil {
		return
	}
	if u.px.ws {
		x := &u.c.lp.px
		x.frame = wsproto.AppendMaskedFrame(bufpool.Grow(x.frame[:0], wsproto.MaskedFrameSize(len(data))),
			wsproto.OpCode(t), data, x.maskKey())
		u.write(x.frame)
		if cap(x.frame) > 256<<10 {
			bufpool.Put(x.frame)
			x.frame = nil
		}
	} else {
		u.write(data)
	}
	u.checkUpstreamBacklog()
}

// clientClosed closes the upstream when the client's connection has ended (after its close
// handshake, or lost): a WebSocket upstream gets the client's close code and reason first.
func (u *upstream) clientClosed(code apps.CloseCode, reason string) {
	if u.state == upClosed || u.gc == nil {
		return
	}
	if u.px.ws && !u.gotClose {
		switch code {
		case apps.CloseNoStatus:
			code, reason = 0, ""
		case apps.CloseAbnormal:
			code, reason = apps.CloseGoingAway, "client went away"
		}
		u.sendClose(uint16(code), reason)
	}
	u.state = upClosed
	_ = u.gc.Close()
}

// onClose releases the upstream side when its socket has closed, and tells the client.
func (u *upstream) onClose(err error) {
	prev := u.state
	u.state = upClosed
	u.reader.Release()
	if u.tls != nil {
		u.tls.Release()
		u.tls = nil
	}
	bufpool.Put(u.plain)
	u.plain = nil
	c := u.c
	switch {
	case u.abandoned:
	case prev != upReady && prev != upClosed:
		u.refuseClient(handshake.ErrBadGateway, "upstream closed during the handshake")
	case prev == upReady && c.state == stateOpen:
		code, reason := closeBadGateway, "upstream went away"
		if !u.px.ws && (err == nil || errors.Is(err, io.EOF)) {
			code, reason = apps.CloseNormal, "upstream closed the connection"
		}
		if code == closeBadGateway {
			c.lp.s.stats.UpstreamFailures.Add(1)
		}
		_ = c.Close(code, reason)
	}
	u.resumeClient()
}

// input, consume and write are the upstream's byte stream, in clear (TLS is below them).
func (u *upstream) input() []byte {
	if u.tls != nil {
		return u.plain
	}
	b, _ := u.gc.Peek(-1)
	return b
}

func (u *upstream) consume(n int) {
	if n == 0 {
		return
	}
	if u.tls == nil {
		_, _ = u.gc.Discard(n)
		return
	}
	consumePlain(&u.plain, n)
}

func (u *upstream) write(b []byte) {
	if u.tls != nil {
		sealed, err := u.c.lp.seal(u.tls, b)
		if err != nil {
			return
		}
		b = sealed
	}
	_ = writeGnet(u.gc, b)
}
