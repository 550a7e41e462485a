package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsgate/wsgate/bench/load"
)

func TestMedianResult(t *testing.T) {
	tests := []struct {
		name   string
		in     []load.Result
		perCPU float64
		failed int64
	}{
		{"odd", []load.Result{{PerCPU: 3}, {PerCPU: 1}, {PerCPU: 2}}, 2, 0},
		{"even", []load.Result{{PerCPU: 4}, {PerCPU: 1}}, 2.5, 0},
		{"failed run left out, failures summed", []load.Result{{PerCPU: 10, Failed: 1}, {PerCPU: 0, Err: "x", Failed: 2}}, 10, 3},
		{"all failed", []load.Result{{PerCPU: 0, Err: "x"}}, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := medianResult(tc.in)
			if m.PerCPU != tc.perCPU || m.Failed != tc.failed {
				t.Fatalf("got PerCPU=%v Failed=%d", m.PerCPU, m.Failed)
			}
		})
	}
}

// testReport has wsgate, uws and two Go servers on an echo and an idle case.
func testReport(withBase bool) *Report {
	plan := Plan{Mode: "test", Rounds: 2, Cases: []Case{
		{Key: "echo64", Title: "echo 64 B × 1000", Scenario: load.Echo, Conns: 1000, Size: 64},
		{Key: "idle", Title: "idle × 10", Scenario: load.Idle, Conns: 10},
	}}
	all := []*built{
		{Server: Server{Name: "wsgate", About: "gw"}},
		{Server: Server{Name: "uws", About: "u"}},
		{Server: Server{Name: "gws", About: "g"}},
		{Server: Server{Name: "gorilla", About: "r"}},
	}
	if !withBase {
		all[0].skip = "not present yet"
	}
	echo := map[string]float64{"wsgate": 100e3, "uws": 150e3, "gws": 120e3, "gorilla": 50e3}
	idle := map[string]float64{"wsgate": 1000, "uws": 500, "gws": 8000, "gorilla": 16000}
	var runs []Run
	for round := 1; round <= 2; round++ {
		for _, b := range all {
			if b.skip != "" {
				continue
			}
			runs = append(runs,
				Run{Round: round, Server: b.Name, Case: "echo64", Result: load.Result{Scenario: load.Echo, PerCPU: echo[b.Name] * (0.9 + 0.2*float64(round-1)), P50: 100}},
				Run{Round: round, Server: b.Name, Case: "idle", Result: load.Result{Scenario: load.Idle, PerConn: idle[b.Name], Conns: 10, Alive: 10}})
		}
	}
	runs = append(runs, Run{Round: 3, Server: "gws", Case: "idle", Result: load.Result{Scenario: load.Idle, Err: "boom"}})
	return buildReport(plan, all, runs, "test machine", time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), time.Second)
}

func TestReportRatiosAndGoals(t *testing.T) {
	rep := testReport(true)
	echo, idle := rep.Plan.Cases[0], rep.Plan.Cases[1]
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"baseline is 1", rep.ratio(echo, "wsgate"), 1},
		{"uws echo", rep.ratio(echo, "uws"), 1.5},
		{"gorilla echo", rep.ratio(echo, "gorilla"), 0.5},
		{"idle lower is better still value/base", rep.ratio(idle, "gws"), 8},
		{"echo goal max(uws, 1.3 × best Go)", must(rep.goal(echo)), 156e3},
		{"idle goal min(600, uws)", must(rep.goal(idle)), 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got-tc.want) > 1e-9*tc.want {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func must(v float64, ok bool) float64 {
	if !ok {
		return math.NaN()
	}
	return v
}

func TestMarkdownAndSVG(t *testing.T) {
	tests := []struct {
		name     string
		withBase bool
		want     []string
	}{
		{"with wsgate", true, []string{"| echo 64 B × 1000 |", "**100k (1.00)**", "150k (1.50)", "≥ 156k ❌", "≤ 500 B ❌", "round 3, gws, idle: boom", "results.svg"}},
		{"without wsgate", false, []string{"wsgate was not part of this run", "ratios are against **uws**", "**150k (1.00)**", "skipped, not present yet"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := testReport(tc.withBase)
			md := rep.Markdown()
			for _, w := range tc.want {
				if !strings.Contains(md, w) {
					t.Errorf("RESULTS.md lacks %q:\n%s", w, md)
				}
			}
			// Every table row has as many cells as its header.
			for _, block := range strings.Split(md, "\n\n") {
				lines := strings.Split(strings.TrimSpace(block), "\n")
				if !strings.HasPrefix(lines[0], "|") {
					continue
				}
				n := strings.Count(lines[0], "|")
				for _, l := range lines {
					if strings.Count(l, "|") != n {
						t.Errorf("ragged table row %q (want %d bars)", l, n)
					}
				}
			}
			svg := rep.SVG()
			d := xml.NewDecoder(strings.NewReader(svg))
			rects := 0
			for {
				tok, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("SVG is not well-formed: %v", err)
				}
				if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
					rects++
				}
			}
			// background, one legend square per server, one bar per server and case
			if want := 1 + len(rep.Servers) + len(rep.Servers)*len(rep.Plan.Cases); rects != want {
				t.Fatalf("%d rects, want %d", rects, want)
			}
			if !strings.Contains(rep.Summary(), "echo 64 B × 1000") {
				t.Fatal("summary lacks the case")
			}
		})
	}
}

