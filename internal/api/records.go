package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// Record is one synced record as stored in the destination.
type Record struct {
	ID        string          `json:"id"`
	Deleted   bool            `json:"deleted" doc:"Deleted at the provider (soft delete)"`
	DeletedAt *time.Time      `json:"deleted_at,omitempty"`
	SyncedAt  time.Time       `json:"synced_at" doc:"When Ferry last wrote it (_ferry_synced_at)"`
	RunID     string          `json:"run_id" doc:"The run that last wrote it"`
	Fields    map[string]any  `json:"fields" doc:"The typed columns, by column name"`
	Raw       json.RawMessage `json:"raw" doc:"The whole object as the provider sent it"`
}

// recordCursor is the position of the records API: the last id returned,
// and the filter it was returned under (a page must not change filters).
type recordCursor struct {
	After         string    `json:"a"`
	ModifiedAfter time.Time `json:"m,omitzero"`
}

func recordOut(t database.Table, r database.StoredRow) Record {
	out := Record{ID: r.ID, Deleted: r.DeletedAt != nil, DeletedAt: r.DeletedAt, SyncedAt: r.SyncedAt, RunID: r.RunID,
		Fields: make(map[string]any, len(t.Columns)), Raw: json.RawMessage(r.Raw)}
	for i, c := range t.Columns {
		v := r.Values[i]
		if s, ok := v.(string); ok && c.Type == ferry.JSON && json.Valid([]byte(s)) {
			v = json.RawMessage(s)
		}
		out.Fields[c.Name] = v
	}
	if len(out.Raw) == 0 {
		out.Raw = json.RawMessage("null")
	}
	return out
}

func (s *Server) registerRecords() {
	type recordsInput struct {
		NameParam
		Cursor        string `query:"cursor" doc:"next_cursor of the previous page"`
		ModifiedAfter string `query:"modified_after" format:"date-time" doc:"Only records synced or deleted after this time (RFC 3339)"`
		Limit         int    `query:"limit" minimum:"1" maximum:"10000" default:"1000"`
	}
	type recordPage struct {
		Body struct {
			Records    []Record `json:"records"`
			NextCursor string   `json:"next_cursor,omitempty" doc:"Absent on the last page"`
		}
	}
	huma.Register(s.api, op(huma.Operation{
		OperationID: "list-records", Method: http.MethodGet, Path: "/api/v1/syncs/{name}/records",
		Summary: "Read synced records",
		Description: "Pages through the records the configuration wrote into its destination, in id order, soft-deleted ones " +
			"included and marked deleted. Paging never returns a record twice and never misses one that existed during the " +
			"whole walk, even while a sync writes. To follow changes, remember when you started a walk and pass it as " +
			"modified_after next time.",
		Tags: []string{"Records"}, Errors: []int{http.StatusBadRequest, http.StatusNotFound},
	}, scopeRead), handle(s, func(ctx context.Context, in *recordsInput) (*recordPage, error) {
		var cur recordCursor
		if in.Cursor != "" {
			raw, err := decodeCursor("records", in.Cursor)
			if err == nil {
				err = json.Unmarshal([]byte(raw), &cur)
			}
			if err != nil {
				return nil, ferry.Errorf(ferry.EINVALID, "cursor %q is not one this list returned; pass next_cursor from the previous page unchanged", in.Cursor)
			}
		}
		if in.ModifiedAfter != "" {
			t, err := time.Parse(time.RFC3339Nano, in.ModifiedAfter)
			if err != nil {
				return nil, ferry.Errorf(ferry.EINVALID, "modified_after %q is not an RFC 3339 time (like 2026-01-02T15:04:05Z)", in.ModifiedAfter)
			}
			if in.Cursor != "" && !t.Equal(cur.ModifiedAfter) {
				return nil, ferry.Errorf(ferry.EINVALID, "modified_after differs from the one the cursor was made with; start a new walk without a cursor")
			}
			cur.ModifiedAfter = t.UTC()
		}
		rows, table, err := s.records.Records(ctx, in.Name, database.RecordQuery{After: cur.After, Limit: in.Limit + 1, ModifiedAfter: cur.ModifiedAfter})
		if err != nil {
			return nil, err
		}
		o := &recordPage{}
		if len(rows) > in.Limit {
			rows = rows[:in.Limit]
			next := cur
			next.After = rows[len(rows)-1].ID
			b, _ := json.Marshal(next)
			o.Body.NextCursor = encodeCursor("records", string(b))
		}
		o.Body.Records = make([]Record, len(rows))
		for i, r := range rows {
			o.Body.Records[i] = recordOut(table, r)
		}
		return o, nil
	}))
}
