package executor

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/schedule"
)

// Due is a schedule whose fire time has come (or was never computed).
type Due struct {
	Config   string
	Spec     string
	Timezone string
	Active   bool
	NextAt   time.Time // zero: not computed yet
}

// Schedules is where schedules live.
type Schedules interface {
	Due(ctx context.Context, now time.Time) ([]Due, error)
	// Advance moves a schedule's next fire time from from to to if it is
	// still from; of several schedulers, exactly one wins each fire.
	Advance(ctx context.Context, config string, from, to time.Time) (bool, error)
}

// Enqueuer queues runs; an Executor is one.
type Enqueuer interface {
	Enqueue(ctx context.Context, config string, r Request) (ferry.Run, error)
}

// SchedulerConfig configures a Scheduler.
type SchedulerConfig struct {
	Interval time.Duration // how often to look for due schedules; default 1s
	Clock    Clock
	Logger   *slog.Logger
}

// Scheduler turns due schedules into queued runs. Several schedulers (in
// several processes) may share one control state: each fire time is won by
// exactly one of them. A fire whose configuration still has a run queued or
// running is skipped (no overlapping runs, no pile-up); fire times missed
// while no scheduler ran fire once, then the schedule continues from now.
type Scheduler struct {
	s   Schedules
	e   Enqueuer
	cfg SchedulerConfig
}

// NewScheduler returns a Scheduler.
func NewScheduler(s Schedules, e Enqueuer, cfg SchedulerConfig) *Scheduler {
	cfg.Interval = cmp.Or(cfg.Interval, time.Second)
	if cfg.Clock == nil {
		cfg.Clock = RealClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{s: s, e: e, cfg: cfg}
}

// Run ticks every Interval until ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		if _, err := s.Tick(ctx, s.cfg.Clock.Now()); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("scheduler tick", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.cfg.Clock.After(s.cfg.Interval):
		}
	}
}

// Tick fires the schedules due at now and returns the runs it queued.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) ([]ferry.Run, error) {
	due, err := s.s.Due(ctx, now)
	if err != nil {
		return nil, err
	}
	var runs []ferry.Run
	for _, d := range due {
		sch, err := schedule.Parse(d.Spec, d.Timezone)
		if err != nil {
			s.cfg.Logger.Warn("bad schedule", "config", d.Config, "error", err)
			continue
		}
		next := sch.Next(now)
		won, err := s.s.Advance(ctx, d.Config, d.NextAt, next)
		if err != nil {
			return runs, err
		}
		if !won || d.NextAt.IsZero() || !d.Active {
			continue // another scheduler fired it, first computation, or paused at the schedule tier
		}
		run, err := s.e.Enqueue(ctx, d.Config, Request{Attempt: 1, Trigger: "schedule"})
		if err != nil {
			s.cfg.Logger.Info("scheduled run skipped", "config", d.Config, "reason", ferry.ErrorMessage(err))
			continue
		}
		s.cfg.Logger.Info("scheduled run queued", "config", d.Config, "run_id", run.ID, "next", next)
		runs = append(runs, run)
	}
	return runs, nil
}
