package clusterbridge

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsgate/wsgate/internal/wstest"
)

// The fan-out benchmark's subscribers run in a child process (this test binary, re-executed
// with fanoutEnv set), so the benchmark's CPU time is the gateways' and the NATS server's
// only. The child opens count connections to each target, prints "ready", then reads
// "expect N" lines from stdin and prints "done" each time the messages received over all
// connections reach N.
const fanoutEnv = "WSGATE_FANOUT_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(fanoutEnv); spec != "" {
		if err := fanoutChild(spec); err != nil {
			fmt.Fprintln(os.Stderr, "fanout child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fanoutChild runs the subscribers: spec is "count;addr/path?query;addr/path?query…".
func fanoutChild(spec string) error {
	parts := strings.Split(spec, ";")
	count, err := strconv.Atoi(parts[0])
	if err != nil {
		return err
	}
	var got atomic.Int64
	var conns []*wstest.Conn
	for _, target := range parts[1:] {
		addr, path, _ := strings.Cut(target, "/")
		for range count {
			c, err := wstest.Dial(addr, "/"+path, wstest.Options{})
			if err != nil {
				return err
			}
			conns = append(conns, c)
			go countFrames(c, &got)
		}
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		n, err := strconv.ParseInt(strings.TrimPrefix(in.Text(), "expect "), 10, 64)
		if err != nil {
			return err
		}
		for got.Load() < n {
			time.Sleep(200 * time.Microsecond)
		}
		fmt.Println("done")
	}
	for _, c := range conns {
		c.Conn.Close()
	}
	return nil
}

// countFrames counts data frames (the last frame of each message) until the connection
// ends.
func countFrames(c *wstest.Conn, got *atomic.Int64) {
	for {
		h, err := c.ReadHeader()
		if err != nil {
			return
		}
		if _, err := c.R.Discard(h.Length); err != nil {
			return
		}
		if h.Fin && (h.Op == wstest.OpText || h.Op == wstest.OpBinary || h.Op == wstest.OpContinuation) {
			got.Add(1)
		}
	}
}

// fanout is the parent's handle on a child.
type fanout struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startFanout(tb testing.TB, count int, targets ...string) *fanout {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fanoutEnv+"="+strconv.Itoa(count)+";"+strings.Join(targets, ";"))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	f := &fanout{cmd: cmd, in: in, out: bufio.NewScanner(outp)}
	var once sync.Once
	tb.Cleanup(func() {
		once.Do(func() {
			in.Close()
			_ = cmd.Wait()
		})
	})
	f.wait(tb, "ready")
	return f
}

func (f *fanout) wait(tb testing.TB, line string) {
	tb.Helper()
	for f.out.Scan() {
		if f.out.Text() == line {
			return
		}
	}
	tb.Fatalf("fanout child ended before %q", line)
}

// expect waits until the child has received n messages in all.
func (f *fanout) expect(tb testing.TB, n int64) {
	tb.Helper()
	fmt.Fprintf(f.in, "expect %d\n", n)
	f.wait(tb, "done")
}
