package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/api"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/executor"
	"github.com/ferrysync/ferry/internal/ui"
)

// runnerFlags are what serve and worker share.
type runnerFlags struct {
	workers   int
	lease     time.Duration
	poll      time.Duration
	retryBase time.Duration
	attempts  int
}

func (f *runnerFlags) register(cmd *cobra.Command) {
	cmd.Flags().IntVar(&f.workers, "workers", 4, "runs executed at once by this process")
	cmd.Flags().DurationVar(&f.lease, "lease", 30*time.Second, "a running run without a heartbeat for this long is interrupted and resumed by a live worker")
	cmd.Flags().DurationVar(&f.poll, "poll", time.Second, "how often idle workers look for queued runs")
	cmd.Flags().DurationVar(&f.retryBase, "retry-base", 30*time.Second, "delay before retrying a run that failed for a retryable reason (doubles per attempt, with jitter, up to 30m)")
	cmd.Flags().IntVar(&f.attempts, "max-attempts", 5, "attempts of a run that keeps failing for a retryable reason, the first included")
}

// open opens the app with the lease. metrics, when set, counts provider
// requests for /metrics.
func (f *runnerFlags) open(ctx context.Context, g *globals, metrics ...*app.Metrics) (*app.App, error) {
	if f.lease < time.Second {
		return nil, ferry.Errorf(ferry.EINVALID, "--lease %s is too short (at least 1s)", f.lease)
	}
	cfg := app.Config{
		State:     g.state,
		SecretKey: ferry.NewSecret(os.Getenv("FERRY_SECRET_KEY")),
		Logger:    g.logger(),
		Lease:     f.lease,
	}
	if len(metrics) > 0 && metrics[0] != nil {
		cfg.HTTP = metrics[0].HTTPClient()
	}
	return app.Open(ctx, cfg)
}

func (f *runnerFlags) options() app.ServeOptions {
	return app.ServeOptions{Workers: f.workers, Poll: f.poll,
		Retry: executor.RetryPolicy{Base: f.retryBase, MaxAttempts: f.attempts}}
}

func serveCmd(g *globals) *cobra.Command {
	var f runnerFlags
	var addr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the scheduler and workers (and the HTTP endpoint) until stopped",
		Long: `Serve runs scheduled configurations on time and executes queued runs, in one
process. The control state is the embedded SQLite file by default; with
--state postgres://... any number of 'ferry worker' processes share the runs.
SIGTERM or Ctrl-C stops it gracefully: runs in flight commit their batch in
flight and end interrupted; a live worker or the next serve resumes them.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			metrics := app.NewMetrics()
			a, err := f.open(cmd.Context(), g, metrics)
			if err != nil {
				return err
			}
			defer a.Close()
			opt := f.options()
			opt.Scheduler, opt.Addr = true, addr
			// The HTTP API and dashboard mount here: opt.Handler = ...
			mux := http.NewServeMux()
			apiSrv := api.New(a, api.Config{Logger: g.logger(), Metrics: metrics})
			defer apiSrv.Close()
			apiSrv.Mount(mux) // /api/, /openapi.json, /metrics, /healthz
			// The dashboard takes the rest; its Sync now and Retry queue runs for the workers.
			mux.Handle("/", ui.New(a, ui.Config{AdminPassword: os.Getenv("FERRY_ADMIN_PASSWORD"), Out: g.stderr, Logger: g.logger(), Enqueue: true}))
			opt.Handler = mux
			opt.Ready = func(at string) { fmt.Fprintf(g.stderr, "ferry serve: listening on http://%s\n", at) }
			return a.Serve(cmd.Context(), opt)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8700", "HTTP listen address for the API and dashboard (empty: none)")
	return cmd
}

func workerCmd(g *globals) *cobra.Command {
	var f runnerFlags
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Execute queued runs (scale-out: many workers share one Postgres control database)",
		Long: `Worker executes queued runs until stopped; it does not schedule (ferry serve
does). Run any number of workers on any machines against one control database:
--state postgres://... (or FERRY_STATE) and the same FERRY_SECRET_KEY everywhere.
A worker that dies leaves its runs to be resumed by another within --lease.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := f.open(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer a.Close()
			return a.Serve(cmd.Context(), f.options())
		},
	}
	f.register(cmd)
	return cmd
}
