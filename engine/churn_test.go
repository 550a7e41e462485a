package engine

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsgate/wsgate/internal/wstest"
)

// TestChurnReturnsToBaseline: after thousands of connect/upgrade/message/close cycles on
// both listeners and both built-in applications, the process is back where it started:
// the same goroutines and descriptors, and a heap within a small margin.
func TestChurnReturnsToBaseline(t *testing.T) {
	srv := startServer(t, nil, nil)
	addrs := []string{srv.Addr("http"), srv.Addr("ws")}
	paths := []string{"/echo", "/broadcast"}
	cycle := func(i int) error {
		rc, err := wstest.Dial(addrs[i%2], paths[(i/2)%2], wstest.Options{Timeout: 5 * time.Second})
		if err != nil {
			return err
		}
		defer rc.Close()
		rc.SetDeadline(time.Now().Add(5 * time.Second))
		msg := fmt.Appendf(nil, "cycle %d", i)
		if err := rc.Send(0x1, msg); err != nil {
			return err
		}
		if paths[(i/2)%2] == "/echo" {
			if _, p, err := rc.ReadFrame(); err != nil || string(p) != string(msg) {
				return fmt.Errorf("echo %q: %q %v", msg, p, err)
			}
		}
		if err := rc.SendClose(1000, ""); err != nil {
			return err
		}
		// Broadcast members may receive others' messages before the close.
		if code, _, err := rc.ReadUntilClose(5 * time.Second); err != nil || code != 1000 {
			return fmt.Errorf("close: %d %v", code, err)
		}
		return nil
	}
	churn := func(n int) {
		t.Helper()
		const workers = 8
		var (
			next   atomic.Int64
			failed atomic.Int64
			first  sync.Once
			wg     sync.WaitGroup
		)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)); i <= n; i = int(next.Add(1)) {
					if err := cycle(i); err != nil {
						failed.Add(1)
						first.Do(func() { t.Errorf("cycle %d: %v", i, err) })
					}
				}
			}()
		}
		wg.Wait()
		if failed.Load() > 0 {
			t.Fatalf("%d of %d cycles failed", failed.Load(), n)
		}
		waitFor(t, "every connection closed", func() bool { return srv.Connections() == 0 && srv.inHS.Load() == 0 })
	}
	type sample struct {
		goroutines, fds int
		heap            uint64
	}
	measure := func() sample {
		runtime.GC()
		runtime.GC() // the second clears what sync.Pools moved to their victim caches
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd")
		}
		return sample{runtime.NumGoroutine(), len(fds), ms.HeapAlloc}
	}

	churn(200) // warm up: pools, loop scratch, the route table
	base := measure()
	start := time.Now()
	const cycles = 5000
	churn(cycles)
	t.Logf("%d cycles in %v", cycles, time.Since(start))
	if got := srv.Stats().Upgrades.Load(); got != cycles+200 {
		t.Fatalf("%d upgrades, want %d", got, cycles+200)
	}
	// Closing sockets and goroutines finishing may lag the last close a little.
	var now sample
	deadline := time.Now().Add(5 * time.Second)
	for {
		now = measure()
		if now.goroutines <= base.goroutines && now.fds <= base.fds && now.heap <= base.heap+1<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not back to baseline after %d cycles: goroutines %d -> %d, fds %d -> %d, heap %d -> %d",
				cycles, base.goroutines, now.goroutines, base.fds, now.fds, base.heap, now.heap)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("baseline goroutines %d fds %d heap %d KiB; after churn %d, %d, %d KiB",
		base.goroutines, base.fds, base.heap>>10, now.goroutines, now.fds, now.heap>>10)
}
