package wsproto

// DefaultMaxMessageSize is the message size limit when Config.MaxMessageSize is 0.
const DefaultMaxMessageSize = 1 << 20

// Handler receives what Feed decodes. Its methods run on the caller's
// goroutine before Feed returns. Payloads are borrowed: valid only until the
// method returns (they point into the caller's input buffer or into the
// Reader's pooled message buffer); a handler that keeps data copies it.
// Returning a non-nil error stops Feed, which returns that error.
type Handler interface {
	// OnMessage gets one complete message: op is OpText or OpBinary, a text
	// payload is already UTF-8-validated, a compressed one already inflated.
	OnMessage(op OpCode, payload []byte) error
	// OnPing gets a ping's payload (at most 125 bytes); the caller answers with
	// a pong carrying the same payload (RFC 6455 §5.5.2).
	OnPing(payload []byte) error
	// OnPong gets a pong's payload (at most 125 bytes).
	OnPong(payload []byte) error
	// OnClose gets a validated close frame: code 1005 (CloseNoStatus) and an
	// empty reason when the payload was empty; otherwise a valid code and a
	// UTF-8 reason. Feed returns right after the close frame (consumed counts
	// it); the caller stops reading and answers with its own close frame.
	OnClose(code uint16, reason []byte) error
}

// Config configures Readers. One Config is shared by many Readers and must not
// be modified after the first Init that uses it.
type Config struct {
	// MaxMessageSize is the largest message in bytes after reassembly and
	// inflation; a bigger one ends the connection with 1009. 0 means
	// DefaultMaxMessageSize (1 MiB).
	MaxMessageSize int64
	// Deflate holds the permessage-deflate parameters negotiated for the
	// connection; nil means no compression (RSV1 is then a protocol error).
	Deflate *DeflateParams
}

// Reader decodes the client-to-server frames of one connection.
//
// The zero value is not ready: call Init. A Reader is not safe for concurrent
// use (one per connection, used on its event loop). It holds no buffer while no
// message is in progress: pooled buffers are taken for a fragmented or split
// message and returned when it completes. With permessage-deflate and client
// context takeover it also keeps the client's LZ77 window, 2^ClientMaxWindowBits
// bytes, from the first compressed message until Release.
type Reader struct {
	cfg *Config
}

// Init prepares r for a new connection with cfg (nil means the defaults). cfg
// is retained and must not be modified afterwards.
func (r *Reader) Init(cfg *Config) {
	r.cfg = cfg
}

// Feed decodes as much of in as possible, calling h for every complete message
// and control frame, and returns how many bytes of in it consumed (the caller
// discards them and passes the rest again, with more bytes appended, next time).
//
// in is mutable: masked payload is unmasked in place. Bytes it did not consume
// are unmodified: a partial frame header, or a control frame whose payload is
// not complete yet (at most 14+125 bytes), is left for the next call. Partial
// payload bytes of a data frame are consumed: copied, unmasked, into the
// message buffer, with the UTF-8 check run on them at once. A complete
// single-frame uncompressed message fully inside in is delivered zero-copy from in.
//
// Errors: one of the *CloseError values of this package for a violation (the
// caller sends that close code and closes), or the Handler's error. After an
// error or a close frame the Reader is done: further calls return ErrClosed.
func (r *Reader) Feed(in []byte, h Handler) (consumed int, err error) {
	return 0, ErrClosed
}

// Release returns pooled buffers and the compression window (call when the
// connection closes). The Reader can be reused after another Init.
func (r *Reader) Release() {
	*r = Reader{}
}
