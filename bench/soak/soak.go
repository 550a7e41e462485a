package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// Errors of the soak run.
var (
	// ErrConfig: the run's configuration cannot be used.
	ErrConfig = errors.New("soak: bad configuration")
	// ErrCorrupt: a client received a message that is not what was sent.
	ErrCorrupt = errors.New("soak: corrupted message")
	// ErrUnexpected: the gateway answered a client otherwise than it must.
	ErrUnexpected = errors.New("soak: unexpected answer")
	// ErrMetrics: the gateway's metrics endpoint returned something unreadable.
	ErrMetrics = errors.New("soak: bad metrics line")
)

// Config is one soak run. Every field but Gateway has a default, used when it is zero.
type Config struct {
	Gateway  string        // path to the wsgate binary; required
	Duration time.Duration // how long the load runs; default 2m
	Every    time.Duration // how often a sample is printed; default Duration/12, within [2s, 15s]
	Out      io.Writer     // progress and report; default os.Stdout

	Echo        int           // long-lived echo clients; default 40
	Subscribers int           // broadcast clients that only read; default 20
	Publishers  int           // broadcast clients that also publish at Rate; default 2
	Rate        int           // messages per second of each echo client and publisher; default 20
	Churn       int           // connect/message/close workers; default 4
	ChurnPause  time.Duration // pause between a churn worker's cycles; default 10ms
	Slow        int           // broadcast subscribers that stop reading; default 4
	SlowStall   time.Duration // how long a slow reader stalls between looks; default 20s
	Malformed   int           // hostile clients; default 4
}

func (c *Config) normalize() error {
	if c.Gateway == "" {
		return fmt.Errorf("%w: no gateway binary", ErrConfig)
	}
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	defDur := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	defDur(&c.Duration, 2*time.Minute)
	defDur(&c.Every, min(max(c.Duration/12, 2*time.Second), 15*time.Second))
	defDur(&c.ChurnPause, 10*time.Millisecond)
	// Loopback autotunes the gateway's socket send buffer to a few MiB, which a stalled
	// reader must fill at the broadcast rate before the output bound is even reached.
	defDur(&c.SlowStall, 20*time.Second)
	def(&c.Echo, 40)
	def(&c.Subscribers, 20)
	def(&c.Publishers, 2)
	def(&c.Rate, 20)
	def(&c.Churn, 4)
	def(&c.Slow, 4)
	def(&c.Malformed, 4)
	if c.Out == nil {
		c.Out = os.Stdout
	}
	for _, n := range []int{c.Echo, c.Subscribers, c.Publishers, c.Rate, c.Churn, c.Slow, c.Malformed} {
		if n < 0 {
			return fmt.Errorf("%w: negative client count", ErrConfig)
		}
	}
	if c.Duration < 0 || c.Every < 0 || c.ChurnPause < 0 || c.SlowStall < 0 {
		return fmt.Errorf("%w: negative duration", ErrConfig)
	}
	return nil
}

// Bounds on the gateway's resources once the load is steady, relative to the peak of the
// warm-up (the first quarter of the run, at least warmupMin): the load is constant, so what
// a leak adds shows as growth past these margins.
const (
	warmupMin      = 5 * time.Second
	rssSlack       = 32 << 20 // plus a quarter of the warm-up peak
	heapSlack      = 32 << 20 // plus half of the warm-up peak (GC cycles swing the heap)
	goroutineSlack = 10
	fdSlack        = 32 // plus a quarter of the warm-up peak
	// After the load, goroutines and descriptors return to the pre-load baseline within
	// settleTimeout, give or take settleSlack.
	settleTimeout = 15 * time.Second
	settleSlack   = 2
)

// Report is the outcome of a run.
type Report struct {
	Samples  []sample
	Failures []string // empty when the run passed
	LogDir   string   // the gateway's configuration and log
}

// OK reports whether the run passed.
func (r *Report) OK() bool { return len(r.Failures) == 0 }

