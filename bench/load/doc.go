// Package load is the load generator behind bench/cmd/wsbench: one process that
// drives thousands of WebSocket client connections against a server on the
// loopback interface, without a goroutine per connection.
//
// A run has a small number of event loops (Config.Loops), each a goroutine
// with its own epoll instance that owns a share of the connections. A
// connection is a non-blocking socket with a state machine (connecting,
// handshaking, open, closing); the client handshake and the masked-frame
// writer and header parser are internal/wstest's allocation-free byte-slice
// functions, the project's one test client.
//
// Scenarios (see Scenario):
//
//	echo       N connections, each sends one message and waits for its echo
//	idle       N connections held open; server VmRSS per connection; liveness
//	upgrade    connect, upgrade, close handshake, repeated by C workers
//	broadcast  one publisher and N subscribers of the server's broadcast path
//
// Every run is bounded: Config.Deadline caps it, a watchdog stops the loops
// when it passes, and every wait inside a run has its own timeout. Targets
// must be loopback addresses; Run refuses anything else.
//
// For every scenario the server process named by Config.PID is sampled from
// /proc: CPU time (utime+stime) over the measured window, so that throughput
// can be given per server CPU second, and VmRSS.
//
//	res, err := load.Run(ctx, load.Config{
//		Scenario: load.Echo, Addr: "127.0.0.1:18082", Path: "/echo",
//		Conns: 1000, Size: 64, Duration: 3 * time.Second, PID: pid,
//	})
package load
