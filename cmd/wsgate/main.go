// Command wsgate runs the WebSocket gateway.
//
//	wsgate                  run on the embedded default configuration
//	wsgate -config FILE     run on FILE (TOML)
//	wsgate -check [-config FILE]   validate the configuration, open the files it names, exit
//	wsgate -print-config    print a commented example configuration
//	wsgate -gen-cert DIR    write a self-signed certificate pair for a first try
//	wsgate -version
//
// SIGHUP re-reads the configuration file and applies it without a restart (docs/reload.md);
// SIGINT and SIGTERM stop gracefully. Under systemd (Type=notify, deploy/wsgate.service) it
// reports READY=1 once every listener is open, RELOADING=1 and READY=1 around a SIGHUP, and
// STOPPING=1 when it stops.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/cluster"
	"github.com/wsgate/wsgate/internal/clusterbridge"
	"github.com/wsgate/wsgate/internal/gateway"
	"github.com/wsgate/wsgate/internal/gcpace"
	"github.com/wsgate/wsgate/internal/sdnotify"
	"github.com/wsgate/wsgate/internal/tlsconn"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// description is what -h prints first.
const description = "wsgate: a WebSocket gateway (echo, broadcast and your own applications on event loops, an admin listener, systemd readiness)."

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "wsgate:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("wsgate", flag.ContinueOnError)
	configFile := fs.String("config", "", "configuration `file` (TOML); none = the embedded default")
	check := fs.Bool("check", false, "validate the configuration, open every file it names, and exit")
	printConfig := fs.Bool("print-config", false, "print a commented example configuration and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	genCert := fs.String("gen-cert", "", "write a self-signed certificate pair (cert.pem, key.pem) into `dir` and exit")
	fs.SetOutput(os.Stdout) // -h is a request, answered on stdout with exit status 0
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), description)
		fmt.Fprintln(fs.Output(), "\nUsage: wsgate [-config FILE] [-check | -print-config | -gen-cert DIR | -version]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	switch {
	case *showVersion:
		fmt.Println("wsgate", versionString())
		return nil
	case *printConfig:
		_, err := os.Stdout.Write(config.Example())
		return err
	case *genCert != "":
		cert, key, err := tlsconn.GenerateSelfSigned(*genCert)
		if err != nil {
			return err
		}
		fmt.Printf("wrote %s and %s (self-signed, localhost/127.0.0.1/::1, one year)\n", cert, key)
		return nil
	}
	cfg, source, err := loadConfig(*configFile)
	if err != nil {
		return err
	}
	if *check {
		return checkConfig(cfg, source)
	}
	logger, err := newLogger(cfg.Log)
	if err != nil {
		return err
	}
	slog.SetDefault(logger)
	raiseFileLimit(logger)
	for _, w := range cfg.Warnings() {
		logger.Warn(w, "config", source)
	}
	applyProcess(cfg.Process, logger)
	notify := sdnotify.FromEnv()

	// Signals are caught from before the listeners open: a SIGTERM that arrives while the
	// server starts still stops it gracefully instead of killing it.
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	// A log reader that goes away (journald restarted, `| tee` stopped) must not stop the
	// gateway: by default Go dies of SIGPIPE at the next write to a broken stdout/stderr.
	// Ignored, that write fails and the line is lost; sockets already get EPIPE.
	signal.Ignore(syscall.SIGPIPE)
	// The cluster connects first, so the applications can be bridged as they are built; a
	// broker that refuses the credentials stops the start, one that is down does not (the
	// node keeps trying).
	var node *cluster.Node
	if cfg.Cluster.Enabled() {
		if node, err = cluster.New(gateway.ClusterOptions(&cfg.Cluster, logger)); err != nil {
			return err
		}
		defer node.Close()
	}
	gw, err := gateway.Build(cfg, gateway.Builtin(), func(o *engine.Options) { o.Logger = logger },
		clusterbridge.Hook(node))
	if err != nil {
		return err
	}
	srv := gw.Server
	adm, err := gateway.Admin(cfg, gw, node, versionString(), logger)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return explainBind(err)
	}
	if adm != nil {
		if err := adm.Start(); err != nil {
			srv.Stop(context.Background())
			return explainBind(fmt.Errorf("admin.listen: %w", err))
		}
	}
	logger.Info("wsgate started", "version", versionString(), "config", source,
		"applications", len(cfg.Apps), "standalone", len(cfg.Standalone))
	status := fmt.Sprintf("serving %d applications on %d listeners", len(cfg.Apps), 1+len(cfg.Standalone))
	if err := notify.Ready(status); err != nil {
		logger.Warn("systemd notification failed", "err", err)
	}

	var got os.Signal
	for got = range sig {
		if got != syscall.SIGHUP {
			break
		}
		// SIGHUP: the whole file, applied without a restart (docs/reload.md).
		notify.Reloading()
		if err := reload(gw, *configFile, logger); err != nil {
			notify.Ready("config reload failed; " + status)
			continue
		}
		notify.Ready(status)
	}
	notify.Stopping()
	cfg = gw.Config()
	logger.Info("signal received; shutting down gracefully (again to exit at once)", "signal", got.String(),
		"timeout", cfg.WebSocket.ShutdownTimeout)
	go func() {
		for s := range sig {
			if s == syscall.SIGHUP {
				continue
			}
			break
		}
		logger.Warn("second signal: exiting now")
		os.Exit(1)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.WebSocket.ShutdownTimeout)
	defer cancel()
	err = srv.Stop(ctx)
	if adm != nil {
		adm.Shutdown(ctx) // after the gateway: /readyz says "shutting down" meanwhile
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// checkConfig is -check: the file is valid (loadConfig), every file it names opens, and
// what is valid but probably not meant is said.
func checkConfig(cfg *config.Config, source string) error {
	if err := gateway.CheckFiles(cfg); err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	for _, w := range cfg.Warnings() {
		fmt.Printf("%s: warning: %s\n", source, w)
	}
	admin := "off"
	if a := cfg.AdminListen(); a != "" {
		admin = a
	}
	fmt.Printf("%s: ok (listeners: http + %d standalone, at most %d; applications: %d; admin listener: %s)\n",
		source, len(cfg.Standalone), config.MaxListeners, len(cfg.Apps), admin)
	return nil
}

// explainBind adds what to do to a bind refused for a port below 1024.
func explainBind(err error) error {
	var oe *net.OpError
	if !errors.Is(err, syscall.EACCES) || !errors.As(err, &oe) || oe.Op != "listen" || oe.Addr == nil {
		return err
	}
	_, port, _ := net.SplitHostPort(oe.Addr.String())
	if n, perr := strconv.Atoi(port); perr != nil || n >= 1024 {
		return err
	}
	return fmt.Errorf("%w\n  ports below 1024 need CAP_NET_BIND_SERVICE: run wsgate under deploy/wsgate.service "+
		"(it grants AmbientCapabilities=CAP_NET_BIND_SERVICE and nothing else), or "+
		"`setcap cap_net_bind_service=+ep %s`, or run as root, or choose a port of 1024 or above", err, exe())
}

func exe() string {
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "wsgate"
}

// reload re-reads the configuration file (the embedded default when file is "") and applies
// it to g: SIGHUP. It logs the reload's one line, or the error naming the field or the
// listener, in which case nothing changed.
func reload(g *gateway.Gateway, file string, logger *slog.Logger) error {
	cfg, _, err := loadConfig(file)
	if err == nil {
		var sum gateway.Summary
		if sum, err = g.Reload(cfg); err == nil {
			sum.Log(logger)
			return nil
		}
	}
	logger.Error("config reload failed; nothing changed", "err", err)
	return err
}

// loadConfig reads the configuration file, or returns the embedded default.
func loadConfig(file string) (*config.Config, string, error) {
	if file == "" {
		return config.Default(), "embedded default", nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, "", err
	}
	cfg, err := config.Parse(data)
	if err == nil {
		err = cfg.CheckKinds(gateway.Builtin().Names())
	}
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", file, err)
	}
	return cfg, file, nil
}

