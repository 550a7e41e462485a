package harness

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wsgate/wsgate/bench/load"
)

// Errors returned by this package.
var (
	// ErrUsage reports a bad command line.
	ErrUsage = errors.New("harness: usage: wsbench run|compare|report [flags] (-h for flags)")
	// ErrNoServer reports that no server could be built.
	ErrNoServer = errors.New("harness: no server could be built")
	// ErrServerStart reports a server that did not start listening in time.
	ErrServerStart = errors.New("harness: server did not start")
	// ErrServerDied reports a server process that exited during a run.
	ErrServerDied = errors.New("harness: server exited during the run")
)

// Main runs the wsbench command line: "run" for one scenario against a
// running server, "compare" for the whole benchmark, "report" to remake the
// report from a compare run's raw output.
func Main(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return ErrUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "run":
		return runCmd(ctx, args[1:], stdout, stderr)
	case "compare":
		return compareCmd(ctx, args[1:], stdout, stderr)
	case "report":
		return reportCmd(args[1:], stdout, stderr)
	}
	return ErrUsage
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg load.Config
	var scenario string
	var asJSON bool
	fs.StringVar(&scenario, "scenario", "echo", "echo, idle, upgrade, broadcast or pubsub")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:18082", "server address (loopback only)")
	fs.StringVar(&cfg.Path, "path", "/echo", "request path")
	fs.IntVar(&cfg.Conns, "conns", 100, "connections, subscribers (broadcast) or workers (upgrade)")
	fs.IntVar(&cfg.Size, "size", 64, "message size in bytes")
	fs.DurationVar(&cfg.Duration, "duration", 3*time.Second, "measured window")
	fs.DurationVar(&cfg.Warmup, "warmup", 500*time.Millisecond, "load before the window")
	fs.DurationVar(&cfg.Settle, "settle", time.Second, "idle: wait before sampling VmRSS")
	fs.IntVar(&cfg.Window, "window", 4, "broadcast, pubsub: messages in flight")
	fs.IntVar(&cfg.Topics, "topics", 1, "pubsub: topics the subscribers spread over")
	fs.StringVar((*string)(&cfg.Protocol), "protocol", "", "pubsub: client protocol, \"\" (raw: ?topic=) or centrifugo")
	fs.IntVar(&cfg.Loops, "loops", 2, "client event loops")
	fs.IntVar(&cfg.PID, "pid", 0, "server process to sample for CPU time and VmRSS")
	fs.DurationVar(&cfg.Deadline, "deadline", 0, "watchdog deadline (0: from the phases)")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Scenario = load.Scenario(scenario)
	cfg.Progress, cfg.Label = stderr, scenario
	res, err := load.Run(ctx, cfg)
	if asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprintln(stdout, FormatResult(res))
	}
	return err
}

// FormatResult is a one-line human summary of a result.
func FormatResult(r load.Result) string {
	s := fmt.Sprintf("%s conns=%d size=%d window=%.2fs count=%d rate=%.0f/s cpu=%.2fs per_cpu_s=%.0f p50=%.0fµs p99=%.0fµs p99.9=%.0fµs max=%.0fµs rss=%.1fMB",
		r.Scenario, r.Conns, r.Size, r.Seconds, r.Count, r.Rate, r.CPU, r.PerCPU, r.P50, r.P99, r.P999, r.Max, float64(r.RSSAfter)/(1<<20))
	if r.Scenario == load.PubSub {
		s += fmt.Sprintf(" topics=%d bytes_per_conn=%.0f", r.Topics, r.PerConn)
	}
	if r.Scenario == load.Idle {
		s += fmt.Sprintf(" bytes_per_conn=%.0f alive=%d", r.PerConn, r.Alive)
	}
	if r.Lost > 0 {
		s += fmt.Sprintf(" lost=%d", r.Lost)
	}
	s += fmt.Sprintf(" failed=%d dropped=%d errors=%d", r.Failed, r.Dropped, r.Errors)
	if r.Err != "" {
		s += " error=" + fmt.Sprintf("%q", r.Err)
	}
	return s
}
