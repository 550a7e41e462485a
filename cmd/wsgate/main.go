// Command wsgate runs the WebSocket gateway.
//
//	wsgate                  run on the embedded default configuration
//	wsgate -config FILE     run on FILE (TOML)
//	wsgate -check [-config FILE]   validate the configuration and exit
//	wsgate -print-config    print a commented example configuration
//	wsgate -gen-cert DIR    write a self-signed certificate pair for a first try
//	wsgate -version

// SIGHUP reloads the TLS certificates; SIGINT and SIGTERM stop gracefully.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/engine"
	"github.com/wsgate/wsgate/internal/cluster"
	"github.com/wsgate/wsgate/internal/clusterbridge"
	"github.com/wsgate/wsgate/internal/gateway"
	"github.com/wsgate/wsgate/internal/gcpace"
	"github.com/wsgate/wsgate/internal/tlsconn"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "wsgate:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("wsgate", flag.ContinueOnError)
	configFile := fs.String("config", "", "configuration `file` (TOML); none = the embedded default")
	check := fs.Bool("check", false, "validate the configuration and exit")
	printConfig := fs.Bool("print-config", false, "print a commented example configuration and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	genCert := fs.String("gen-cert", "", "write a self-signed certificate pair (cert.pem, key.pem) into `dir` and exit")
	if err := fs.Parse(args); err != nil {
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
		fmt.Printf("%s: ok (%d standalone servers, %d applications)\n", source, len(cfg.Standalone), len(cfg.Apps))
		return nil
	}
	logger, err := newLogger(cfg.Log)
	if err != nil {
		return err
	}
	slog.SetDefault(logger)
	raiseFileLimit(logger)
	applyProcess(cfg.Process, logger)

	// Signals are caught from before the listeners open: a SIGTERM that arrives while the
	// server starts still stops it gracefully instead of killing it.
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	// The cluster connects first, so the applications can be bridged as they are built; a
	// broker that refuses the credentials stops the start, one that is down does not.
	var node *cluster.Node
	if cfg.Cluster.Enabled() {
		if node, err = cluster.New(gateway.ClusterOptions(&cfg.Cluster, logger)); err != nil {
			return err
		}
		defer node.Close()
	}
	srv, err := gateway.NewWithHook(cfg, gateway.Builtin(), func(o *engine.Options) { o.Logger = logger },
		clusterbridge.Hook(node))
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	logger.Info("wsgate started", "version", versionString(), "config", source,
		"applications", len(cfg.Apps), "standalone", len(cfg.Standalone))
	if cfg.Metrics.Listen != "" {
		if err := serveMetrics(cfg.Metrics.Listen, srv, node, logger); err != nil {
			srv.Stop(context.Background())
			return err
		}
	}

	var got os.Signal
	for got = range sig {
		if got != syscall.SIGHUP {
			break
		}
		// SIGHUP: new certificates for new connections; established ones are kept.
		if err := srv.ReloadCertificates(); err != nil {
			logger.Error("certificate reload failed; keeping the old pairs", "err", err)
		}
	}
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
	if err := srv.Stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
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

// serveMetrics exposes the Prometheus text endpoint on its own small HTTP server.
func serveMetrics(addr string, srv *engine.Server, node *cluster.Node, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics.listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		srv.WritePrometheus(w)
		if node != nil {
			node.WritePrometheus(w)
		}
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server", "err", err)
		}
	}()
	logger.Info("metrics", "addr", ln.Addr().String(), "path", "/metrics")
	return nil
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
