package load

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"plain", "42 (wsgate) S 1 42 42 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 9 0 100 1000 200", 1750 * time.Millisecond, true},
		{"name with spaces and parens", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1", 70 * time.Millisecond, true},
		{"short", "7 (x) R 1 2", 0, false},
		{"no paren", "garbage", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat([]byte(tc.in))
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("got %v, %v; want %v ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestParseRSS(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{"ok", "Name:\tx\nVmPeak:\t 10 kB\nVmRSS:\t    1234 kB\nRssAnon:\t 1 kB\n", 1234 << 10, true},
		{"missing", "Name:\tx\n", 0, false},
		{"bad unit", "Name:\tx\nVmRSS:\t 12 MB\n", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRSS([]byte(tc.in))
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("got %v, %v; want %v ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestProcSelf(t *testing.T) {
	// Burn CPU (bounded) until the counter has moved past one tick.
	var cpu time.Duration
	var err error
	for end := time.Now().Add(2 * time.Second); cpu == 0 && err == nil && time.Now().Before(end); {
		for x := 0; x < 1e6; x++ {
			_ = x * x
		}
		cpu, err = ProcCPU(os.Getpid())
	}
	if err != nil || cpu <= 0 {
		t.Fatalf("cpu %v, %v", cpu, err)
	}
	rss, err := ProcRSS(os.Getpid())
	if err != nil || rss < 1<<20 {
		t.Fatalf("rss %v, %v", rss, err)
	}
}
