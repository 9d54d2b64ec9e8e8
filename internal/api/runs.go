package api

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/store"
)

// Run is one execution of a sync configuration.
type Run struct {
	ID          string       `json:"id" example:"run_01jd0z8q3m5x7c9v2b4n6p8r0t"`
	Sync        string       `json:"sync" example:"customers"`
	Status      string       `json:"status" enum:"queued,running,succeeded,failed,interrupted,cancelled"`
	Mode        string       `json:"mode,omitempty" enum:"full,incremental," doc:"Empty until the run has decided"`
	Reason      string       `json:"reason,omitempty" doc:"Why this mode"`
	Counts      ferry.Counts `json:"counts"`
	Batches     int64        `json:"batches"`
	Total       int64        `json:"total" doc:"Expected records when known, else 0"`
	Attempt     int          `json:"attempt"`
	ErrorCode   string       `json:"error_code,omitempty"`
	Error       string       `json:"error,omitempty"`
	Host        string       `json:"host,omitempty"`
	PID         int          `json:"pid,omitempty"`
	StartedAt   time.Time    `json:"started_at"`
	FinishedAt  *time.Time   `json:"finished_at,omitempty" doc:"Absent while the run is going"`
	HeartbeatAt time.Time    `json:"heartbeat_at"`
}

func runOut(r ferry.Run) Run {
	out := Run{ID: r.ID, Sync: r.Config, Status: string(r.Status), Mode: string(r.Mode), Reason: r.Reason, Counts: r.Counts,
		Batches: r.Batches, Total: r.Total, Attempt: r.Attempt, ErrorCode: r.ErrorCode, Error: r.Error, Host: r.Host, PID: r.PID,
		StartedAt: r.StartedAt, HeartbeatAt: r.HeartbeatAt}
	if !r.FinishedAt.IsZero() {
		f := r.FinishedAt
		out.FinishedAt = &f
	}
	return out
}

// Batch is one committed batch of a run.
type Batch struct {
	Seq         int64        `json:"seq"`
	Records     int64        `json:"records"`
	Counts      ferry.Counts `json:"counts"`
	DurationMS  float64      `json:"duration_ms"`
	CursorFrom  string       `json:"cursor_from" doc:"The position the batch started after"`
	CursorTo    string       `json:"cursor_to" doc:"The position it ended at"`
	CommittedAt time.Time    `json:"committed_at"`
}

// RecordError is a per-record failure inside a run.
type RecordError struct {
	RecordID string    `json:"record_id"`
	Code     string    `json:"code"`
	Message  string    `json:"message"`
	At       time.Time `json:"at"`
}

type runOutput struct {
	Status int
	Body   struct {
		Run Run `json:"run"`
	}
}

func newRunOutput(status int, r ferry.Run) *runOutput {
	out := &runOutput{Status: status}
	out.Body.Run = runOut(r)
	return out
}

// RunIDParam is the {id} of a run in a path.
type RunIDParam struct {
	ID string `path:"id" example:"run_01jd0z8q3m5x7c9v2b4n6p8r0t"`
}

// Cursors are opaque to clients: base64url of the position, with a prefix
// naming the list it belongs to.
func encodeCursor(kind, pos string) string {
	if pos == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + pos))
}

func decodeCursor(kind, c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	pos, ok := strings.CutPrefix(string(b), kind+":")
	if err != nil || !ok {
		return "", ferry.Errorf(ferry.EINVALID, "cursor %q is not one this list returned; pass next_cursor from the previous page unchanged", c)
	}
	return pos, nil
}

