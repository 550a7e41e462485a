package soak

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Settings of the gateway under test. They are tight so that the hostile clients meet the
// limits quickly: a small output bound for the slow readers, a short handshake timeout for
// the slowloris heads, a small message limit for the oversized frames.
const (
	handshakeTimeout = 2 * time.Second
	closeTimeout     = 5 * time.Second
	shutdownTimeout  = 5 * time.Second
	maxMessageSize   = 64 << 10
	maxPendingBytes  = 64 << 10
)

const gatewayTOML = `# written by wssoak
[http]
listen = "127.0.0.1:0"

[websocket]
ping_interval = "30s"
handshake_timeout = %q
close_timeout = %q
shutdown_timeout = %q
max_message_size = %d
max_pending_bytes = %d

[[standalone]]
name = "ws"
listen = "127.0.0.1:0"

[[app]]
name = "echo"
kind = "echo"
path = "/echo"
scope = ["http", "ws"]

[[app]]
name = "broadcast"
kind = "broadcast"
path = "/broadcast"
scope = ["http", "ws"]

[metrics]
listen = %q

[log]
level = "info"
`

// gateway is the wsgate process under test.
type gateway struct {
	cmd     *exec.Cmd
	http    string // address of the HTTP service
	ws      string // address of the standalone server "ws"
	metrics string // address of the metrics endpoint
	client  *http.Client
	exited  chan struct{}
	waitErr error // cmd.Wait's, once exited is closed

	mu       sync.Mutex
	lines    int64
	byLevel  map[string]int64
	errLines []string // the first ERROR lines
}

// startGateway runs bin on the soak configuration, its log going to dir/wsgate.log, and
// returns once it listens and serves its metrics.
func startGateway(bin, dir string) (*gateway, error) {
	metricsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfgFile := filepath.Join(dir, "wsgate.toml")
	cfg := fmt.Sprintf(gatewayTOML, handshakeTimeout, closeTimeout, shutdownTimeout, maxMessageSize, maxPendingBytes, metricsAddr)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "wsgate.log"))
	if err != nil {
		return nil, err
	}
	g := &gateway{
		cmd:     exec.Command(bin, "-config", cfgFile),
		metrics: metricsAddr,
		client:  &http.Client{Timeout: 5 * time.Second},
		exited:  make(chan struct{}),
		byLevel: map[string]int64{},
	}
	stderr, err := g.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("soak: starting %s: %w", bin, err)
	}
	ready := make(chan struct{})
	go func() {
		defer logFile.Close()
		g.readLog(io.TeeReader(stderr, logFile), ready)
		g.waitErr = g.cmd.Wait()
		close(g.exited)
	}()
	select {
	case <-ready:
		return g, nil
	case <-g.exited:
		return nil, fmt.Errorf("soak: gateway exited at start (%v); see %s", g.waitErr, logFile.Name())
	case <-time.After(15 * time.Second):
		g.cmd.Process.Kill()
		return nil, fmt.Errorf("soak: gateway did not start; see %s", logFile.Name())
	}
}

// readLog follows the gateway's log: the listeners' addresses, and lines counted by level.
func (g *gateway) readLog(r io.Reader, ready chan struct{}) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	started := false
	for sc.Scan() {
		line := sc.Text()
		level := field(line, "level")
		g.mu.Lock()
		g.lines++
		g.byLevel[level]++
		if level == "ERROR" && len(g.errLines) < 5 {
			g.errLines = append(g.errLines, line)
		}
		if field(line, "msg") == "listening" {
			switch field(line, "listener") {
			case "http":
				g.http = field(line, "addr")
			case "ws":
				g.ws = field(line, "addr")
			}
		}
		g.mu.Unlock()
		if !started && field(line, "msg") == "metrics" { // logged last at start
			started = true
			close(ready)
		}
	}
}

// field returns the value of key=value in a text log line (quoted values unquoted).
func field(line, key string) string {
	i := strings.Index(line, " "+key+"=")
	if i < 0 {
		if !strings.HasPrefix(line, key+"=") {
			return ""
		}
		i = -1
	}
	rest := line[i+len(key)+2:]
	if strings.HasPrefix(rest, `"`) {
		if v, err := strconv.QuotedPrefix(rest); err == nil {
			s, _ := strconv.Unquote(v)
			return s
		}
	}
	if j := strings.IndexByte(rest, ' '); j >= 0 {
		return rest[:j]
	}
	return rest
}

// logCounts returns the number of log lines, by level, and the first ERROR lines.
func (g *gateway) logCounts() (total int64, byLevel map[string]int64, errLines []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	byLevel = make(map[string]int64, len(g.byLevel))
	for k, v := range g.byLevel {
		byLevel[k] = v
	}
	return g.lines, byLevel, append([]string(nil), g.errLines...)
}

// stop sends SIGTERM and waits for the exit, at most the shutdown timeout and a margin.
func (g *gateway) stop() (time.Duration, error) {
	start := time.Now()
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, err
	}
	select {
	case <-g.exited:
		return time.Since(start), g.waitErr
	case <-time.After(shutdownTimeout + 5*time.Second):
		g.cmd.Process.Kill()
		<-g.exited
		return time.Since(start), fmt.Errorf("soak: gateway still running %v after SIGTERM; killed", time.Since(start))
	}
}

// kill ends the gateway at once (when the run is abandoned).
func (g *gateway) kill() {
	select {
	case <-g.exited:
	default:
		g.cmd.Process.Kill()
		<-g.exited
	}
}

// sample is one reading of the gateway's resources.
type sample struct {
	at          time.Duration // since the load started; negative before
	rss         int64         // resident set, bytes
	fds         int64         // open file descriptors
	goroutines  int64
	heap        int64 // live and unswept heap objects, bytes
	conns       int64 // open WebSocket connections
	handshaking int64
	metrics     map[string]float64
}

// sample reads /proc/<pid> and the metrics endpoint.
func (g *gateway) sample(ctx context.Context) (sample, error) {
	var s sample
	pid := g.cmd.Process.Pid
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("soak: %w", err)
	}
	s.rss = procStatusKB(status, "VmRSS") << 10
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, fmt.Errorf("soak: %w", err)
	}
	s.fds = int64(len(fds))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+g.metrics+"/metrics", nil)
	if err != nil {
		return s, err
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return s, fmt.Errorf("soak: metrics: %w", err)
	}
	defer resp.Body.Close()
	s.metrics, err = parseMetrics(resp.Body)
	if err != nil {
		return s, err
	}
	s.goroutines = int64(s.metrics["wsgate_goroutines"])
	s.heap = int64(s.metrics["wsgate_heap_objects_bytes"])
	s.conns = int64(s.metrics["wsgate_connections"])
	s.handshaking = int64(s.metrics["wsgate_handshaking"])
	return s, nil
}

// procStatusKB returns the value in kB of a /proc/<pid>/status line, or 0.
func procStatusKB(status []byte, key string) int64 {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// parseMetrics reads the Prometheus text format: series name (with labels) to value.
func parseMetrics(r io.Reader) (map[string]float64, error) {
	m := map[string]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("%w: %q", ErrMetrics, line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %q", ErrMetrics, line)
		}
		m[line[:i]] = v
	}
	return m, sc.Err()
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