func newLogger(c config.Log) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(c.Format, "json") {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
}

// raiseFileLimit lifts the soft RLIMIT_NOFILE to the hard limit: every client is a socket.
func raiseFileLimit(logger *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			logger.Warn("cannot raise the open-file limit", "err", err)
			return
		}
	}
	logger.Debug("open-file limit", "limit", lim.Cur)
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}

// gcFloor is the least headroom the collector target leaves a heap (gcpace), up to Go's
// default pacing. Without it, gc_percent 25 on a small heap collects after every 1 MB, and
// TLS handshakes (tens of kilobytes each) cost about 8 % more server CPU than at Go's
// default; with it they cost the same, and a heap of many idle connections (10 MB at 19,000)
// is paced at gc_percent.
const gcFloor = 1 << 20

// applyProcess paces the Go collector and sets the soft memory limit from [process] (a
// limit of 0 leaves GOMEMLIMIT as the environment set it). The pacing runs for the life of
// the process.
func applyProcess(p config.Process, logger *slog.Logger) {
	if p.MemoryLimit > 0 {
		debug.SetMemoryLimit(int64(p.MemoryLimit))
	}
	go gcpace.Run(context.Background(), p.GCPercent, gcFloor, 100*time.Millisecond)
	logger.Info("go runtime", "gc_percent", p.GCPercent, "gc_floor", gcFloor, "memory_limit", debug.SetMemoryLimit(-1))
}
