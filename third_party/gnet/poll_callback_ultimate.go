// Copyright (c) 2026 The wsgate Authors. Licensed under the Apache License, Version 2.0,
// like the rest of gnet. A patch on gnet v2.9.7 kept by wsgate (PATCH.md).

//go:build (darwin || dragonfly || freebsd || linux || netbsd || openbsd) && poll_opt

package gnet

// setPollCallback points the poller at the connection's handler: the poll_opt reactor
// calls PollAttachment.Callback directly (reactor_ultimate.go).
func (c *conn) setPollCallback() { c.pollAttachment.Callback = c.processIO }

// pollOptReactor reports whether this build uses the poll_opt reactor.
const pollOptReactor = true
