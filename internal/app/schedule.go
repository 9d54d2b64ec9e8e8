package app

import (
	"context"

	"github.com/ferrysync/ferry/internal/schedule"
	"github.com/ferrysync/ferry/internal/store"
)

// applySchedule stores a declared sync's schedule (or removes it when the
// declaration has none) and reports whether it changed. A new or changed
// schedule's first fire time is computed from now.
func (a *App) applySchedule(ctx context.Context, s SyncSpec) (bool, error) {
	sch := store.Schedule{Config: s.Name, Spec: s.Schedule, Timezone: s.Timezone, Active: s.ScheduleActive == nil || *s.ScheduleActive}
	if s.Schedule != "" {
		parsed, err := schedule.Parse(s.Schedule, s.Timezone)
		if err != nil {
			return false, err
		}
		sch.NextAt = parsed.Next(a.now())
	}
	return a.store.PutSchedule(ctx, sch)
}
