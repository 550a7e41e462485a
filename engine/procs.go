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
