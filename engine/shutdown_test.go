package engine

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// gateway is a cmd/wsgate process started by a test.
type gateway struct {
	cmd    *exec.Cmd
	addrs  map[string]string // listener name -> bound address
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed

	mu   sync.Mutex
	logs []string
}

// startGateway runs the wsgate binary on a configuration and waits until it listens.
func startGateway(t *testing.T, bin, toml string) *gateway {
	t.Helper()
	cfgFile := filepath.Join(t.TempDir(), "wsgate.toml")
	if err := os.WriteFile(cfgFile, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	g := &gateway{cmd: exec.Command(bin, "-config", cfgFile), addrs: map[string]string{}, exited: make(chan struct{})}
	stderr, _ := g.cmd.StderrPipe()
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.cmd.Process.Kill()
		<-g.exited
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			g.mu.Lock()
			g.logs = append(g.logs, line)
			if strings.Contains(line, "msg=listening") {
				var name, addr string
				for _, f := range strings.Fields(line) {
					if v, ok := strings.CutPrefix(f, "listener="); ok {
						name = v
					} else if v, ok := strings.CutPrefix(f, "addr="); ok {
						addr = v
					}
				}
				g.addrs[name] = addr
			}
			if strings.Contains(line, "wsgate started") {
				close(ready)
			}
			g.mu.Unlock()
		}
		g.err = g.cmd.Wait()
		close(g.exited)
	}()
	select {
	case <-ready:
	case <-g.exited:
		t.Fatalf("wsgate exited at start: %v\n%s", g.err, g.log())
	case <-time.After(10 * time.Second):
		t.Fatalf("wsgate did not start:\n%s", g.log())
	}
	return g
}

func (g *gateway) log() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.Join(g.logs, "\n")
}

func (g *gateway) logged(s string) bool { return strings.Contains(g.log(), s) }

// buildGateway builds cmd/wsgate into dir.
func buildGateway(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build cmd/wsgate")
	}
	bin := filepath.Join(dir, "wsgate")
	out, err := exec.Command(goTool, "build", "-o", bin, "../cmd/wsgate").CombinedOutput()
	if err != nil {
		t.Fatalf("building cmd/wsgate: %v\n%s", err, out)
	}
	return bin
}

const shutdownTOML = `
[http]
listen = "127.0.0.1:0"

[websocket]
shutdown_timeout = %q
close_timeout = "10s"
max_pending_bytes = "256KiB"

[[standalone]]
name = "ws"
listen = "127.0.0.1:0"

[[app]]
name = "echo"
kind = "echo"
path = "/echo"
scope = ["http", "ws"]
`

// TestSIGTERM runs the gateway binary and signals it: the first SIGTERM closes the
// listeners, sends 1001 to every client after the output queued for it, waits for the close
// replies at most shutdown_timeout, and exits 0; a second signal exits at once.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs cmd/wsgate")
	}
	bin := buildGateway(t, t.TempDir())

	t.Run("graceful", func(t *testing.T) {
		const shutdownTimeout = time.Second
		g := startGateway(t, bin, fmt.Sprintf(shutdownTOML, shutdownTimeout.String()))

		// answering reads and answers the close as a browser does.
		answering := dialRaw(t, g.addrs["http"], "/echo", 0)
		// queued has sent many messages without reading their echoes: they are queued in
		// the server (and the kernel) when the signal comes.
		queued := dialRaw(t, g.addrs["ws"], "/echo", 4096)
		const n, size = 150, 1024
		for i := range n {
			msg := fmt.Appendf(nil, "%04d%s", i, strings.Repeat("q", size-4))
			if err := queued.Send(0x2, msg); err != nil {
				t.Fatal(err)
			}
		}
		// silent never reads nor answers: the process must not wait for it past the timeout.
		silent := dialRaw(t, g.addrs["ws"], "/echo", 0)
		_ = silent
		time.Sleep(300 * time.Millisecond) // the server has read and echoed every message

		start := time.Now()
		if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		code, seen, err := answering.ReadUntilClose(5 * time.Second)
		if err != nil || code != 1001 || len(seen) != 0 {
			t.Fatalf("answering client: close %d, %v, frames %v", code, err, seen)
		}
		// The listeners closed before any 1001 went out.
		for name, addr := range g.addrs {
			if nc, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				nc.Close()
				t.Errorf("listener %s still accepts after the 1001", name)
			}
		}
		answering.SendClose(1001, "")

		queued.SetReadDeadline(time.Now().Add(5 * time.Second))
		for i := range n {
			op, p, err := queued.ReadFrame()
			if err != nil || op != 0x2 || len(p) != size || string(p[:4]) != fmt.Sprintf("%04d", i) {
				t.Fatalf("queued client: message %d: op %d, %d bytes %.8q, %v", i, op, len(p), p, err)
			}
		}
		if code, seen, err := queued.ReadUntilClose(5 * time.Second); err != nil || code != 1001 || len(seen) != 0 {
			t.Fatalf("queued client after its messages: close %d, %v, frames %v", code, err, seen)
		}
		queued.SendClose(1001, "")

		select {
		case <-g.exited:
		case <-time.After(shutdownTimeout + 5*time.Second):
			t.Fatalf("still running %v after SIGTERM:\n%s", time.Since(start), g.log())
		}
		took := time.Since(start)
		if g.err != nil {
			t.Fatalf("exit: %v\n%s", g.err, g.log())
		}
		// The silent client held the process until the timeout, not longer.
		if took < shutdownTimeout-100*time.Millisecond || took > shutdownTimeout+2*time.Second {
			t.Errorf("exited %v after SIGTERM, want about the shutdown timeout %v", took, shutdownTimeout)
		}
		if !g.logged("shutdown timeout") {
			t.Errorf("the timeout was not logged:\n%s", g.log())
		}
	})

	t.Run("second signal", func(t *testing.T) {
		g := startGateway(t, bin, fmt.Sprintf(shutdownTOML, "30s"))
		dialRaw(t, g.addrs["ws"], "/echo", 0) // never answers the close
		g.cmd.Process.Signal(syscall.SIGTERM)
		waitFor(t, "graceful stop begun", func() bool { return g.logged("shutting down") })
		start := time.Now()
		g.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-g.exited:
		case <-time.After(3 * time.Second):
			t.Fatal("a second signal did not end the process")
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("exited %v after the second signal", took)
		}
		var ee *exec.ExitError
		if !errors.As(g.err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("exit %v, want status 1 (not a clean stop)", g.err)
		}
	})
}
