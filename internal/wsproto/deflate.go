package wsproto

import (
	"bytes"

	"github.com/gobwas/httphead"
)

// DeflateParams are the negotiated permessage-deflate parameters of one
// connection (RFC 7692 §7.1), as returned by Negotiate.
type DeflateParams struct {
	// ServerNoContextTakeover: the server resets its compressor after every message.
	ServerNoContextTakeover bool
	// ClientNoContextTakeover: the client resets its compressor after every
	// message, so the server keeps no window between messages.
	ClientNoContextTakeover bool
	// ServerMaxWindowBits bounds the server's LZ77 window to 2^bits bytes: 8..15
	// (15 when not negotiated; 0 is read as 15).
	ServerMaxWindowBits int
	// ClientMaxWindowBits bounds the client's LZ77 window to 2^bits bytes: 8..15
	// (15 when not negotiated; 0 is read as 15). With client context takeover
	// it is the memory the Reader keeps per connection.
	ClientMaxWindowBits int
}

// Shareable reports whether the connection accepts the frames of a nil
// Compressor (no context takeover, full window): then one compressed frame of
// a broadcast can be made once and sent to every such connection. It needs
// server_no_context_takeover and a server window of 15 bits; a client that
// asked for a smaller window must get frames from its own Compressor.
func (p *DeflateParams) Shareable() bool {
	return p.ServerNoContextTakeover && windowBits(p.ServerMaxWindowBits) == 15
}

// DeflatePolicy is the server's side of negotiation (configured per
// application). DefaultDeflatePolicy is the recommended one.
type DeflatePolicy struct {
	// ServerNoContextTakeover forces server_no_context_takeover in the response
	// (the default true: it lets one compressed frame be shared by all
	// receivers of a broadcast and holds no compressor state per connection).
	// When false, the server keeps its context unless the client asks otherwise.
	ServerNoContextTakeover bool
	// ClientMaxWindowBits bounds the inflate window, which is the memory per
	// connection while the client keeps its context: 8..15, default (0) 15.
	// When it is below 15 and the client did not offer client_max_window_bits,
	// the server cannot bound the client's window (RFC 7692 §7.1.2.2) and
	// answers client_no_context_takeover instead (§7.1.1.2), which costs no
	// memory between messages.
	ClientMaxWindowBits int
}

// DefaultDeflatePolicy is the recommended policy: no server context takeover,
// a full client window (32 KiB per connection while the client keeps context).
var DefaultDeflatePolicy = DeflatePolicy{ServerNoContextTakeover: true, ClientMaxWindowBits: 15}

// Extension parameter names of RFC 7692 §7.1.
var (
	extPerMessageDeflate       = []byte("permessage-deflate")
	paramServerNoContext       = []byte("server_no_context_takeover")
	paramClientNoContext       = []byte("client_no_context_takeover")
	paramServerMaxWindowBits   = []byte("server_max_window_bits")
	paramClientMaxWindowBits   = []byte("client_max_window_bits")
	respServerNoContext        = "; server_no_context_takeover"
	respClientNoContext        = "; client_no_context_takeover"
	respServerMaxWindowBitsEq  = "; server_max_window_bits="
	respClientMaxWindowBitsEq  = "; client_max_window_bits="
	respPerMessageDeflateValue = "permessage-deflate"
)

// offer collects the parameters of one permessage-deflate offer.
type offer struct {
	seen        uint8 // bit per parameter, to refuse duplicates (§7)
	bad         bool
	serverNoCtx bool
	clientNoCtx bool
	serverBits  int // 0: absent
	clientBits  int // 0: absent, -1: present without a value
}

const (
	seenServerNoCtx = 1 << iota
	seenClientNoCtx
	seenServerBits
	seenClientBits
)

// param adds one parameter to o; an unknown, repeated or invalid one spoils
// the offer (§7: "a server MUST decline an offer" with such parameters).
func (o *offer) param(name, value []byte, hasValue bool) {
	var bit uint8
	switch {
	case bytes.EqualFold(name, paramServerNoContext):
		bit, o.serverNoCtx = seenServerNoCtx, true
		o.bad = o.bad || hasValue
	case bytes.EqualFold(name, paramClientNoContext):
		bit, o.clientNoCtx = seenClientNoCtx, true
		o.bad = o.bad || hasValue
	case bytes.EqualFold(name, paramServerMaxWindowBits):
		// §7.1.2.1: the value is required.
		bit, o.serverBits = seenServerBits, parseWindowBits(value)
		o.bad = o.bad || o.serverBits == 0
	case bytes.EqualFold(name, paramClientMaxWindowBits):
		// §7.1.2.2: the value is optional.
		bit, o.clientBits = seenClientBits, -1
		if hasValue {
			o.clientBits = parseWindowBits(value)
			o.bad = o.bad || o.clientBits == 0
		}
	default:
		o.bad = true
	}
	o.bad = o.bad || o.seen&bit != 0
	o.seen |= bit
}

