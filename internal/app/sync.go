package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/pipeline"
	"github.com/ferrysync/ferry/internal/transform"
	"github.com/ferrysync/ferry/provider"
)

// SyncOptions tune one foreground run.
type SyncOptions struct {
	Full bool // force a full pass
	// Queue waits for the configuration's active run (if any) to finish and
	// then runs, instead of refusing with that run's id.
	Queue bool
	// Progress is called after the run starts and after each committed
	// batch, with the estimated fraction done (-1: unknown).
	Progress func(run ferry.Run, fraction float64)
}

// Sync runs the named configuration now, in this process, and returns the
// run as recorded. The error is the run's failure, if it failed. While the
// configuration has a queued or running run, Sync is refused (ECONFLICT
// naming that run) unless opt.Queue, which waits for it.
func (a *App) Sync(ctx context.Context, name string, opt SyncOptions) (ferry.Run, error) {
	if err := a.refusePaused(ctx, name); err != nil {
		return ferry.Run{}, err
	}
	if _, err := a.InterruptStale(ctx); err != nil {
		return ferry.Run{}, err
	}
	now := a.now().UTC()
	run := &ferry.Run{Config: name, Status: ferry.RunRunning, Attempt: 1, Host: hostname(), PID: os.Getpid(),
		StartedAt: now, HeartbeatAt: now}
	for {
		err := a.store.CreateRun(ctx, run)
		if err == nil {
			break
		}
		if !opt.Queue || ferry.ErrorCode(err) != ferry.ECONFLICT {
			return ferry.Run{}, err
		}
		select { // --queue: wait behind the active run
		case <-ctx.Done():
			return ferry.Run{}, ferry.Wrap(ferry.ECANCELED, ctx.Err(), "stopped while waiting for the active run of %s", name)
		case <-time.After(500 * time.Millisecond):
		}
		run.StartedAt, run.HeartbeatAt = a.now().UTC(), a.now().UTC()
	}
	err := a.Execute(ctx, run, ExecuteOptions{Full: opt.Full, Progress: opt.Progress})
	return *run, err
}

// ExecuteOptions tune Execute.
type ExecuteOptions struct {
	Full     bool
	Progress func(run ferry.Run, fraction float64)
	// Interrupt records a run stopped by ctx as interrupted (to be resumed
	// by a worker) rather than cancelled: workers shutting down set it.
	Interrupt bool
}

// Execute runs a run that is already recorded as running (by Sync, or by a
// worker that claimed it) to its final status, and records it. Foreground
// syncs and workers share this path; the pipeline does not know which one
// runs it. A run that is cancelled or interrupted in the control state while
// it runs (pause --cancel-running, a lost lease) stops after the batch in
// flight.
func (a *App) Execute(ctx context.Context, run *ferry.Run, opt ExecuteOptions) error {
	log := a.log.With("run_id", run.ID, "config", run.Config)
	job, cleanup, err := a.prepare(ctx, run.Config)
	if err != nil {
		return a.finish(ctx, log, run, err, opt)
	}
	defer cleanup()
	job.ForceFull = opt.Full
	obs := &observer{store: a.store, progress: opt.Progress, now: a.now, log: log}
	job.Run, job.Observer = run, obs

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := a.heartbeat(runCtx, run.ID, cancel)
	pcfg := a.cfg.Pipeline
	pcfg.Logger, pcfg.Now = log, a.now
	a.writeSyncStatus(ctx, log, job, run, ferry.StatusSyncing, nil)
	err = pipeline.New(pcfg).Run(runCtx, job)
	stop()
	if err == nil {
		a.writeSyncStatus(ctx, log, job, run, ferry.StatusSynced, nil)
	} else {
		a.writeSyncStatus(ctx, log, job, run, ferry.StatusFailed, err)
	}
	if cause := context.Cause(runCtx); err != nil && ctx.Err() == nil && cause != nil && ferry.ErrorCode(cause) == ferry.ECONFLICT {
		// The control state ended the run (cancelled or interrupted there):
		// nothing more to record.
		log.Info("run stopped by the control state", "reason", cause)
		return ferry.Wrap(ferry.ECANCELED, cause, "run %s was stopped", run.ID)
	}
	return a.finish(ctx, log, run, err, opt)
}

// finish records a run's outcome from the pipeline's error.
func (a *App) finish(ctx context.Context, log *slog.Logger, run *ferry.Run, err error, opt ExecuteOptions) error {
	run.FinishedAt = a.now().UTC()
	switch code := ferry.ErrorCode(err); {
	case err == nil:
		run.Status = ferry.RunSucceeded
	case code == ferry.ECANCELED && opt.Interrupt:
		run.Status = ferry.RunInterrupted
		run.ErrorCode, run.Error = code, "the worker stopped; committed batches and the checkpoint are kept, and the run resumes"
	case code == ferry.ECANCELED:
		run.Status = ferry.RunCancelled
		run.ErrorCode, run.Error = code, "cancelled; committed batches and the checkpoint are kept"
	default:
		run.Status = ferry.RunFailed
		run.ErrorCode, run.Error = code, err.Error()
	}
	// Record the outcome even when ctx is cancelled (Ctrl-C, SIGTERM).
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if uerr := a.store.UpdateRun(wctx, run); uerr != nil {
		return errors.Join(err, fmt.Errorf("record run %s: %w", run.ID, uerr))
	}
	log.Info("run finished", "status", run.Status, "fetched", run.Counts.Fetched, "batches", run.Batches)
	if opt.Progress != nil {
		opt.Progress(*run, 1)
	}
	return err
}

