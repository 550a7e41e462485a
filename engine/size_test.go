//go:build amd64 || arm64

package engine

import (
	"testing"
	"unsafe"
)

// TestConnSize keeps a connection in the 416-byte size class of the Go allocator: an idle
// gateway holds one per client (bench/FINDINGS.md, idle memory). Issue 17 brought conn to
// 224 bytes; the output path of issue 16 (shared frame references, pending segments, the
// request head scanner, the static body in flight, backlogSeen) adds 192 bytes of its own,
// which this merge keeps inline, so the class reached is 416 (the next one is 448).
// Rarely used fields go behind conn.extra or conn.reasons, not into conn.
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(conn{}); n > 416 {
		t.Fatalf("conn is %d bytes, want at most 416", n)
	}
}
