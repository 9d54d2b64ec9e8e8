package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

var _ database.RecordReader = (*DB)(nil)

// Records returns rows of t in id order like Rows, filtered in the database
// by q.ModifiedAfter on _ferry_synced_at and _ferry_deleted_at.
func (db *DB) Records(ctx context.Context, t database.Table, q database.RecordQuery) ([]database.StoredRow, error) {
	if err := checkTable(t); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		return nil, ferry.Errorf(ferry.EINVALID, "records: limit must be positive")
	}
	return db.read(ctx, t, q)
}

// read is Records without the checks; Rows is read with no time filter.
func (db *DB) read(ctx context.Context, t database.Table, q database.RecordQuery) ([]database.StoredRow, error) {
	var cols strings.Builder
	for _, c := range t.Columns {
		cols.WriteString(", " + ident(c.Name))
	}
	args := []any{q.After, q.Limit}
	where := "id > $1"
	if !q.ModifiedAfter.IsZero() {
		where += " AND (_ferry_synced_at > $3 OR _ferry_deleted_at > $3)"
		args = append(args, q.ModifiedAfter.UTC())
	}
	query := fmt.Sprintf(`SELECT id, _raw, _ferry_synced_at, _ferry_deleted_at, coalesce(_ferry_run_id, '')%s
FROM %s WHERE %s ORDER BY id LIMIT $2`, cols.String(), db.qualified(t.Name), where)
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, classify(err, "read table %q", t.Name)
	}
	defer rows.Close()
	var out []database.StoredRow
	for rows.Next() {
		var r database.StoredRow
		dest := make([]any, 0, 5+len(t.Columns))
		dest = append(dest, &r.ID, &r.Raw, &r.SyncedAt, &r.DeletedAt, &r.RunID)
		vals := make([]any, len(t.Columns))
		for i, c := range t.Columns {
			switch c.Type {
			case ferry.String, ferry.JSON:
				vals[i] = new(*string)
			case ferry.Integer:
				vals[i] = new(*int64)
			case ferry.Number:
				vals[i] = new(*float64)
			case ferry.Boolean:
				vals[i] = new(*bool)
			case ferry.Timestamp:
				vals[i] = new(*time.Time)
			}
		}
		if err := rows.Scan(append(dest, vals...)...); err != nil {
			return nil, classify(err, "read table %q", t.Name)
		}
		r.SyncedAt = r.SyncedAt.UTC()
		if r.DeletedAt != nil {
			utc := r.DeletedAt.UTC()
			r.DeletedAt = &utc
		}
		r.Values = make([]any, len(vals))
		for i, v := range vals {
			r.Values[i] = deref(v)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err, "read table %q", t.Name)
	}
	return out, nil
}