// parseWindowBits parses a window bits value: a decimal integer from 8 to 15
// without leading zeros (§7.1.2.1, also after unquoting). 0 means invalid.
func parseWindowBits(v []byte) int {
	switch {
	case len(v) == 1 && v[0] >= '8' && v[0] <= '9':
		return int(v[0] - '0')
	case len(v) == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5':
		return 10 + int(v[1]-'0')
	}
	return 0
}

// Negotiate reads the client's offers — the raw values of every
// Sec-WebSocket-Extensions header line, in order — and picks the first
// acceptable permessage-deflate offer per RFC 7692 §5 and §7. Offers with
// unknown parameters, duplicate parameters or invalid values (a
// server_max_window_bits out of 8..15 or without a value, a
// client_max_window_bits value out of range, a value on a *_no_context_takeover)
// are declined and the next offer is tried; so are offers in the rest of a
// line that does not parse. It appends the response extension value (e.g.
// "permessage-deflate; server_no_context_takeover; client_max_window_bits=15")
// to dst and returns it with the parameters both sides now use. ok is false
// when no offer is acceptable; then dst is returned unchanged, no extension is
// used and the handshake still succeeds. The offers are only read.
//
// The response accepts what the client asked of the server (its
// server_no_context_takeover and server_max_window_bits) and asks of the
// client what policy wants: client_max_window_bits when the client offered
// it, at most policy.ClientMaxWindowBits, and client_no_context_takeover when
// the client offered it (then the server keeps no window) or when the window
// cannot be bounded otherwise.
func Negotiate(dst []byte, offers [][]byte, policy DeflatePolicy) (resp []byte, params DeflateParams, ok bool) {
	var (
		o       offer
		cur     = -1 // index of the offer being collected, -1: none
		found   bool
		chosen  offer
		collect = func(index int, name, attr, val []byte) httphead.Control {
			if index != cur {
				if cur >= 0 && !o.bad {
					chosen, found = o, true
					return httphead.ControlBreak
				}
				cur, o = index, offer{}
				if !bytes.EqualFold(name, extPerMessageDeflate) {
					o.bad = true // another extension: not ours
				}
			}
			if attr != nil && !o.bad {
				// httphead reports a missing value as nil and an empty
				// quoted string as empty: only the former has no value.
				o.param(attr, val, val != nil)
			}
			return httphead.ControlContinue
		}
	)
	for _, line := range offers {
		cur = -1
		if httphead.ScanOptions(line, collect) && !found && cur >= 0 && !o.bad {
			chosen, found = o, true // the last offer of a line ends with it
		}
		if found {
			break
		}
	}
	if !found {
		return dst, params, false
	}
	return respond(dst, chosen, policy)
}

// respond builds the response to an accepted offer o and the parameters in force.
func respond(dst []byte, o offer, policy DeflatePolicy) ([]byte, DeflateParams, bool) {
	p := DeflateParams{
		ServerNoContextTakeover: o.serverNoCtx || policy.ServerNoContextTakeover,
		ClientNoContextTakeover: o.clientNoCtx,
		ServerMaxWindowBits:     15,
		ClientMaxWindowBits:     15,
	}
	want := windowBits(policy.ClientMaxWindowBits)
	dst = append(dst, respPerMessageDeflateValue...)
	if p.ServerNoContextTakeover {
		dst = append(dst, respServerNoContext...)
	}
	if o.clientBits == 0 && want < 15 {
		// §7.1.2.2 forbids client_max_window_bits in the response to an
		// offer without it; §7.1.1.2 lets the server ask for no context.
		p.ClientNoContextTakeover = true
	}
	if p.ClientNoContextTakeover {
		dst = append(dst, respClientNoContext...)
	}
	if o.serverBits != 0 {
		// §7.1.2.1: accept the limit the client set on the server's window.
		p.ServerMaxWindowBits = o.serverBits
		dst = append(dst, respServerMaxWindowBitsEq...)
		dst = appendBits(dst, o.serverBits)
	}
	if o.clientBits != 0 {
		p.ClientMaxWindowBits = want
		if o.clientBits > 0 {
			p.ClientMaxWindowBits = min(want, o.clientBits)
		}
		dst = append(dst, respClientMaxWindowBitsEq...)
		dst = appendBits(dst, p.ClientMaxWindowBits)
	}
	return dst, p, true
}

func appendBits(dst []byte, bits int) []byte {
	if bits >= 10 {
		return append(dst, '1', byte('0'+bits-10))
	}
	return append(dst, byte('0'+bits))
}
