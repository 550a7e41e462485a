package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestField(t *testing.T) {
	line := `time=2026-01-02T03:04:05.000Z level=INFO msg="request refused" listener=ws addr=127.0.0.1:80 why="bad request head"`
	cases := []struct {
		name, key, want string
	}{
		{name: "first", key: "time", want: "2026-01-02T03:04:05.000Z"},
		{name: "plain", key: "listener", want: "ws"},
		{name: "quoted", key: "msg", want: "request refused"},
		{name: "last quoted", key: "why", want: "bad request head"},
		{name: "missing", key: "conn", want: ""},
		{name: "suffix of another key", key: "ddr", want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := field(line, tc.key); got != tc.want {
				t.Fatalf("field(%q) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

func TestParseMetrics(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    map[string]float64
		wantErr error
	}{
		{name: "counters and labels", in: "# HELP a b\n# TYPE a counter\nwsgate_a 3\nwsgate_app_connections{app=\"echo\"} 7\n\n",
			want: map[string]float64{"wsgate_a": 3, `wsgate_app_connections{app="echo"}`: 7}},
		{name: "bad value", in: "wsgate_a x\n", wantErr: ErrMetrics},
		{name: "no value", in: "wsgate_a\n", wantErr: ErrMetrics},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMetrics(strings.NewReader(tc.in))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err == nil && fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestProcStatusKB(t *testing.T) {
	status := []byte("Name:\twsgate\nVmPeak:\t  900 kB\nVmRSS:\t   12345 kB\nThreads:\t7\n")
	if got := procStatusKB(status, "VmRSS"); got != 12345 {
		t.Fatalf("VmRSS %d", got)
	}
	if got := procStatusKB(status, "VmSwap"); got != 0 {
		t.Fatalf("missing key %d", got)
	}
}

func TestCheckMessage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name    string
		mutate  func([]byte) []byte
		wantErr error
	}{
		{name: "intact", mutate: func(p []byte) []byte { return p }},
		{name: "one byte flipped", mutate: func(p []byte) []byte { p[len(p)/2] ^= 1; return p }, wantErr: ErrCorrupt},
		{name: "shorter than the header", mutate: func(p []byte) []byte { return p[:msgHeader-1] }, wantErr: ErrCorrupt},
		{name: "spliced with another message", mutate: func(p []byte) []byte {
			return append(p[:100], makeMessage(rng, 200)[100:]...)
		}, wantErr: ErrCorrupt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now()
			sent, err := checkMessage(tc.mutate(makeMessage(rng, 300)))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err == nil && (sent.Before(before.Add(-time.Second)) || sent.After(time.Now())) {
				t.Fatalf("sent at %v", sent)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{name: "close", err: &websocket.CloseError{Code: 1008}, want: "close 1008"},
		{name: "eof", err: fmt.Errorf("read: %w", io.EOF), want: "eof"},
		{name: "reset", err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}, want: "reset"},
		{name: "deadline", err: fmt.Errorf("read tcp: %w", os.ErrDeadlineExceeded), want: "timeout"},
		{name: "other keeps its last part", err: errors.New("dial tcp 127.0.0.1:1: something odd"), want: "something odd"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.err); got != tc.want {
				t.Fatalf("classify = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckBounds(t *testing.T) {
	mk := func(at time.Duration, rss, heap, gor, fds int64) sample {
		return sample{at: at, rss: rss << 20, heap: heap << 20, goroutines: gor, fds: fds}
	}
	warm := []sample{mk(5*time.Second, 20, 4, 20, 100), mk(10*time.Second, 22, 5, 21, 110)}
	cases := []struct {
		name   string
		steady []sample
		want   []string // substrings of the failures, in order
	}{
		{name: "steady", steady: []sample{mk(40*time.Second, 24, 6, 23, 120), mk(60*time.Second, 22, 4, 21, 105)}},
		{name: "rss grows", steady: []sample{mk(40*time.Second, 30, 5, 21, 110), mk(60*time.Second, 90, 5, 21, 110)}, want: []string{"rss grew"}},
		{name: "goroutines grow", steady: []sample{mk(60*time.Second, 22, 5, 40, 110)}, want: []string{"goroutines grew"}},
		{name: "fds and heap grow", steady: []sample{mk(60*time.Second, 22, 60, 21, 400)}, want: []string{"heap grew", "fds grew"}},
		{name: "no steady samples", steady: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := &Report{Samples: append(append([]sample(nil), warm...), tc.steady...)}
			checkBounds(rep, time.Minute)
			if len(rep.Failures) != len(tc.want) {
				t.Fatalf("failures %q, want %d", rep.Failures, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(rep.Failures[i], w) {
					t.Fatalf("failure %q, want %q", rep.Failures[i], w)
				}
			}
		})
	}
}

// TestRunShort runs a short soak against the real gateway binary.
func TestRunShort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs cmd/wsgate")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build cmd/wsgate")
	}
	bin := filepath.Join(t.TempDir(), "wsgate")
	build := exec.Command(goTool, "build", "-o", bin, "./cmd/wsgate")
	build.Dir = "../.." // the root module, outside this one
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var out strings.Builder
	rep, err := Run(context.Background(), Config{
		Gateway: bin, Duration: 5 * time.Second, Every: 2 * time.Second, Out: &out,
		Echo: 4, Subscribers: 3, Publishers: 1, Churn: 1, Slow: 1, SlowStall: 10 * time.Second, Malformed: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if !rep.OK() {
		t.Fatalf("soak failed: %q", rep.Failures)
	}
	for _, want := range []string{"connections served:", "messages delivered:", "errors by kind: none", "malformed: unmasked frame -> close 1002", "PASS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if len(rep.Samples) < 2 {
		t.Errorf("%d samples", len(rep.Samples))
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{name: "no gateway", cfg: Config{}},
		{name: "negative clients", cfg: Config{Gateway: "x", Echo: -1}},
		{name: "negative duration", cfg: Config{Gateway: "x", Duration: -time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Run(context.Background(), tc.cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("err %v, want ErrConfig", err)
			}
		})
	}
}
