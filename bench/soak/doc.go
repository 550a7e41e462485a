// Package soak runs a bounded soak test of a wsgate binary on loopback: it starts the
// gateway as a child process on its own configuration, drives a mix of well-behaved and
// hostile clients at it for a fixed duration, samples the process's resources while it
// does, and then checks that nothing grew past its bound and that everything returns to
// the baseline once the clients are gone.
//
// The load, all against 127.0.0.1:
//
//   - echo: long-lived clients sending messages at a fixed rate and checking every echo;
//   - broadcast: publishers at a fixed rate and subscribers checking every message they
//     receive (its integrity and its latency);
//   - churn: workers connecting, exchanging one message and closing, back to back, on both
//     listeners and both applications;
//   - slow readers: broadcast subscribers that stop reading, which the gateway must close
//     with 1008 at its output bound without slowing the others;
//   - malformed clients: bad request heads (400, 431, 414), slowloris heads cut at the
//     handshake timeout, and protocol violations after the upgrade (1002, 1007, 1009).
//
// Resources are read from /proc/<pid> (RSS, open descriptors) and from the gateway's
// metrics endpoint (goroutines, heap, connections). A run fails when a sample after the
// warm-up passes its bound, when a client sees something it should not (a corrupted or
// missing message, an unexpected status or close code), when the gateway logs an error,
// when goroutines or descriptors do not return to the pre-load baseline, or when the
// gateway does not stop cleanly on SIGTERM.
//
//	rep, err := soak.Run(ctx, soak.Config{Gateway: "bin/wsgate", Duration: 2 * time.Minute, Out: os.Stdout})
//	if err != nil { ... }      // the run could not be carried out
//	if !rep.OK() { ... }       // it ran, and rep.Failures says what went wrong
package soak
