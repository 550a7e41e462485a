// Copyright (c) 2026 The wsgate Authors. Licensed under the Apache License, Version 2.0,
// like the rest of gnet. A patch on gnet v2.9.7 kept by wsgate (PATCH.md).

//go:build linux && amd64

package gnet

import (
	"testing"
	"unsafe"
)

// TestConnSize keeps a connection in the 192-byte size class of the Go allocator: an idle
// server holds one per client, and the next class up is 208 bytes. The addresses live
// behind conn.addrs, shared by the connections EnrollFD gives one listener's address.
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(conn{}); n > 192 {
		t.Fatalf("conn is %d bytes, want at most 192", n)
	}
}
