package load

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gobwas/ws"
)

// FuzzParseHeader checks ParseHeader against gobwas/ws's ReadHeader: where
// both accept a header they agree on every field.
func FuzzParseHeader(f *testing.F) {
	for _, tc := range frameCases {
		var buf bytes.Buffer
		_ = ws.WriteHeader(&buf, ws.Header{Fin: true, OpCode: ws.OpCode(tc.op), Length: int64(tc.size)})
		f.Add(buf.Bytes())
	}
	f.Add([]byte{0x82, 0x80, 1, 2, 3, 4})
	f.Add([]byte{0x02, 127, 0, 0, 0, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			if errors.Is(err, ErrNeedMore) && len(b) >= MaxHeader {
				t.Fatalf("need more with %d bytes", len(b))
			}
			return
		}
		o, oerr := ws.ReadHeader(bytes.NewReader(b))
		if oerr != nil {
			t.Fatalf("we accept %x, gobwas: %v", b, oerr)
		}
		if o.Fin != h.Fin || byte(o.OpCode) != h.Op || int(o.Length) != h.Length || o.Masked {
			t.Fatalf("%x: ours %+v, gobwas %+v", b, h, o)
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
