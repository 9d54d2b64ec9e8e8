package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

var (
	_ database.StatusWriter = (*DB)(nil)
	_ database.StatusReader = (*DB)(nil)
)

// statusDDL creates the status tables applications read (see
// docs/status-tables.md). Every identifier is quoted.
const statusDDL = `CREATE TABLE IF NOT EXISTS "ferry"."sync_scope" (
	"id" text COLLATE "C" PRIMARY KEY,
	"name" text NOT NULL,
	"state" text NOT NULL,
	"not_started" integer NOT NULL,
	"syncing" integer NOT NULL,
	"failed" integer NOT NULL,
	"synced" integer NOT NULL,
	"last_started_at" timestamptz,
	"last_failed_at" timestamptz,
	"last_synced_at" timestamptz,
	"details" jsonb NOT NULL,
	"error" text NOT NULL,
	"updated_at" timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS "sync_scope_name" ON "ferry"."sync_scope" ("name", "last_started_at");
CREATE TABLE IF NOT EXISTS "ferry"."sync_status" (
	"id" text COLLATE "C" PRIMARY KEY,
	"scope_id" text COLLATE "C" NOT NULL,
	"provider" text NOT NULL,
	"entity" text NOT NULL,
	"sync_config" text NOT NULL,
	"run_id" text NOT NULL,
	"state" text NOT NULL,
	"updated_at" timestamptz NOT NULL,
	"error_code" text NOT NULL,
	"error" text NOT NULL
);
CREATE INDEX IF NOT EXISTS "sync_status_scope" ON "ferry"."sync_status" ("scope_id")`

// ensureStatus creates the status tables in a transaction, under the same
// advisory lock as the ferry schema, so concurrent first use is safe.
func (db *DB) ensureStatus(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, 1)", int32(lockSpace)); err != nil {
		return err
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('"ferry"."sync_status"') IS NOT NULL AND to_regclass('"ferry"."sync_scope"') IS NOT NULL`).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err := tx.Exec(ctx, statusDDL)
	return err
}

func pgTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// WriteStatus upserts the scope instance and the status rows in one
// transaction.
func (db *DB) WriteStatus(ctx context.Context, sc *ferry.Scope, statuses []ferry.SyncStatus) error {
	return db.statusTx(ctx, "write sync status", func(tx pgx.Tx) error {
		now := time.Now().UTC()
		if sc != nil {
			details, err := database.ScopeDetails(sc)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO "ferry"."sync_scope" ("id", "name", "state", "not_started", "syncing", "failed", "synced",
	"last_started_at", "last_failed_at", "last_synced_at", "details", "error", "updated_at")
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name", "state" = excluded."state", "not_started" = excluded."not_started",
	"syncing" = excluded."syncing", "failed" = excluded."failed", "synced" = excluded."synced",
	"last_started_at" = excluded."last_started_at", "last_failed_at" = excluded."last_failed_at", "last_synced_at" = excluded."last_synced_at",
	"details" = excluded."details", "error" = excluded."error", "updated_at" = excluded."updated_at"`,
				sc.ID, sc.Name, string(sc.State), sc.Counts.NotStarted, sc.Counts.Syncing, sc.Counts.Failed, sc.Counts.Synced,
				pgTime(sc.LastStartedAt), pgTime(sc.LastFailedAt), pgTime(sc.LastSyncedAt), string(details), sc.Error,
				cmpTime(sc.UpdatedAt, now)); err != nil {
				return err
			}
		}
		for _, st := range statuses {
			if _, err := tx.Exec(ctx, `INSERT INTO "ferry"."sync_status" ("id", "scope_id", "provider", "entity", "sync_config", "run_id",
	"state", "updated_at", "error_code", "error")
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT ("id") DO UPDATE SET "scope_id" = excluded."scope_id", "provider" = excluded."provider", "entity" = excluded."entity",
	"sync_config" = excluded."sync_config", "run_id" = excluded."run_id", "state" = excluded."state",
	"updated_at" = excluded."updated_at", "error_code" = excluded."error_code", "error" = excluded."error"`,
				st.ID, st.Scope, st.Provider, st.Entity, st.Config, st.RunID, string(st.State), cmpTime(st.At, now), st.ErrorCode, st.Error); err != nil {
				return err
			}
		}
		return nil
	})
}

func cmpTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t.UTC()
}

// DeleteStatus deletes status rows by id and, with a scopeID, the scope
// instance and all its status rows.
func (db *DB) DeleteStatus(ctx context.Context, scopeID string, statusIDs []string) error {
	return db.statusTx(ctx, "delete sync status", func(tx pgx.Tx) error {
		if len(statusIDs) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM "ferry"."sync_status" WHERE "id" = ANY($1)`, statusIDs); err != nil {
				return err
			}
		}
		if scopeID != "" {
			if _, err := tx.Exec(ctx, `DELETE FROM "ferry"."sync_status" WHERE "scope_id" = $1`, scopeID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM "ferry"."sync_scope" WHERE "id" = $1`, scopeID); err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) statusTx(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	if err := db.ensureFerry(ctx); err != nil {
		return err
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return classify(err, "%s", what)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := db.ensureStatus(ctx, tx); err != nil {
		return classify(err, "%s: create status tables", what)
	}
	if err := fn(tx); err != nil {
		return classify(err, "%s", what)
	}
	return classify(tx.Commit(ctx), "%s", what)
}

// ReadStatus reads a scope instance and its status rows.
func (db *DB) ReadStatus(ctx context.Context, scopeID string) (ferry.Scope, []ferry.SyncStatus, bool, error) {
	var sc ferry.Scope
	var sts []ferry.SyncStatus
	var ok bool
	err := db.statusTx(ctx, "read sync status", func(tx pgx.Tx) error {
		var state string
		var details []byte
		var started, failed, synced *time.Time
		err := tx.QueryRow(ctx, `SELECT "id", "name", "state", "not_started", "syncing", "failed", "synced",
	"last_started_at", "last_failed_at", "last_synced_at", "details", "error", "updated_at"
FROM "ferry"."sync_scope" WHERE "id" = $1`, scopeID).Scan(&sc.ID, &sc.Name, &state,
			&sc.Counts.NotStarted, &sc.Counts.Syncing, &sc.Counts.Failed, &sc.Counts.Synced,
			&started, &failed, &synced, &details, &sc.Error, &sc.UpdatedAt)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		default:
			ok = true
			sc.State = ferry.ScopeState(state)
			sc.LastStartedAt, sc.LastFailedAt, sc.LastSyncedAt = derefTime(started), derefTime(failed), derefTime(synced)
			sc.UpdatedAt = sc.UpdatedAt.UTC()
			if sc.Entities, err = database.ParseScopeDetails(details); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT "id", "scope_id", "provider", "entity", "sync_config", "run_id", "state", "updated_at", "error_code", "error"
FROM "ferry"."sync_status" WHERE "scope_id" = $1 ORDER BY "id"`, scopeID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st ferry.SyncStatus
			var state string
			if err := rows.Scan(&st.ID, &st.Scope, &st.Provider, &st.Entity, &st.Config, &st.RunID, &state, &st.At, &st.ErrorCode, &st.Error); err != nil {
				return err
			}
			st.State, st.At = ferry.StatusState(state), st.At.UTC()
			sts = append(sts, st)
		}
		return rows.Err()
	})
	return sc, sts, ok, err
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
