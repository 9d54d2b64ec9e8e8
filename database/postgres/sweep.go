package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ferrysync/ferry/database"
)

// FinishSweep soft-deletes every live row of t that sweep did not see,
// forgets the sweep's seen ids and saves cp, in one transaction and one
// round trip.
func (db *DB) FinishSweep(ctx context.Context, t database.Table, sweep, runID string, at time.Time, cp *database.Checkpoint) (int64, error) {
	if err := checkTable(t); err != nil {
		return 0, err
	}
	if err := db.ensureFerry(ctx); err != nil {
		return 0, err
	}
	s := db.sqlFor(t)
	key := db.qualified(t.Name)
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return 0, classify(err, "finish sweep of table %q", t.Name)
	}
	defer conn.Release()
	var deleted int64
	batch := &pgx.Batch{}
	batch.Queue("BEGIN")
	// Fresh statistics first: the seen ids and the table were just filled
	// by the pass, and without them the planner estimates a handful of rows
	// and picks a nested loop over sequential scans, quadratic in the table
	// (minutes at 100k rows instead of a hash anti-join in milliseconds).
	batch.Queue("ANALYZE ferry.sweep_seen")
	batch.Queue("ANALYZE " + key)
	batch.Queue(s.sweep, at, runID, key, sweep).Exec(func(tag pgconn.CommandTag) error {
		deleted = tag.RowsAffected()
		return nil
	})
	batch.Queue(forgetSQL, key, sweep)
	queueCheckpoint(batch, cp)
	if err := db.commitBatch(ctx, conn, batch); err != nil {
		return 0, classify(err, "finish sweep of table %q", t.Name)
	}
	return deleted, nil
}

// Checkpoint loads the checkpoint saved under key.
func (db *DB) Checkpoint(ctx context.Context, key string) (database.Checkpoint, bool, error) {
	cp := database.Checkpoint{Key: key}
	if err := db.ensureFerry(ctx); err != nil {
		return cp, false, err
	}
	var backfill, incremental *string
	err := db.pool.QueryRow(ctx, "SELECT backfill::text, incremental::text FROM ferry.checkpoints WHERE key = $1", key).Scan(&backfill, &incremental)
	if err == pgx.ErrNoRows {
		return cp, false, nil
	}
	if err != nil {
		return cp, false, classify(err, "load checkpoint %q", key)
	}
	if backfill != nil {
		cp.Backfill = []byte(*backfill)
	}
	if incremental != nil {
		cp.Incremental = []byte(*incremental)
	}
	return cp, true, nil
}
