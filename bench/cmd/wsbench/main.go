// Command wsbench is wsgate's load generator and side-by-side benchmark.
//
//	wsbench run -scenario echo -addr 127.0.0.1:18082 -path /echo -conns 1000 -pid PID
//	wsbench compare -mode quick|full [-servers wsgate,gws] [-rounds N]
//	wsbench report -in bench/results-raw.txt
//
// run drives one scenario against a running server (see bench/load);
// compare builds and starts wsgate and the peer servers itself, runs every
// scenario against each in interleaved rounds and writes bench/RESULTS.md
// (see bench/harness); report remakes RESULTS.md and the chart from a
// compare run's raw output.
package main

import (
	"fmt"
	"os"

	"github.com/wsgate/wsgate/bench/harness"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wsbench:", err)
		os.Exit(1)
	}
}

func run() error {
	return harness.Main(os.Args[1:], os.Stdout, os.Stderr)
}
