package harness

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// built is a server ready to start, or the reason it is not.
type built struct {
	Server
	dir    string // absolute Dir
	bin    string // absolute binary path ({bin})
	config string // absolute config path ({config})
	skip   string // why the server is left out; empty when usable
	note   string // how it was built, when that is worth reporting
}

func expand(args []string, vars map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		for k, v := range vars {
			a = strings.ReplaceAll(a, "{"+k+"}", v)
		}
		out[i] = a
	}
	return out
}

func (b *built) vars(addr string) map[string]string {
	return map[string]string{"bin": b.bin, "config": b.config, "dir": b.dir, "addr": addr}
}

// runStep runs one setup or build command in b.dir with a time limit,
// sending its output to log.
func runStep(ctx context.Context, dir string, args []string, limit time.Duration, log io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// prepare installs and builds s under work; a server that cannot be built is
// returned with skip set rather than failing the comparison.
func prepare(ctx context.Context, root, work string, s Server, log io.Writer) *built {
	b := &built{Server: s, dir: filepath.Join(root, s.Dir)}
	b.bin = filepath.Join(work, "bin", s.Name)
	b.config = filepath.Join(work, s.Name+".toml")
	if s.Requires != "" {
		if _, err := os.Stat(filepath.Join(root, s.Requires)); err != nil {
			b.skip = "not present yet (" + s.Requires + " missing)"
			return b
		}
	}
	if len(s.Setup) > 0 {
		if _, err := os.Stat(filepath.Join(b.dir, s.SetupDone)); err != nil {
			if err := runStep(ctx, b.dir, s.Setup, 3*time.Minute, log); err != nil {
				b.skip = "setup failed: " + err.Error()
				return b
			}
		}
	}
	if len(s.Build) > 0 {
		err := runStep(ctx, b.dir, expand(s.Build, b.vars("")), 5*time.Minute, log)
		if err != nil && s.HeadFallback {
			fmt.Fprintf(log, "working tree does not build (%v); building HEAD\n", err)
			if dir, rev, herr := exportHead(ctx, root, filepath.Join(work, "head", s.Name), log); herr == nil {
				if herr = runStep(ctx, filepath.Join(dir, s.Dir), expand(s.Build, b.vars("")), 5*time.Minute, log); herr == nil {
					b.dir, b.note, err = filepath.Join(dir, s.Dir), "built from commit "+rev+" (the working tree did not build)", nil
				}
			}
		}
		if err != nil {
			b.skip = "build failed: " + err.Error()
			return b
		}
	}
	return b
}

// exportHead writes the last commit's tree into dir and returns dir and the
// short commit id.
func exportHead(ctx context.Context, root, dir string, log io.Writer) (string, string, error) {
	rev, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "", "", err
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	tar := dir + ".tar"
	if err := runStep(ctx, root, []string{"git", "archive", "-o", tar, "HEAD"}, time.Minute, log); err != nil {
		return "", "", err
	}
	defer os.Remove(tar)
	if err := runStep(ctx, dir, []string{"tar", "-xf", tar}, time.Minute, log); err != nil {
		return "", "", err
	}
	return dir, strings.TrimSpace(string(rev)), nil
}

// proc is a running server.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then SIGKILL after two seconds, and waits for the exit.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// start runs the server on addr (aux is a spare address for its config) with
// env added to the environment and waits until addr accepts connections.
func (b *built) start(addr, aux string, env []string, log io.Writer) (*proc, error) {
	if b.Config != "" {
		host, port, _ := net.SplitHostPort(addr)
		cfg := strings.NewReplacer("{addr}", addr, "{aux}", aux, "{host}", host, "{port}", port).Replace(b.Config)
		if err := os.WriteFile(b.config, []byte(cfg), 0o644); err != nil {
			return nil, err
		}
	}
	args := expand(b.Run, b.vars(addr))
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if p.exited() {
			return nil, fmt.Errorf("%w: %s exited at start", ErrServerStart, b.Name)
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return p, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.stop()
	return nil, fmt.Errorf("%w: %s is not listening on %s after 10s", ErrServerStart, b.Name, addr)
}

// ports hands out pairs of free loopback ports, a new pair for every server
// process so that no run meets the previous one's TIME_WAIT sockets.
type ports struct{ next int }

func (p *ports) pair() (string, string) {
	for range 500 {
		if p.next < 19000 || p.next > 19998 {
			p.next = 19000
		}
		a := fmt.Sprintf("127.0.0.1:%d", p.next)
		b := fmt.Sprintf("127.0.0.1:%d", p.next+1)
		p.next += 2
		if free(a) && free(b) {
			return a, b
		}
	}
	return "127.0.0.1:19000", "127.0.0.1:19001"
}

func free(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}
