package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/store"
)

// Sync is a sync configuration: a provider object synced into a table.
type Sync struct {
	Name       string            `json:"name" example:"customers"`
	Connection string            `json:"connection" example:"stripe"`
	Object     string            `json:"object" example:"customers"`
	Project    string            `json:"project" example:"warehouse"`
	Table      string            `json:"table" example:"stripe_customers"`
	Fields     []string          `json:"fields" doc:"Provider fields; empty: all"`
	Rename     map[string]string `json:"rename" doc:"Provider field -> column name"`
	Strategy   string            `json:"strategy" enum:"full,incremental"`
	FullEvery  int               `json:"full_every" doc:"With incremental: a full run after every N incremental runs; 0 never"`
	Direction  string            `json:"direction" enum:"one-way,two-way"`
	Active     bool              `json:"active" doc:"false: paused"`
	Schedule   *Schedule         `json:"schedule,omitempty" doc:"Absent: runs only when asked"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// SyncInput declares a sync configuration, as a syncs: entry of ferry.yaml
// does, with the same keys and defaults.
type SyncInput struct {
	Connection string            `json:"connection" example:"stripe"`
	Object     string            `json:"object" example:"customers"`
	Project    string            `json:"project" example:"warehouse"`
	Table      string            `json:"table" example:"stripe_customers"`
	Fields     []string          `json:"fields,omitempty" doc:"Provider fields (dotted paths reach into objects); omit for all"`
	Rename     map[string]string `json:"rename,omitempty" doc:"Provider field -> column name"`
	Strategy   string            `json:"strategy,omitempty" doc:"full (default) or incremental"`
	FullEvery  int               `json:"full_every,omitempty" minimum:"0"`
	Direction  string            `json:"direction,omitempty" doc:"one-way (default)"`
	Active     *bool             `json:"active,omitempty" doc:"default true"`
	// As in ferry.yaml: schedule, timezone, schedule_active.
	Schedule       string `json:"schedule,omitempty" doc:"every 15m, or a 5-field cron expression (0 3 * * *); omit for none" example:"every 15m"`
	Timezone       string `json:"timezone,omitempty" doc:"IANA time zone of a cron schedule; default UTC" example:"Europe/Paris"`
	ScheduleActive *bool  `json:"schedule_active,omitempty" doc:"false: the schedule is paused; default true"`
}

// Schedule is when a sync runs by itself.
type Schedule struct {
	Spec      string     `json:"spec" example:"every 15m"`
	Timezone  string     `json:"timezone,omitempty"`
	Active    bool       `json:"active" doc:"false: the schedule is paused"`
	NextRunAt *time.Time `json:"next_run_at,omitempty"`
}

func syncOut(c ferry.SyncConfig) Sync {
	out := Sync{Name: c.Name, Connection: c.Connection, Object: c.Object, Project: c.Project, Table: c.Table,
		Fields: c.Fields, Rename: c.Rename, Strategy: string(c.Strategy), FullEvery: c.FullEvery,
		Direction: string(c.Direction), Active: c.Active, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if out.Fields == nil {
		out.Fields = []string{}
	}
	if out.Rename == nil {
		out.Rename = map[string]string{}
	}
	return out
}

type syncOutput struct {
	Status int
	Body   struct {
		Sync   Sync    `json:"sync"`
		Change *Change `json:"change,omitempty"`
	}
}

func (s *Server) registerSyncs() {
	type syncList struct {
		Body struct {
			Syncs []Sync `json:"syncs"`
		}
	}
	huma.Register(s.api, op(huma.Operation{
		OperationID: "list-syncs", Method: http.MethodGet, Path: "/api/v1/syncs",
		Summary: "List sync configurations", Tags: []string{"Syncs"},
	}, scopeRead), handle(s, func(ctx context.Context, _ *struct{}) (*syncList, error) {
		cs, err := s.app.Store().ListSyncConfigs(ctx)
		if err != nil {
			return nil, err
		}
		scheds, err := s.app.Store().ListSchedules(ctx)
		if err != nil {
			return nil, err
		}
		byConfig := map[string]store.Schedule{}
		for _, sc := range scheds {
			byConfig[sc.Config] = sc
		}
		out := &syncList{}
		out.Body.Syncs = make([]Sync, len(cs))
		for i, c := range cs {
			out.Body.Syncs[i] = syncOut(c)
			if sc, ok := byConfig[c.Name]; ok {
				out.Body.Syncs[i].Schedule = scheduleOut(sc)
			}
		}
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "get-sync", Method: http.MethodGet, Path: "/api/v1/syncs/{name}",
		Summary: "Get a sync configuration", Tags: []string{"Syncs"}, Errors: []int{http.StatusNotFound},
	}, scopeRead), handle(s, func(ctx context.Context, in *NameParam) (*syncOutput, error) {
		c, err := s.app.Store().GetSyncConfig(ctx, in.Name)
		if err != nil {
			return nil, err
		}
		out := &syncOutput{Status: http.StatusOK}
		if out.Body.Sync, err = s.syncWithSchedule(ctx, c); err != nil {
			return nil, err
		}
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "put-sync", Method: http.MethodPut, Path: "/api/v1/syncs/{name}",
		Summary: "Create or update a sync configuration",
		Description: "Declares the configuration as `ferry apply` would, through the same validation (object, fields, renames, " +
			"strategy); its connection and project must exist. Answers 201 when it was created, 200 otherwise.",
		Tags: []string{"Syncs"}, Errors: []int{http.StatusBadRequest},
	}, scopeAdmin), handle(s, func(ctx context.Context, in *struct {
		NameParam
		Body SyncInput
	}) (*syncOutput, error) {
		b := in.Body
		spec := app.SyncSpec{Name: in.Name, Connection: b.Connection, Object: b.Object, Project: b.Project, Table: b.Table,
			Fields: b.Fields, Rename: b.Rename, Strategy: b.Strategy, FullEvery: b.FullEvery, Direction: b.Direction, Active: b.Active,
			Schedule: b.Schedule, Timezone: b.Timezone, ScheduleActive: b.ScheduleActive}
		changes, err := s.app.Declare(ctx, &app.Document{Syncs: []app.SyncSpec{spec}}, app.ApplyOptions{})
		if err != nil {
			return nil, err
		}
		c, err := s.app.Store().GetSyncConfig(ctx, in.Name)
		if err != nil {
			return nil, err
		}
		ch := changeOf(changes)
		out := &syncOutput{Status: putStatus(ch)}
		if out.Body.Sync, err = s.syncWithSchedule(ctx, c); err != nil {
			return nil, err
		}
		out.Body.Change = &ch
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "delete-sync", Method: http.MethodDelete, Path: "/api/v1/syncs/{name}",
		Summary: "Delete a sync configuration", Description: "Its run history and its table stay. Refused (409) while it has a queued or running run.",
		Tags: []string{"Syncs"}, DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, scopeAdmin), handle(s, func(ctx context.Context, in *NameParam) (*struct{}, error) {
		return nil, s.app.Store().DeleteSyncConfig(ctx, in.Name)
	}))
}

func scheduleOut(sc store.Schedule) *Schedule {
	return &Schedule{Spec: sc.Spec, Timezone: sc.Timezone, Active: sc.Active, NextRunAt: optTime(sc.NextAt)}
}

// syncWithSchedule is syncOut with the configuration's schedule, if any.
func (s *Server) syncWithSchedule(ctx context.Context, c ferry.SyncConfig) (Sync, error) {
	out := syncOut(c)
	sc, err := s.app.Store().GetSchedule(ctx, c.Name)
	switch {
	case ferry.ErrorCode(err) == ferry.ENOTFOUND:
	case err != nil:
		return out, err
	default:
		out.Schedule = scheduleOut(sc)
	}
	return out, nil
}
