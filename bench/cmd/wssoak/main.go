// Command wssoak runs a bounded soak test of a wsgate binary on loopback (package
// bench/soak): echo, broadcast, churn, slow readers and malformed clients for a fixed
// duration, with the gateway's RSS, goroutines and open descriptors sampled over time. It
// exits 1 when anything grew past its bound or a client saw something it should not.
//
//	wssoak -gateway bin/wsgate -duration 2m
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wsgate/wsgate/bench/soak"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "wssoak:", err)
		os.Exit(1)
	}
}

// errFailed reports a run that completed and found problems (already printed).
var errFailed = errors.New("soak failed")

func run(args []string) error {
	var cfg soak.Config
	fs := flag.NewFlagSet("wssoak", flag.ContinueOnError)
	fs.StringVar(&cfg.Gateway, "gateway", "bin/wsgate", "the wsgate `binary` to run")
	fs.DurationVar(&cfg.Duration, "duration", 0, "how long the load runs (default 2m)")
	fs.DurationVar(&cfg.Every, "every", 0, "sample interval (default duration/12, within 2s..15s)")
	fs.IntVar(&cfg.Echo, "echo", 0, "long-lived echo clients (default 40)")
	fs.IntVar(&cfg.Subscribers, "subscribers", 0, "broadcast readers (default 20)")
	fs.IntVar(&cfg.Publishers, "publishers", 0, "broadcast publishers (default 2)")
	fs.IntVar(&cfg.Rate, "rate", 0, "messages per second per echo client and publisher (default 20)")
	fs.IntVar(&cfg.Churn, "churn", 0, "connect/close workers (default 4)")
	fs.DurationVar(&cfg.ChurnPause, "churn-pause", 0, "pause between a churn worker's cycles (default 10ms)")
	fs.IntVar(&cfg.Slow, "slow", 0, "slow readers (default 4)")
	fs.DurationVar(&cfg.SlowStall, "slow-stall", 0, "how long a slow reader stalls between looks (default 20s)")
	fs.IntVar(&cfg.Malformed, "malformed", 0, "malformed clients (default 4)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := soak.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if !rep.OK() {
		return errFailed
	}
	return nil
}
