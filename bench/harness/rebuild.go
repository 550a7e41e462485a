package harness

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func reportCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "bench/results-raw.txt", "raw output of a compare run")
	out := fs.String("out", "", "directory for RESULTS.md and results.svg (default: beside -in)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Dir(*in)
	}
	rep, err := Rebuild(*in)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "RESULTS.md"), []byte(rep.Markdown()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "results.svg"), []byte(rep.SVG()), 0o644); err != nil {
		return err
	}
	fmt.Fprint(stdout, rep.Summary())
	return nil
}

// Rebuild makes the report again from the raw output file of a compare run
// (its "# " header lines and "json " lines), e.g. after the report's layout
// changed, without running anything.
func Rebuild(rawPath string) (*Report, error) {
	f, err := os.Open(rawPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		plan    Plan
		env     string
		started time.Time
		took    time.Duration
		runs    []Run
		skips   = map[string]string{}
		notes   = map[string]string{}
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		t := sc.Text()
		switch {
		case strings.HasPrefix(t, "# wsbench compare: "):
			for _, kv := range strings.Fields(strings.TrimPrefix(t, "# wsbench compare: ")) {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "mode":
					p, ok := Plans[v]
					if !ok {
						return nil, fmt.Errorf("%w: %s:%d: unknown mode %q", ErrUsage, rawPath, line, v)
					}
					plan = p
				case "rounds":
					plan.Rounds, _ = strconv.Atoi(v)
				case "started":
					started, _ = time.Parse(time.RFC3339, v)
				}
			}
		case line == 2 && strings.HasPrefix(t, "# "):
			env = strings.TrimPrefix(t, "# ")
		case strings.HasPrefix(t, "# skip "):
			name, why, _ := strings.Cut(strings.TrimPrefix(t, "# skip "), ": ")
			skips[name] = why
		case strings.HasPrefix(t, "# finished in "):
			took, _ = time.ParseDuration(strings.TrimPrefix(t, "# finished in "))
		case strings.HasPrefix(t, "# ") && strings.Contains(t, ": built from"):
			name, note, _ := strings.Cut(strings.TrimPrefix(t, "# "), ": ")
			notes[name] = note
		case strings.HasPrefix(t, "json "):
			var r Run
			if err := json.Unmarshal([]byte(strings.TrimPrefix(t, "json ")), &r); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", rawPath, line, err)
			}
			runs = append(runs, r)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if plan.Mode == "" || len(runs) == 0 {
		return nil, fmt.Errorf("%w: %s has no compare header or no runs", ErrUsage, rawPath)
	}
	ran := map[string]bool{}
	for _, r := range runs {
		ran[r.Server] = true
	}
	var all []*built
	for _, s := range Servers {
		b := &built{Server: s, skip: skips[s.Name], note: notes[s.Name]}
		if b.skip == "" && !ran[s.Name] {
			continue // not chosen for that run
		}
		all = append(all, b)
	}
	return buildReport(plan, all, runs, env, started, took), nil
}
