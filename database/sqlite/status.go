package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

var (
	_ database.StatusWriter = (*DB)(nil)
	_ database.StatusReader = (*DB)(nil)
)

// statusDDL creates the status tables applications read (see
// docs/status-tables.md). Times are text in the same fixed-width UTC form
// as the data tables; details is JSON text. Every identifier is quoted.
const statusDDL = `
CREATE TABLE IF NOT EXISTS "ferry_sync_scope" (
	"id"              TEXT PRIMARY KEY NOT NULL,
	"name"            TEXT NOT NULL,
	"state"           TEXT NOT NULL,
	"not_started"     INTEGER NOT NULL,
	"syncing"         INTEGER NOT NULL,
	"failed"          INTEGER NOT NULL,
	"synced"          INTEGER NOT NULL,
	"last_started_at" TIMESTAMP TEXT,
	"last_failed_at"  TIMESTAMP TEXT,
	"last_synced_at"  TIMESTAMP TEXT,
	"details"         TEXT NOT NULL,
	"error"           TEXT NOT NULL,
	"updated_at"      TIMESTAMP TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS "ferry_sync_scope_name" ON "ferry_sync_scope" ("name", "last_started_at");
CREATE TABLE IF NOT EXISTS "ferry_sync_status" (
	"id"          TEXT PRIMARY KEY NOT NULL,
	"scope_id"    TEXT NOT NULL,
	"provider"    TEXT NOT NULL,
	"entity"      TEXT NOT NULL,
	"sync_config" TEXT NOT NULL,
	"run_id"      TEXT NOT NULL,
	"state"       TEXT NOT NULL,
	"updated_at"  TIMESTAMP TEXT NOT NULL,
	"error_code"  TEXT NOT NULL,
	"error"       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS "ferry_sync_status_scope" ON "ferry_sync_status" ("scope_id");`

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// statusTx runs fn in a write transaction after creating the status tables.
func (db *DB) statusTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.classify(ctx, err, what)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, statusDDL); err != nil {
		return db.classify(ctx, err, what+": create status tables")
	}
	if err := fn(tx); err != nil {
		return db.classify(ctx, err, what)
	}
	return db.classify(ctx, tx.Commit(), what)
}

// WriteStatus upserts the scope instance and the status rows in one
// transaction.
func (db *DB) WriteStatus(ctx context.Context, sc *ferry.Scope, statuses []ferry.SyncStatus) error {
	return db.statusTx(ctx, "write sqlite sync status", func(tx *sql.Tx) error {
		if sc != nil {
			details, err := database.ScopeDetails(sc)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO "ferry_sync_scope" ("id", "name", "state", "not_started", "syncing", "failed", "synced",
	"last_started_at", "last_failed_at", "last_synced_at", "details", "error", "updated_at")
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name", "state" = excluded."state", "not_started" = excluded."not_started",
	"syncing" = excluded."syncing", "failed" = excluded."failed", "synced" = excluded."synced",
	"last_started_at" = excluded."last_started_at", "last_failed_at" = excluded."last_failed_at", "last_synced_at" = excluded."last_synced_at",
	"details" = excluded."details", "error" = excluded."error", "updated_at" = excluded."updated_at"`,
				sc.ID, sc.Name, string(sc.State), sc.Counts.NotStarted, sc.Counts.Syncing, sc.Counts.Failed, sc.Counts.Synced,
				nullTime(sc.LastStartedAt), nullTime(sc.LastFailedAt), nullTime(sc.LastSyncedAt), string(details), sc.Error,
				formatTime(orNow(sc.UpdatedAt))); err != nil {
				return err
			}
		}
		for _, st := range statuses {
			if _, err := tx.ExecContext(ctx, `INSERT INTO "ferry_sync_status" ("id", "scope_id", "provider", "entity", "sync_config", "run_id",
	"state", "updated_at", "error_code", "error")
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT ("id") DO UPDATE SET "scope_id" = excluded."scope_id", "provider" = excluded."provider", "entity" = excluded."entity",
	"sync_config" = excluded."sync_config", "run_id" = excluded."run_id", "state" = excluded."state",
	"updated_at" = excluded."updated_at", "error_code" = excluded."error_code", "error" = excluded."error"`,
				st.ID, st.Scope, st.Provider, st.Entity, st.Config, st.RunID, string(st.State), formatTime(orNow(st.At)), st.ErrorCode, st.Error); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteStatus deletes status rows by id and, with a scopeID, the scope
// instance and all its status rows.
func (db *DB) DeleteStatus(ctx context.Context, scopeID string, statusIDs []string) error {
	return db.statusTx(ctx, "delete sqlite sync status", func(tx *sql.Tx) error {
		for _, id := range statusIDs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM "ferry_sync_status" WHERE "id" = ?`, id); err != nil {
				return err
			}
		}
		if scopeID != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM "ferry_sync_status" WHERE "scope_id" = ?`, scopeID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM "ferry_sync_scope" WHERE "id" = ?`, scopeID); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReadStatus reads a scope instance and its status rows.
func (db *DB) ReadStatus(ctx context.Context, scopeID string) (ferry.Scope, []ferry.SyncStatus, bool, error) {
	var sc ferry.Scope
	var sts []ferry.SyncStatus
	var ok bool
	// Through the writer: it creates the tables when they do not exist yet.
	err := db.statusTx(ctx, "read sqlite sync status", func(tx *sql.Tx) error {
		var state, details, updated string
		var started, failed, synced sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT "id", "name", "state", "not_started", "syncing", "failed", "synced",
	"last_started_at", "last_failed_at", "last_synced_at", "details", "error", "updated_at"
FROM "ferry_sync_scope" WHERE "id" = ?`, scopeID).Scan(&sc.ID, &sc.Name, &state,
			&sc.Counts.NotStarted, &sc.Counts.Syncing, &sc.Counts.Failed, &sc.Counts.Synced,
			&started, &failed, &synced, &details, &sc.Error, &updated)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			ok = true
			sc.State = ferry.ScopeState(state)
			for _, f := range []struct {
				s  sql.NullString
				to *time.Time
			}{{started, &sc.LastStartedAt}, {failed, &sc.LastFailedAt}, {synced, &sc.LastSyncedAt}, {sql.NullString{String: updated, Valid: true}, &sc.UpdatedAt}} {
				if !f.s.Valid {
					continue
				}
				if *f.to, err = parseTime(f.s.String); err != nil {
					return err
				}
			}
			if sc.Entities, err = database.ParseScopeDetails([]byte(details)); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT "id", "scope_id", "provider", "entity", "sync_config", "run_id", "state", "updated_at", "error_code", "error"
FROM "ferry_sync_status" WHERE "scope_id" = ? ORDER BY "id"`, scopeID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st ferry.SyncStatus
			var state, at string
			if err := rows.Scan(&st.ID, &st.Scope, &st.Provider, &st.Entity, &st.Config, &st.RunID, &state, &at, &st.ErrorCode, &st.Error); err != nil {
				return err
			}
			st.State = ferry.StatusState(state)
			if st.At, err = parseTime(at); err != nil {
				return err
			}
			sts = append(sts, st)
		}
		return rows.Err()
	})
	return sc, sts, ok, err
}
