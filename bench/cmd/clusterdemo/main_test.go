package main

import (
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBrowserOnAHearsB runs the demo (a NATS server and two wsgate processes) and opens
// gateway A's page in headless Chromium: the page shows what the demo's client on gateway
// B sends, carried over NATS.
func TestBrowserOnAHearsB(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("no chromium: install with: apt-get install -y chromium")
	}
	bin := filepath.Join(t.TempDir(), "wsgate")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "./cmd/wsgate")
	build.Dir = "../../.." // the main module: the gateway is built with its own go.sum
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building wsgate: %v\n%s", err, out)
	}
	pa, pb, pn := freePort(t), freePort(t), freePort(t)
	stop := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- run([]string{"-gateway", bin, "-a", pa, "-b", pb, "-nats-port", pn, "-say", "50ms"}, stop)
	}()
	defer func() {
		close(stop)
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}()
	page := "http://127.0.0.1:" + pa + "/"
	deadline := time.Now().Add(20 * time.Second)
	for {
		if r, err := http.Get(page); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("gateway A's page never answered")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var dom string
	for range 5 {
		out, err := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu",
			"--virtual-time-budget=3000", "--dump-dom", page).Output()
		if err != nil {
			t.Fatalf("chromium: %v", err)
		}
		dom = string(out)
		if strings.Contains(dom, "from a client on gateway B") {
			return
		}
	}
	t.Fatalf("the page on gateway A never showed a message from gateway B; last DOM:\n%s", dom)
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
