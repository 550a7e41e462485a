// Copyright (c) 2026 The wsgate Authors. Licensed under the Apache License, Version 2.0,
// like the rest of gnet. A patch on gnet v2.9.7 kept by wsgate (PATCH.md).

//go:build (darwin || dragonfly || freebsd || linux || netbsd || openbsd) && !poll_opt

package gnet

// setPollCallback does nothing in the default reactor, which finds a connection's handler
// through its descriptor (reactor_default.go) and never calls PollAttachment.Callback:
// setting it to the method value c.processIO would allocate 16 bytes per connection that
// stay live as long as the connection.
func (c *conn) setPollCallback() {}

// pollOptReactor reports whether this build uses the poll_opt reactor.
const pollOptReactor = false
