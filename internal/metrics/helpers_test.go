package metrics

import (
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/wsgate/wsgate/internal/metrics/metricstest"
)

// parse reads text with Prometheus' own text parser and with Lint, failing
// the test on any complaint of either.
func parse(t testing.TB, text []byte) map[string]*dto.MetricFamily {
	t.Helper()
	return metricstest.Parse(t, text, Lint)
}
