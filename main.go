// Command incident-bridge runs incidents in Slack and gives each one a Zoom
// meeting. main.go only wires: configuration, logger, store, Zoom, app, bot
// and the HTTP server, in one errgroup.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/incident-bridge/incident-bridge/internal/config"
)

// version is stamped at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Main runs one subcommand and returns the process exit code.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "run"
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" || a == "help" {
			config.Usage(stdout, "incident-bridge")
			return 0
		}
	}
	if len(args) > 0 {
		cmd = args[0]
	}
	if len(args) > 1 {
		fmt.Fprintf(stderr, "incident-bridge %s takes no arguments (got %q); see --help\n", cmd, args[1:])
		return 2
	}
	switch cmd {
	case "run":
		cfg, err := config.Load(getenv, config.ModeRun)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		log := newLogger(cfg, stderr)
		if err := run(ctx, cfg, log, nil); err != nil {
			log.Error().Err(err).Msg("incident-bridge stopped")
			return 1
		}
		return 0
	case "check":
		cfg, err := config.Load(getenv, config.ModeCheck)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		if !runCheck(ctx, cfg, stdout) {
			return 1
		}
		return 0
	case "demo":
		if err := demo(ctx, stdout); err != nil {
			fmt.Fprintln(stderr, "demo failed:", err)
			return 1
		}
		return 0
	case "rekey":
		cfg, err := config.Load(getenv, config.ModeRekey)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		if err := rekey(ctx, cfg, stdout); err != nil {
			fmt.Fprintln(stderr, "rekey failed:", err)
			return 1
		}
		return 0
	case "version":
		fmt.Fprintln(stdout, "incident-bridge", version)
		return 0
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n", cmd)
	config.Usage(stderr, "incident-bridge")
	return 2
}

// newLogger builds the one logger: JSON by default, console for humans.
func newLogger(cfg config.Config, w io.Writer) zerolog.Logger {
	if cfg.LogFormat == "console" {
		w = zerolog.ConsoleWriter{Out: w}
	}
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil {
		level = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(level).With().Timestamp().Str("version", version).Logger()
}
