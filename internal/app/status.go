package app

import (
	"context"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/store"
)

// ConfigStatus is one configuration as `ferry status` shows it.
type ConfigStatus struct {
	Name     string     `json:"name"`
	Project  string     `json:"project"`
	Active   bool       `json:"active"`
	PausedBy string     `json:"paused_by,omitempty"` // project, sync, schedule, quota
	Schedule string     `json:"schedule,omitempty"`
	Timezone string     `json:"timezone,omitempty"`
	NextRun  *time.Time `json:"next_run,omitempty"`
	// QuotaUntil is when an exhausted provider quota lets runs start again.
	QuotaUntil *time.Time `json:"quota_paused_until,omitempty"`
	LastRun    *RunBrief  `json:"last_run,omitempty"`
	ActiveRun  *RunBrief  `json:"active_run,omitempty"`
}

// RunBrief is a run in a status line.
type RunBrief struct {
	ID       string          `json:"id"`
	Status   ferry.RunStatus `json:"status"`
	Attempt  int             `json:"attempt"`
	Started  time.Time       `json:"started"`
	Finished *time.Time      `json:"finished,omitempty"`
	Error    string          `json:"error,omitempty"`
}

func brief(r ferry.Run) *RunBrief {
	b := &RunBrief{ID: r.ID, Status: r.Status, Attempt: r.Attempt, Started: r.StartedAt, Error: r.Error}
	if !r.FinishedAt.IsZero() {
		f := r.FinishedAt
		b.Finished = &f
	}
	return b
}

// Status returns every configuration's state: active or paused (and by which
// tier), its schedule and next run time, its last finished run and its
// active run.
func (a *App) Status(ctx context.Context) ([]ConfigStatus, error) {
	configs, err := a.store.ListSyncConfigs(ctx)
	if err != nil {
		return nil, err
	}
	scheds, err := a.store.ListSchedules(ctx)
	if err != nil {
		return nil, err
	}
	byConfig := map[string]store.Schedule{}
	for _, s := range scheds {
		byConfig[s.Config] = s
	}
	pauses, err := a.store.ConnectionPauses(ctx)
	if err != nil {
		return nil, err
	}
	projects := map[string]bool{}
	var out []ConfigStatus
	for _, sc := range configs {
		st := ConfigStatus{Name: sc.Name, Project: sc.Project, Active: true}
		active, ok := projects[sc.Project]
		if !ok {
			p, err := a.store.GetProject(ctx, sc.Project)
			if err != nil {
				return nil, err
			}
			active, projects[sc.Project] = p.Active, p.Active
		}
		sch, scheduled := byConfig[sc.Name]
		if scheduled {
			st.Schedule, st.Timezone = sch.Spec, sch.Timezone
			if !sch.NextAt.IsZero() && sch.Active {
				n := sch.NextAt
				st.NextRun = &n
			}
		}
		switch {
		case !active:
			st.Active, st.PausedBy = false, string(store.TierProject)
		case !sc.Active:
			st.Active, st.PausedBy = false, string(store.TierSync)
		case scheduled && !sch.Active:
			st.Active, st.PausedBy = false, string(store.TierSchedule)
		}
		if p, ok := pauses[sc.Connection]; ok {
			u := p.Until
			st.QuotaUntil = &u
			if st.Active {
				st.PausedBy = "quota"
			}
		}
		if !st.Active {
			st.NextRun = nil
		}
		runs, err := a.store.ListRuns(ctx, store.RunFilter{Config: sc.Name, Limit: 5})
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			if !r.Status.Done() {
				st.ActiveRun = brief(r)
				continue
			}
			st.LastRun = brief(r)
			break
		}
		out = append(out, st)
	}
	return out, nil
}

// Pause pauses a project, a sync configuration or a schedule. With
// cancelRunning it also cancels the active runs it covers (they stop after
// the batch in flight); it returns the ids of the runs it cancelled.
func (a *App) Pause(ctx context.Context, tier store.Tier, name string, cancelRunning bool) ([]string, error) {
	if err := a.store.SetActive(ctx, tier, name, false); err != nil {
		return nil, err
	}
	if !cancelRunning {
		return nil, nil
	}
	configs := []string{name}
	if tier == store.TierProject {
		all, err := a.store.ListSyncConfigs(ctx)
		if err != nil {
			return nil, err
		}
		configs = configs[:0]
		for _, c := range all {
			if c.Project == name {
				configs = append(configs, c.Name)
			}
		}
	}
	var ids []string
	for _, c := range configs {
		id, err := a.store.CancelActiveRun(ctx, c, "cancelled: "+string(tier)+" "+name+" was paused with --cancel-running")
		if err != nil {
			return ids, err
		}
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// Resume resumes a project, a sync configuration or a schedule.
func (a *App) Resume(ctx context.Context, tier store.Tier, name string) error {
	return a.store.SetActive(ctx, tier, name, true)
}
