// Package metricstest reads a Prometheus text exposition as a scraper does, for the tests
// of the packages that write one (metrics, admin, gateway). Only tests import it.
package metricstest

import (
	"bytes"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Parse reads text with Prometheus' own text parser and with lint (metrics.Lint, passed in
// so that the metrics package's own tests can use this one), failing the test on any
// complaint of either; it returns the families by name.
func Parse(tb testing.TB, text []byte, lint func([]byte) error) map[string]*dto.MetricFamily {
	tb.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		tb.Fatalf("expfmt: %v\n%s", err, text)
	}
	if err := lint(text); err != nil {
		tb.Fatalf("%v\n%s", err, text)
	}
	return fams
}
