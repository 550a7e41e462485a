package harness

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/wsgate/wsgate/bench/load"
)

// Report is the aggregated comparison: the median of every figure over the
// rounds, per case and server.
type Report struct {
	Plan     Plan
	Env      string
	Took     time.Duration
	Started  time.Time
	Servers  []string          // usable servers, in Servers order
	Skipped  map[string]string // server -> why it was left out
	About    map[string]string
	Base     string                            // the server ratios are given against
	Med      map[string]map[string]load.Result // case -> server -> medians
	All      map[[2]string][]load.Result       // {case, server} -> every round
	Problems []string
}

// headline is the figure a case is ranked by.
type headline struct {
	label  string
	lower  bool // lower is better
	value  func(load.Result) float64
	format func(float64) string
}

func headlineOf(c Case) headline {
	switch c.Scenario {
	case load.Idle:
		return headline{"server RSS per connection", true, func(r load.Result) float64 { return r.PerConn }, fmtBytes}
	case load.Upgrade:
		return headline{"handshakes per server CPU s", false, func(r load.Result) float64 { return r.PerCPU }, fmtCount}
	case load.Broadcast, load.PubSub:
		return headline{"deliveries per server CPU s", false, func(r load.Result) float64 { return r.PerCPU }, fmtCount}
	}
	return headline{"messages per server CPU s", false, func(r load.Result) float64 { return r.PerCPU }, fmtCount}
}

