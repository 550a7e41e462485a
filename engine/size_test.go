//go:build amd64 || arm64

package engine

import (
	"testing"
	"unsafe"
)

// TestConnSize keeps a connection in the 224-byte size class of the Go allocator: an idle
// gateway holds one per client (bench/FINDINGS.md, idle memory). Rarely used fields go
// behind conn.extra or conn.reasons, not into conn.
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(conn{}); n > 224 {
		t.Fatalf("conn is %d bytes, want at most 224", n)
	}
}
