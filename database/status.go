package database

import (
	"context"
	"encoding/json"

	"github.com/ferrysync/ferry"
)

// StatusWriter is the optional capability of a destination to keep Ferry's
// sync status where applications can read it with one SQL query: the scope
// instances (ferry.sync_scope in Postgres, ferry_sync_scope in SQLite) and
// the status of each entity sync (ferry.sync_status, ferry_sync_status).
// The engine asks for it with a type assertion; a destination without it
// simply has no status tables. docs/status-tables.md documents the columns.
//
// The tables are created on first use. Rows are upserted by id, so a
// replayed write changes nothing; the caller serialises the writes of one
// scope instance, so the last write is the newest state.
type StatusWriter interface {
	// WriteStatus upserts the scope instance (when scope is not nil) and
	// the status rows, in one transaction.
	WriteStatus(ctx context.Context, scope *ferry.Scope, statuses []ferry.SyncStatus) error
	// DeleteStatus deletes the status rows with these ids and, when
	// scopeID is not empty, that scope instance and all its status rows,
	// in one transaction. Missing rows are not an error.
	DeleteStatus(ctx context.Context, scopeID string, statusIDs []string) error
}

// StatusReader reads back what a StatusWriter wrote, for tests and tools.
type StatusReader interface {
	// ReadStatus returns the scope instance (ok false when there is none)
	// and its status rows, ordered by id.
	ReadStatus(ctx context.Context, scopeID string) (scope ferry.Scope, statuses []ferry.SyncStatus, ok bool, err error)
}

// NotStarted is the state the details of a status table give an entity
// that has not started yet.
const NotStarted = "not_started"

// ScopeDetails is the details JSON a destination stores for a scope
// instance: one object per entity, with state "not_started" before it
// starts.
func ScopeDetails(sc *ferry.Scope) ([]byte, error) {
	es := make([]ferry.ScopeEntity, len(sc.Entities))
	for i, e := range sc.Entities {
		if e.State == "" {
			e.State = NotStarted
		}
		es[i] = e
	}
	return json.Marshal(es)
}

// ParseScopeDetails is the inverse of ScopeDetails.
func ParseScopeDetails(b []byte) ([]ferry.ScopeEntity, error) {
	var es []ferry.ScopeEntity
	if err := json.Unmarshal(b, &es); err != nil {
		return nil, err
	}
	for i := range es {
		if es[i].State == NotStarted {
			es[i].State = ""
		}
	}
	return es, nil
}