func (r *Report) failf(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// Run starts the gateway, runs the load for cfg.Duration, and reports. An error means the
// run could not be carried out; a run that found problems returns a Report that is not OK.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	out := cfg.Out
	raiseFileLimit()
	dir, err := os.MkdirTemp("", "wssoak-")
	if err != nil {
		return nil, err
	}
	rep := &Report{LogDir: dir}
	g, err := startGateway(cfg.Gateway, dir)
	if err != nil {
		return nil, err
	}
	defer g.kill()
	fmt.Fprintf(out, "wssoak: gateway pid %d, http %s, ws %s, metrics %s; load for %v; log in %s\n",
		g.cmd.Process.Pid, g.http, g.ws, g.metrics, cfg.Duration, dir)

	// The pre-load baseline: after a first scrape, so that the metrics connection exists in both.
	if _, err := g.sample(ctx); err != nil {
		return nil, err
	}
	pause(ctx, 500*time.Millisecond)
	base, err := g.sample(ctx)
	if err != nil {
		return nil, err
	}
	base.at = -1
	fmt.Fprintf(out, "%8s %6s %4s %8s %8s %5s %6s %9s %9s %10s %8s %6s\n",
		"elapsed", "conns", "hs", "rss_MiB", "heap_MiB", "gor", "fds", "served", "echoed", "bcast_in", "churned", "errors")
	t := newTally()
	row := func(s sample) {
		fmt.Fprintf(out, "%8s %6d %4d %8.1f %8.1f %5d %6d %9d %9d %10d %8d %6d\n",
			s.at.Round(time.Second), s.conns, s.handshaking, mib(s.rss), mib(s.heap), s.goroutines, s.fds,
			t.served.Load(), t.echoed.Load(), t.delivered.Load(), t.churned.Load(), t.errorCount())
	}
	base.at = 0
	row(base)
	base.at = -1

	l := &load{cfg: &cfg, addrs: [2]string{g.http, g.ws}, t: t}
	loadCtx, stop := context.WithTimeout(ctx, cfg.Duration)
	defer stop()
	var wg sync.WaitGroup
	spawn := func(n int, f func(context.Context, int)) {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f(loadCtx, i)
			}()
		}
	}
	start := time.Now()
	spawn(cfg.Echo, l.echoClient)
	spawn(cfg.Subscribers, func(ctx context.Context, i int) { l.subscriber(ctx, i, false) })
	spawn(cfg.Publishers, func(ctx context.Context, i int) { l.subscriber(ctx, cfg.Subscribers+i, true) })
	spawn(cfg.Churn, l.churner)
	spawn(cfg.Slow, l.slowReader)
	spawn(cfg.Malformed, func(ctx context.Context, i int) { l.malformed(ctx, i*len(malformedCases)/max(1, cfg.Malformed)) })

	tick := time.NewTicker(cfg.Every)
	for loadCtx.Err() == nil {
		select {
		case <-loadCtx.Done():
		case <-tick.C:
			s, err := g.sample(ctx)
			if err != nil {
				rep.failf("sampling: %v", err)
				continue
			}
			s.at = time.Since(start)
			rep.Samples = append(rep.Samples, s)
			row(s)
		case <-g.exited:
			stop()
			rep.failf("the gateway exited during the load: %v", g.waitErr)
		}
	}
	tick.Stop()
	last, err := g.sample(ctx)
	if err == nil {
		last.at = time.Since(start)
		rep.Samples = append(rep.Samples, last)
		row(last)
	}
	loadDone := make(chan struct{})
	go func() { wg.Wait(); close(loadDone) }()
	select {
	case <-loadDone:
	case <-time.After(30 * time.Second):
		rep.failf("clients did not finish 30s after the load ended")
	}
	checkBounds(rep, cfg.Duration)

	// Back to the baseline once the clients are gone.
	var settled sample
	deadline := time.Now().Add(settleTimeout)
	for {
		settled, err = g.sample(ctx)
		if err == nil && settled.conns == 0 && settled.handshaking == 0 &&
			settled.goroutines <= base.goroutines+settleSlack && settled.fds <= base.fds+settleSlack {
			break
		}
		if time.Now().After(deadline) {
			rep.failf("not back to the baseline %v after the load: connections %d, handshaking %d, goroutines %d (baseline %d), fds %d (baseline %d)",
				settleTimeout, settled.conns, settled.handshaking, settled.goroutines, base.goroutines, settled.fds, base.fds)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	settled.at = time.Since(start)

	took, stopErr := g.stop()
	if stopErr != nil {
		rep.failf("SIGTERM: %v", stopErr)
	}
	if n := t.errorCount(); n > 0 {
		rep.failf("%d unexpected client outcomes (errors by kind above)", n)
	}
	lines, byLevel, errLines := g.logCounts()
	if byLevel["ERROR"] > 0 {
		rep.failf("the gateway logged %d errors, first: %s", byLevel["ERROR"], errLines[0])
	}
	if cfg.Slow > 0 && cfg.Duration >= 2*cfg.SlowStall && t.eventCount("slow reader: "+slowClosed)+t.eventCount("slow reader: "+slowDropped) == 0 {
		rep.failf("no slow reader was closed at the output bound in %v", cfg.Duration)
	}
	if t.delivered.Load() == 0 || t.echoed.Load() == 0 || t.churned.Load() == 0 {
		rep.failf("a workload made no progress: echoed %d, broadcast deliveries %d, churn cycles %d",
			t.echoed.Load(), t.delivered.Load(), t.churned.Load())
	}

	fmt.Fprintln(out)
	fmt.Fprintf(out, "connections served: %d (gateway upgrades %.0f, accepted %.0f)\n",
		t.served.Load(), last.metrics["wsgate_upgrades_total"], last.metrics["wsgate_accepted_total"])
	fmt.Fprintf(out, "messages delivered: echo %d, broadcast %d (of %d published, to every member; max latency %v), churn cycles %d; gateway messages in %.0f\n",
		t.echoed.Load(), t.delivered.Load(), t.published.Load(), time.Duration(t.latencyMax.Load()).Round(time.Millisecond),
		t.churned.Load(), last.metrics["wsgate_messages_in_total"])
	fmt.Fprintf(out, "gateway: slow consumers closed %.0f, protocol errors %.0f, handshake timeouts %.0f, refused %.0f, panics %.0f, slow callbacks %.0f, accept errors %.0f\n",
		last.metrics["wsgate_slow_closed_total"], last.metrics["wsgate_protocol_errors_total"], last.metrics["wsgate_handshake_timeouts_total"],
		last.metrics["wsgate_refused_total"], last.metrics["wsgate_app_panics_total"], last.metrics["wsgate_slow_callbacks_total"],
		last.metrics["wsgate_accept_errors_total"])
	t.write(out)
	peak := peakOf(rep.Samples)
	fmt.Fprintf(out, "resources: baseline rss %.1f MiB, goroutines %d, fds %d; peak rss %.1f MiB, heap %.1f MiB, goroutines %d, fds %d, connections %d; after the load goroutines %d, fds %d\n",
		mib(base.rss), base.goroutines, base.fds, mib(peak.rss), mib(peak.heap), peak.goroutines, peak.fds, peak.conns,
		settled.goroutines, settled.fds)
	fmt.Fprintf(out, "gateway log: %d lines (info %d, warn %d, error %d); stopped by SIGTERM in %v\n",
		lines, byLevel["INFO"], byLevel["WARN"], byLevel["ERROR"], took.Round(time.Millisecond))
	if rep.OK() {
		fmt.Fprintln(out, "PASS")
		os.RemoveAll(dir)
		rep.LogDir = ""
	} else {
		for _, f := range rep.Failures {
			fmt.Fprintln(out, "FAIL:", f)
		}
		fmt.Fprintln(out, "gateway configuration and log kept in", dir)
	}
	return rep, nil
}

// checkBounds fails the samples after the warm-up that passed their bound.
func checkBounds(rep *Report, d time.Duration) {
	warmup := max(d/4, warmupMin)
	var warm, steady []sample
	for _, s := range rep.Samples {
		if s.at <= warmup {
			warm = append(warm, s)
		} else {
			steady = append(steady, s)
		}
	}
	if len(warm) == 0 || len(steady) == 0 {
		return // too short a run to tell growth from warm-up
	}
	w := peakOf(warm)
	bound := sample{
		rss:        w.rss + w.rss/4 + rssSlack,
		heap:       w.heap + w.heap/2 + heapSlack,
		goroutines: w.goroutines + goroutineSlack,
		fds:        w.fds + w.fds/4 + fdSlack,
	}
	for _, s := range steady {
		for _, c := range []struct {
			what        string
			got, limit  int64
			warmupValue int64
		}{
			{"rss", s.rss, bound.rss, w.rss},
			{"heap", s.heap, bound.heap, w.heap},
			{"goroutines", s.goroutines, bound.goroutines, w.goroutines},
			{"fds", s.fds, bound.fds, w.fds},
		} {
			if c.got > c.limit {
				rep.failf("%s grew to %d at %v, past its bound %d (warm-up peak %d)", c.what, c.got, s.at.Round(time.Second), c.limit, c.warmupValue)
			}
		}
	}
}

// peakOf is the per-field maximum of samples.
func peakOf(samples []sample) sample {
	var p sample
	for _, s := range samples {
		p.rss = max(p.rss, s.rss)
		p.heap = max(p.heap, s.heap)
		p.goroutines = max(p.goroutines, s.goroutines)
		p.fds = max(p.fds, s.fds)
		p.conns = max(p.conns, s.conns)
	}
	return p
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// raiseFileLimit lifts this process's soft RLIMIT_NOFILE to the hard limit: every client is
// a socket. The gateway raises its own.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}
