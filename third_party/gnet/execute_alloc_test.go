// Copyright (c) 2026 The wsgate Authors. Licensed under the Apache License, Version 2.0,
// like the rest of gnet. A patch on gnet v2.9.7 kept by wsgate (PATCH.md).

//go:build linux && !race

package gnet

import (
	"context"
	"testing"
)

type signalRun struct{ done chan struct{} }

func (r *signalRun) Run(context.Context) error { r.done <- struct{}{}; return nil }

// TestExecuteBackgroundAllocs: Execute with context.Background() allocates only the task
// queue's node, not a closure around the Runnable (wsgate queues one per fan-out batch).
func TestExecuteBackgroundAllocs(t *testing.T) {
	cli, err := NewClient(&BuiltinEventEngine{}, WithNumEventLoop(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	defer cli.Stop() //nolint:errcheck
	el := cli.eng.eventLoops.next(nil)
	r := &signalRun{done: make(chan struct{})}
	run := func() {
		if err := el.Execute(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		<-r.done
	}
	run()
	if allocs := testing.AllocsPerRun(500, run); allocs > 1 {
		t.Fatalf("%v allocations per Execute, want at most 1 (the queue's node)", allocs)
	}
}
