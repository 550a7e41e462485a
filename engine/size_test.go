//go:build amd64 || arm64

package engine

import (
	"testing"
	"unsafe"
)

// TestConnSize keeps a connection in the 240-byte size class of the Go allocator: an idle
// gateway holds one per client (bench/FINDINGS.md, idle memory; issue 17 asks for 600 B per
// idle connection in all). The output queue of issue 16 (shared frame references, pending
// segments) lives in conn.oq and the HTTP phase (head scanner, static body) in conn.hp,
// both pooled and held only while in use; a TLS connection's state is behind conn.extra,
// and the flags guarded by conn.mu share a byte. Rarely used fields go behind conn.extra
// or conn.reasons, not into conn.
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(conn{}); n > 240 {
		t.Fatalf("conn is %d bytes, want at most 240", n)
	}
}