func TestExpand(t *testing.T) {
	got := expand([]string{"{bin}", "-addr", "{addr}", "x{dir}y"}, map[string]string{"bin": "/b", "addr": "127.0.0.1:1", "dir": "/d"})
	want := []string{"/b", "-addr", "127.0.0.1:1", "x/dy"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %q", got)
	}
}

func TestPortsSkipBusy(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:19400")
	if err != nil {
		t.Skip("port 19400 busy:", err)
	}
	defer l.Close()
	p := ports{next: 19400}
	a, b := p.pair()
	if a == "127.0.0.1:19400" || b == "127.0.0.1:19400" {
		t.Fatalf("got busy port: %s %s", a, b)
	}
}

// TestPrepareSkipsMissing leaves out a server whose Requires file is missing
// or whose build fails, with the reason.
func TestPrepareSkipsMissing(t *testing.T) {
	root := t.TempDir()
	b := prepare(context.Background(), root, filepath.Join(root, "work"), Server{Name: "x", Dir: ".", Requires: "cmd/x/main.go"}, io.Discard)
	if !strings.Contains(b.skip, "cmd/x/main.go missing") {
		t.Fatalf("skip = %q", b.skip)
	}
	var log bytes.Buffer
	b = prepare(context.Background(), root, filepath.Join(root, "work"), Server{Name: "y", Dir: ".", Build: []string{"false"}}, &log)
	if !strings.HasPrefix(b.skip, "build failed") {
		t.Fatalf("skip = %q", b.skip)
	}
}

func TestStartFailsWhenServerExits(t *testing.T) {
	b := &built{Server: Server{Name: "dies", Run: []string{"true"}}, dir: os.TempDir()}
	if _, err := b.start("127.0.0.1:19401", "127.0.0.1:19402", nil, io.Discard); err == nil {
		t.Fatal("start succeeded for a server that exits")
	}
}

func TestFormatResult(t *testing.T) {
	s := FormatResult(load.Result{Scenario: load.Idle, Conns: 3, PerConn: 512, Alive: 3, Err: "x"})
	for _, w := range []string{"idle conns=3", "bytes_per_conn=512", "alive=3", `error="x"`} {
		if !strings.Contains(s, w) {
			t.Errorf("%q lacks %q", s, w)
		}
	}
}

// TestRebuild remakes the report from a raw output file and gets the same
// figures as the run that wrote it.
func TestRebuild(t *testing.T) {
	plan := Plans["quick"]
	var raw strings.Builder
	raw.WriteString("# wsbench compare: mode=quick rounds=2 started=2026-01-02T03:04:05Z\n# test machine\n# skip wsgate: not present yet\n")
	raw.WriteString("r1 uws echo64 (a human line, ignored)\n")
	var runs []Run
	for round := 1; round <= 2; round++ {
		for _, s := range []string{"uws", "gws"} {
			runs = append(runs, Run{Round: round, Server: s, Case: plan.Cases[0].Key, Result: load.Result{Scenario: load.Echo, PerCPU: float64(1000 * round)}})
		}
	}
	for _, r := range runs {
		b, _ := json.Marshal(r)
		raw.WriteString("json " + string(b) + "\n")
	}
	raw.WriteString("# finished in 42s\n")
	file := filepath.Join(t.TempDir(), "results-raw.txt")
	if err := os.WriteFile(file, []byte(raw.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Rebuild(file)
	if err != nil {
		t.Fatal(err)
	}
	md := rep.Markdown()
	for _, w := range []string{"2026-01-02 03:04 UTC", "took 42 s", "test machine", "**1.50k (1.00)**", "1.00k – 2.00k", "wsgate**: skipped, not present yet"} {
		if !strings.Contains(md, w) {
			t.Errorf("rebuilt RESULTS.md lacks %q:\n%s", w, md)
		}
	}
	if rep.Plan.Rounds != 2 || len(rep.Servers) != 2 {
		t.Fatalf("plan %+v servers %v", rep.Plan, rep.Servers)
	}
	bad := filepath.Join(t.TempDir(), "bad.txt")
	_ = os.WriteFile(bad, []byte("nothing here\n"), 0o644)
	if _, err := Rebuild(bad); err == nil {
		t.Fatal("rebuilt a file without runs")
	}
}
