package cluster

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run when a node's goroutines outlive the tests (Close must stop them).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leak := leftover(3 * time.Second); leak != "" {
			fmt.Fprintln(os.Stderr, "goroutines left running:\n"+leak)
			code = 1
		}
	}
	os.Exit(code)
}

func leftover(wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaks []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "internal/cluster.(*Node)") {
				leaks = append(leaks, g)
			}
		}
		if len(leaks) == 0 || time.Now().After(deadline) {
			return strings.Join(leaks, "\n\n")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
