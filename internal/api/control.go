package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/store"
)

// PauseResult says what a pause did.
type PauseResult struct {
	Tier          string   `json:"tier" enum:"project,sync,schedule"`
	Name          string   `json:"name"`
	Active        bool     `json:"active"`
	CancelledRuns []string `json:"cancelled_runs,omitempty" doc:"With cancel_running: the runs it cancelled"`
}

type pauseOutput struct {
	Body PauseResult
}

type statusOutput struct {
	Body struct {
		Syncs []app.ConfigStatus `json:"syncs"`
	}
}

// registerControl registers status, and pause and resume at each tier:
// project (all its syncs), sync, and a sync's schedule.
func (s *Server) registerControl() {
	huma.Register(s.api, op(huma.Operation{
		OperationID: "get-status", Method: http.MethodGet, Path: "/api/v1/status",
		Summary: "Every sync configuration's state", Description: "Active or paused (and by which tier), schedule and next run, last finished run, active run.",
		Tags: []string{"Status"},
	}, scopeRead), handle(s, func(ctx context.Context, _ *struct{}) (*statusOutput, error) {
		st, err := s.app.Status(ctx)
		if err != nil {
			return nil, err
		}
		out := &statusOutput{}
		out.Body.Syncs = st
		if out.Body.Syncs == nil {
			out.Body.Syncs = []app.ConfigStatus{}
		}
		return out, nil
	}))

	for _, t := range []struct {
		tier store.Tier
		path string
		what string
	}{
		{store.TierProject, "/api/v1/projects/{name}/", "a project: none of its syncs run"},
		{store.TierSync, "/api/v1/syncs/{name}/", "a sync configuration: it does not run"},
		{store.TierSchedule, "/api/v1/syncs/{name}/schedule/", "a sync's schedule: it runs only when asked"},
	} {
		tag := "Pause"
		huma.Register(s.api, op(huma.Operation{
			OperationID: "pause-" + string(t.tier), Method: http.MethodPost, Path: t.path + "pause",
			Summary: "Pause " + t.what[:strings.Index(t.what, ":")], Description: "Pauses " + t.what + ". With cancel_running, also cancels the active runs it covers (they stop after the batch in flight).",
			Tags: []string{tag}, Errors: []int{http.StatusNotFound},
		}, scopeRun), handle(s, func(ctx context.Context, in *struct {
			NameParam
			CancelRunning bool `query:"cancel_running" doc:"Also cancel the active runs"`
		}) (*pauseOutput, error) {
			ids, err := s.app.Pause(ctx, t.tier, in.Name, in.CancelRunning)
			if err != nil {
				return nil, err
			}
			return &pauseOutput{Body: PauseResult{Tier: string(t.tier), Name: in.Name, CancelledRuns: ids}}, nil
		}))
		huma.Register(s.api, op(huma.Operation{
			OperationID: "resume-" + string(t.tier), Method: http.MethodPost, Path: t.path + "resume",
			Summary: "Resume " + t.what[:strings.Index(t.what, ":")], Tags: []string{tag}, Errors: []int{http.StatusNotFound},
		}, scopeRun), handle(s, func(ctx context.Context, in *NameParam) (*pauseOutput, error) {
			if err := s.app.Resume(ctx, t.tier, in.Name); err != nil {
				return nil, err
			}
			return &pauseOutput{Body: PauseResult{Tier: string(t.tier), Name: in.Name, Active: true}}, nil
		}))
	}
}
