// Copyright (c) 2026 The wsgate Authors. Licensed under the Apache License, Version 2.0,
// like the rest of gnet. A patch on gnet v2.9.7 kept by wsgate (PATCH.md).

//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package gnet

import (
	"net"
	"testing"
)

// TestEnrolledAddrs: connections enrolled with the same listener address and no remote one
// share one connAddrs, which release does not recycle; another address gets its own.
func TestEnrolledAddrs(t *testing.T) {
	cli := &Client{}
	ln1 := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
	ln2 := &net.UnixAddr{Name: "/tmp/x.sock", Net: "unix"}
	a := cli.enrolledAddrs(ln1)
	if a == nil || a.local != ln1 || a.remote != nil || !a.shared {
		t.Fatalf("first: %+v", a)
	}
	if b := cli.enrolledAddrs(ln1); b != a {
		t.Fatal("the same listener address did not share its connAddrs")
	}
	c := cli.enrolledAddrs(ln2)
	if c == a || c.local != ln2 || !c.shared {
		t.Fatalf("another address: %+v", c)
	}
	if d := cli.enrolledAddrs(nil); d != nil {
		t.Fatalf("no address: %+v, want nil", d)
	}
}
