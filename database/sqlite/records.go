package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

var _ database.RecordReader = (*DB)(nil)

// Records returns rows of t in id order like Rows, filtered in the database
// by q.ModifiedAfter on _ferry_synced_at and _ferry_deleted_at (fixed-width
// text, so text order is time order).
func (db *DB) Records(ctx context.Context, t database.Table, q database.RecordQuery) ([]database.StoredRow, error) {
	if err := checkTable(t); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		return nil, ferry.Errorf(ferry.EINVALID, "records: limit must be positive")
	}
	return db.read(ctx, t, q)
}

// read is Records without the checks (a limit <= 0 means no limit); Rows is
// read with no time filter.
func (db *DB) read(ctx context.Context, t database.Table, q database.RecordQuery) ([]database.StoredRow, error) {
	if q.Limit <= 0 {
		q.Limit = -1
	}
	op := "read sqlite table " + t.Name
	var b strings.Builder
	b.WriteString(`SELECT "id"`)
	for _, c := range t.Columns {
		b.WriteString(", " + quote(c.Name))
	}
	b.WriteString(`, "_raw", "_ferry_synced_at", "_ferry_deleted_at", "_ferry_run_id" FROM ` + quote(t.Name) + ` WHERE "id" > ?`)
	args := []any{q.After}
	if !q.ModifiedAfter.IsZero() {
		b.WriteString(` AND ("_ferry_synced_at" > ? OR "_ferry_deleted_at" > ?)`)
		at := formatTime(q.ModifiedAfter)
		args = append(args, at, at)
	}
	b.WriteString(` ORDER BY "id" LIMIT ?`)
	args = append(args, q.Limit)
	rows, err := db.r.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, db.classify(ctx, err, op)
	}
	defer rows.Close()

	var out []database.StoredRow
	n := len(t.Columns)
	dest := make([]any, n+5)
	for rows.Next() {
		var (
			id, raw, synced, deleted, runID sql.NullString
			vals                            = make([]any, n)
		)
		dest[0] = &id
		for j := range vals {
			dest[j+1] = &vals[j]
		}
		dest[n+1], dest[n+2], dest[n+3], dest[n+4] = &raw, &synced, &deleted, &runID
		if err := rows.Scan(dest...); err != nil {
			return nil, db.classify(ctx, err, op)
		}
		sr := database.StoredRow{ID: id.String, Values: vals, RunID: runID.String}
		if raw.Valid {
			sr.Raw = []byte(raw.String)
		}
		for j, c := range t.Columns {
			v, err := fromSQL(c.Type, vals[j])
			if err != nil {
				return nil, ferry.Wrap(ferry.EINTERNAL, err, "%s: row %s column %s", op, sr.ID, c.Name)
			}
			vals[j] = v
		}
		if synced.Valid {
			if sr.SyncedAt, err = parseTime(synced.String); err != nil {
				return nil, ferry.Wrap(ferry.EINTERNAL, err, "%s: row %s _ferry_synced_at", op, sr.ID)
			}
		}
		if deleted.Valid {
			d, err := parseTime(deleted.String)
			if err != nil {
				return nil, ferry.Wrap(ferry.EINTERNAL, err, "%s: row %s _ferry_deleted_at", op, sr.ID)
			}
			sr.DeletedAt = &d
		}
		out = append(out, sr)
	}
	if err := rows.Err(); err != nil {
		return nil, db.classify(ctx, err, op)
	}
	return out, nil
}
