package app

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/executor"
	"github.com/ferrysync/ferry/internal/store"
)

// maxResumes bounds how often one piece of work is resumed after
// interruptions, so a run that kills its worker every time stops somewhere.
const maxResumes = 20

// queue adapts the control state to the executor's Queue, Runner and
// Schedules.
type queue struct{ a *App }

var (
	_ executor.Queue     = queue{}
	_ executor.Runner    = queue{}
	_ executor.Throttler = queue{}
	_ executor.Schedules = queue{}
)

// Enqueue refuses paused configurations (saying which tier), then queues;
// with the control state in Postgres, the run and its River job in one
// transaction.
func (q queue) Enqueue(ctx context.Context, config string, r executor.Request) (ferry.Run, error) {
	if isPostgres(q.a.cfg.State) {
		return q.a.enqueueRiver(ctx, config, r)
	}
	if err := q.a.refusePaused(ctx, config); err != nil {
		return ferry.Run{}, err
	}
	return q.a.store.EnqueueRun(ctx, config, store.Enqueue{Attempt: r.Attempt, NotBefore: r.NotBefore, Full: r.Full, Trigger: r.Trigger})
}

func (q queue) Claim(ctx context.Context) (ferry.Run, bool, error) {
	return q.a.store.ClaimRun(ctx, hostname(), os.Getpid())
}

// Recover vouches for the queued runs (this worker is alive), interrupts
// the runs of dead workers, and returns the interrupted runs to resume.
func (q queue) Recover(ctx context.Context) ([]ferry.Run, error) {
	if err := q.a.store.TouchQueued(ctx); err != nil {
		return nil, err
	}
	if _, err := q.a.InterruptStale(ctx); err != nil {
		return nil, err
	}
	runs, err := q.a.store.Resumable(ctx)
	if err != nil {
		return nil, err
	}
	out := runs[:0]
	for _, r := range runs {
		if r.Attempt < maxResumes {
			out = append(out, r)
		}
	}
	return out, nil
}

// Execute runs a claimed run; a worker that stops leaves it interrupted.
func (q queue) Execute(ctx context.Context, run ferry.Run) (ferry.Run, error) {
	opt, err := q.a.store.RunOptions(ctx, run.ID)
	if err != nil {
		return run, err
	}
	err = q.a.Execute(ctx, &run, ExecuteOptions{Full: opt.Full, Interrupt: true})
	return run, err
}

// Throttle pauses the run's connection until the quota window resets.
func (q queue) Throttle(ctx context.Context, run ferry.Run, until time.Time) error {
	sc, err := q.a.store.GetSyncConfig(ctx, run.Config)
	if err != nil {
		return err
	}
	return q.a.store.PauseConnection(ctx, sc.Connection, until,
		fmt.Sprintf("provider quota exhausted (run %s: %s)", run.ID, run.Error))
}

func (q queue) Due(ctx context.Context, now time.Time) ([]executor.Due, error) {
	list, err := q.a.store.DueSchedules(ctx, now)
	if err != nil {
		return nil, err
	}
	due := make([]executor.Due, len(list))
	for i, s := range list {
		due[i] = executor.Due{Config: s.Config, Spec: s.Spec, Timezone: s.Timezone, Active: s.Active, NextAt: s.NextAt}
	}
	return due, nil
}

func (q queue) Advance(ctx context.Context, config string, from, to time.Time) (bool, error) {
	return q.a.store.AdvanceSchedule(ctx, config, from, to)
}

// Executor returns the in-process executor over this App's control state.
func (a *App) Executor(cfg executor.Config) *executor.Local {
	if cfg.Logger == nil {
		cfg.Logger = a.log
	}
	cfg.Lease = a.cfg.Lease
	return executor.NewLocal(queue{a}, queue{a}, cfg)
}

// Scheduler returns a scheduler that queues runs through e.
func (a *App) Scheduler(e executor.Enqueuer, cfg executor.SchedulerConfig) *executor.Scheduler {
	if cfg.Logger == nil {
		cfg.Logger = a.log
	}
	return executor.NewScheduler(queue{a}, e, cfg)
}

// Enqueue queues a run of the named configuration for the workers ("sync
// now" in server mode): ECONFLICT naming the active run if there is one, or
// naming the tier that pauses the configuration.
func (a *App) Enqueue(ctx context.Context, name string, full bool) (ferry.Run, error) {
	return queue{a}.Enqueue(ctx, name, executor.Request{Attempt: 1, Full: full, Trigger: "manual"})
}
