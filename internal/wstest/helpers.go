package wstest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"
)

// TB is the part of testing.TB the helpers below use (this package does not import
// testing: the load generator links it).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// WaitFor polls cond every 5 ms until it holds, failing the test after within with
// "timed out waiting for what": for what the server does on its own goroutines (a close, a
// count, a reconnect), which the test can only observe.
func WaitFor(tb TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// LogBuffer is a log sink that the server's goroutines and the test share.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns all that was written since the last Take.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Take returns the lines written since the last call and forgets them.
func (l *LogBuffer) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := strings.Split(strings.TrimSpace(l.b.String()), "\n")
	l.b.Reset()
	return out
}

// Request sends one HTTP request with header and body on a connection of its own (no
// keep-alive, a 10 s timeout) and returns the response's status, header and body; it fails
// the test when there is no response.
func Request(tb TB, method, url string, header http.Header, body string) (int, http.Header, string) {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatalf("wstest: %v", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		tb.Fatalf("wstest: %s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("wstest: reading the answer to %s %s: %v", method, url, err)
	}
	return res.StatusCode, res.Header, string(b)
}

// CPUTime is the user and system CPU time the process has used so far, for benchmarks that
// report work per CPU second of the whole process (server, peers and clients alike).
func CPUTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
