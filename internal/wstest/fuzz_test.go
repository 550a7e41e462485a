package wstest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gobwas/ws"
)

// FuzzParseHeader checks ParseHeader against gobwas/ws's ReadHeader as the
// oracle: both read a header from the same bytes, or neither does, and where
// both do they agree on every field; ErrNeedMore only while the header is
// incomplete; CheckServer accepts only what a server may send.
func FuzzParseHeader(f *testing.F) {
	for _, tc := range frameCases {
		var buf bytes.Buffer
		_ = ws.WriteHeader(&buf, ws.Header{Fin: true, OpCode: ws.OpCode(tc.op), Length: int64(tc.size)})
		f.Add(buf.Bytes())
	}
	f.Add([]byte{0x82, 0x80, 1, 2, 3, 4})
	f.Add([]byte{0xC1, 0xFE, 0x01, 0x00, 1, 2, 3, 4})
	f.Add([]byte{0x02, 127, 0, 0, 0, 0, 0, 1, 0, 0})
	f.Add([]byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		o, oerr := ws.ReadHeader(bytes.NewReader(b))
		switch {
		case errors.Is(err, ErrNeedMore):
			if oerr == nil {
				t.Fatalf("%x: need more, gobwas read %+v", b, o)
			}
			return
		case errors.Is(err, ErrFrameTooLarge):
			if oerr == nil && o.Length <= MaxFrame {
				t.Fatalf("%x: too large, gobwas reads length %d", b, o.Length)
			}
			return
		case err != nil:
			if oerr == nil {
				t.Fatalf("%x: %v, gobwas read %+v", b, err, o)
			}
			return
		}
		if oerr != nil {
			t.Fatalf("we read %x as %+v, gobwas: %v", b, h, oerr)
		}
		if !sameAsGobwas(h, o) {
			t.Fatalf("%x: ours %+v, gobwas %+v", b, h, o)
		}
		if h.Size > len(b) || h.Size > MaxHeader {
			t.Fatalf("%x: size %d", b, h.Size)
		}
		if h.CheckServer(RsvDeflate) == nil {
			op := ws.OpCode(h.Op)
			if o.Masked || o.Rsv&^ws.Rsv(true, false, false) != 0 || op.IsReserved() ||
				op.IsControl() && (!o.Fin || o.Length > 125 || o.Rsv != 0) || op == ws.OpContinuation && o.Rsv != 0 {
				t.Fatalf("%x: CheckServer accepts %+v", b, o)
			}
		}
	})
}

// FuzzCheckResponse feeds arbitrary responses; it must not panic and must
// accept only a 101 carrying the right accept value.
func FuzzCheckResponse(f *testing.F) {
	var good bytes.Buffer
	_, _ = ws.Upgrader{}.Upgrade(rw{bytes.NewReader(AppendRequest(nil, "h", "/", testKey)), &good})
	f.Add(good.Bytes())
	_, rest, _ := bytes.Cut(good.Bytes(), []byte("Sec-WebSocket-Accept: "))
	accept, _, _ := bytes.Cut(rest, []byte("\r\n"))
	if len(accept) != 28 {
		f.Fatalf("no accept value in %q", good.Bytes())
	}
	f.Add([]byte("HTTP/1.1 101 x\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 404 Not Found\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := CheckResponse(b, testKey)
		if err != nil {
			return
		}
		if n > len(b) || !bytes.HasPrefix(b, []byte("HTTP/1.1 101")) || !bytes.Contains(b[:n], accept) {
			t.Fatalf("accepted %q (n=%d)", b, n)
		}
	})
}
