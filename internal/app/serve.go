package app

import (
	"cmp"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ferrysync/ferry/internal/executor"
)

// ServeOptions configure Serve.
type ServeOptions struct {
	Workers   int  // concurrent runs in this process; default 4
	Scheduler bool // also run the scheduler (ferry serve; ferry worker does not)
	// Addr, when set, is where the HTTP handler listens (ferry serve
	// --addr, default 127.0.0.1:8700).
	Addr string
	// Handler is what Addr serves: the API and dashboard hook. nil serves
	// only GET /healthz. Whoever builds the API/dashboard handler passes it
	// here from cmd/ferry/serve.go; Serve owns the listener's lifetime.
	Handler http.Handler
	// Ready, when set, is called with the listener's address once it is
	// listening (tests use port 0).
	Ready func(addr string)
	Poll  time.Duration // idle worker poll; default 1s
	Retry executor.RetryPolicy
}

// Serve runs workers (and with opt.Scheduler, the scheduler and the HTTP
// handler) until ctx is done. On return the runs in flight have committed
// their batch in flight and are recorded interrupted, for a live worker (or
// the next serve) to resume.
func (a *App) Serve(ctx context.Context, opt ServeOptions) error {
	// River for a Postgres control state, Local for SQLite.
	ex, closeEx, err := a.workExecutor(ctx, executor.Config{Workers: cmp.Or(opt.Workers, 4), Poll: opt.Poll, Retry: opt.Retry})
	if err != nil {
		return err
	}
	defer closeEx()
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	if opt.Addr != "" {
		ln, err := net.Listen("tcp", opt.Addr)
		if err != nil {
			return err
		}
		h := opt.Handler
		if h == nil {
			mux := http.NewServeMux()
			mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
			h = mux
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		if opt.Ready != nil {
			opt.Ready(ln.Addr().String())
		}
		wg.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				select {
				case errc <- err:
				default:
				}
			}
		})
		wg.Go(func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		})
	}
	if opt.Scheduler {
		sch := a.Scheduler(ex, executor.SchedulerConfig{})
		wg.Go(func() { _ = sch.Run(ctx) })
	}
	wg.Go(func() { a.watchScopes(ctx) })
	wg.Go(func() {
		if err := ex.Work(ctx); err != nil {
			a.log.Error("executor stopped", "error", err)
		}
	})
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// watchScopes marks scope instances whose process died interrupted, in the
// control state and in their destinations' status tables, every half lease,
// so a dead scope does not read "syncing" until someone runs a command.
func (a *App) watchScopes(ctx context.Context) {
	t := time.NewTicker(a.cfg.Lease / 2)
	defer t.Stop()
	for {
		if _, err := a.InterruptStaleScopes(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("checking for interrupted scopes failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
