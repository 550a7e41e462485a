// Package route is the engine's application registry: the routes (an application, its spec
// and its effective limits), the immutable route table the event loops read without locks,
// and the per-application connection counters. It is internal so that an embedder cannot
// change a limit or a counter; applications are registered through engine.Server.
//
// The registry is built for live reconfiguration: every change publishes a whole new Table
// with one atomic store, and an application's connection counter is kept by name across
// tables, so a changed application keeps counting the connections it already has. A
// connection holds the Route it was opened on, so the engine finds the connections of a
// removed application by comparing Routes.
package route
