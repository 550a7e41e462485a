package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// pprofHook is added to a Go server's main package at build time through
// `go build -overlay` (the source tree is not touched): with WSBENCH_PPROF set
// it serves net/http/pprof on that loopback address.
const pprofHook = `package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("WSBENCH_PPROF"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
`

// buildProfiled builds b's pprof variant into work/bin/NAME-pprof and
// points b at it.
func (b *built) buildProfiled(ctx context.Context, work string, log io.Writer) error {
	dir := filepath.Join(work, "_pprof") // "_": never a package of the module
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	hook := filepath.Join(dir, "zz_wsbench_pprof.go")
	if err := os.WriteFile(hook, []byte(pprofHook), 0o644); err != nil {
		return err
	}
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": {
		filepath.Join(b.dir, b.Pprof, "zz_wsbench_pprof.go"): hook,
	}})
	overlay := filepath.Join(dir, b.Name+"-overlay.json")
	if err := os.WriteFile(overlay, ov, 0o644); err != nil {
		return err
	}
	bin := filepath.Join(work, "bin", b.Name+"-pprof")
	args := []string{"go", "build", "-overlay", overlay, "-o", bin, "./" + b.Pprof}
	if err := runStep(ctx, b.dir, args, 5*time.Minute, log); err != nil {
		return err
	}
	b.bin = bin
	return nil
}

// fetchProfile saves a CPU profile of seconds from the pprof address.
func fetchProfile(addr string, seconds int, file string) error {
	c := http.Client{Timeout: time.Duration(seconds+10) * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// topProfile renders `go tool pprof -top` of file.
func topProfile(bin, file string) string {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=35", bin, file).CombinedOutput()
	if err != nil {
		return "pprof: " + err.Error() + "\n" + string(out)
	}
	return strings.TrimSpace(string(out))
}
