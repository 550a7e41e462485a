//go:build amd64 || arm64

package engine

import (
	"testing"
	"unsafe"
)

// TestConnSize keeps a connection in the 224-byte size class of the Go allocator: an idle
// gateway holds one per client (bench/FINDINGS.md, idle memory; issue 17 asks for 600 B per
// idle connection in all). The output queue of issue 16 (shared frame references, pending
// segments, and the backlog other writers judge by: no queue, no backlog) lives behind
// conn.oq and the HTTP phase (head scanner, static body) behind conn.hp, both pooled and
// held only while in use; a TLS connection's state is behind conn.extra; the flags guarded
// by conn.mu share a byte; the timer deadline is conn.due alone, which the sweep negates
// rather than clears when it wakes the connection. Rarely used fields go behind conn.extra
// or conn.reasons, not into conn.
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(conn{}); n > 224 {
		t.Fatalf("conn is %d bytes, want at most 224", n)
	}
}
