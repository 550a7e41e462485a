package sdnotify

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrBadSocket reports a $NOTIFY_SOCKET that is neither an absolute path nor
// an abstract name ('@…').
var ErrBadSocket = errors.New("sdnotify: NOTIFY_SOCKET is neither an absolute path nor @abstract")

// Notifier sends state changes to systemd. The zero value and a nil
// *Notifier do nothing. It is safe for concurrent use: every call sends one
// datagram on a socket of its own.
type Notifier struct {
	addr *net.UnixAddr
}

// FromEnv returns a Notifier for $NOTIFY_SOCKET (nil when unset or empty).
func FromEnv() *Notifier {
	n, _ := New(os.Getenv("NOTIFY_SOCKET"))
	return n
}

// New returns a Notifier for the given socket name: an absolute path or an
// abstract name starting with '@' (Go maps the '@' to the leading NUL byte
// of the Linux abstract namespace). An empty name gives a nil Notifier.
func New(socket string) (*Notifier, error) {
	if socket == "" {
		return nil, nil
	}
	if socket[0] != '/' && socket[0] != '@' || len(socket) < 2 {
		return nil, ErrBadSocket
	}
	return &Notifier{addr: &net.UnixAddr{Name: socket, Net: "unixgram"}}, nil
}

// Enabled reports whether notifications go anywhere.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// Notify sends state, newline-separated KEY=VALUE assignments, as one
// datagram. It does nothing without a socket.
func (n *Notifier) Notify(state string) error {
	if !n.Enabled() {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// Ready sends READY=1, and STATUS=status when status is not empty.
func (n *Notifier) Ready(status string) error {
	return n.Notify("READY=1" + statusLine(status))
}

// Reloading sends RELOADING=1 with MONOTONIC_USEC, the CLOCK_MONOTONIC time
// in microseconds that systemd (Type=notify-reload, v253+) requires with it.
// Send Ready when the reload is done, whether it succeeded or not.
func (n *Notifier) Reloading() error {
	return n.Notify("RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(monotonicUsec(), 10))
}

// Stopping sends STOPPING=1.
func (n *Notifier) Stopping() error { return n.Notify("STOPPING=1") }

// Status sends STATUS=status, shown by systemctl status.
func (n *Notifier) Status(status string) error {
	return n.Notify(strings.TrimPrefix(statusLine(status), "\n"))
}

// statusLine is "\nSTATUS=…" with line feeds replaced (a status is one line).
func statusLine(status string) string {
	if status == "" {
		return ""
	}
	return "\nSTATUS=" + strings.ReplaceAll(status, "\n", " ")
}

func monotonicUsec() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return int64(ts.Sec)*1_000_000 + int64(ts.Nsec)/1000
}
