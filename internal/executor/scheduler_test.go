package executor_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/executor"
)

// memSchedules is an in-memory Schedules.
type memSchedules struct {
	mu sync.Mutex
	m  map[string]*executor.Due
}

func (s *memSchedules) Due(_ context.Context, now time.Time) ([]executor.Due, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []executor.Due
	for _, d := range s.m {
		if d.NextAt.IsZero() || !d.NextAt.After(now) {
			out = append(out, *d)
		}
	}
	return out, nil
}

func (s *memSchedules) Advance(_ context.Context, config string, from, to time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.m[config]
	if !d.NextAt.Equal(from) {
		return false, nil
	}
	d.NextAt = to
	return true, nil
}

type recordEnqueuer struct {
	mu    sync.Mutex
	fired map[string][]time.Time
	now   *time.Time
}

func (e *recordEnqueuer) Enqueue(_ context.Context, config string, r executor.Request) (ferry.Run, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fired[config] = append(e.fired[config], *e.now)
	return ferry.Run{ID: "run_" + config, Config: config, Status: ferry.RunQueued, Attempt: r.Attempt}, nil
}

// TestSchedulerFiresOnTime drives a clock minute by minute through two days
// and checks every fire time; two schedulers share the schedules, as two
// processes share a control database, and each fire happens once.
func TestSchedulerFiresOnTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &memSchedules{m: map[string]*executor.Due{
		"quarterly": {Config: "quarterly", Spec: "every 15m", Active: true},
		"paris":     {Config: "paris", Spec: "0 3 * * *", Timezone: "Europe/Paris", Active: true},
		"paused":    {Config: "paused", Spec: "every 15m", Active: false},
	}}
	var now time.Time
	e := &recordEnqueuer{fired: map[string][]time.Time{}, now: &now}
	a := executor.NewScheduler(s, e, executor.SchedulerConfig{})
	b := executor.NewScheduler(s, e, executor.SchedulerConfig{})
	start := time.Date(2026, 3, 28, 0, 7, 30, 0, time.UTC)
	for now = start; now.Before(start.Add(48 * time.Hour)); now = now.Add(20 * time.Second) {
		if _, err := a.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	q := e.fired["quarterly"]
	if len(q) != 48*4 {
		t.Errorf("every 15m fired %d times in 48h, want %d", len(q), 48*4)
	}
	for i, at := range q {
		want := time.Date(2026, 3, 28, 0, 15, 0, 0, time.UTC).Add(time.Duration(i) * 15 * time.Minute)
		if at.Before(want) || at.Sub(want) >= 20*time.Second {
			t.Fatalf("fire %d at %s, want within a tick after %s", i, at, want)
		}
	}
	// 03:00 in Paris: 02:00 UTC on 28 March (winter time), 01:00 UTC on the
	// 29th (summer time started at 02:00 that night).
	p := e.fired["paris"]
	wantParis := []time.Time{time.Date(2026, 3, 28, 2, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)}
	if len(p) != len(wantParis) {
		t.Fatalf("paris fired at %v, want %v", p, wantParis)
	}
	for i := range p {
		if p[i].Sub(wantParis[i]) < 0 || p[i].Sub(wantParis[i]) >= 20*time.Second {
			t.Errorf("paris fire %d at %s, want %s", i, p[i], wantParis[i])
		}
	}
	if n := len(e.fired["paused"]); n != 0 {
		t.Errorf("a paused schedule fired %d times", n)
	}
}

// TestSchedulerCatchesUpOnce: fire times missed while nothing ran fire
// once, then the schedule continues from now.
func TestSchedulerCatchesUpOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	s := &memSchedules{m: map[string]*executor.Due{"x": {Config: "x", Spec: "every 15m", Active: true, NextAt: at}}}
	now := at.Add(5 * time.Hour)
	e := &recordEnqueuer{fired: map[string][]time.Time{}, now: &now}
	sch := executor.NewScheduler(s, e, executor.SchedulerConfig{})
	runs, err := sch.Tick(ctx, now)
	if err != nil || len(runs) != 1 {
		t.Fatalf("tick after 5h: %v runs, %v", len(runs), err)
	}
	if got := s.m["x"].NextAt; !got.Equal(now.Add(15 * time.Minute)) {
		t.Errorf("next at %s, want %s", got, now.Add(15*time.Minute))
	}
	if runs, _ := sch.Tick(ctx, now.Add(time.Minute)); len(runs) != 0 {
		t.Errorf("fired again a minute later")
	}
}
