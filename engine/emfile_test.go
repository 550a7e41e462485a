package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsgate/wsgate/apps/builtin"
	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/wstest"
)

// emfileChildEnv makes TestEMFILE run as the gateway process with a lowered descriptor limit;
// emfileGraceEnv sets its handshake_timeout, which is also how long a shortage of descriptors
// lasts before waiting clients are answered 503.
const (
	emfileChildEnv = "WSGATE_EMFILE_CHILD"
	emfileGraceEnv = "WSGATE_EMFILE_GRACE"
)

// TestEMFILE runs a server in a child process whose RLIMIT_NOFILE leaves room for a few
// connections, fills it, and checks that running out of descriptors is survived: existing
// connections keep being served, accept failures back off instead of spinning (the child's
// CPU time stays low) and are logged at most once per interval, and the server recovers when
// descriptors free up. The child is this test binary; it takes commands on stdin ("hold"
// takes one more descriptor, "release" gives it back, EOF stops it).
func TestEMFILE(t *testing.T) {
	if os.Getenv(emfileChildEnv) != "" {
		emfileChild()
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ch := startEMFILEChild(t, "")
	addr, stdin, cmd := ch.addr, ch.stdin, ch.cmd
	acceptLines := ch.acceptLines
	reply := func(want string) string { t.Helper(); return ch.reply(t, want) }

	// Fill the descriptors with served connections until one is not served.
	var served []*wstest.Conn
	defer func() {
		for _, rc := range served {
			rc.Close()
		}
	}()
	for len(served) < 64 {
		rc, err := wstest.Dial(addr, "/echo", wstest.Options{Timeout: 700 * time.Millisecond})
		if err != nil {
			// It waits in the backlog: neither reset nor closed (accept.go: the loop that accepts opens the descriptor itself, so no hand-off fails at the limit).
			t.Logf("connection %d not served: %v", len(served)+1, err)
			if !isTimeout(err) {
				t.Errorf("connection %d at the limit: %v, want it to wait (a timeout)", len(served)+1, err)
			}
			break
		}
		served = append(served, rc)
	}
	if len(served) < 4 || len(served) >= 64 {
		t.Fatalf("%d connections served before the limit", len(served))
	}
	echoAll := func(what string) {
		t.Helper()
		for i, rc := range served {
			rc.SetDeadline(time.Now().Add(2 * time.Second))
			if err := rc.Send(0x1, []byte(what)); err != nil {
				t.Fatalf("%s: connection %d: %v", what, i, err)
			}
			if _, p, err := rc.ReadFrame(); err != nil || string(p) != what {
				t.Fatalf("%s: connection %d: %q %v", what, i, p, err)
			}
		}
	}
	echoAll("at the limit")

	// With no descriptor left at all, accept itself fails: a new client waits in the backlog.
	io.WriteString(stdin, "hold\n")
	reply("held")
	pending, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer pending.Close()
	io.WriteString(pending, upgradeRequest("/echo"))
	pendingBR := bufio.NewReader(pending)
	pending.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := pendingBR.Peek(1); !isTimeout(err) {
		t.Fatalf("a client was answered with no descriptor left: %v", err)
	}
	echoAll("with no descriptor left")

	// It does not spin: the child uses little CPU while accept keeps failing.
	before := cpuTicks(t, cmd.Process.Pid)
	time.Sleep(time.Second)
	if used := cpuTicks(t, cmd.Process.Pid) - before; used > 25 {
		t.Errorf("the child used %d%% of a CPU while out of descriptors", used)
	}
	echoAll("after a second out of descriptors")
	time.Sleep(1200 * time.Millisecond) // long enough for a second log line
	lines := acceptLines()
	if len(lines) < 2 {
		t.Fatalf("accept failures logged %d times: %q", len(lines), lines)
	}
	var last time.Time
	for _, l := range lines {
		at := logTime(t, l)
		if !last.IsZero() && at.Sub(last) < logEvery-10*time.Millisecond {
			t.Fatalf("accept failures logged %v apart: %q", at.Sub(last), lines)
		}
		last = at
	}

	// Descriptors free up: the waiting client is served, and so are new ones.
	io.WriteString(stdin, "release\n")
	reply("released")
	for _, rc := range served[:3] {
		rc.Close()
	}
	served = served[3:]
	pending.SetReadDeadline(time.Now().Add(5 * time.Second))
	if resp, err := http.ReadResponse(pendingBR, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("the waiting client after recovery: %v %v", resp, err)
	}
	pending.Close()
	rc, err := wstest.Dial(addr, "/echo", wstest.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("a new client after recovery: %v", err)
	}
	served = append(served, rc)
	echoAll("after recovery")
}

// emfileChildProc is a running child of TestEMFILE or TestEMFILEShed.
type emfileChildProc struct {
	cmd   *exec.Cmd
	addr  string
	stdin io.WriteCloser
	logMu sync.Mutex
	lines []string
	reps  chan string
}

// startEMFILEChild starts the child with handshake_timeout grace ("" for the default) and
// returns once it listens; it is stopped when the test ends.
func startEMFILEChild(t *testing.T, grace string) *emfileChildProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEMFILE$", "-test.count=1", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), emfileChildEnv+"=1", emfileGraceEnv+"="+grace)
	stdin, _ := cmd.StdinPipe()
	stdoutPipe, _ := cmd.StdoutPipe()
	stderrPipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := &emfileChildProc{cmd: cmd, stdin: stdin, reps: make(chan string, 4)}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Error("child did not stop")
		}
	})
	// The child's log, line by line.
	go func() {
		sc := bufio.NewScanner(stderrPipe)
		for sc.Scan() {
			ch.logMu.Lock()
			ch.lines = append(ch.lines, sc.Text())
			ch.logMu.Unlock()
		}
	}()
	go func() {
		sc := bufio.NewScanner(stdoutPipe)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "child: ") {
				ch.reps <- strings.TrimPrefix(l, "child: ")
			}
		}
		close(ch.reps)
	}()
	ch.addr = ch.reply(t, "listening")
	return ch
}

