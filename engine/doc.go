// Package engine runs wsgate: the listeners, the gnet v2 event loops, the connections from
// their first byte to their close, and the timers and writes that go with them.
//
// Each listener (the HTTP service and every standalone server) has its own accept loop, a
// goroutine per listener (not per connection), that hands accepted sockets to the gnet event
// loops. Everything a connection does after that happens on its loop: the request head is
// parsed in place from the loop's buffer (package handshake), the upgrade is checked and
// answered, the application is found in the route table (package internal/route), and frames are
// decoded and encoded (package internal/wsproto). An idle connection holds no read or write
// buffer: gnet keeps only unconsumed bytes, and pending output lives in pooled buffers that
// are returned as soon as they are written.
//
// Writes from applications may come from any goroutine. They are appended, under the
// connection's mutex, to its pending output and flushed by the loop: at the end of the
// current dispatch when the loop is busy, otherwise through one task per loop, however many
// connections have output waiting.
//
// One sweep per server (the gnet ticker) enforces the handshake timeout, the server pings and
// idle close, and the close-handshake timeout without a timer or goroutine per connection: each
// connection publishes its next deadline in an atomic, and the sweep wakes only those due.
//
// Nothing a client sends or an application does may take the process down or stall other
// clients. Every connection's unread output is bounded by Options.MaxPendingBytes, judged on what
// the socket did not take, and a client past it is closed with 1008 keeping the control
// frames already queued (backpressure.go); an HTTP client pipelining requests without reading
// the answers is closed at the same bound. Accept errors such as EMFILE back off and are
// logged once per interval while the open connections are served (accept.go). A panic in a
// callback closes only its connection (1011, or 500 in the handshake); callbacks are timed on
// the coarse clock and a loop blocked in one is reported while it lasts (guard.go).
//
// Embedding: New takes Options (the zero value works), Register adds applications before or
// after Start, Unregister removes one and closes its connections with 1001.
//
//	srv, err := engine.New(engine.Options{HTTP: engine.Listener{Address: ":8080"}, Logger: logger})
//	if err != nil { ... }
//	if err := srv.Register(apps.Spec{Name: "echo", Path: "/echo"}, builtin.Echo{}); err != nil { ... }
//	if err := srv.Start(); err != nil { ... }
//	defer srv.Stop(context.Background())
//
// cmd/wsgate builds the Options and the applications from the configuration file (package
// internal/gateway).
package engine
