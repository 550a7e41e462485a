package metrics

import (
	"strings"
	"testing"
)

// TestLintRefuses: each malformation is caught, with what Lint says about it.
func TestLintRefuses(t *testing.T) {
	const hdr = "# HELP g a gauge\n# TYPE g gauge\n"
	tests := []struct {
		name, text, want string
	}{
		{"no final newline", hdr + "g 1", "final line feed"},
		{"no HELP", "# TYPE g gauge\ng 1\n", "outside a family"},
		{"no TYPE", "# HELP g x\ng 1\n", "outside a family"},
		{"HELP twice", "# HELP g x\n# HELP g y\n# TYPE g gauge\ng 1\n", "HELP of g twice"},
		{"counter name", "# HELP c x\n# TYPE c counter\nc 1\n", "does not end in _total"},
		{"gauge _total", "# HELP g_total x\n# TYPE g_total gauge\ng_total 1\n", "ends in _total"},
		{"untyped", "# HELP u x\n# TYPE u untyped\nu 1\n", "not written by wsgate"},
		{"other comment", "# hello\n" + hdr + "g 1\n", "neither HELP nor TYPE"},
		{"sample of another family", hdr + "h 1\n", "outside a family"},
		{"split family", hdr + "g 1\n# HELP h x\n# TYPE h gauge\nh 1\n# HELP g again\n", "split"},
		{"series twice", hdr + "g{a=\"1\"} 1\ng{a=\"1\"} 2\n", "twice"},
		{"label twice", hdr + "g{a=\"1\",a=\"2\"} 1\n", "repeated label"},
		{"bad escape", hdr + "g{a=\"\\x\"} 1\n", "escaped"},
		{"unterminated", hdr + "g{a=\"1} 1\n", "unterminated"},
		{"bad value", hdr + "g one\n", "bad value"},
		{"timestamp", hdr + "g 1 1700000000\n", "one space"},
		{"empty line", hdr + "\ng 1\n", "empty line"},
		{"negative counter", "# HELP c_total x\n# TYPE c_total counter\nc_total -1\n", "is -1"},
		{"buckets not ascending", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "not ascending"},
		{"counts decrease", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "decrease"},
		{"inf != count", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n", "!= _count"},
		{"no +Inf", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "lacks +Inf"},
		{"no _sum", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", "lacks +Inf, _sum"},
		{"bare histogram sample", "# HELP h x\n# TYPE h histogram\nh 1\n", "without suffix"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Lint([]byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Lint: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if err := Lint([]byte(hdr + "g{a=\"x\\\"y\\\\z\\n\"} 1\n")); err != nil {
		t.Errorf("valid text refused: %v", err)
	}
}
