package executor

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ferrysync/ferry"
)

// Queue is the run queue in the control state.
type Queue interface {
	// Enqueue records a queued run; ECONFLICT when the configuration already
	// has a queued or running run, or is paused.
	Enqueue(ctx context.Context, config string, r Request) (ferry.Run, error)
	// Claim turns the oldest due queued run into a running run of this
	// process; ok is false when nothing is due.
	Claim(ctx context.Context) (run ferry.Run, ok bool, err error)
	// Recover marks the runs of dead workers (lease expired, or process
	// gone) interrupted and returns the interrupted runs that should be
	// resumed as new attempts.
	Recover(ctx context.Context) ([]ferry.Run, error)
}

// Runner executes a claimed (running) run to its final status and returns
// it as recorded. A ctx cancelled by shutdown leaves the run interrupted.
type Runner interface {
	Execute(ctx context.Context, run ferry.Run) (ferry.Run, error)
}

// Throttler is optionally implemented by a Queue: a run that failed
// because a provider quota is exhausted pauses its connection until then.
type Throttler interface {
	Throttle(ctx context.Context, run ferry.Run, until time.Time) error
}

// Config configures a Local executor. The zero value is usable.
type Config struct {
	Workers int           // concurrent runs in this process; default 4
	Poll    time.Duration // how often idle workers look for due runs; default 1s
	// Lease is how long a running run may go without a heartbeat before a
	// live worker declares it interrupted and resumes it; maintenance runs
	// every Lease/4. Default 30s.
	Lease  time.Duration
	Retry  RetryPolicy
	Clock  Clock
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	c.Workers = cmp.Or(c.Workers, 4)
	c.Poll = cmp.Or(c.Poll, time.Second)
	c.Lease = cmp.Or(c.Lease, 30*time.Second)
	c.Retry = c.Retry.withDefaults()
	if c.Clock == nil {
		c.Clock = RealClock
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Local is the executor over Ferry's own control state: goroutine workers
// claim queued runs from the store; any number of processes may share one
// control database.
type Local struct {
	q    Queue
	r    Runner
	cfg  Config
	wake chan struct{}
}

var _ Executor = (*Local)(nil)

// NewLocal returns a Local executor.
func NewLocal(q Queue, r Runner, cfg Config) *Local {
	return &Local{q: q, r: r, cfg: cfg.withDefaults(), wake: make(chan struct{}, 1)}
}

// Enqueue records a queued run and wakes an idle worker of this process.
func (l *Local) Enqueue(ctx context.Context, config string, r Request) (ferry.Run, error) {
	run, err := l.q.Enqueue(ctx, config, r)
	if err == nil {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return run, err
}

// Work runs Workers workers and the lease maintenance until ctx is done,
// then waits for the runs in flight: each commits its batch in flight and
// ends interrupted, to be resumed by a live worker.
func (l *Local) Work(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := range l.cfg.Workers {
		wg.Go(func() { l.worker(ctx, i) })
	}
	wg.Go(func() { l.maintain(ctx) })
	wg.Wait()
	return nil
}

func (l *Local) worker(ctx context.Context, n int) {
	log := l.cfg.Logger.With("worker", n)
	for ctx.Err() == nil {
		run, ok, err := l.q.Claim(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("claim failed", "error", err)
		}
		if err != nil || !ok {
			select {
			case <-ctx.Done():
			case <-l.wake:
			case <-l.cfg.Clock.After(l.cfg.Poll):
			}
			continue
		}
		log.Info("run claimed", "run_id", run.ID, "config", run.Config, "attempt", run.Attempt)
		final, err := l.r.Execute(ctx, run)
		l.after(context.WithoutCancel(ctx), log, final, err)
	}
}

// after retries a failed run when its error is retryable.
func (l *Local) after(ctx context.Context, log *slog.Logger, run ferry.Run, err error) {
	if run.Status != ferry.RunFailed {
		return
	}
	code := ferry.ErrorCode(err)
	retry, delay := l.cfg.Retry.Decide(code, run.Attempt)
	if !retry {
		log.Info("run failed, not retried", "run_id", run.ID, "config", run.Config, "code", code, "attempt", run.Attempt)
		return
	}
	at := l.cfg.Clock.Now().Add(delay)
	if th, ok := l.q.(Throttler); ok && code == ferry.ERATELIMITED {
		if err := th.Throttle(ctx, run, at); err != nil {
			log.Warn("pause connection", "config", run.Config, "error", err)
		}
	}
	next, err := l.q.Enqueue(ctx, run.Config, Request{Attempt: run.Attempt + 1, NotBefore: at, Trigger: "retry"})
	if err != nil {
		log.Info("retry not queued", "config", run.Config, "error", err)
		return
	}
	log.Info("retry queued", "run_id", next.ID, "config", run.Config, "attempt", next.Attempt, "not_before", at)
}

// maintain declares the runs of dead workers interrupted and resumes them,
// every Lease/4.
func (l *Local) maintain(ctx context.Context) {
	for {
		l.Maintain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-l.cfg.Clock.After(l.cfg.Lease / 4):
		}
	}
}

// Maintain runs one round of lease maintenance: interrupted runs of dead
// workers are queued again as new attempts, which resume from their
// checkpoint. It returns the runs it queued.
func (l *Local) Maintain(ctx context.Context) []ferry.Run {
	runs, err := l.q.Recover(ctx)
	if err != nil {
		if ctx.Err() == nil {
			l.cfg.Logger.Warn("recover interrupted runs", "error", err)
		}
		return nil
	}
	var queued []ferry.Run
	for _, r := range runs {
		next, err := l.Enqueue(ctx, r.Config, Request{Attempt: r.Attempt + 1, Trigger: "resume"})
		if err != nil {
			l.cfg.Logger.Debug("resume not queued", "config", r.Config, "error", err)
			continue
		}
		l.cfg.Logger.Info("interrupted run resumed", "run_id", next.ID, "interrupted", r.ID, "config", r.Config, "attempt", next.Attempt)
		queued = append(queued, next)
	}
	return queued
}
