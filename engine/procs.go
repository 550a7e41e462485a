package engine

import (
	"os"
	"runtime"
)

// A spare P for the loops' blocking system calls.
//
// Each gnet event loop is a goroutine that spends its time in system calls: epoll_wait when
// idle, read and write when busy. With GOMAXPROCS equal to the number of loops (Go's default
// on a machine with as many CPUs as loops) no P is ever idle while both loops are in a
// system call, so the runtime's monitor thread (sysmon) takes the P of any loop whose call
// lasts past its 20 µs tick and hands it to another thread, and the loop, back from the
// call, finds its P gone and has to park its thread and wait for one (futex calls on both
// sides, a context switch each). One P more than there are loops lets sysmon see an idle P
// and leave the loops' Ps alone. A profile of the proxy under load (bench/proxy) showed
// those hand-offs as most of the process's futex calls: 2,800-3,700 in 2 s against
// 600-700 with the spare P, and 25% more 4 KiB messages per CPU second.
//
// The spare P costs nothing while idle (no thread runs it). GOMAXPROCS set in the
// environment is left alone, and so is a GOMAXPROCS already above the loop count.

// reserveSpareProc raises GOMAXPROCS to loops+1 unless the environment sets it or it is
// already higher; Server.Start calls it before starting the loops.
func reserveSpareProc(loops int) {
	if _, set := os.LookupEnv("GOMAXPROCS"); set {
		return
	}
	if runtime.GOMAXPROCS(0) <= loops {
		runtime.GOMAXPROCS(loops + 1)
	}
}

// DefaultEventLoops is the number of event loops on a machine with ncpu CPUs: half of
// them, at least one. A busy loop is a thread that keeps a core to itself, and it is not
// the only thing that needs the cores: the kernel's TCP work for every send and receive
// (on loopback and on a NIC's softirq alike), the gateway's own goroutines (TLS
// handshakes, proxies' upstreams, the cluster client, the collector), and on a device the
// other programs beside the gateway. A loop per CPU makes the loops preempt those and each
// other and move connections' data between cores. On two cores shared with the load
// generator, one loop against two served a third more pubsub deliveries, a fifth more
// broadcast deliveries and an eighth more handshakes per CPU second, echo level; per
// wall-clock second the fan-outs were level and echo and handshakes a tenth behind, as one
// loop uses one core (bench/FINDINGS.md). Options.EventLoops (the event_loops setting)
// uses every core where the gateway has the machine to itself.
func DefaultEventLoops(ncpu int) int {
	return max(1, ncpu/2)
}