// refusePaused refuses a configuration that is paused at the sync or the
// project tier, saying which.
func (a *App) refusePaused(ctx context.Context, name string) error {
	sc, err := a.store.GetSyncConfig(ctx, name)
	if err != nil {
		return err
	}
	if !sc.Active {
		return ferry.Errorf(ferry.ECONFLICT, "sync %s is paused (tier: sync); resume it with: ferry resume sync %s", name, name)
	}
	proj, err := a.store.GetProject(ctx, sc.Project)
	if err != nil {
		return err
	}
	if !proj.Active {
		return ferry.Errorf(ferry.ECONFLICT, "project %s is paused (tier: project); sync %s cannot run until: ferry resume project %s", proj.Name, name, proj.Name)
	}
	return nil
}

// prepare resolves a configuration into a pipeline job: its plan, provider
// connection and destination. It refuses paused configurations and projects.
func (a *App) prepare(ctx context.Context, name string) (pipeline.Job, func(), error) {
	if err := a.refusePaused(ctx, name); err != nil {
		return pipeline.Job{}, nil, err
	}
	sc, err := a.store.GetSyncConfig(ctx, name)
	if err != nil {
		return pipeline.Job{}, nil, err
	}
	proj, err := a.store.GetProject(ctx, sc.Project)
	if err != nil {
		return pipeline.Job{}, nil, err
	}
	conn, err := a.store.GetConnection(ctx, sc.Connection)
	if err != nil {
		return pipeline.Job{}, nil, err
	}
	prov, err := a.providers.Lookup(conn.Provider)
	if err != nil {
		return pipeline.Job{}, nil, err
	}
	obj, err := provider.Object(prov, sc.Object)
	if err != nil {
		return pipeline.Job{}, nil, err
	}
	plan, err := transform.New(obj, sc)
	if err != nil {
		return pipeline.Job{}, nil, err
	}
	pc, err := prov.Open(provider.Config{APIKey: conn.APIKey, BaseURL: conn.BaseURL, RateLimit: conn.RateLimit, Logger: a.log, HTTP: a.cfg.HTTP})
	if err != nil {
		return pipeline.Job{}, nil, err
	}
	dest, err := OpenDestination(ctx, proj.DSN.Reveal())
	if err != nil {
		return pipeline.Job{}, nil, fmt.Errorf("project %s: %w", proj.Name, err)
	}
	return pipeline.Job{Sync: sc, Plan: plan, Conn: pc, Dest: dest}, func() { _ = dest.Close() }, nil
}

// InterruptStale marks runs whose process died, or whose heartbeat is older
// than the lease, as interrupted. It returns their ids.
func (a *App) InterruptStale(ctx context.Context) ([]string, error) {
	host := hostname()
	alive := func(h string, pid int) bool {
		if h != host || pid <= 0 {
			return true // another machine: only the lease can tell
		}
		return processAlive(pid)
	}
	return a.store.InterruptStale(ctx, alive, a.now().Add(-a.cfg.Lease))
}

// processAlive reports whether pid is a live process on this machine. A
// zombie (killed, not yet reaped by its parent) is dead.
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no procfs: kill(0) is all we know
	}
	// The state follows the command name in parentheses: "pid (comm) S ...".
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}

// heartbeat keeps the run's lease fresh until stop is called.
// When the store says the run is no longer active (ECONFLICT: it was
// interrupted or cancelled there), the run's context is cancelled with that
// error as the cause.
func (a *App) heartbeat(ctx context.Context, id string, lost context.CancelCauseFunc) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(a.cfg.Lease / 4)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := a.store.Heartbeat(ctx, id); err != nil {
					if ferry.ErrorCode(err) == ferry.ECONFLICT {
						lost(err)
						return
					}
					a.log.Warn("heartbeat failed", "run_id", id, "error", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// observer records a run's progress in the control state.
type observer struct {
	store    runStore
	progress func(ferry.Run, float64)
	now      func() time.Time
	log      *slog.Logger
}

type runStore interface {
	UpdateRun(ctx context.Context, run *ferry.Run) error
	AddBatch(ctx context.Context, b ferry.Batch) error
	AddRecordErrors(ctx context.Context, errs []ferry.RecordError) error
}

func (o *observer) Started(ctx context.Context, run ferry.Run) error {
	if err := o.store.UpdateRun(ctx, &run); err != nil {
		return err
	}
	if o.progress != nil {
		o.progress(run, -1)
	}
	return nil
}

func (o *observer) Committed(ctx context.Context, b ferry.Batch, run ferry.Run, fraction float64) error {
	if err := o.store.AddBatch(ctx, b); err != nil {
		return err
	}
	run.HeartbeatAt = o.now().UTC()
	if err := o.store.UpdateRun(ctx, &run); err != nil {
		return err
	}
	// Logged once the batch and the run's counts are both recorded.
	o.log.InfoContext(ctx, "batch committed", "batch", b.Seq, "records", b.Records, "fetched", run.Counts.Fetched)
	if o.progress != nil {
		o.progress(run, fraction)
	}
	return nil
}

func (o *observer) Failed(ctx context.Context, errs []ferry.RecordError) error {
	return o.store.AddRecordErrors(ctx, errs)
}
