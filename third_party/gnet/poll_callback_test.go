// Copyright (c) 2026 The wsgate Authors. Licensed under the Apache License, Version 2.0,
// like the rest of gnet. A patch on gnet v2.9.7 kept by wsgate (PATCH.md).

//go:build linux

package gnet

import (
	"testing"

	"github.com/panjf2000/gnet/v2/pkg/netpoll"
)

// TestNewStreamConnAllocs: opening a stream connection allocates the conn and nothing more
// that lives with it (the default reactor needs no per-connection callback).
func TestNewStreamConnAllocs(t *testing.T) {
	p, err := netpoll.OpenPoller()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	el := &eventloop{engine: &engine{opts: &Options{WriteBufferCap: 64 << 10}}, poller: p}
	allocs := testing.AllocsPerRun(100, func() {
		c := newStreamConn("tcp", 3, el, nil, nil, nil)
		c.release()
	})
	want := 1.0
	if pollOptReactor {
		want = 2 // the callback the poll_opt reactor calls
	}
	if allocs != want {
		t.Fatalf("%v allocations per connection, want %v", allocs, want)
	}
}