// logs returns the child's log so far.
func (ch *emfileChildProc) logs() []string {
	ch.logMu.Lock()
	defer ch.logMu.Unlock()
	return append([]string(nil), ch.lines...)
}

// acceptLines returns the log lines about accept failures.
func (ch *emfileChildProc) acceptLines() []string {
	var out []string
	for _, l := range ch.logs() {
		if strings.Contains(l, "accept failed") {
			out = append(out, l)
		}
	}
	return out
}

// reply waits for the child's answer starting with want and returns the rest.
func (ch *emfileChildProc) reply(t *testing.T, want string) string {
	t.Helper()
	select {
	case r, ok := <-ch.reps:
		if !ok || !strings.HasPrefix(r, want) {
			t.Fatalf("child said %q, want %q; log:\n%s", r, want, strings.Join(ch.logs(), "\n"))
		}
		return strings.TrimSpace(strings.TrimPrefix(r, want))
	case <-time.After(20 * time.Second):
		t.Fatalf("no %q from the child", want)
	}
	return ""
}

// TestEMFILEShed checks the way out of a lasting shortage of descriptors: once it has lasted
// handshake_timeout, a client waiting in the backlog is answered 503 through the spare
// descriptor and closed cleanly (the answer, then end of stream, not a reset), instead of
// waiting until the backlog overflows; when descriptors free up, clients are served again.
func TestEMFILEShed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ch := startEMFILEChild(t, "300ms")
	io.WriteString(ch.stdin, "hold\n")
	ch.reply(t, "held")
	nc, err := net.Dial("tcp", ch.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	io.WriteString(nc, upgradeRequest("/echo"))
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("a client waiting through the shortage: %v %v; log:\n%s", resp, err, strings.Join(ch.logs(), "\n"))
	}
	if body, err := io.ReadAll(resp.Body); err != nil || string(body) != handshake.ErrBusy.Reason {
		t.Fatalf("the 503's body: %q %v, want %q", body, err, handshake.ErrBusy.Reason)
	}
	if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("after the 503: %d bytes, %v; want a clean end of stream", n, err)
	}
	if lines := ch.acceptLines(); len(lines) == 0 || !strings.Contains(strings.Join(lines, "\n"), "answered_503=") {
		t.Fatalf("shedding not logged: %q", lines)
	}

	io.WriteString(ch.stdin, "release\n")
	ch.reply(t, "released")
	rc, err := wstest.Dial(ch.addr, "/echo", wstest.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("a new client after recovery: %v", err)
	}
	defer rc.Close()
	rc.SetDeadline(time.Now().Add(2 * time.Second))
	if err := rc.Send(0x1, []byte("back")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := rc.ReadFrame(); err != nil || string(p) != "back" {
		t.Fatalf("echo after recovery: %q %v", p, err)
	}
}

// emfileChild is the child side of TestEMFILE.
func emfileChild() {
	fail := func(err error) {
		fmt.Println("child: error", err)
		os.Exit(2)
	}
	opt := testOptions()
	if g := os.Getenv(emfileGraceEnv); g != "" {
		d, err := time.ParseDuration(g)
		if err != nil {
			fail(err)
		}
		opt.HandshakeTimeout = d
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opt.Logger = logger
	srv, err := New(*opt)
	if err != nil {
		fail(err)
	}
	for _, spec := range defaultSpecs() {
		app, _ := builtin.New(spec.Name)
		if err := srv.Register(spec, app); err != nil {
			fail(err)
		}
	}
	if err := srv.Start(); err != nil {
		fail(err)
	}
	// Room for a few more descriptors: new ones take the lowest free numbers, so the limit
	// goes where the eighth free number is.
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		fail(err)
	}
	used := map[int]bool{}
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			used[n] = true
		}
	}
	limit := 0
	for free := 0; free < 8; limit++ {
		if !used[limit] {
			free++
		}
	}
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	lim.Cur = uint64(limit)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fail(err)
	}
	fmt.Println("child: listening", srv.Addr("ws"))
	var held []*os.File
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "hold": // take every descriptor left
			for {
				f, err := os.Open(os.DevNull)
				if err != nil {
					break
				}
				held = append(held, f)
			}
			fmt.Println("child: held", len(held))
		case "release":
			for _, f := range held {
				f.Close()
			}
			held = nil
			fmt.Println("child: released")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	srv.Stop(ctx)
}

// cpuTicks is the user plus system CPU time of process pid, in clock ticks (1/100 s).
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may contain spaces.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return utime + stime
}

// logTime is the time= attribute of a text log line.
func logTime(t *testing.T, line string) time.Time {
	t.Helper()
	f := strings.Fields(line)
	if len(f) == 0 || !strings.HasPrefix(f[0], "time=") {
		t.Fatalf("log line without time: %q", line)
	}
	at, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(f[0], "time="))
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
