package metrics

import (
	"bytes"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// FuzzWriter writes arbitrary help texts, label values and numbers; whatever
// the Writer accepts must pass both Prometheus' parser (the oracle) and Lint,
// and read back the label value unchanged.
func FuzzWriter(f *testing.F) {
	f.Add("help", "echo", int64(1), 0.5, int64(1000))
	f.Add("a \\ b\nc", "q\"uo\\te\n", int64(-5), -1.0, int64(-1))
	f.Add("", "", int64(0), 1e300, int64(1<<62))
	f.Add("ü\x00", "\xff", int64(9), 0.0, int64(0))
	f.Fuzz(func(t *testing.T, help, value string, i int64, fl float64, ns int64) {
		if help == "" {
			help = "-"
		}
		h := NewHistogram(nil)
		h.Observe(time.Duration(ns))
		var out bytes.Buffer
		w := NewWriter(&out)
		w.Family("f_total", TypeCounter, help)
		w.Uint("f_total", uint64(i), L("v", value))
		w.Family("g", TypeGauge, help)
		w.Int("g", i, L("v", value))
		w.Float("g", fl, L("v", value), L("w", "1"))
		w.Family("h", TypeHistogram, help)
		w.Histogram("h", h.Snapshot(), L("v", value))
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		p := expfmt.NewTextParser(model.LegacyValidation)
		fams, err := p.TextToMetricFamilies(bytes.NewReader(out.Bytes()))
		if err != nil {
			if !bytes.Contains(out.Bytes(), []byte("\xff")) && utf8ok(help+value) {
				t.Fatalf("expfmt: %v\n%s", err, out.Bytes())
			}
			return // Prometheus wants UTF-8; the engine's names are
		}
		if err := Lint(out.Bytes()); err != nil {
			t.Fatalf("%v\n%s", err, out.Bytes())
		}
		if got := fams["f_total"].Metric[0].Label[0].GetValue(); got != value {
			t.Fatalf("label value %q read back as %q", value, got)
		}
	})
}

func utf8ok(s string) bool {
	for _, r := range s {
		if r == 0xFFFD {
			return false
		}
	}
	return true
}

// FuzzLint: Lint never panics, and what it accepts Prometheus' parser accepts too (Lint
// is the stricter of the two).
func FuzzLint(f *testing.F) {
	f.Add([]byte("# HELP g a gauge\n# TYPE g gauge\ng{a=\"1\"} 2\n"))
	f.Add([]byte("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"))
	f.Add([]byte("# HELP c_total x\n# TYPE c_total counter\nc_total 1\n"))
	f.Add([]byte("g 1\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		if Lint(text) != nil {
			return
		}
		p := expfmt.NewTextParser(model.LegacyValidation)
		if _, err := p.TextToMetricFamilies(bytes.NewReader(text)); err != nil {
			t.Fatalf("Lint accepted what Prometheus refuses (%v):\n%q", err, text)
		}
	})
}
