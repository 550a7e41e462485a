package engine

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// gnetLogger routes gnet's own log lines to the server's slog handler.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) log(level slog.Level, format string, args []any) {
	if g.l.Enabled(context.Background(), level) {
		g.l.Log(context.Background(), level, fmt.Sprintf(format, args...), "component", "gnet")
	}
}

func (g gnetLogger) Debugf(format string, args ...any) { g.log(slog.LevelDebug, format, args) }
func (g gnetLogger) Infof(format string, args ...any)  { g.log(slog.LevelDebug, format, args) } // gnet's info is chatter
// Warnf keeps gnet's warnings, except its note on events for connections already closed:
// routine when many clients leave at once (a close racing their last event), so debug.
func (g gnetLogger) Warnf(format string, args ...any) {
	level := slog.LevelWarn
	if strings.Contains(format, "stale connection") {
		level = slog.LevelDebug
	}
	g.log(level, format, args)
}
func (g gnetLogger) Errorf(format string, args ...any) { g.log(slog.LevelError, format, args) }
func (g gnetLogger) Fatalf(format string, args ...any) { g.log(slog.LevelError, format, args) }
