package pubsub_test

import (
	"bytes"
	"compress/flate"
	"io"
	"testing"
	"time"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/wstest"
)

// rawFrame reads the next frame of c with its header, byte-exact.
func rawFrame(t *testing.T, c *wstest.Conn) (wstest.Header, []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	h, err := c.ReadHeader()
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.R, p); err != nil {
		t.Fatal(err)
	}
	return h, p
}

// The frames receivers get, byte for byte: a raw receiver gets the payload alone in one
// unfragmented frame of the publish's type, an envelope receiver one text frame; receivers
// with permessage-deflate (no server context takeover) get one compressed frame, the same
// bytes for every one of them, that inflates to the message.
func TestFramesOnTheWire(t *testing.T) {
	g := startGateway(t, pubsub.Options{}, func(_ *engine.Options, s *apps.Spec) { s.Compression = true })
	dial := func(query string, header ...string) *wstest.Conn {
		c, err := wstest.Dial(g.addr, "/ps"+query, wstest.Options{Header: header})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	raw := dial("?topic=f")
	env := dial("?topic=f", "Sec-WebSocket-Protocol: "+pubsub.Subprotocol)
	var zs []*wstest.Conn
	for range 2 {
		z := dial("?topic=f", "Sec-WebSocket-Extensions: permessage-deflate")
		if !bytes.Contains(z.Head, []byte("permessage-deflate")) {
			t.Fatalf("no permessage-deflate in %q", z.Head)
		}
		z.Rsv = 4 // RSV1: compressed
		zs = append(zs, z)
	}
	g.waitSubscriptions(t, 4)

	g.publish(t, "f", pubsub.Binary, "\x00\x01\x02", false)
	if h, p := rawFrame(t, raw); !h.Fin || h.Op != 2 || h.Rsv != 0 || string(p) != "\x00\x01\x02" {
		t.Errorf("raw receiver: %+v %q, want one binary frame 00 01 02", h, p)
	}
	if h, p := rawFrame(t, env); !h.Fin || h.Op != 1 || string(p) != `{"type":"message","topic":"f","data":{"base64":"AAEC"}}` {
		t.Errorf("envelope receiver: %+v %q", h, p)
	}

	text := bytes.Repeat([]byte("all the same words "), 50)
	g.publish(t, "f", pubsub.Text, string(text), false)
	var first []byte
	for i, z := range zs {
		rawFrame(t, z) // the binary message before
		h, p := rawFrame(t, z)
		if !h.Fin || h.Op != 1 || h.Rsv != 4 || len(p) >= len(text) {
			t.Fatalf("compressed receiver %d: %+v, %d bytes for %d", i, h, len(p), len(text))
		}
		if i == 0 {
			first = p
		} else if !bytes.Equal(p, first) {
			t.Errorf("compressed receivers got different bytes: compressed more than once")
		}
		// RFC 7692 §7.2.2: append 00 00 ff ff and inflate.
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(append(p, 0, 0, 0xff, 0xff))))
		if err != nil && err != io.ErrUnexpectedEOF {
			t.Fatal(err)
		}
		if !bytes.Equal(got, text) {
			t.Errorf("inflated %q", got)
		}
	}
	if h, p := rawFrame(t, raw); h.Op != 1 || h.Rsv != 0 || !bytes.Equal(p, text) {
		t.Errorf("raw receiver without compression: %+v %d bytes", h, len(p))
	}
}
