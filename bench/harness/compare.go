package harness

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wsgate/wsgate/bench/load"
)

// Run is one measured run of one server on one case.
type Run struct {
	Round  int         `json:"round"`
	Server string      `json:"server"`
	Case   string      `json:"case"`
	Result load.Result `json:"result"`
}

// Options configure a comparison.
type Options struct {
	Plan    Plan
	Servers []string // names to include; empty for all
	Root    string   // repository root
	Out     string   // directory for RESULTS.md, results.svg, results-raw.txt
	Loops   int      // client event loops
	Profile string   // "server/case": record a perf profile of that run
}

func compareCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "quick", "quick (under a minute) or full (a few minutes)")
	servers := fs.String("servers", "", "comma-separated servers to include (default: all)")
	cases := fs.String("cases", "", "comma-separated cases to run (default: all of the mode)")
	rounds := fs.Int("rounds", 0, "rounds (default: the mode's)")
	root := fs.String("root", ".", "repository root")
	out := fs.String("out", "", "output directory (default: bench for full, bench/work/quick for quick)")
	loops := fs.Int("loops", 2, "client event loops")
	profile := fs.String("profile", "", "server/case to profile (pprof for wsgate, perf otherwise) into bench/work/profile/; implies -out bench/work/profile")
	if err := fs.Parse(args); err != nil {
		return err
	}
	plan, ok := Plans[*mode]
	if !ok {
		return fmt.Errorf("%w: unknown mode %q", ErrUsage, *mode)
	}
	if *rounds > 0 {
		plan.Rounds = *rounds
	}
	if *cases != "" {
		want := strings.Split(*cases, ",")
		plan.Cases = slices.DeleteFunc(slices.Clone(plan.Cases), func(c Case) bool { return !slices.Contains(want, c.Key) })
	}
	opts := Options{Plan: plan, Root: *root, Out: *out, Loops: *loops, Profile: *profile}
	if *servers != "" {
		opts.Servers = strings.Split(*servers, ",")
	}
	if opts.Out == "" {
		opts.Out = filepath.Join(opts.Root, "bench")
		if opts.Profile != "" {
			opts.Out = filepath.Join(opts.Root, "bench", "work", "profile")
		} else if plan.Mode != "full" {
			opts.Out = filepath.Join(opts.Root, "bench", "work", plan.Mode)
		}
	}
	return Compare(ctx, opts, stdout, stderr)
}

// budget estimates how long the plan's runs take, for the watchdog.
func budget(p Plan, servers int) time.Duration {
	var d time.Duration
	for _, c := range p.Cases {
		d += c.Duration + c.Warmup + c.Settle + time.Second + time.Duration(c.Conns)*time.Second/4000
	}
	return time.Duration(p.Rounds*servers)*d + 3*time.Minute
}

