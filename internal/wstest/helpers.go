package wstest

import (
	"bytes"
	"strings"
	"sync"
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
