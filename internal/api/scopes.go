package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/store"
)

// Scope is one instance of a scope: several entity syncs started and
// tracked as one unit.
type Scope struct {
	ID            string              `json:"id"`
	Name          string              `json:"name"`
	State         string              `json:"state" enum:"syncing,synced,failed,interrupted"`
	Counts        ferry.ScopeCounts   `json:"counts"`
	Entities      []ferry.ScopeEntity `json:"entities"`
	Error         string              `json:"error,omitempty"`
	LastStartedAt *time.Time          `json:"last_started_at,omitempty"`
	LastFailedAt  *time.Time          `json:"last_failed_at,omitempty"`
	LastSyncedAt  *time.Time          `json:"last_synced_at,omitempty"`
	FinishedAt    *time.Time          `json:"finished_at,omitempty"`
	UpdatedAt     time.Time           `json:"updated_at"`
}

// SyncStatus is one status row of a scope instance: an entity sync's state.
type SyncStatus struct {
	ID        string    `json:"id"`
	Provider  string    `json:"provider"`
	Entity    string    `json:"entity"`
	Sync      string    `json:"sync"`
	Project   string    `json:"project"`
	RunID     string    `json:"run_id,omitempty"`
	State     string    `json:"state" enum:"syncing,synced,failed"`
	At        time.Time `json:"at"`
	ErrorCode string    `json:"error_code,omitempty"`
	Error     string    `json:"error,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func scopeOut(sc ferry.Scope) Scope {
	out := Scope{ID: sc.ID, Name: sc.Name, State: string(sc.State), Counts: sc.Counts, Entities: sc.Entities, Error: sc.Error,
		LastStartedAt: optTime(sc.LastStartedAt), LastFailedAt: optTime(sc.LastFailedAt), LastSyncedAt: optTime(sc.LastSyncedAt),
		FinishedAt: optTime(sc.FinishedAt), UpdatedAt: sc.UpdatedAt}
	if out.Entities == nil {
		out.Entities = []ferry.ScopeEntity{}
	}
	return out
}

type scopeList struct {
	Body struct {
		Scopes []Scope `json:"scopes"`
	}
}

type scopeDetail struct {
	Status int
	Body   struct {
		Scope    Scope        `json:"scope"`
		Statuses []SyncStatus `json:"statuses,omitempty"`
	}
}

// ScopeInput declares a scope, as a scopes: entry of ferry.yaml does.
type ScopeInput struct {
	Syncs []string `json:"syncs" minItems:"1" doc:"The sync configurations started together"`
}

// scopeRuns are the scope instances this API started; they run in this
// process (a scope is a foreground unit of several runs).
type scopeRuns struct {
	wg   sync.WaitGroup
	stop context.CancelFunc
	ctx  context.Context
}

func (s *Server) registerScopes() {
	huma.Register(s.api, op(huma.Operation{
		OperationID: "put-scope", Method: http.MethodPut, Path: "/api/v1/scopes/{name}",
		Summary: "Declare a scope", Description: "Declares the scope as a scopes: entry of `ferry apply` would.",
		Tags: []string{"Scopes"}, Errors: []int{http.StatusBadRequest},
	}, scopeAdmin), handle(s, func(ctx context.Context, in *struct {
		NameParam
		Body ScopeInput
	}) (*struct {
		Body struct {
			Change Change `json:"change"`
		}
	}, error) {
		changes, err := s.app.Declare(ctx, &app.Document{Scopes: []app.ScopeSpec{{Name: in.Name, Syncs: in.Body.Syncs}}}, app.ApplyOptions{})
		if err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Change Change `json:"change"`
			}
		}{}
		out.Body.Change = changeOf(changes)
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "list-scopes", Method: http.MethodGet, Path: "/api/v1/scopes",
		Summary: "List scope instances, newest first", Tags: []string{"Scopes"},
	}, scopeRead), handle(s, func(ctx context.Context, in *struct {
		Name  string `query:"name" doc:"Only instances of this scope"`
		State string `query:"state" enum:"syncing,synced,failed,interrupted," doc:"Only instances in this state"`
		Limit int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
	}) (*scopeList, error) {
		if _, err := s.app.InterruptStaleScopes(ctx); err != nil {
			return nil, err
		}
		scs, err := s.app.Store().ListScopes(ctx, store.ScopeFilter{Name: in.Name, State: ferry.ScopeState(in.State), Limit: in.Limit})
		if err != nil {
			return nil, err
		}
		out := &scopeList{}
		out.Body.Scopes = make([]Scope, len(scs))
		for i, sc := range scs {
			out.Body.Scopes[i] = scopeOut(sc)
		}
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "get-scope", Method: http.MethodGet, Path: "/api/v1/scopes/{id}",
		Summary: "Get a scope instance and its status rows", Tags: []string{"Scopes"}, Errors: []int{http.StatusNotFound},
	}, scopeRead), handle(s, func(ctx context.Context, in *struct {
		ID string `path:"id"`
	}) (*scopeDetail, error) {
		sc, err := s.app.Store().GetScope(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		sts, err := s.app.Store().ListSyncStatuses(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		out := &scopeDetail{Status: http.StatusOK}
		out.Body.Scope = scopeOut(sc)
		for _, st := range sts {
			out.Body.Statuses = append(out.Body.Statuses, SyncStatus{ID: st.ID, Provider: st.Provider, Entity: st.Entity, Sync: st.Config,
				Project: st.Project, RunID: st.RunID, State: string(st.State), At: st.At, ErrorCode: st.ErrorCode, Error: st.Error})
		}
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "start-scope", Method: http.MethodPost, Path: "/api/v1/scopes/{name}/start",
		Summary: "Start a scope", Description: "Starts an instance of the declared scope in the server process and answers 202 with it as soon as it is recorded. " +
			"Refused (409) while the previous instance is still syncing.",
		Tags: []string{"Scopes"}, DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, scopeRun), handle(s, func(ctx context.Context, in *struct {
		NameParam
		Full bool `query:"full" doc:"Force full passes"`
	}) (*scopeDetail, error) {
		sc, err := s.startScope(ctx, in.Name, in.Full)
		if err != nil {
			return nil, err
		}
		out := &scopeDetail{Status: http.StatusAccepted}
		out.Body.Scope = scopeOut(sc)
		return out, nil
	}))
}

// startScope runs a scope instance in the background, detached from the
// request, and returns it once recorded.
func (s *Server) startScope(ctx context.Context, name string, full bool) (ferry.Scope, error) {
	started := make(chan ferry.Scope, 1)
	done := make(chan error, 1)
	var once sync.Once
	s.scopes.wg.Add(1)
	go func() {
		defer s.scopes.wg.Done()
		_, err := s.app.StartScope(s.scopes.ctx, name, app.ScopeOptions{Full: full, Queue: true,
			Started: func(sc ferry.Scope) { once.Do(func() { started <- sc }) }})
		done <- err
	}()
	select {
	case sc := <-started:
		return sc, nil
	case err := <-done:
		select {
		case sc := <-started:
			return sc, nil
		default:
		}
		return ferry.Scope{}, err
	case <-ctx.Done():
		return ferry.Scope{}, ferry.Wrap(ferry.ECANCELED, ctx.Err(), "stopped waiting for scope %s to start", name)
	}
}
