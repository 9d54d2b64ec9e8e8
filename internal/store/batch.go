package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/ferrysync/ferry"
)

// AddBatch records a committed batch of a run. CommittedAt defaults to now.
// ENOTFOUND if the run does not exist, ECONFLICT if its Seq is recorded.
func (s *Store) AddBatch(ctx context.Context, b ferry.Batch) error {
	if b.CommittedAt.IsZero() {
		b.CommittedAt = s.now()
	}
	_, err := s.exec(ctx, s.db, `INSERT INTO batches (run_id, seq, records, fetched, inserted, updated, unchanged, deleted, failed,
		duration_us, cursor_from, cursor_to, committed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.RunID, b.Seq, b.Records, b.Counts.Fetched, b.Counts.Inserted, b.Counts.Updated, b.Counts.Unchanged,
		b.Counts.Deleted, b.Counts.Failed, b.Duration.Microseconds(), b.CursorFrom, b.CursorTo, s.tv(b.CommittedAt))
	switch {
	case isForeignKey(err):
		return ferry.Errorf(ferry.ENOTFOUND, "run %s does not exist", b.RunID)
	case isUnique(err):
		return ferry.Errorf(ferry.ECONFLICT, "batch %d of run %s is already recorded", b.Seq, b.RunID)
	}
	return s.dbErr(err, "add batch")
}

// ListBatches returns a run's batches in sequence order.
func (s *Store) ListBatches(ctx context.Context, runID string) ([]ferry.Batch, error) {
	rows, err := s.query(ctx, s.db, `SELECT run_id, seq, records, fetched, inserted, updated, unchanged, deleted, failed,
		duration_us, cursor_from, cursor_to, committed_at FROM batches WHERE run_id = ? ORDER BY seq`, runID)
	if err != nil {
		return nil, s.dbErr(err, "list batches")
	}
	defer rows.Close()
	var bs []ferry.Batch
	for rows.Next() {
		var b ferry.Batch
		var us int64
		if err := rows.Scan(&b.RunID, &b.Seq, &b.Records, &b.Counts.Fetched, &b.Counts.Inserted, &b.Counts.Updated,
			&b.Counts.Unchanged, &b.Counts.Deleted, &b.Counts.Failed, &us, &b.CursorFrom, &b.CursorTo, timeCol{&b.CommittedAt}); err != nil {
			return nil, s.dbErr(err, "list batches")
		}
		b.Duration = time.Duration(us) * time.Microsecond
		bs = append(bs, b)
	}
	return bs, s.dbErr(rows.Err(), "list batches")
}

// AddRecordErrors records per-record failures, all or none. At defaults to
// now. ENOTFOUND if a run does not exist.
func (s *Store) AddRecordErrors(ctx context.Context, errs []ferry.RecordError) error {
	if len(errs) == 0 {
		return nil
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.Rebind("INSERT INTO record_errors (run_id, record_id, code, message, at) VALUES (?, ?, ?, ?, ?)"))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, e := range errs {
			if _, err := stmt.ExecContext(ctx, e.RunID, e.RecordID, e.Code, e.Message, s.tv(cmpTime(e.At, now))); err != nil {
				if isForeignKey(err) {
					return ferry.Errorf(ferry.ENOTFOUND, "run %s does not exist", e.RunID)
				}
				return err
			}
		}
		return nil
	})
	return s.dbErr(err, "add record errors")
}

// ListRecordErrors returns a run's record errors in the order they were
// added; limit <= 0 means all.
func (s *Store) ListRecordErrors(ctx context.Context, runID string, limit int) ([]ferry.RecordError, error) {
	q := "SELECT run_id, record_id, code, message, at FROM record_errors WHERE run_id = ? ORDER BY id"
	args := []any{runID}
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.query(ctx, s.db, q, args...)
	if err != nil {
		return nil, s.dbErr(err, "list record errors")
	}
	defer rows.Close()
	var out []ferry.RecordError
	for rows.Next() {
		var e ferry.RecordError
		if err := rows.Scan(&e.RunID, &e.RecordID, &e.Code, &e.Message, timeCol{&e.At}); err != nil {
			return nil, s.dbErr(err, "list record errors")
		}
		out = append(out, e)
	}
	return out, s.dbErr(rows.Err(), "list record errors")
}
