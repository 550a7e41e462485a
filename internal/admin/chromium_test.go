package admin

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromium returns the path of Debian's chromium, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("headless Chromium not found; install with: apt-get install -y chromium")
	return ""
}

// runChromium runs headless Chromium on url with extra flags (--dump-dom or
// --screenshot=…) and returns its standard output.
func runChromium(t *testing.T, bin, url string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir=" + t.TempDir(), "--window-size=1200,900", "--virtual-time-budget=6000",
	}, extra...)
	args = append(args, url)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return stdout.Bytes()
}

// livelyGateway is the test gateway with traffic that grows on every read,
// so the page has rates to show.
func livelyGateway() *gateway {
	g := newGateway()
	g.status.Cluster = &Cluster{Broker: "nats://127.0.0.1:4222", Connected: true}
	g.tick = func(st *Status) {
		for i := range st.Apps {
			a := &st.Apps[i]
			a.MessagesIn += 250 * uint64(i+1)
			a.MessagesOut += 250 * uint64(i+1) * uint64(len(a.ByListener))
			a.BytesIn += 16000 * uint64(i+1)
			a.BytesOut += 16000 * uint64(i+1) * uint64(len(a.ByListener))
		}
		var tot Traffic
		for _, a := range st.Apps {
			tot.MessagesIn += a.MessagesIn
			tot.MessagesOut += a.MessagesOut
			tot.BytesIn += a.BytesIn
			tot.BytesOut += a.BytesOut
		}
		st.Totals = tot
	}
	return g
}

// TestStatusPageInChromium loads the page in headless Chromium with the
// token in its address and checks that its script fetched /api/status and
// rendered the gateway's values; without a token it must show the login
// form. It also takes a screenshot, kept at $WSGATE_SCREENSHOT if set.
func TestStatusPageInChromium(t *testing.T) {
	bin := chromium(t)
	g := livelyGateway()
	_, base, logs := start(t, Options{Source: g, Auth: tokenAuth(t), Version: "v0.9.0-test"})

	t.Run("with token", func(t *testing.T) {
		dom := string(runChromium(t, bin, base+"/?token="+opsToken, "--dump-dom"))
		for _, want := range []string{
			`<span id="state" class="badge ok">ready</span>`,
			`<span id="version" class="muted">v0.9.0-test`,
			`<td>chat "room"</td><td>/chat</td><td>broadcast</td>`,
			`<td>mqtt</td><td class="addr">127.0.0.1:8883</td><td>standalone</td><td>yes</td><td class="up">up</td>`,
			`<td>handshake_timeout</td><td class="num">5</td>`,
			`http: 1, mqtt: 1`,
			`nats://127.0.0.1:4222 — connected`,
			`<form id="login" hidden="">`,
		} {
			if !strings.Contains(dom, want) {
				t.Errorf("rendered page lacks %q", want)
			}
		}
		if strings.Contains(dom, opsToken) {
			t.Error("the token is in the page")
		}
		if t.Failed() {
			t.Logf("DOM:\n%s", dom)
		}
	})

	t.Run("without token", func(t *testing.T) {
		dom := string(runChromium(t, bin, base+"/", "--dump-dom"))
		if !strings.Contains(dom, `<form id="login">`) || strings.Contains(dom, "127.0.0.1:8883") {
			t.Errorf("without a token the page should ask for one and show no data:\n%s", dom)
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		out := os.Getenv("WSGATE_SCREENSHOT")
		if out == "" {
			out = filepath.Join(t.TempDir(), "admin-status.png")
		}
		runChromium(t, bin, base+"/?token="+opsToken, "--screenshot="+out)
		png, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(png) < 10_000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("%s: %d bytes, not a page's PNG", out, len(png))
		}
		t.Logf("screenshot: %s (%d bytes)", out, len(png))
	})

	if strings.Contains(logs.String(), opsToken) {
		t.Error("the token is in the log")
	}
}
