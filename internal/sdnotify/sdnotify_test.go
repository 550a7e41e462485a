package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// listen binds a unixgram socket the way systemd does and returns it with
// the name to put into NOTIFY_SOCKET.
func listen(t *testing.T, abstract bool) (*net.UnixConn, string) {
	t.Helper()
	name := filepath.Join(t.TempDir(), "notify")
	if abstract {
		name = fmt.Sprintf("@wsgate-sdnotify-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, name
}

func receive(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestNotifications(t *testing.T) {
	for _, abstract := range []bool{false, true} {
		t.Run(fmt.Sprintf("abstract=%v", abstract), func(t *testing.T) {
			c, name := listen(t, abstract)
			t.Setenv("NOTIFY_SOCKET", name)
			n := FromEnv()
			if !n.Enabled() {
				t.Fatal("FromEnv: not enabled")
			}
			tests := []struct {
				name string
				send func() error
				want string
			}{
				{"ready", func() error { return n.Ready("") }, "READY=1"},
				{"ready with status", func() error { return n.Ready("serving 2\napplications") }, "READY=1\nSTATUS=serving 2 applications"},
				{"stopping", n.Stopping, "STOPPING=1"},
				{"status", func() error { return n.Status("draining") }, "STATUS=draining"},
			}
			for _, tc := range tests {
				if err := tc.send(); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if got := receive(t, c); got != tc.want {
					t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
				}
			}
		})
	}
}

// TestReloading: RELOADING=1 carries the monotonic clock in microseconds,
// between two readings of that clock taken around the call.
func TestReloading(t *testing.T) {
	c, name := listen(t, false)
	n, err := New(name)
	if err != nil {
		t.Fatal(err)
	}
	before := monotonic(t)
	if err := n.Reloading(); err != nil {
		t.Fatal(err)
	}
	after := monotonic(t)
	got := receive(t, c)
	usec, ok := strings.CutPrefix(got, "RELOADING=1\nMONOTONIC_USEC=")
	if !ok {
		t.Fatalf("got %q", got)
	}
	v, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || v < before || v > after {
		t.Fatalf("MONOTONIC_USEC=%s, want between %d and %d", usec, before, after)
	}
}

func monotonic(t *testing.T) int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return int64(ts.Sec)*1_000_000 + int64(ts.Nsec)/1000
}

func TestWithoutSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n := FromEnv()
	if n.Enabled() {
		t.Fatal("enabled without NOTIFY_SOCKET")
	}
	for _, f := range []func() error{func() error { return n.Ready("x") }, n.Reloading, n.Stopping} {
		if err := f(); err != nil {
			t.Errorf("without a socket: %v", err)
		}
	}
}

func TestBadSocket(t *testing.T) {
	for _, name := range []string{"relative/path", "@", "x"} {
		if _, err := New(name); !errors.Is(err, ErrBadSocket) {
			t.Errorf("New(%q): %v, want ErrBadSocket", name, err)
		}
	}
	// A socket nobody listens on: the error reaches the caller.
	n, _ := New(filepath.Join(t.TempDir(), "absent"))
	if err := n.Ready(""); err == nil {
		t.Error("Ready to an absent socket: no error")
	}
}
