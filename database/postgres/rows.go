package postgres

import (
	"context"
	"time"

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
	return db.read(ctx, t, database.RecordQuery{After: after, Limit: limit})
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
