package metrics

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Lint checks exposition text strictly, more strictly than Prometheus'
// own parser: every family has exactly one HELP and one TYPE line before its
// samples and its samples are contiguous; counter names end in _total and
// gauges do not; a histogram has ascending le buckets whose counts do not
// decrease, a +Inf bucket equal to _count, and a _sum; no series appears
// twice; names, label names and escapes are valid; the text ends in a line
// feed. It returns the first problem with its line number. Tests of anything
// that serves /metrics use it; the gateway itself never calls it.
func Lint(text []byte) error {
	if len(text) > 0 && text[len(text)-1] != '\n' {
		return fmt.Errorf("metrics: lint: missing final line feed")
	}
	type family struct {
		typ, help bool
		kind      string
		done      bool // another family's line came after it
	}
	type hist struct {
		lastLE   float64
		lastCum  float64
		inf      float64
		hasInf   bool
		count    float64
		hasCount bool
		hasSum   bool
	}
	fams := map[string]*family{}
	series := map[string]bool{}
	hists := map[string]*hist{} // family + labels without le
	current := ""
	lines := bytes.Split(text[:max(len(text)-1, 0)], []byte("\n"))
	for i, raw := range lines {
		n := i + 1
		line := string(raw)
		errf := func(format string, a ...any) error {
			return fmt.Errorf("metrics: lint: line %d: %s", n, fmt.Sprintf(format, a...))
		}
		if line == "" {
			return errf("empty line")
		}
		if strings.HasPrefix(line, "#") {
			f := strings.SplitN(line, " ", 4)
			if len(f) < 3 || f[0] != "#" || (f[1] != "HELP" && f[1] != "TYPE") {
				return errf("comment that is neither HELP nor TYPE")
			}
			name := f[2]
			if !validName(name, true) {
				return errf("bad family name %q", name)
			}
			fam := fams[name]
			if fam == nil {
				fam = &family{}
				fams[name] = fam
			}
			if fam.done || current != name && (fam.typ || fam.help) {
				return errf("family %s split", name)
			}
			if current != "" && current != name {
				fams[current].done = true
			}
			current = name
			if f[1] == "HELP" {
				if fam.help || len(f) < 4 || f[3] == "" {
					return errf("HELP of %s twice or empty", name)
				}
				if !validEscapes(f[3], false) {
					return errf("bad escape in HELP of %s", name)
				}
				fam.help = true
				continue
			}
			if fam.typ || len(f) != 4 {
				return errf("TYPE of %s twice or malformed", name)
			}
			fam.typ, fam.kind = true, f[3]
			switch fam.kind {
			case "counter":
				if !strings.HasSuffix(name, "_total") {
					return errf("counter %s does not end in _total", name)
				}
			case "gauge", "histogram":
				if strings.HasSuffix(name, "_total") {
					return errf("%s %s ends in _total", fam.kind, name)
				}
			default:
				return errf("type %q of %s not written by wsgate", fam.kind, name)
			}
			continue
		}
		name, labels, value, err := splitSample(line)
		if err != nil {
			return errf("%v", err)
		}
		base := name
		fam := fams[current]
		if fam != nil && fam.kind == "histogram" {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if strings.HasSuffix(name, suf) && strings.TrimSuffix(name, suf) == current {
					base = current
				}
			}
		}
		if base != current || fam == nil || !fam.help || !fam.typ {
			return errf("sample %s outside a family with HELP and TYPE", name)
		}
		key := name + "{" + strings.Join(labels, ",") + "}"
		if series[key] {
			return errf("series %s twice", key)
		}
		series[key] = true
		if fam.kind != "histogram" {
			if fam.kind == "counter" && (value < 0 || math.IsNaN(value)) {
				return errf("counter %s is %v", name, value)
			}
			continue
		}
		if name == current {
			return errf("histogram sample without suffix")
		}
		var le string
		rest := labels[:0:0]
		for _, l := range labels {
			if v, ok := strings.CutPrefix(l, `le="`); ok {
				le = strings.TrimSuffix(v, `"`)
			} else {
				rest = append(rest, l)
			}
		}
		hk := current + "{" + strings.Join(rest, ",") + "}"
		h := hists[hk]
		if h == nil {
			h = &hist{lastLE: math.Inf(-1)}
			hists[hk] = h
		}
		switch {
		case strings.HasSuffix(name, "_bucket"):
			if le == "" {
				return errf("bucket without le")
			}
			b, err := strconv.ParseFloat(le, 64)
			if err != nil || b <= h.lastLE || h.hasInf {
				return errf("le %q not ascending", le)
			}
			if value < h.lastCum {
				return errf("bucket counts decrease at le=%s", le)
			}
			h.lastLE, h.lastCum = b, value
			if math.IsInf(b, 1) {
				h.inf, h.hasInf = value, true
			}
		case le != "":
			return errf("le on %s", name)
		case strings.HasSuffix(name, "_sum"):
			h.hasSum = true
		default:
			h.count, h.hasCount = value, true
		}
	}
	for k, h := range hists {
		if !h.hasInf || !h.hasCount || !h.hasSum {
			return fmt.Errorf("metrics: lint: histogram %s lacks +Inf, _sum or _count", k)
		}
		if h.inf != h.count {
			return fmt.Errorf("metrics: lint: histogram %s: +Inf bucket %v != _count %v", k, h.inf, h.count)
		}
	}
	for name, f := range fams {
		if !f.help || !f.typ {
			return fmt.Errorf("metrics: lint: family %s lacks HELP or TYPE", name)
		}
	}
	return nil
}

// splitSample parses `name{l="v",...} value` (no timestamps: wsgate writes
// none) and returns the label pairs as written, in order.
func splitSample(line string) (name string, labels []string, value float64, err error) {
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return "", nil, 0, fmt.Errorf("malformed sample")
	}
	name = line[:i]
	if !validName(name, true) {
		return "", nil, 0, fmt.Errorf("bad metric name %q", name)
	}
	rest := line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		seen := map[string]bool{}
		for {
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.Index(rest, `="`)
			if eq <= 0 || !validName(rest[:eq], false) || seen[rest[:eq]] {
				return "", nil, 0, fmt.Errorf("bad or repeated label name in %q", line)
			}
			seen[rest[:eq]] = true
			j := eq + 2
			for j < len(rest) && rest[j] != '"' {
				if rest[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(rest) || !validEscapes(rest[eq+2:j], true) {
				return "", nil, 0, fmt.Errorf("unterminated or badly escaped label value")
			}
			labels = append(labels, rest[:j+1])
			rest = rest[j+1:]
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
			} else if !strings.HasPrefix(rest, "}") {
				return "", nil, 0, fmt.Errorf("expected , or } after a label")
			}
		}
	}
	if !strings.HasPrefix(rest, " ") || strings.Contains(rest[1:], " ") {
		return "", nil, 0, fmt.Errorf("expected one space and a value")
	}
	value, err = strconv.ParseFloat(rest[1:], 64)
	if err != nil {
		return "", nil, 0, fmt.Errorf("bad value %q", rest[1:])
	}
	return name, labels, value, nil
}

// validEscapes reports whether s uses only \\ and \n (and \" in a label value).
func validEscapes(s string, quote bool) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
			if i == len(s) || s[i] != '\\' && s[i] != 'n' && !(quote && s[i] == '"') {
				return false
			}
		case '"':
			if quote {
				return false
			}
		case '\n':
			return false
		}
	}
	return true
}
