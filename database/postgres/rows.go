package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// Rows returns up to limit rows of t with an id after after, in byte order
// (the id column has collation "C"), soft-deleted rows included. Times come
// back in UTC with microsecond precision; JSON values as their text, as
// jsonb normalises it.
func (db *DB) Rows(ctx context.Context, t database.Table, after string, limit int) ([]database.StoredRow, error) {
	if err := checkTable(t); err != nil {
		return nil, err
	}
	var cols strings.Builder
	for _, c := range t.Columns {
		cols.WriteString(", " + ident(c.Name))
	}
	q := fmt.Sprintf(`SELECT id, _raw, _ferry_synced_at, _ferry_deleted_at, coalesce(_ferry_run_id, '')%s
FROM %s WHERE id > $1 ORDER BY id LIMIT $2`, cols.String(), db.qualified(t.Name))
	rows, err := db.pool.Query(ctx, q, after, limit)
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

// deref turns a scanned **T into a T or nil.
func deref(v any) any {
	switch p := v.(type) {
	case **string:
		if *p != nil {
			return **p
		}
	case **int64:
		if *p != nil {
			return **p
		}
	case **float64:
		if *p != nil {
			return **p
		}
	case **bool:
		if *p != nil {
			return **p
		}
	case **time.Time:
		if *p != nil {
			return (**p).UTC()
		}
	}
	return nil
}
