package wsproto

// DeflateParams are the negotiated permessage-deflate parameters of one
// connection (RFC 7692 §7.1), as returned by Negotiate.
type DeflateParams struct {
	// ServerNoContextTakeover: the server resets its compressor after every message.
	ServerNoContextTakeover bool
	// ClientNoContextTakeover: the client resets its compressor after every
	// message, so the server keeps no window between messages.
	ClientNoContextTakeover bool
	// ServerMaxWindowBits bounds the server's LZ77 window to 2^bits bytes: 8..15
	// (15 when not negotiated).
	ServerMaxWindowBits int
	// ClientMaxWindowBits bounds the client's LZ77 window to 2^bits bytes: 8..15
	// (15 when not negotiated). With client context takeover it is the memory
	// the Reader keeps per connection.
	ClientMaxWindowBits int
}

// DeflatePolicy is the server's side of negotiation (configured per
// application). The zero value is not the recommended policy: use
// DefaultDeflatePolicy and change what differs.
type DeflatePolicy struct {
	// ServerNoContextTakeover forces server_no_context_takeover in the response
	// (the default true: it lets one compressed frame be shared by all
	// receivers of a broadcast and holds no compressor state per connection).
	ServerNoContextTakeover bool
	// ClientMaxWindowBits bounds the inflate window, which is the memory per
	// connection when the client keeps its context: 8..15, 0 means 15. A client
	// that cannot be bounded (it did not offer client_max_window_bits) is told
	// client_no_context_takeover when this is below 15.
	ClientMaxWindowBits int
}

// DefaultDeflatePolicy is the recommended policy: no server context takeover,
// a full client window (32 KiB per connection while the client keeps context).
var DefaultDeflatePolicy = DeflatePolicy{ServerNoContextTakeover: true, ClientMaxWindowBits: 15}

// Negotiate reads the client's offers — the raw values of every
// Sec-WebSocket-Extensions header line — and picks the first acceptable
// permessage-deflate offer per RFC 7692 §5 and §7. Offers with unknown
// parameters, duplicate parameters or invalid values are declined and the next
// offer is tried. It appends the response extension value (e.g.
// "permessage-deflate; server_no_context_takeover; client_max_window_bits=15")
// to dst and returns it with the parameters both sides now use. ok is false
// when no offer is acceptable; then dst is returned unchanged, no extension is
// used and the handshake still succeeds. The offers are only read.
func Negotiate(dst []byte, offers [][]byte, policy DeflatePolicy) (resp []byte, params DeflateParams, ok bool) {
	return dst, params, false
}

// Compressor compresses the server's messages of one connection, or with
// server_no_context_takeover of any number of connections.
//
// A Compressor for context takeover holds a flate writer (and its window) for
// the life of the connection and is not safe for concurrent use; a stateless
// one (server_no_context_takeover, or a window under 15 bits) borrows a pooled
// writer for each call and is safe for concurrent use.
type Compressor struct {
	params DeflateParams
}

// NewCompressor returns a Compressor for the negotiated parameters p. A nil p,
// like a nil *Compressor, means no context takeover and the full window.
func NewCompressor(p *DeflateParams) *Compressor {
	c := &Compressor{}
	if p != nil {
		c.params = *p
	}
	return c
}

// Release returns the Compressor's flate writer, if it holds one. The
// Compressor must not be used afterwards.
func (c *Compressor) Release() {}

// AppendDeflatedFrame compresses payload with c and appends one complete
// server frame to dst: FIN and RSV1 set, the trailing 0x00 0x00 0xff 0xff of
// the sync flush removed (RFC 7692 §7.2.1). A nil c compresses without context
// takeover with the full window (valid only for connections that negotiated
// server_no_context_takeover and no server_max_window_bits below 15).
// payload is only read.
func AppendDeflatedFrame(dst []byte, op OpCode, payload []byte, c *Compressor) []byte {
	return AppendFrame(dst, op, false, payload)
}