func fmtCount(v float64) string {
	switch {
	case v == 0 || math.IsNaN(v):
		return "–"
	case v >= 100e3:
		return fmt.Sprintf("%.0fk", v/1e3)
	case v >= 10e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.2fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func fmtBytes(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.Abs(v) >= 10<<10:
		return fmt.Sprintf("%.1f KiB", v/1024)
	case math.Abs(v) >= 1<<10:
		return fmt.Sprintf("%.2f KiB", v/1024)
	}
	return fmt.Sprintf("%.0f B", v)
}

func fmtUS(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v >= 10000:
		return fmt.Sprintf("%.1f ms", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.2f ms", v/1000)
	}
	return fmt.Sprintf("%.0f µs", v)
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medianResult takes every numeric figure's median over rs separately;
// failed runs (Err set) are left out unless all failed.
func medianResult(rs []load.Result) load.Result {
	ok := slices.DeleteFunc(slices.Clone(rs), func(r load.Result) bool { return r.Err != "" })
	if len(ok) == 0 {
		ok = rs
	}
	m := func(f func(load.Result) float64) float64 {
		vs := make([]float64, len(ok))
		for i, r := range ok {
			vs[i] = f(r)
		}
		return median(vs)
	}
	mi := func(f func(load.Result) int64) int64 {
		return int64(m(func(r load.Result) float64 { return float64(f(r)) }))
	}
	out := ok[0]
	out.Conns = int(m(func(r load.Result) float64 { return float64(r.Conns) }))
	out.Seconds = m(func(r load.Result) float64 { return r.Seconds })
	out.Count = mi(func(r load.Result) int64 { return r.Count })
	out.Rate = m(func(r load.Result) float64 { return r.Rate })
	out.CPU = m(func(r load.Result) float64 { return r.CPU })
	out.PerCPU = m(func(r load.Result) float64 { return r.PerCPU })
	out.P50 = m(func(r load.Result) float64 { return r.P50 })
	out.P99 = m(func(r load.Result) float64 { return r.P99 })
	out.P999 = m(func(r load.Result) float64 { return r.P999 })
	out.Max = m(func(r load.Result) float64 { return r.Max })
	out.RSSBefore = mi(func(r load.Result) int64 { return r.RSSBefore })
	out.RSSAfter = mi(func(r load.Result) int64 { return r.RSSAfter })
	out.PerConn = m(func(r load.Result) float64 { return r.PerConn })
	out.Alive = mi(func(r load.Result) int64 { return r.Alive })
	// Failures are summed, not averaged: one is worth seeing.
	out.Failed, out.Dropped, out.Errors, out.Lost = 0, 0, 0, 0
	for _, r := range rs {
		out.Failed += r.Failed
		out.Dropped += r.Dropped
		out.Errors += r.Errors
		out.Lost += r.Lost
	}
	return out
}

func buildReport(plan Plan, all []*built, runs []Run, env string, started time.Time, took time.Duration) *Report {
	rep := &Report{Plan: plan, Env: env, Started: started, Took: took, Skipped: map[string]string{}, About: map[string]string{},
		Med: map[string]map[string]load.Result{}}
	for _, b := range all {
		rep.About[b.Name] = b.About
		if b.note != "" {
			rep.About[b.Name] += "; " + b.note
		}
		if b.skip != "" {
			rep.Skipped[b.Name] = b.skip
			continue
		}
		rep.Servers = append(rep.Servers, b.Name)
	}
	by := map[[2]string][]load.Result{}
	rep.All = by
	for _, r := range runs {
		k := [2]string{r.Case, r.Server}
		by[k] = append(by[k], r.Result)
		if r.Result.Err != "" {
			rep.Problems = append(rep.Problems, fmt.Sprintf("round %d, %s, %s: %s", r.Round, r.Server, r.Case, r.Result.Err))
		}
	}
	for _, c := range plan.Cases {
		rep.Med[c.Key] = map[string]load.Result{}
		for _, s := range rep.Servers {
			if rs := by[[2]string{c.Key, s}]; len(rs) > 0 {
				rep.Med[c.Key][s] = medianResult(rs)
			}
		}
	}
	rep.Base = Baseline
	if !slices.Contains(rep.Servers, Baseline) && len(rep.Servers) > 0 {
		rep.Base = rep.Servers[0]
	}
	return rep
}

// ratio is value / baseline value for case c, NaN when either is missing.
func (rep *Report) ratio(c Case, server string) float64 {
	h := headlineOf(c)
	b, ok1 := rep.Med[c.Key][rep.Base]
	r, ok2 := rep.Med[c.Key][server]
	if !ok1 || !ok2 || h.value(b) == 0 || math.IsNaN(h.value(b)) {
		return math.NaN()
	}
	return h.value(r) / h.value(b)
}

func fmtRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

// goal is the target for wsgate on case c: at least uWebSockets'
// figure and 1.3× the best Go server; for idle memory at most 600 bytes and
// no more than uWebSockets.
func (rep *Report) goal(c Case) (float64, bool) {
	h := headlineOf(c)
	med := rep.Med[c.Key]
	if h.lower {
		g := 600.0
		if u, ok := med["uws"]; ok && u.PerConn > 0 {
			g = min(g, u.PerConn)
		}
		return g, true
	}
	var g float64
	if u, ok := med["uws"]; ok {
		g = h.value(u)
	}
	for s, r := range med {
		if s != "uws" && s != Baseline {
			g = max(g, 1.3*h.value(r))
		}
	}
	return g, g > 0
}

// Summary is the headline table as plain text for the terminal.
func (rep *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-24s %-30s", "case", "figure (ratio to "+rep.Base+")")
	for _, s := range rep.Servers {
		fmt.Fprintf(&b, " %16s", s)
	}
	b.WriteString("\n")
	for _, c := range rep.Plan.Cases {
		h := headlineOf(c)
		fmt.Fprintf(&b, "%-24s %-30s", c.Title, h.label)
		for _, s := range rep.Servers {
			r, ok := rep.Med[c.Key][s]
			cell := "–"
			if ok {
				cell = fmt.Sprintf("%s (%s)", h.format(h.value(r)), fmtRatio(rep.ratio(c, s)))
			}
			fmt.Fprintf(&b, " %16s", cell)
		}
		b.WriteString("\n")
	}
	for s, why := range rep.Skipped {
		fmt.Fprintf(&b, "skipped %s: %s\n", s, why)
	}
	return b.String()
}

// Markdown is RESULTS.md.
func (rep *Report) Markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# wsgate benchmark results\n\n")
	w("`make bench` (`wsbench compare -mode %s`): %d round(s), servers interleaved, a fresh server process per run; %s.\n",
		rep.Plan.Mode, rep.Plan.Rounds, rep.Started.UTC().Format("2006-01-02 15:04 UTC"))
	w("Machine: %s.", rep.Env)
	if rep.Took > 0 {
		w(" The whole comparison took %.0f s.", rep.Took.Seconds())
	}
	w("\n\n")
	w("The load generator (`bench/cmd/wsbench`, two epoll loops, no goroutine per connection) and the servers share the machine's cores, ")
	w("so throughput is given **per server CPU second**: the figure divided by the server process's utime+stime ")
	w("(`/proc/<pid>/stat`) over the measured window. Raw rates, CPU time and latencies are in the detail tables; ")
	w("every figure is the median over the rounds. Memory is the growth of the server's `VmRSS` (`/proc/<pid>/status`) per held connection.\n\n")
	if rep.Base != Baseline {
		w("**wsgate was not part of this run** (%s); ratios are against **%s** instead.\n\n", rep.Skipped[Baseline], rep.Base)
	}
	w("## Summary: ratio to %s = 1.00\n\n", rep.Base)
	w("| case | figure | goal for wsgate |")
	for _, s := range rep.Servers {
		w(" %s |", s)
	}
	w("\n|---|---|---|")
	for range rep.Servers {
		w("---:|")
	}
	w("\n")
	for _, c := range rep.Plan.Cases {
		h := headlineOf(c)
		dir := "higher is better"
		if h.lower {
			dir = "lower is better"
		}
		goal := "–"
		if g, ok := rep.goal(c); ok {
			op := "≥"
			if h.lower {
				op = "≤"
			}
			goal = op + " " + h.format(g)
			if r, ok := rep.Med[c.Key][Baseline]; ok {
				met := h.value(r) >= g
				if h.lower {
					met = h.value(r) <= g
				}
				goal += map[bool]string{true: " ✅", false: " ❌"}[met]
			}
		}
		w("| %s | %s (%s) | %s |", c.Title, h.label, dir, goal)
		for _, s := range rep.Servers {
			r, ok := rep.Med[c.Key][s]
			if !ok {
				w(" – |")
				continue
			}
			cell := fmt.Sprintf("%s (%s)", h.format(h.value(r)), fmtRatio(rep.ratio(c, s)))
			if s == rep.Base {
				cell = "**" + cell + "**"
			}
			w(" %s |", cell)
		}
		w("\n")
	}
	w("\nGoal: the issue's targets computed from this run — at least uWebSockets' figure and 1.3× the best Go server; ")
	w("for idle memory at most 600 B per connection and no more than uWebSockets.\n\n")
	w("![ratios to %s](results.svg)\n\n", rep.Base)
	w("## Details\n")
	for _, c := range rep.Plan.Cases {
		rep.detail(&b, c)
	}
	w("\n## Servers\n\n")
	for _, s := range rep.Servers {
		w("- **%s**: %s\n", s, rep.About[s])
	}
	for _, s := range slices.Sorted(mapKeys(rep.Skipped)) {
		w("- **%s**: skipped, %s\n", s, rep.Skipped[s])
	}
	if len(rep.Problems) > 0 {
		w("\n## Runs with errors\n\n")
		for _, p := range rep.Problems {
			w("- %s\n", p)
		}
	}
	w("\nRaw output of this run: [results-raw.txt](results-raw.txt) (one line per run, then the same as JSON).\n")
	return b.String()
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (rep *Report) detail(b *strings.Builder, c Case) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	h := headlineOf(c)
	w("\n### %s\n\n", c.Title)
	switch c.Scenario {
	case load.Idle:
		w("%d connections opened and held on the echo path; `VmRSS` sampled before connecting and %v after the last one opened; then every connection must echo one message (alive).\n\n", c.Conns, c.Settle)
		w("| server | held | alive | RSS per conn | rounds' range | ratio | RSS before | RSS after | opens/s | opens per CPU s | failed |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, s := range rep.Servers {
			r, ok := rep.Med[c.Key][s]
			if !ok {
				continue
			}
			w("| %s | %d | %d | %s | %s | %s | %.1f MiB | %.1f MiB | %s | %s | %d |\n", s, r.Conns, r.Alive, fmtBytes(r.PerConn), rep.spread(c, s), fmtRatio(rep.ratio(c, s)),
				float64(r.RSSBefore)/(1<<20), float64(r.RSSAfter)/(1<<20), fmtCount(r.Rate), fmtCount(r.PerCPU), r.Failed)
		}
		return
	case load.Upgrade:
		w("%d workers each connect, upgrade, send a close frame and wait for the server's; %v measured. Latency: connect start to 101.\n\n", c.Conns, c.Duration)
	case load.Broadcast:
		w("%d subscribers and one publisher with up to 4 messages of %d B in flight; a message counts when every subscriber has it. Latency: publish to delivery. %v measured.\n\n", c.Conns, c.Size, c.Duration)
	case load.PubSub:
		w("%d subscribers spread over %d topics (`?topic=t<k>`, raw payloads) and one publisher per topic, up to 4 messages of %d B in flight per topic; a message counts when every subscriber of its topic has it. Servers without topics sit it out. Latency: publish to delivery. %v measured. RSS per subscriber: the server's `VmRSS` growth while the subscribers connected and subscribed.\n\n", c.Conns, c.Topics, c.Size, c.Duration)
	default:
		w("%d connections, each with one %d-byte binary message in flight; %v measured. Latency: round trip.\n\n", c.Conns, c.Size, c.Duration)
	}
	unit := map[load.Scenario]string{load.Echo: "msg/s", load.Upgrade: "handshakes/s", load.Broadcast: "deliveries/s", load.PubSub: "deliveries/s"}[c.Scenario]
	if c.Scenario == load.PubSub {
		w("| server | deliveries/s | server CPU s | %s | rounds' range | ratio | RSS per subscriber | p50 | p99 | RSS after | failed / dropped / errors / lost |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n", h.label)
		for _, s := range rep.Servers {
			r, ok := rep.Med[c.Key][s]
			if !ok {
				continue
			}
			w("| %s | %s | %.2f | %s | %s | %s | %s | %s | %s | %.1f MiB | %d / %d / %d / %d |\n", s, fmtCount(r.Rate), r.CPU, fmtCount(r.PerCPU), rep.spread(c, s), fmtRatio(rep.ratio(c, s)),
				fmtBytes(r.PerConn), fmtUS(r.P50), fmtUS(r.P99), float64(r.RSSAfter)/(1<<20), r.Failed, r.Dropped, r.Errors, r.Lost)
		}
		return
	}
	w("| server | %s | server CPU s | %s | rounds' range | ratio | p50 | p99 | p99.9 | RSS after | failed / dropped / errors / lost |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n", unit, h.label)
	for _, s := range rep.Servers {
		r, ok := rep.Med[c.Key][s]
		if !ok {
			continue
		}
		w("| %s | %s | %.2f | %s | %s | %s | %s | %s | %s | %.1f MiB | %d / %d / %d / %d |\n", s, fmtCount(r.Rate), r.CPU, fmtCount(r.PerCPU), rep.spread(c, s), fmtRatio(rep.ratio(c, s)),
			fmtUS(r.P50), fmtUS(r.P99), fmtUS(r.P999), float64(r.RSSAfter)/(1<<20), r.Failed, r.Dropped, r.Errors, r.Lost)
	}
}

// spread is the lowest and highest headline figure of the rounds, so that
// a reader can tell a difference from noise.
func (rep *Report) spread(c Case, server string) string {
	h := headlineOf(c)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rep.All[[2]string{c.Key, server}] {
		if r.Err == "" {
			lo, hi = min(lo, h.value(r)), max(hi, h.value(r))
		}
	}
	if math.IsInf(lo, 0) {
		return "–"
	}
	return h.format(lo) + " – " + h.format(hi)
}
