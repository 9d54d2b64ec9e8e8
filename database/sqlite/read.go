package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// Checkpoint loads the checkpoint saved under key.
func (db *DB) Checkpoint(ctx context.Context, key string) (database.Checkpoint, bool, error) {
	var b, i sql.NullString
	err := db.r.QueryRowContext(ctx, `SELECT backfill, incremental FROM ferry_checkpoints WHERE key = ?`, key).Scan(&b, &i)
	if err == sql.ErrNoRows {
		return database.Checkpoint{}, false, nil
	}
	if err != nil {
		return database.Checkpoint{}, false, db.classify(ctx, err, "load sqlite checkpoint "+key)
	}
	cp := database.Checkpoint{Key: key}
	if b.Valid {
		cp.Backfill = []byte(b.String)
	}
	if i.Valid {
		cp.Incremental = []byte(i.String)
	}
	return cp, true, nil
}

// Rows returns up to limit rows of t with id > after in byte order (SQLite's
// BINARY collation), soft-deleted ones included. limit <= 0 means no limit.
func (db *DB) Rows(ctx context.Context, t database.Table, after string, limit int) ([]database.StoredRow, error) {
	if err := checkTable(t); err != nil {
		return nil, err
	}
	return db.read(ctx, t, database.RecordQuery{After: after, Limit: limit})
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// fromSQL converts a scanned value of a column of type ft back into the Go
// type a Row takes.
func fromSQL(ft ferry.FieldType, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch ft {
	case ferry.String, ferry.JSON:
		switch x := v.(type) {
		case string:
			return x, nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		}
	case ferry.Integer:
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			return int64(x), nil
		case string:
			return strconv.ParseInt(x, 10, 64)
		}
	case ferry.Number:
		switch x := v.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		case string:
			return strconv.ParseFloat(x, 64)
		}
	case ferry.Boolean:
		switch x := v.(type) {
		case int64:
			return x != 0, nil
		case float64:
			return x != 0, nil
		case bool:
			return x, nil
		}
	case ferry.Timestamp:
		switch x := v.(type) {
		case string:
			return parseTime(x)
		case time.Time:
			return x.UTC(), nil
		case int64:
			return time.Unix(x, 0).UTC(), nil
		}
	}
	return nil, fmt.Errorf("unexpected %T value for a %s column", v, ft)
}
