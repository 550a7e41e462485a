package conformance

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	kflate "github.com/klauspost/compress/flate"
)

// Offer is one permessage-deflate offer of the client (RFC 7692 §7.1).
type Offer struct {
	// ClientNoContextTakeover offers client_no_context_takeover (Autobahn's
	// acceptNoContextTakeover, on in all its offers).
	ClientNoContextTakeover bool
	// ClientMaxWindowBits offers client_max_window_bits: 0 not at all, -1
	// without a value (Autobahn's acceptMaxWindowBits), 8-15 with that value.
	ClientMaxWindowBits int
	// ServerNoContextTakeover asks for server_no_context_takeover.
	ServerNoContextTakeover bool
	// ServerMaxWindowBits asks for server_max_window_bits=N (8-15); 0 does not.
	ServerMaxWindowBits int
}

// AutobahnOffer is the offer Autobahn's PerMessageDeflateOffer makes with
// the given requestNoContextTakeover and requestMaxWindowBits.
func AutobahnOffer(serverNoContextTakeover bool, serverMaxWindowBits int) Offer {
	return Offer{ClientNoContextTakeover: true, ClientMaxWindowBits: -1,
		ServerNoContextTakeover: serverNoContextTakeover, ServerMaxWindowBits: serverMaxWindowBits}
}

// String is the offer as a Sec-WebSocket-Extensions element, parameters in
// Autobahn's order.
func (o Offer) String() string {
	var b strings.Builder
	b.WriteString("permessage-deflate")
	if o.ClientNoContextTakeover {
		b.WriteString("; client_no_context_takeover")
	}
	switch {
	case o.ClientMaxWindowBits < 0:
		b.WriteString("; client_max_window_bits")
	case o.ClientMaxWindowBits > 0:
		b.WriteString("; client_max_window_bits=" + strconv.Itoa(o.ClientMaxWindowBits))
	}
	if o.ServerNoContextTakeover {
		b.WriteString("; server_no_context_takeover")
	}
	if o.ServerMaxWindowBits > 0 {
		b.WriteString("; server_max_window_bits=" + strconv.Itoa(o.ServerMaxWindowBits))
	}
	return b.String()
}

// Deflate holds the permessage-deflate parameters in force on a connection.
type Deflate struct {
	ServerNoContextTakeover bool
	ClientNoContextTakeover bool
	ServerMaxWindowBits     int // 8-15
	ClientMaxWindowBits     int // 8-15
}

// negotiate checks the server's Sec-WebSocket-Extensions answer (the values
// of every such header line) against the offers and returns the parameters
// in force, nil when the server accepted no extension. The server may accept
// only permessage-deflate, once, with valid parameters (RFC 7692 §7), in a
// response that fits one of the offers: server_no_context_takeover when the
// client asked for it (§7.1.1.1), server_max_window_bits not above the one
// asked for (§7.1.2.1), client_max_window_bits only if offered and not above
// the offered value (§7.1.2.2).
func negotiate(lines []string, offers []Offer) (*Deflate, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	if len(lines) > 1 {
		return nil, fmt.Errorf("%w: %d Sec-WebSocket-Extensions lines", ErrHandshake, len(lines))
	}
	if len(offers) == 0 {
		return nil, fmt.Errorf("%w: extension %q accepted without an offer", ErrHandshake, lines[0])
	}
	exts := strings.Split(lines[0], ",")
	if len(exts) != 1 {
		return nil, fmt.Errorf("%w: more than one extension accepted: %q", ErrHandshake, lines[0])
	}
	parts := strings.Split(exts[0], ";")
	if !strings.EqualFold(strings.TrimSpace(parts[0]), "permessage-deflate") {
		return nil, fmt.Errorf("%w: extension %q was not offered", ErrHandshake, parts[0])
	}
	var (
		d                           = Deflate{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
		seen                        = map[string]bool{}
		serverBits, clientBits      int
		hasServerBits, hasClientBit bool
	)
	for _, p := range parts[1:] {
		name, value, hasValue := strings.Cut(strings.TrimSpace(p), "=")
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.Trim(strings.TrimSpace(value), `"`)
		if seen[name] {
			return nil, fmt.Errorf("%w: parameter %s repeated (RFC 7692 §7)", ErrHandshake, name)
		}
		seen[name] = true
		switch name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if hasValue {
				return nil, fmt.Errorf("%w: %s with a value (RFC 7692 §7.1.1)", ErrHandshake, name)
			}
			if name[0] == 's' {
				d.ServerNoContextTakeover = true
			} else {
				d.ClientNoContextTakeover = true
			}
		case "server_max_window_bits", "client_max_window_bits":
			bits, err := strconv.Atoi(value)
			if !hasValue || err != nil || bits < 8 || bits > 15 || value[0] == '0' {
				return nil, fmt.Errorf("%w: %s=%q (RFC 7692 §7.1.2)", ErrHandshake, name, value)
			}
			if name[0] == 's' {
				serverBits, hasServerBits = bits, true
			} else {
				clientBits, hasClientBit = bits, true
			}
		default:
			return nil, fmt.Errorf("%w: unknown parameter %q (RFC 7692 §7)", ErrHandshake, name)
		}
	}
	var why []string
	for _, o := range offers {
		switch {
		case o.ServerNoContextTakeover && !d.ServerNoContextTakeover:
			why = append(why, o.String()+": server_no_context_takeover not accepted")
		case o.ServerMaxWindowBits > 0 && !hasServerBits:
			why = append(why, o.String()+": server_max_window_bits not accepted")
		case o.ServerMaxWindowBits > 0 && serverBits > o.ServerMaxWindowBits:
			why = append(why, o.String()+": server_max_window_bits above the offer")
		case hasClientBit && o.ClientMaxWindowBits == 0:
			why = append(why, o.String()+": client_max_window_bits was not offered")
		case hasClientBit && o.ClientMaxWindowBits > 0 && clientBits > o.ClientMaxWindowBits:
			why = append(why, o.String()+": client_max_window_bits above the offer")
		default:
			if hasServerBits {
				d.ServerMaxWindowBits = serverBits
			}
			switch {
			case hasClientBit:
				d.ClientMaxWindowBits = clientBits
			case o.ClientMaxWindowBits > 0:
				d.ClientMaxWindowBits = o.ClientMaxWindowBits // keep to our own hint
			}
			return &d, nil
		}
	}
	return nil, fmt.Errorf("%w: response %q fits no offer (%s)", ErrHandshake, lines[0], strings.Join(why, "; "))
}

