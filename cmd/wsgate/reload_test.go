package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/gateway"
	"github.com/wsgate/wsgate/internal/wstest"
)

const testFile = `
[http]
listen = "127.0.0.1:0"
[[standalone]]
name = "ws"
listen = "127.0.0.1:0"
[[app]]
name = "echo"
kind = "echo"
path = "/echo"
`

// TestReload: what SIGHUP runs. A changed file is applied and logged in one line saying
// what changed; the same file again logs that nothing changed; an invalid one changes
// nothing and logs one error line naming the field.
func TestReload(t *testing.T) {
	file := filepath.Join(t.TempDir(), "wsgate.toml")
	write := func(text string) {
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(testFile)
	var logs wstest.LogBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	cfg, _, err := loadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.Build(cfg, gateway.Builtin(), func(o *engine.Options) { o.Logger, o.EventLoops = logger, 1 }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Server.Start(); err != nil {
		t.Fatal(err)
	}
	defer g.Server.Stop(t.Context())
	logs.Take()

	for _, tc := range []struct {
		file    string
		wantErr bool
		want    []string
	}{
		{testFile + "[[app]]\nname = \"chat\"\nkind = \"broadcast\"\npath = \"/chat\"\n", false,
			[]string{`level=INFO msg="reloaded config" apps_added=[chat] apps_removed=[]`, "certificates=none"}},
		{testFile + "[[app]]\nname = \"chat\"\nkind = \"broadcast\"\npath = \"/chat\"\n", false,
			[]string{`level=INFO msg="reloaded config: nothing changed"`}},
		{testFile + "[[app]]\nname = \"chat\"\nkind = \"broadcast\"\npath = \"/chat\"\nscope = [\"nope\"]\n", true,
			[]string{`level=ERROR msg="config reload failed; nothing changed"`, `app[1].scope: unknown server \"nope\"`}},
		{testFile, false, []string{`apps_removed=[chat]`}},
	} {
		write(tc.file)
		err := reload(g, file, logger)
		lines := logs.Take()
		if (err != nil) != tc.wantErr || len(lines) != 1 {
			t.Fatalf("err %v, log %q", err, lines)
		}
		for _, w := range tc.want {
			if !strings.Contains(lines[0], w) {
				t.Errorf("log line %q lacks %q", lines[0], w)
			}
		}
	}
}
