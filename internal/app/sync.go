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
	// Progress is called after the run starts and after each committed
	// batch, with the estimated fraction done (-1: unknown).
	Progress func(run ferry.Run, fraction float64)
}

// Sync runs the named configuration now, in this process, and returns the
// run as recorded. The error is the run's failure, if it failed.
func (a *App) Sync(ctx context.Context, name string, opt SyncOptions) (ferry.Run, error) {
	job, cleanup, err := a.prepare(ctx, name)
	if err != nil {
		return ferry.Run{}, err
	}
	defer cleanup()
	job.ForceFull = opt.Full

	if _, err := a.InterruptStale(ctx); err != nil {
		return ferry.Run{}, err
	}
	now := a.now().UTC()
	run := &ferry.Run{Config: name, Status: ferry.RunRunning, Attempt: 1, Host: hostname(), PID: os.Getpid(),
		StartedAt: now, HeartbeatAt: now}
	if err := a.store.CreateRun(ctx, run); err != nil {
		return ferry.Run{}, err
	}
	log := a.log.With("run_id", run.ID, "config", name)
	obs := &observer{store: a.store, progress: opt.Progress, now: a.now, log: log}
	job.Run, job.Observer = run, obs

	stop := a.heartbeat(ctx, run.ID)
	pcfg := a.cfg.Pipeline
	pcfg.Logger, pcfg.Now = log, a.now
	err = pipeline.New(pcfg).Run(ctx, job)
	stop()

	run.FinishedAt = a.now().UTC()
	switch code := ferry.ErrorCode(err); {
	case err == nil:
		run.Status = ferry.RunSucceeded
	case code == ferry.ECANCELED:
		run.Status = ferry.RunCancelled
		run.ErrorCode, run.Error = code, "cancelled; committed batches and the checkpoint are kept"
	default:
		run.Status = ferry.RunFailed
		run.ErrorCode, run.Error = code, err.Error()
	}
	// Record the outcome even when ctx is cancelled (Ctrl-C).
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if uerr := a.store.UpdateRun(wctx, run); uerr != nil {
		return *run, errors.Join(err, fmt.Errorf("record run %s: %w", run.ID, uerr))
	}
	log.Info("run finished", "status", run.Status, "fetched", run.Counts.Fetched, "batches", run.Batches)
	if opt.Progress != nil {
		opt.Progress(*run, 1)
	}
	return *run, err
}

// prepare resolves a configuration into a pipeline job: its plan, provider
// connection and destination. It refuses paused configurations and projects.
func (a *App) prepare(ctx context.Context, name string) (pipeline.Job, func(), error) {
	sc, err := a.store.GetSyncConfig(ctx, name)
	if err != nil {
		return pipeline.Job{}, nil, err
	}
	if !sc.Active {
		return pipeline.Job{}, nil, ferry.Errorf(ferry.ECONFLICT, "sync %s is paused (active: false); set active: true to run it", name)
	}
	proj, err := a.store.GetProject(ctx, sc.Project)
	if err != nil {
		return pipeline.Job{}, nil, err
	}
	if !proj.Active {
		return pipeline.Job{}, nil, ferry.Errorf(ferry.ECONFLICT, "project %s is paused (active: false); sync %s cannot run until it is resumed", proj.Name, name)
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
	pc, err := prov.Open(provider.Config{APIKey: conn.APIKey, BaseURL: conn.BaseURL, RateLimit: conn.RateLimit, Logger: a.log})
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
func (a *App) heartbeat(ctx context.Context, id string) (stop func()) {
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
	o.log.InfoContext(ctx, "batch committed", "batch", b.Seq, "records", b.Records, "fetched", run.Counts.Fetched)
	run.HeartbeatAt = o.now().UTC()
	if err := o.store.UpdateRun(ctx, &run); err != nil {
		return err
	}
	if o.progress != nil {
		o.progress(run, fraction)
	}
	return nil
}

func (o *observer) Failed(ctx context.Context, errs []ferry.RecordError) error {
	return o.store.AddRecordErrors(ctx, errs)
}
