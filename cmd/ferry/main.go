// Command ferry syncs SaaS providers and databases. One file per command.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/app"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// A heap of 1.5x what is live rather than 2x: about 10 MB less at
		// peak for a few percent more time in the collector (docs/operations.md).
		debug.SetGCPercent(50)
	}
	ownProcess = true
	os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// syncMemoryLimit is the soft memory limit of a foreground `ferry sync` when
// GOMEMLIMIT is unset. One run is meant to fit in tens of MB: without a
// limit the collector lets the heap grow to 1.5x what is live before it
// runs; with one it collects earlier near the limit (the runtime caps that
// work at half the CPU, so a larger live heap slows the run rather than
// failing it). serve and worker run many runs at once and keep the default.
const syncMemoryLimit = 64 << 20

// ownProcess is set when ferry runs as its own program, not inside a test
// binary calling Main, whose memory is not a sync's to limit.
var ownProcess bool

func limitSyncMemory() {
	if ownProcess && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(syncMemoryLimit)
	}
}

// globals are the flags every command shares.
type globals struct {
	state     string
	json      bool
	logFormat string
	logLevel  string
	stdout    io.Writer
	stderr    io.Writer
}

// Main runs ferry with args and returns the exit code. Tests call it.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "ferry",
		Short:         "Ferry keeps SaaS providers and your database in sync",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.state, "state", os.Getenv("FERRY_STATE"), "control state: a SQLite file (default ./ferry.db) or a postgres:// DSN (env FERRY_STATE)")
	root.PersistentFlags().BoolVar(&g.json, "json", false, "print JSON")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "warn", "log level: debug, info, warn, error")
	root.AddCommand(demoCmd(g), applyCmd(g), syncCmd(g), runsCmd(g), runCmd(g), fakeCmd(g), benchCmd(g))
	root.AddCommand(scopeCmd(g))
	root.AddCommand(serveCmd(g), workerCmd(g), pauseCmd(g), resumeCmd(g), statusCmd(g))
	root.AddCommand(tokenCmd(g))
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return ferry.Errorf(ferry.EINVALID, "%v (see %s --help)", err, cmd.CommandPath())
	})
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	code, msg := ferry.ErrorCode(err), err.Error()
	if g.json {
		_ = json.NewEncoder(stderr).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	} else {
		fmt.Fprintf(stderr, "ferry: %s\n", msg)
	}
	return exitCode(code)
}

// exitCode is the one map from error codes to exit codes (documented in
// docs/cli.md).
func exitCode(code string) int {
	switch code {
	case "":
		return 0
	case ferry.EINVALID:
		return 2
	case ferry.ENOTFOUND:
		return 3
	case ferry.ECONFLICT:
		return 4
	case ferry.EUNAUTHORIZED:
		return 5
	case ferry.ERATELIMITED:
		return 6
	case ferry.EUNAVAILABLE:
		return 7
	case ferry.EEXPIRED:
		return 8
	case ferry.ECANCELED:
		return 130
	}
	return 1
}

func (g *globals) logger() *slog.Logger {
	level := slog.LevelWarn
	_ = level.UnmarshalText([]byte(g.logLevel))
	opts := &slog.HandlerOptions{Level: level}
	if g.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(g.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(g.stderr, opts))
}

// open opens the app with the shared flags and the environment.
func (g *globals) open(ctx context.Context) (*app.App, error) {
	return app.Open(ctx, app.Config{
		State:     g.state,
		SecretKey: ferry.NewSecret(os.Getenv("FERRY_SECRET_KEY")),
		Logger:    g.logger(),
	})
}

func (g *globals) printJSON(v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// exactArgs is cobra.ExactArgs with a usage-coded error.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return ferry.Errorf(ferry.EINVALID, "%s needs %s (see ferry %s --help)", cmd.CommandPath(), what, cmd.Name())
		}
		return nil
	}
}
