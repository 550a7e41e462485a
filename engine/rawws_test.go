package engine

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
)

// maskedFrame encodes one client frame with FIN set and a fixed mask.
func maskedFrame(op byte, payload []byte) []byte {
	mask := [4]byte{0x11, 0x22, 0x33, 0x44}
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n < 1<<16:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	b = append(b, mask[:]...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

// readHead reads until the end of an HTTP head and returns it with the bytes after it.
func readHead(t testing.TB, nc net.Conn) (string, []byte) {
	t.Helper()
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
			return string(buf[:i+4]), buf[i+4:]
		}
		n, err := nc.Read(tmp)
		if err != nil {
			t.Fatalf("reading head: %v (have %q)", err, buf)
		}
		buf = append(buf, tmp[:n]...)
	}
}

// readN returns exactly n bytes, starting with have.
func readN(t testing.TB, nc net.Conn, have []byte, n int) []byte {
	t.Helper()
	buf := append([]byte(nil), have...)
	tmp := make([]byte, 4096)
	for len(buf) < n {
		m, err := nc.Read(tmp)
		if err != nil {
			t.Fatalf("read: %v (have %q)", err, buf)
		}
		buf = append(buf, tmp[:m]...)
	}
	return buf
}

func readSome(t testing.TB, nc net.Conn) []byte {
	t.Helper()
	tmp := make([]byte, 4096)
	n, err := nc.Read(tmp)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return tmp[:n]
}
