package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/internal/gateway"
)

// binary is the wsgate built once for these tests, in a directory anyone may read.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wsgate-cmd-test-")
	if err != nil {
		panic(err)
	}
	os.Chmod(dir, 0o755)
	binary = filepath.Join(dir, "wsgate")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building wsgate: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writeConfig writes a configuration file anyone may read.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "wsgate-cmd-config-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	file := filepath.Join(dir, "wsgate.toml")
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func wsgate(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		out, _, code := wsgate(t, arg)
		if code != 0 || !strings.HasPrefix(out, description+"\n") || !strings.Contains(out, "-config file") {
			t.Errorf("%s: exit %d, output %q", arg, code, out)
		}
	}
	if _, errOut, code := wsgate(t, "-nope"); code == 0 || !strings.Contains(errOut, "flag provided but not defined") {
		t.Errorf("-nope: exit %d, %q", code, errOut)
	}
}

// TestCheck: -check validates, opens the files a configuration names, counts listeners
// and warns about what is probably not meant.
func TestCheck(t *testing.T) {
	tokens := writeConfig(t, "ops:"+strings.Repeat("ab", 32)+"\n")
	var many strings.Builder
	for i := range 64 {
		fmt.Fprintf(&many, "[[standalone]]\nname = \"s%d\"\nlisten = \"127.0.0.1:0\"\n", i)
	}
	tests := []struct {
		name, file string
		code       int
		want       []string // substrings of stdout (code 0) or stderr
	}{
		{"default", "", 0, []string{fmt.Sprintf("embedded default: ok (listeners: http + %d standalone, at most 64; applications: %d; admin listener: off)",
			len(config.Default().Standalone), len(config.Default().Apps))}},
		{"no app", "[http]\nlisten = \"127.0.0.1:0\"\n", 0,
			[]string{"warning: no [[app]] in the file: no WebSocket application is served", `name = "echo", kind = "echo", path = "/echo"`, "applications: 0"}},
		{"deprecated metrics", "[metrics]\nlisten = \"127.0.0.1:9109\"\n[[app]]\nname = \"e\"\nkind = \"echo\"\npath = \"/e\"\n", 0,
			[]string{`warning: [metrics] is deprecated`, `write [admin] listen = "127.0.0.1:9109"`, "admin listener: 127.0.0.1:9109"}},
		{"admin with tokens", "[admin]\nlisten = \"127.0.0.1:9109\"\nauth = \"token\"\ncredentials = \"" + tokens + "\"\n[[app]]\nname = \"e\"\nkind = \"echo\"\npath = \"/e\"\n", 0,
			[]string{"ok (", "admin listener: 127.0.0.1:9109"}},
		{"missing credentials", "[[app]]\nname = \"e\"\nkind = \"echo\"\npath = \"/e\"\nauth = \"token\"\ncredentials = \"/nonexistent/tokens\"\n", 1,
			[]string{"app[0].credentials", "/nonexistent/tokens"}},
		{"missing admin credentials", "[admin]\nlisten = \"127.0.0.1:9109\"\nauth = \"token\"\ncredentials = \"/nonexistent/admin\"\n", 1,
			[]string{"admin.credentials", "/nonexistent/admin"}},
		{"missing certificate", "[http]\ntls_cert = \"/nonexistent/c.pem\"\ntls_key = \"/nonexistent/k.pem\"\n", 1,
			[]string{"http.tls_cert/tls_key", "/nonexistent/c.pem"}},
		{"bad credentials line", "[[app]]\nname = \"e\"\nkind = \"echo\"\npath = \"/e\"\nauth = \"token\"\ncredentials = \"" + writeConfig(t, "ops:nothex\n") + "\"\n", 1,
			[]string{"app[0].credentials", "wsgate.toml:1: hash is not"}},
		{"65 listeners", many.String(), 1, []string{"standalone", "65 listeners", "at most 64"}},
		{"missing cluster credentials", "[cluster]\nnats = \"nats://127.0.0.1:4222\"\ncredentials = \"/nonexistent/nats.creds\"\n", 1,
			[]string{"cluster.credentials", "/nonexistent/nats.creds"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"-check"}
			if tc.file != "" {
				args = append(args, "-config", writeConfig(t, tc.file))
			}
			out, errOut, code := wsgate(t, args...)
			got := out
			if tc.code != 0 {
				got = errOut
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestSystemdNotify runs wsgate with NOTIFY_SOCKET on a socket the test binds: READY=1
// once it serves (the admin listener answers /readyz), RELOADING=1 and READY=1 around
// SIGHUP, STOPPING=1 on SIGTERM; the warning about a file without [[app]] is logged.
func TestSystemdNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	nc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	file := writeConfig(t, "[http]\nlisten = \"127.0.0.1:0\"\n[admin]\nlisten = \"127.0.0.1:0\"\n")
	cmd := exec.Command(binary, "-config", file)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	logs := &lineLog{}
	adminAddr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`msg="admin listener" addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.add(sc.Text())
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				adminAddr <- m[1]
			}
		}
	}()
	receive := func() string {
		t.Helper()
		nc.SetReadDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, 1024)
		n, err := nc.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v\nlog:\n%s", err, logs)
		}
		return string(buf[:n])
	}

	if got := receive(); got != "READY=1\nSTATUS=serving 0 applications on 1 listeners" {
		t.Fatalf("first notification %q", got)
	}
	var addr string
	select {
	case addr = <-adminAddr:
	case <-time.After(10 * time.Second):
		t.Fatalf("no admin listener line:\n%s", logs)
	}
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "ready\n" {
		t.Errorf("readyz after READY=1: %d %q", res.StatusCode, body)
	}

	cmd.Process.Signal(syscall.SIGHUP)
	if got := receive(); !regexp.MustCompile(`^RELOADING=1\nMONOTONIC_USEC=[0-9]+$`).MatchString(got) {
		t.Errorf("on SIGHUP: %q", got)
	}
	if got := receive(); !strings.HasPrefix(got, "READY=1") {
		t.Errorf("after the reload: %q", got)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if got := receive(); got != "STOPPING=1" {
		t.Errorf("on SIGTERM: %q", got)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "no [[app]] in the file") {
		t.Errorf("the start-up log does not warn about the missing [[app]]:\n%s", logs)
	}
}

// TestPrivilegedPortExplained binds port 80 as an unprivileged user: the error says what
// CAP_NET_BIND_SERVICE is for and how to get it.
func TestPrivilegedPortExplained(t *testing.T) {
	setpriv, err := exec.LookPath("setpriv")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and setpriv (util-linux) to run wsgate as nobody")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	for _, tc := range []struct{ name, file, field string }{
		{"http", "[http]\nlisten = \"127.0.0.1:80\"\n", `listener "http"`},
		{"standalone", "[http]\nlisten = \"127.0.0.1:0\"\n[[standalone]]\nname = \"s\"\nlisten = \"127.0.0.1:81\"\n", `listener "s"`},
		{"admin", "[http]\nlisten = \"127.0.0.1:0\"\n[admin]\nlisten = \"127.0.0.1:82\"\n", "admin.listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeConfig(t, tc.file)
			cmd := exec.Command(setpriv, "--reuid="+nobody.Uid, "--regid="+nobody.Gid, "--clear-groups", binary, "-config", file)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("bound a port below 1024 as nobody:\n%s", out)
			}
			for _, want := range []string{tc.field, "permission denied", "ports below 1024 need CAP_NET_BIND_SERVICE", "setcap cap_net_bind_service=+ep"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("error lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// lineLog collects a child's log lines.
type lineLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *lineLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// TestDeployExample: the example configuration shipped in deploy/ is valid for this
// binary (its certificate and token files exist only on a server, so only the file is
// checked here).
func TestDeployExample(t *testing.T) {
	data, err := os.ReadFile("../../deploy/wsgate.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.CheckKinds(gateway.Builtin().Names()); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Apps) == 0 || cfg.Admin.Auth != "token" || len(cfg.Warnings()) != 0 {
		t.Errorf("apps %d, admin auth %q, warnings %q", len(cfg.Apps), cfg.Admin.Auth, cfg.Warnings())
	}
}

// TestLogReaderGone: the process whose standard error is a pipe (a log shipper, `| tee`,
// journald's stream) outlives the reader of that pipe. Go's default for a write to a broken
// pipe on fd 1 or 2 is to die of SIGPIPE, silently: the next log line (here the reload's,
// then the stop's) used to kill the gateway, which looked like it stopped on its own.
func TestLogReaderGone(t *testing.T) {
	file := writeConfig(t, "[http]\nlisten = \"127.0.0.1:0\"\n[[standalone]]\nname = \"ws\"\nlisten = \"127.0.0.1:0\"\n")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "-config", file)
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	defer cmd.Process.Kill()
	addr := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() && !strings.Contains(sc.Text(), "wsgate started") {
		if m := regexp.MustCompile(`listener=http addr=(\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatal("no listening line for the HTTP service")
	}
	r.Close() // the log reader goes away

	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("the gateway stopped answering after its log reader went away: %v", err)
	}
	resp.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("the gateway died of %v instead of stopping on SIGTERM", ws.Signal())
	}
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}
