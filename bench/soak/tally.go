package soak

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// tally counts what the clients saw. Unexpected outcomes are errors, by kind; expected ones
// (a refusal a malformed client asked for, a slow reader cut) are events, by kind. Safe for
// concurrent use.
type tally struct {
	served     atomic.Int64 // upgrades completed, seen from the clients
	echoed     atomic.Int64 // echo messages sent and received back intact
	published  atomic.Int64 // broadcast messages sent by publishers and churn clients
	delivered  atomic.Int64 // broadcast messages received intact by subscribers
	churned    atomic.Int64 // complete connect/message/close cycles
	latencyMax atomic.Int64 // worst broadcast delivery latency, nanoseconds

	mu     sync.Mutex
	errors map[string]int64
	events map[string]int64
	first  map[string]string // the first error message of each kind
}

func newTally() *tally {
	return &tally{errors: map[string]int64{}, events: map[string]int64{}, first: map[string]string{}}
}

// fail counts an unexpected outcome of kind, classifying err.
func (t *tally) fail(kind string, err error) {
	k := kind
	if err != nil {
		k = kind + ": " + classify(err)
	}
	t.mu.Lock()
	t.errors[k]++
	if _, ok := t.first[k]; !ok && err != nil {
		t.first[k] = err.Error()
	}
	t.mu.Unlock()
}

// event counts an expected outcome.
func (t *tally) event(kind string) {
	t.mu.Lock()
	t.events[kind]++
	t.mu.Unlock()
}

// latency records one broadcast delivery latency.
func (t *tally) latency(d time.Duration) {
	for cur := t.latencyMax.Load(); int64(d) > cur && !t.latencyMax.CompareAndSwap(cur, int64(d)); cur = t.latencyMax.Load() {
	}
}

// eventCount is the number of expected outcomes of kind.
func (t *tally) eventCount(kind string) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.events[kind]
}

// errorCount is the number of unexpected outcomes.
func (t *tally) errorCount() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for _, v := range t.errors {
		n += v
	}
	return n
}

// write prints the counts, sorted by kind.
func (t *tally) write(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	section := func(title string, m map[string]int64, first map[string]string) {
		fmt.Fprintf(w, "%s:", title)
		if len(m) == 0 {
			fmt.Fprintln(w, " none")
			return
		}
		fmt.Fprintln(w)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %-72s %8d", k, m[k])
			if msg := first[k]; msg != "" {
				fmt.Fprintf(w, "   first: %.100s", msg)
			}
			fmt.Fprintln(w)
		}
	}
	section("errors by kind", t.errors, t.first)
	section("expected outcomes by kind", t.events, nil)
}

// classify names an error by its class rather than its text, which carries addresses.
func classify(err error) string {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		return fmt.Sprintf("close %d", ce.Code)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "out of descriptors (client)"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "out of ports (client)"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, websocket.ErrBadHandshake):
		return "bad handshake"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}