// Compare prepares the servers, runs the plan and writes the report.
func Compare(ctx context.Context, opts Options, stdout, stderr io.Writer) error {
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "bench", "peers")); err != nil {
		return fmt.Errorf("%w: %s is not the repository root", ErrUsage, root)
	}
	work := filepath.Join(root, "bench", "work")
	if err := os.MkdirAll(filepath.Join(work, "bin"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return err
	}
	if _, err := load.RaiseNoFile(); err != nil {
		fmt.Fprintln(stderr, "warning: cannot raise RLIMIT_NOFILE:", err)
	}
	logf, err := os.Create(filepath.Join(work, "servers.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	raw, err := os.Create(filepath.Join(opts.Out, "results-raw.txt"))
	if err != nil {
		return err
	}
	defer raw.Close()
	out := io.MultiWriter(stdout, raw)

	var chosen []Server
	for _, s := range Servers {
		if len(opts.Servers) == 0 || slices.Contains(opts.Servers, s.Name) {
			chosen = append(chosen, s)
		}
	}
	if len(chosen) == 0 {
		return ErrNoServer
	}
	ctx, cancel := context.WithTimeout(ctx, budget(opts.Plan, len(chosen)))
	defer cancel()

	env := environment(ctx, root)
	t0 := time.Now()
	fmt.Fprintf(out, "# wsbench compare: mode=%s rounds=%d started=%s\n# %s\n", opts.Plan.Mode, opts.Plan.Rounds, t0.UTC().Format(time.RFC3339), env)
	all := prepareAll(ctx, root, work, chosen, logf)
	var ready []*built
	for _, b := range all {
		if b.skip == "" && b.Pprof != "" && strings.HasPrefix(opts.Profile, b.Name+"/") {
			if err := b.buildProfiled(ctx, work, logf); err != nil {
				b.skip = "pprof build failed: " + err.Error()
			}
		}
		if b.skip != "" {
			fmt.Fprintf(out, "# skip %s: %s\n", b.Name, b.skip)
			continue
		}
		if b.note != "" {
			fmt.Fprintf(out, "# %s: %s\n", b.Name, b.note)
		}
		ready = append(ready, b)
	}
	fmt.Fprintf(out, "# prepared %d servers in %.1fs\n", len(ready), time.Since(t0).Seconds())
	if len(ready) == 0 {
		return ErrNoServer
	}

	var runs []Run
	var pp ports
	for round := 1; round <= opts.Plan.Rounds; round++ {
		for ci, c := range opts.Plan.Cases {
			// Rotate the order every case and round so that no server always
			// runs first or right after the same neighbour.
			k := (round + ci) % len(ready)
			order := append(slices.Clone(ready[k:]), ready[:k]...)
			for _, b := range order {
				if ctx.Err() != nil {
					break
				}
				if b.pathFor(c) == "" {
					continue // a scenario this server does not serve (topics, echo)
				}
				res := runOne(ctx, b, c, &pp, opts, logf, stderr, work, round)
				runs = append(runs, Run{Round: round, Server: b.Name, Case: c.Key, Result: res})
				fmt.Fprintf(out, "r%d %-8s %-8s %s\n", round, b.Name, c.Key, FormatResult(res))
			}
		}
	}
	for _, r := range runs {
		j, _ := json.Marshal(r)
		fmt.Fprintf(raw, "json %s\n", j)
	}
	took := time.Since(t0).Round(time.Second)
	fmt.Fprintf(raw, "# finished in %s\n", took)
	rep := buildReport(opts.Plan, all, runs, env, t0, took)
	if err := os.WriteFile(filepath.Join(opts.Out, "RESULTS.md"), []byte(rep.Markdown()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(opts.Out, "results.svg"), []byte(rep.SVG()), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, rep.Summary())
	fmt.Fprintf(stdout, "\nwrote %s (and results.svg, results-raw.txt) in %.0fs\n", filepath.Join(opts.Out, "RESULTS.md"), time.Since(t0).Seconds())
	if ctx.Err() != nil {
		return fmt.Errorf("harness: stopped early: %w", ctx.Err())
	}
	return nil
}

// prepareAll builds the servers two at a time (the machine has two cores).
func prepareAll(ctx context.Context, root, work string, servers []Server, log io.Writer) []*built {
	out := make([]*built, len(servers))
	sem := make(chan struct{}, 2)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var buf strings.Builder
			b := prepare(ctx, root, work, s, &buf)
			mu.Lock()
			fmt.Fprintf(log, "== prepare %s\n%s", s.Name, buf.String())
			mu.Unlock()
			if b.skip != "" && buf.Len() > 0 {
				b.skip += ": " + lastLine(buf.String())
			}
			out[i] = b
		}()
	}
	wg.Wait()
	return out
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// runOne starts a fresh server, runs one case against it and stops it.
func runOne(ctx context.Context, b *built, c Case, pp *ports, opts Options, log io.Writer, stderr io.Writer, work string, round int) load.Result {
	addr, aux := pp.pair()
	fmt.Fprintf(log, "== r%d %s %s on %s\n", round, b.Name, c.Key, addr)
	profiling := opts.Profile == b.Name+"/"+c.Key
	var env []string
	pprofAddr := ""
	if profiling && b.Pprof != "" {
		pprofAddr, _ = pp.pair()
		env = []string{"WSBENCH_PPROF=" + pprofAddr}
	}
	p, err := b.start(addr, aux, env, log)
	if err != nil {
		return load.Result{Scenario: c.Scenario, Err: err.Error()}
	}
	defer p.stop()
	// Let the runtime finish starting before the baseline is sampled.
	time.Sleep(100 * time.Millisecond)
	path := b.pathFor(c)
	window := 0
	if c.Scenario == load.PubSub {
		window = 4 * c.Topics // four messages in flight per topic, as broadcast has
	}
	var perf *exec.Cmd
	profDone := make(chan error, 1)
	profFile := filepath.Join(opts.Out, fmt.Sprintf("cpu-%s-%s-r%d", b.Name, c.Key, round))
	switch {
	case profiling && pprofAddr != "":
		// The profile covers connecting, warm-up and the measured window.
		secs := int((c.Warmup+c.Duration+c.Settle).Seconds()+0.999) + 1
		go func() { profDone <- fetchProfile(pprofAddr, secs, profFile+".pprof") }()
	case profiling:
		perf = startPerf(p.pid(), profFile+".perf.data", log)
		profDone <- nil
	default:
		profDone <- nil
	}
	res, err := load.Run(ctx, load.Config{
		Scenario: c.Scenario, Addr: addr, Path: path,
		Conns: c.Conns, Size: c.Size, Topics: c.Topics, Window: window, Protocol: b.PubSubProtocol, Duration: c.Duration, Warmup: c.Warmup, Settle: c.Settle,
		Loops: opts.Loops, PID: p.pid(),
		Progress: stderr, Label: fmt.Sprintf("r%d %s %s", round, b.Name, c.Key),
	})
	if perf != nil {
		_ = perf.Process.Signal(os.Interrupt)
		_ = perf.Wait()
		fmt.Fprintf(stderr, "perf profile: %s.perf.data (perf report -i ... --no-children)\n", profFile)
	}
	if err := <-profDone; err != nil {
		fmt.Fprintln(stderr, "profile:", err)
	} else if pprofAddr != "" {
		top := topProfile(b.bin, profFile+".pprof")
		_ = os.WriteFile(profFile+".top.txt", []byte(top+"\n"), 0o644)
		fmt.Fprintf(stderr, "pprof profile: %s.pprof\n%s\n", profFile, top)
	}
	if p.exited() {
		err = errors.Join(err, ErrServerDied)
		res.Err = err.Error()
	}
	return res
}

// startPerf records the server's CPU profile with perf, when perf exists.
func startPerf(pid int, file string, log io.Writer) *exec.Cmd {
	cmd := exec.Command("perf", "record", "-F", "999", "-g", "-p", fmt.Sprint(pid), "-o", file)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(log, "perf:", err)
		return nil
	}
	return cmd
}

// environment describes the machine and toolchains for the report.
func environment(ctx context.Context, root string) string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, v, _ := strings.Cut(l, ":")
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	ver := func(name string, args ...string) string {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		b, err := exec.CommandContext(ctx, name, args...).Output()
		if err != nil {
			return name + " unavailable"
		}
		return strings.TrimSpace(string(b))
	}
	kernel := "linux"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = "Linux " + strings.TrimSpace(string(b))
	}
	rev := ver("git", "-C", root, "rev-parse", "--short", "HEAD")
	if d := ver("git", "-C", root, "status", "--porcelain", "--untracked-files=no"); d != "" && !strings.HasSuffix(d, "unavailable") {
		rev += " with uncommitted changes"
	}
	return fmt.Sprintf("%d cores (%s), %s, %s, node %s; wsgate at %s", runtime.NumCPU(), cpu, kernel, ver("go", "env", "GOVERSION"), ver("node", "--version"), rev)
}
