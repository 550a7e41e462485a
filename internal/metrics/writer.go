package metrics

import (
	"io"
	"math"
	"strconv"
	"strings"
)

// Type is a metric family's TYPE.
type Type uint8

// The family types this package writes.
const (
	TypeCounter Type = iota + 1
	TypeGauge
	TypeHistogram
)

func (t Type) String() string {
	switch t {
	case TypeCounter:
		return "counter"
	case TypeGauge:
		return "gauge"
	case TypeHistogram:
		return "histogram"
	}
	return "untyped"
}

// Label is one name="value" pair of a sample.
type Label struct{ Name, Value string }

// L returns a Label.
func L(name, value string) Label { return Label{name, value} }

// Writer writes metric families in the Prometheus text format into a buffer
// and sends it to the underlying writer on Flush. Each family starts with
// Family (HELP and TYPE) and is followed by its samples; the first mistake is
// kept (Err) and that family's or sample's lines are dropped, so the output
// stays parseable. A Writer is for one goroutine and one scrape.
type Writer struct {
	out  io.Writer
	buf  []byte
	err  error
	name string // current family
	typ  Type
	seen map[string]bool
}

// NewWriter returns a Writer that flushes to out.
func NewWriter(out io.Writer) *Writer {
	return &Writer{out: out, buf: make([]byte, 0, 4096), seen: make(map[string]bool)}
}

// Err returns the first error recorded, if any.
func (w *Writer) Err() error { return w.err }

// Flush writes the buffered output and returns the first error: one recorded
// while writing, or the underlying writer's.
func (w *Writer) Flush() error {
	if len(w.buf) > 0 {
		_, err := w.out.Write(w.buf)
		w.buf = w.buf[:0]
		if w.err == nil {
			w.err = err
		}
	}
	return w.err
}

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Family starts a family: its HELP line (help is escaped) and TYPE line.
// Counter names must end in "_total", gauge and histogram names must not.
func (w *Writer) Family(name string, t Type, help string) {
	w.name, w.typ = "", 0
	switch {
	case !validName(name, true):
		w.fail(ErrBadName)
		return
	case t < TypeCounter || t > TypeHistogram:
		w.fail(ErrBadType)
		return
	case (t == TypeCounter) != strings.HasSuffix(name, "_total"):
		w.fail(ErrSuffix)
		return
	case t == TypeHistogram && (strings.HasSuffix(name, "_bucket") || strings.HasSuffix(name, "_sum") || strings.HasSuffix(name, "_count")):
		w.fail(ErrSuffix)
		return
	case w.seen[name]:
		w.fail(ErrDuplicate)
		return
	}
	w.seen[name] = true
	w.name, w.typ = name, t
	w.buf = append(w.buf, "# HELP "...)
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, ' ')
	w.buf = appendEscaped(w.buf, help, false)
	w.buf = append(w.buf, "\n# TYPE "...)
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, ' ')
	w.buf = append(w.buf, t.String()...)
	w.buf = append(w.buf, '\n')
}

// Raw appends text already in the exposition format, from a part that writes its own
// (whole families, each with HELP and TYPE, ending in a line feed). Raw ends the current
// family; the text is not checked here, and a family name in it is not remembered, so
// that part's tests must check it (Lint).
func (w *Writer) Raw(text []byte) {
	w.name, w.typ = "", 0
	w.buf = append(w.buf, text...)
	if len(text) > 0 && text[len(text)-1] != '\n' {
		w.buf = append(w.buf, '\n')
	}
}

// Uint writes a sample of the current counter or gauge family.
func (w *Writer) Uint(name string, v uint64, labels ...Label) {
	if w.sampleOK(name, labels) {
		w.line(name, labels, "", "", func(b []byte) []byte { return strconv.AppendUint(b, v, 10) })
	}
}

// Int writes a sample of the current counter or gauge family.
func (w *Writer) Int(name string, v int64, labels ...Label) {
	if w.sampleOK(name, labels) {
		w.line(name, labels, "", "", func(b []byte) []byte { return strconv.AppendInt(b, v, 10) })
	}
}

// Float writes a sample of the current counter or gauge family.
func (w *Writer) Float(name string, v float64, labels ...Label) {
	if w.sampleOK(name, labels) {
		w.line(name, labels, "", "", func(b []byte) []byte { return appendFloat(b, v) })
	}
}

// Histogram writes one series of the current histogram family: a _bucket line
// per bound and +Inf (cumulative), then _sum and _count.
func (w *Writer) Histogram(name string, s HistogramSnapshot, labels ...Label) {
	if w.typ != TypeHistogram || name != w.name {
		if w.typ != TypeHistogram && name == w.name {
			w.fail(ErrHistogramOnly)
		} else {
			w.fail(ErrNoFamily)
		}
		return
	}
	if !validLabels(labels, true) {
		w.fail(ErrBadName)
		return
	}
	for i, c := range s.Cumulative {
		le := "+Inf"
		if i < len(s.Bounds) {
			le = string(appendFloat(nil, s.Bounds[i]))
		}
		w.line(name+"_bucket", labels, "le", le, func(b []byte) []byte { return strconv.AppendUint(b, c, 10) })
	}
	w.line(name+"_sum", labels, "", "", func(b []byte) []byte { return appendFloat(b, s.Sum) })
	w.line(name+"_count", labels, "", "", func(b []byte) []byte { return strconv.AppendUint(b, s.Count, 10) })
}

func (w *Writer) sampleOK(name string, labels []Label) bool {
	switch {
	case w.name == "" || name != w.name:
		w.fail(ErrNoFamily)
		return false
	case w.typ == TypeHistogram:
		w.fail(ErrHistogramOnly)
		return false
	case !validLabels(labels, false):
		w.fail(ErrBadName)
		return false
	}
	return true
}

// line appends `name{labels,extra="v"} value`.
func (w *Writer) line(name string, labels []Label, extraName, extraValue string, value func([]byte) []byte) {
	w.buf = append(w.buf, name...)
	if len(labels) > 0 || extraName != "" {
		w.buf = append(w.buf, '{')
		for i, l := range labels {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.buf = appendLabel(w.buf, l.Name, l.Value)
		}
		if extraName != "" {
			if len(labels) > 0 {
				w.buf = append(w.buf, ',')
			}
			w.buf = appendLabel(w.buf, extraName, extraValue)
		}
		w.buf = append(w.buf, '}')
	}
	w.buf = append(w.buf, ' ')
	w.buf = value(w.buf)
	w.buf = append(w.buf, '\n')
}

func appendLabel(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, '=', '"')
	b = appendEscaped(b, value, true)
	return append(b, '"')
}

// appendEscaped escapes a HELP text (backslash and line feed) or a label
// value (also the double quote), as the text format requires.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// validName reports whether s matches [a-zA-Z_:][a-zA-Z0-9_:]* (metric) or
// [a-zA-Z_][a-zA-Z0-9_]* (label, colon=false).
func validName(s string, colon bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' || colon && c == ':'
		if !ok {
			return false
		}
	}
	return true
}

// validLabels checks the names: valid, not reserved ("__" prefix), not "le"
// in a histogram, no duplicates.
func validLabels(labels []Label, histogram bool) bool {
	for i, l := range labels {
		if !validName(l.Name, false) || strings.HasPrefix(l.Name, "__") || histogram && l.Name == "le" {
			return false
		}
		for _, o := range labels[:i] {
			if o.Name == l.Name {
				return false
			}
		}
	}
	return true
}
