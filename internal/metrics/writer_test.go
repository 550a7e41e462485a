package metrics

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// TestWriterOutput writes one family of each type, with labels that need
// escaping, and reads it back with Prometheus' parser.
func TestWriterOutput(t *testing.T) {
	var msgs Counter
	msgs.Add(41)
	msgs.Inc()
	var conns Gauge
	conns.Add(3)
	conns.Add(-1)
	h := NewHistogram([]float64{0.001, 0.01, 0.1})
	for _, d := range []time.Duration{500 * time.Microsecond, 2 * time.Millisecond, 3 * time.Millisecond, time.Second, -time.Second} {
		h.Observe(d)
	}

	var out bytes.Buffer
	w := NewWriter(&out)
	w.Family("wsgate_messages_in_total", TypeCounter, "Messages received.\nSecond \\ line.")
	w.Uint("wsgate_messages_in_total", msgs.Load(), L("app", `say "hi"\`), L("listener", "http"))
	w.Uint("wsgate_messages_in_total", 7, L("app", "line\nfeed"), L("listener", "http"))
	w.Family("wsgate_connections", TypeGauge, "Open connections.")
	w.Int("wsgate_connections", conns.Load())
	w.Family("wsgate_uptime_seconds", TypeGauge, "Seconds since start.")
	w.Float("wsgate_uptime_seconds", 1.5)
	w.Family("wsgate_handshake_seconds", TypeHistogram, "Handshake latency.")
	w.Histogram("wsgate_handshake_seconds", h.Snapshot(), L("listener", "http"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}

	fams := parse(t, out.Bytes())
	c := fams["wsgate_messages_in_total"]
	if c.GetType() != dto.MetricType_COUNTER || c.GetHelp() != "Messages received.\nSecond \\ line." || len(c.Metric) != 2 {
		t.Fatalf("counter family: %v", c)
	}
	labels := map[string]string{}
	for _, l := range c.Metric[0].Label {
		labels[l.GetName()] = l.GetValue()
	}
	if labels["app"] != `say "hi"\` || c.Metric[0].Counter.GetValue() != 42 {
		t.Errorf("counter sample: %v", c.Metric[0])
	}
	if g := fams["wsgate_connections"]; g.Metric[0].Gauge.GetValue() != 2 {
		t.Errorf("gauge: %v", g)
	}
	hist := fams["wsgate_handshake_seconds"].Metric[0].Histogram
	// 500µs and -1s (counted as 0) ≤ 1ms; 2ms and 3ms ≤ 10ms; 1s only in +Inf.
	want := []uint64{2, 4, 4, 5}
	if len(hist.Bucket) != len(want) {
		t.Fatalf("%d buckets, want %d", len(hist.Bucket), len(want))
	}
	for i, b := range hist.Bucket {
		if b.GetCumulativeCount() != want[i] {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want[i])
		}
	}
	if hist.GetSampleCount() != 5 || math.Abs(hist.GetSampleSum()-1.0055) > 1e-9 {
		t.Errorf("count %d sum %v, want 5 and 1.0055", hist.GetSampleCount(), hist.GetSampleSum())
	}
}

// TestWriterRefuses: every misuse is reported and leaves parseable output.
func TestWriterRefuses(t *testing.T) {
	h := NewHistogram(nil).Snapshot()
	tests := []struct {
		name string
		fn   func(w *Writer)
		want error
	}{
		{"counter without _total", func(w *Writer) { w.Family("x_messages", TypeCounter, "h") }, ErrSuffix},
		{"gauge with _total", func(w *Writer) { w.Family("x_total", TypeGauge, "h") }, ErrSuffix},
		{"histogram named _count", func(w *Writer) { w.Family("x_count", TypeHistogram, "h") }, ErrSuffix},
		{"bad name", func(w *Writer) { w.Family("x-y", TypeGauge, "h") }, ErrBadName},
		{"digit first", func(w *Writer) { w.Family("1x", TypeGauge, "h") }, ErrBadName},
		{"bad type", func(w *Writer) { w.Family("x", Type(9), "h") }, ErrBadType},
		{"twice", func(w *Writer) { w.Family("x", TypeGauge, "h"); w.Family("x", TypeGauge, "h") }, ErrDuplicate},
		{"no family", func(w *Writer) { w.Int("x", 1) }, ErrNoFamily},
		{"other family", func(w *Writer) { w.Family("x", TypeGauge, "h"); w.Int("y", 1) }, ErrNoFamily},
		{"bad label", func(w *Writer) { w.Family("x", TypeGauge, "h"); w.Int("x", 1, L("a-b", "v")) }, ErrBadName},
		{"reserved label", func(w *Writer) { w.Family("x", TypeGauge, "h"); w.Int("x", 1, L("__name__", "v")) }, ErrBadName},
		{"label twice", func(w *Writer) { w.Family("x", TypeGauge, "h"); w.Int("x", 1, L("a", "1"), L("a", "2")) }, ErrBadName},
		{"le on histogram", func(w *Writer) { w.Family("x", TypeHistogram, "h"); w.Histogram("x", h, L("le", "1")) }, ErrBadName},
		{"value in histogram", func(w *Writer) { w.Family("x", TypeHistogram, "h"); w.Int("x", 1) }, ErrHistogramOnly},
		{"histogram in gauge", func(w *Writer) { w.Family("x", TypeGauge, "h"); w.Histogram("x", h) }, ErrHistogramOnly},
		{"after a refused family", func(w *Writer) { w.Family("x", TypeCounter, "h"); w.Int("x", 1) }, ErrSuffix},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			w := NewWriter(&out)
			w.Family("ok", TypeGauge, "before")
			w.Int("ok", 1)
			tc.fn(w)
			if err := w.Flush(); !errors.Is(err, tc.want) {
				t.Fatalf("Flush: %v, want %v", err, tc.want)
			}
			parse(t, out.Bytes()) // what was written still parses
			if !strings.HasPrefix(out.String(), "# HELP ok before\n# TYPE ok gauge\nok 1\n") {
				t.Errorf("output lost the valid family:\n%s", out.String())
			}
		})
	}
}

func TestNewHistogramPanicsOnBadBuckets(t *testing.T) {
	for _, b := range [][]float64{{1, 1}, {2, 1}, {0}, {-1}, {math.Inf(1)}, {math.NaN()}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewHistogram(%v) did not panic", b)
				}
			}()
			NewHistogram(b)
		}()
	}
}

func BenchmarkCounterAdd(b *testing.B) {
	var c Counter
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Add(1)
		}
	})
}

func BenchmarkHistogramObserve(b *testing.B) {
	h := NewHistogram(nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d := time.Duration(0)
		for pb.Next() {
			h.Observe(d)
			d = (d + 7919*time.Microsecond) % (3 * time.Second)
		}
	})
}

func BenchmarkWriter(b *testing.B) {
	h := NewHistogram(nil).Snapshot()
	b.ReportAllocs()
	for b.Loop() {
		w := NewWriter(&bytes.Buffer{})
		w.Family("x_total", TypeCounter, "help")
		for _, app := range []string{"echo", "chat", "feed", "mqtt"} {
			w.Uint("x_total", 1234567, L("app", app), L("listener", "http"))
		}
		w.Family("h", TypeHistogram, "help")
		w.Histogram("h", h)
		w.Flush()
	}
}