// syncTail ends a sync-flushed DEFLATE block; permessage-deflate strips it
// from every message and the receiver appends it again (RFC 7692 §7.2.1).
var syncTail = []byte{0x00, 0x00, 0xff, 0xff}

// codec compresses the client's messages and decompresses the server's for
// the parameters d.
type codec struct {
	d   Deflate
	buf bytes.Buffer
	w   interface {
		Write([]byte) (int, error)
		Flush() error
		Reset(io.Writer)
	}
	hist []byte // the server's output kept for its context takeover
}

func newCodec(d Deflate) *codec { return &codec{d: d} }

// compress returns p deflated, without the sync tail. With the full window
// it uses compress/flate at its default level, close to the zlib Autobahn
// uses, and a different encoder from the server's; with a smaller one it
// uses klauspost's windowed writer, which keeps to client_max_window_bits.
func (c *codec) compress(p []byte) []byte {
	switch {
	case c.w == nil && c.d.ClientMaxWindowBits >= 15:
		c.w, _ = flate.NewWriter(&c.buf, flate.DefaultCompression)
	case c.w == nil:
		c.w, _ = kflate.NewWriterWindow(&c.buf, 1<<c.d.ClientMaxWindowBits)
	case c.d.ClientNoContextTakeover:
		c.w.Reset(&c.buf)
	}
	c.buf.Reset()
	_, _ = c.w.Write(p) // writes to a bytes.Buffer do not fail
	_ = c.w.Flush()
	out := bytes.Clone(c.buf.Bytes())
	return bytes.TrimSuffix(out, syncTail)
}

// decompress inflates one compressed server message of at most limit bytes.
// With the full window compress/flate decodes it, given the server's earlier
// output as dictionary under context takeover; with a smaller window
// inflateWindow does, checking every distance against the window.
func (c *codec) decompress(p []byte, limit int) ([]byte, error) {
	in := append(bytes.Clone(p), syncTail...)
	window := 1 << c.d.ServerMaxWindowBits
	var hist []byte
	if !c.d.ServerNoContextTakeover {
		hist = c.hist
	}
	var out []byte
	var err error
	if window >= 1<<15 {
		src := bytes.NewReader(in) // an io.ByteReader: flate reads no further than it needs
		fr := flate.NewReaderDict(src, hist)
		out, err = io.ReadAll(io.LimitReader(fr, int64(limit)+1))
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF) && src.Len() == 0:
			err = nil // the input ended after the appended empty stored block
		case err != nil:
			err = fmt.Errorf("%w: %v", ErrDeflate, err)
		case len(out) > limit:
			err = fmt.Errorf("%w: output over %d bytes", ErrDeflate, limit)
		}
	} else {
		out, err = inflateWindow(nil, hist, in, window, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (server window %d bytes)", err, window)
	}
	if !c.d.ServerNoContextTakeover {
		c.hist = append(c.hist, out...)
		if len(c.hist) > window {
			c.hist = append(c.hist[:0], c.hist[len(c.hist)-window:]...)
		}
	}
	return out, nil
}