func (s *Server) registerRuns() {
	type runListInput struct {
		Sync   string `query:"sync" doc:"Only runs of this sync configuration"`
		Status string `query:"status" enum:"queued,running,succeeded,failed,interrupted,cancelled," doc:"Only runs with this status"`
		Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
		Cursor string `query:"cursor" doc:"next_cursor of the previous page"`
	}
	type runList struct {
		Body struct {
			Runs       []Run  `json:"runs"`
			NextCursor string `json:"next_cursor,omitempty" doc:"Absent on the last page"`
		}
	}
	huma.Register(s.api, op(huma.Operation{
		OperationID: "list-runs", Method: http.MethodGet, Path: "/api/v1/runs",
		Summary: "List runs, newest first", Tags: []string{"Runs"}, Errors: []int{http.StatusBadRequest},
	}, scopeRead), handle(s, func(ctx context.Context, in *runListInput) (*runList, error) {
		before, err := decodeCursor("runs", in.Cursor)
		if err != nil {
			return nil, err
		}
		if _, err := s.app.InterruptStale(ctx); err != nil {
			return nil, err
		}
		runs, err := s.app.Store().ListRuns(ctx, store.RunFilter{Config: in.Sync, Status: ferry.RunStatus(in.Status), Limit: in.Limit + 1, Before: before})
		if err != nil {
			return nil, err
		}
		out := &runList{}
		if len(runs) > in.Limit {
			runs = runs[:in.Limit]
			out.Body.NextCursor = encodeCursor("runs", runs[len(runs)-1].ID)
		}
		out.Body.Runs = make([]Run, len(runs))
		for i, r := range runs {
			out.Body.Runs[i] = runOut(r)
		}
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "get-run", Method: http.MethodGet, Path: "/api/v1/runs/{id}",
		Summary: "Get a run", Tags: []string{"Runs"}, Errors: []int{http.StatusNotFound},
	}, scopeRead), handle(s, func(ctx context.Context, in *RunIDParam) (*runOutput, error) {
		r, err := s.app.Store().GetRun(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return newRunOutput(http.StatusOK, r), nil
	}))

	type batchList struct {
		Body struct {
			Batches []Batch `json:"batches"`
		}
	}
	huma.Register(s.api, op(huma.Operation{
		OperationID: "list-run-batches", Method: http.MethodGet, Path: "/api/v1/runs/{id}/batches",
		Summary: "A run's batch log", Tags: []string{"Runs"}, Errors: []int{http.StatusNotFound},
	}, scopeRead), handle(s, func(ctx context.Context, in *RunIDParam) (*batchList, error) {
		if _, err := s.app.Store().GetRun(ctx, in.ID); err != nil {
			return nil, err
		}
		bs, err := s.app.Store().ListBatches(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		out := &batchList{}
		out.Body.Batches = make([]Batch, len(bs))
		for i, b := range bs {
			out.Body.Batches[i] = Batch{Seq: b.Seq, Records: b.Records, Counts: b.Counts, DurationMS: float64(b.Duration.Microseconds()) / 1000,
				CursorFrom: b.CursorFrom, CursorTo: b.CursorTo, CommittedAt: b.CommittedAt}
		}
		return out, nil
	}))

	type recordErrorList struct {
		Body struct {
			Errors []RecordError `json:"errors"`
		}
	}
	huma.Register(s.api, op(huma.Operation{
		OperationID: "list-run-errors", Method: http.MethodGet, Path: "/api/v1/runs/{id}/errors",
		Summary: "A run's per-record errors", Tags: []string{"Runs"}, Errors: []int{http.StatusNotFound},
	}, scopeRead), handle(s, func(ctx context.Context, in *struct {
		RunIDParam
		Limit int `query:"limit" minimum:"1" maximum:"10000" default:"1000"`
	}) (*recordErrorList, error) {
		if _, err := s.app.Store().GetRun(ctx, in.ID); err != nil {
			return nil, err
		}
		es, err := s.app.Store().ListRecordErrors(ctx, in.ID, in.Limit)
		if err != nil {
			return nil, err
		}
		out := &recordErrorList{}
		out.Body.Errors = make([]RecordError, len(es))
		for i, e := range es {
			out.Body.Errors[i] = RecordError{RecordID: e.RecordID, Code: e.Code, Message: e.Message, At: e.At}
		}
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "start-run", Method: http.MethodPost, Path: "/api/v1/syncs/{name}/runs",
		Summary: "Sync now", Description: "Queues a run of the configuration for the workers and answers 202 with it (status queued). " +
			"Refused (409) while the configuration, or its project, is paused or already has a queued or running run.",
		Tags: []string{"Runs"}, DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, scopeRun), handle(s, func(ctx context.Context, in *struct {
		NameParam
		Full bool `query:"full" doc:"Force a full pass"`
	}) (*runOutput, error) {
		r, err := s.app.Enqueue(ctx, in.Name, in.Full)
		if err != nil {
			return nil, err
		}
		return newRunOutput(http.StatusAccepted, r), nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "cancel-run", Method: http.MethodPost, Path: "/api/v1/runs/{id}/cancel",
		Summary: "Cancel a run", Description: "Marks a queued or running run cancelled: a queued run never starts, a running one stops after its batch in flight. Committed batches and the checkpoint are kept.",
		Tags: []string{"Runs"}, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, scopeRun), handle(s, func(ctx context.Context, in *RunIDParam) (*runOutput, error) {
		r, err := s.app.CancelRun(ctx, in.ID, "cancelled through the API"+byToken(ctx))
		if err != nil {
			return nil, err
		}
		return newRunOutput(http.StatusOK, r), nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "retry-run", Method: http.MethodPost, Path: "/api/v1/runs/{id}/retry",
		Summary: "Retry a run", Description: "Queues a new run (the next attempt) of a failed, interrupted or cancelled run's configuration; it resumes from the checkpoint. Answers 202 with the new run.",
		Tags: []string{"Runs"}, DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, scopeRun), handle(s, func(ctx context.Context, in *RunIDParam) (*runOutput, error) {
		r, err := s.app.Retry(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return newRunOutput(http.StatusAccepted, r), nil
	}))
}
