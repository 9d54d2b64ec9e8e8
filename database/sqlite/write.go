package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// timeLayout is RFC 3339 in UTC with a fixed nine-digit fraction, so that
// text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// toSQL converts a Row value for a column of type ft into the value bound
// to the statement. A value of the wrong Go type is an error.
func toSQL(ft ferry.FieldType, v any) (any, bool) {
	if v == nil {
		return nil, true
	}
	switch ft {
	case ferry.String:
		s, ok := v.(string)
		return s, ok
	case ferry.Integer:
		switch n := v.(type) {
		case int64:
			return n, true
		case int:
			return int64(n), true
		case int32:
			return int64(n), true
		case int16:
			return int64(n), true
		case int8:
			return int64(n), true
		case uint32:
			return int64(n), true
		case uint16:
			return int64(n), true
		case uint8:
			return int64(n), true
		case uint64:
			return int64(n), n <= math.MaxInt64
		case uint:
			return int64(n), uint64(n) <= math.MaxInt64
		case float64:
			// JSON-decoded numbers: accepted when integral and in range.
			if n != math.Trunc(n) || n < math.MinInt64 || n >= math.MaxInt64 {
				return nil, false
			}
			return int64(n), true
		case json.Number:
			i, err := n.Int64()
			return i, err == nil
		}
	case ferry.Number:
		switch n := v.(type) {
		case float64:
			return n, !math.IsNaN(n) && !math.IsInf(n, 0)
		case float32:
			f := float64(n)
			return f, !math.IsNaN(f) && !math.IsInf(f, 0)
		case int64:
			return float64(n), true
		case int:
			return float64(n), true
		case int32:
			return float64(n), true
		case json.Number:
			f, err := n.Float64()
			return f, err == nil
		}
	case ferry.Boolean:
		if b, ok := v.(bool); ok {
			if b {
				return int64(1), true
			}
			return int64(0), true
		}
	case ferry.Timestamp:
		// Years outside 0000-9999 have no fixed-width RFC 3339 form.
		if t, ok := v.(time.Time); ok {
			y := t.UTC().Year()
			return formatTime(t), 0 <= y && y <= 9999
		}
	case ferry.JSON:
		var s string
		switch j := v.(type) {
		case string:
			s = j
		case json.RawMessage:
			s = string(j)
		case []byte:
			s = string(j)
		default:
			return nil, false
		}
		return s, json.Valid([]byte(s))
	}
	return nil, false
}

// upsertSQL builds the upsert of one row of t. The DO UPDATE runs only when
// something changed, so an unchanged row is not rewritten and reports no
// change.
func upsertSQL(t database.Table, n int) string {
	tn := quote(t.Name)
	var cols, vals, set, where strings.Builder
	cols.WriteString(`"id"`)
	vals.WriteString("(?")
	where.WriteString(tn + `."_raw" IS NOT excluded."_raw" OR ` + tn + `."_ferry_deleted_at" IS NOT NULL`)
	for _, c := range t.Columns {
		q := quote(c.Name)
		cols.WriteString(", " + q)
		vals.WriteString(", ?")
		set.WriteString(q + " = excluded." + q + ", ")
		where.WriteString(" OR " + tn + "." + q + " IS NOT excluded." + q)
	}
	cols.WriteString(`, "_raw", "_ferry_synced_at", "_ferry_deleted_at", "_ferry_run_id"`)
	vals.WriteString(", ?, ?, NULL, ?)")
	tuple := vals.String()
	for range n - 1 {
		vals.WriteString(", " + tuple)
	}
	set.WriteString(`"_raw" = excluded."_raw", "_ferry_synced_at" = excluded."_ferry_synced_at", "_ferry_deleted_at" = NULL, "_ferry_run_id" = excluded."_ferry_run_id"`)
	return "INSERT INTO " + tn + " (" + cols.String() + ") VALUES " + vals.String() +
		` ON CONFLICT("id") DO UPDATE SET ` + set.String() + " WHERE " + where.String()
}

// Write applies b to t in one transaction (BEGIN IMMEDIATE): upserts (the
// last of several rows with one id wins), then soft deletes, then the sweep's
// seen ids, then the checkpoint. Any failure rolls back all of it.
func (db *DB) Write(ctx context.Context, t database.Table, b database.Batch) (res database.Result, err error) {
	if err := checkTable(t); err != nil {
		return res, err
	}
	at := b.At
	if at.IsZero() {
		at = db.now()
	}
	atText := formatTime(at)

	// Convert and check every row before taking the write lock.
	rows := dedupe(b.Rows)
	width := len(t.Columns) + 4
	flat, err := bindRows(t, rows, atText, b.RunID)
	if err != nil {
		return res, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	if b.Checkpoint != nil && b.Checkpoint.Key == "" {
		return res, ferry.Errorf(ferry.EINVALID, "write %s: checkpoint has no key", t.Name)
	}

	op := "write sqlite table " + t.Name
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return res, db.classify(ctx, err, op)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			res = database.Result{}
		}
	}()

	var stmts stmtCache
	defer stmts.close()
	if len(rows) > 0 {
		idsJSON, _ := json.Marshal(ids)
		// Rows that exist before the upserts; every other row is an insert.
		var existing int64
		q := "SELECT count(*) FROM " + quote(t.Name) + ` WHERE "id" IN (SELECT value FROM json_each(?))`
		if err := tx.QueryRowContext(ctx, q, string(idsJSON)).Scan(&existing); err != nil {
			return res, db.classify(ctx, err, op)
		}
		// Multi-row statements: chunk rows per statement, one prepared
		// statement for full chunks, one for the remainder.
		chunk := min(len(rows), maxChunkRows, maxParams/width)
		var changed int64
		for start := 0; start < len(rows); start += chunk {
			n := min(chunk, len(rows)-start)
			stmt, err := stmts.get(ctx, tx, t, n)
			if err != nil {
				return res, db.classify(ctx, err, op)
			}
			r, err := stmt.ExecContext(ctx, flat[start*width:(start+n)*width]...)
			if err != nil {
				return res, db.classify(ctx, err, op)
			}
			k, err := r.RowsAffected()
			if err != nil {
				return res, db.classify(ctx, err, op)
			}
			changed += k
		}
		// changes() is 1 for an insert or a real update, 0 for a row the
		// WHERE found unchanged.
		res.Inserted = int64(len(rows)) - existing
		res.Updated = changed - res.Inserted
		res.Unchanged = existing - res.Updated

		if b.Sweep != "" {
			q := `INSERT OR IGNORE INTO ferry_sweep_seen (tbl, sweep, id) SELECT ?, ?, value FROM json_each(?)`
			if _, err := tx.ExecContext(ctx, q, foldASCII(t.Name), b.Sweep, string(idsJSON)); err != nil {
				return res, db.classify(ctx, err, op)
			}
		}
	}

	if dels := storableIDs(b.Deletes); len(dels) > 0 {
		delJSON, _ := json.Marshal(dels)
		q := "UPDATE " + quote(t.Name) + ` SET "_ferry_deleted_at" = ?, "_ferry_run_id" = ?` +
			` WHERE "id" IN (SELECT value FROM json_each(?)) AND "_ferry_deleted_at" IS NULL`
		r, err := tx.ExecContext(ctx, q, atText, b.RunID, string(delJSON))
		if err != nil {
			return res, db.classify(ctx, err, op)
		}
		if res.Deleted, err = r.RowsAffected(); err != nil {
			return res, db.classify(ctx, err, op)
		}
	}

	if b.Checkpoint != nil {
		if err := db.saveCheckpoint(ctx, tx, b.Checkpoint); err != nil {
			return res, db.classify(ctx, err, op)
		}
	}
	if err := tx.Commit(); err != nil {
		return res, db.classify(ctx, err, op)
	}
	return res, nil
}

// bindRows converts rows into the flat argument list of the upsert
// statements: per row id, the typed values, _raw, _ferry_synced_at and
// _ferry_run_id. Large batches are checked on several goroutines (JSON
// validation of _raw is most of the cost); the error reported is the one of
// the first bad row, as if checked in order.
func bindRows(t database.Table, rows []database.Row, at, runID string) ([]any, error) {
	width := len(t.Columns) + 4
	flat := make([]any, len(rows)*width)
	bind := func(i int) error {
		r := rows[i]
		if err := checkID(t.Name, r.ID); err != nil {
			return err
		}
		if len(r.Values) != len(t.Columns) {
			return ferry.Errorf(ferry.EINVALID, "write %s: row %s has %d values for %d columns", t.Name, r.ID, len(r.Values), len(t.Columns))
		}
		a := flat[i*width : (i+1)*width : (i+1)*width]
		a[0] = r.ID
		for j, c := range t.Columns {
			v, ok := toSQL(c.Type, r.Values[j])
			if !ok {
				return ferry.Errorf(ferry.EINVALID, "write %s: row %s: column %s.%s (%s) cannot hold %T value %v", t.Name, r.ID, t.Name, c.Name, c.Type, r.Values[j], r.Values[j])
			}
			a[j+1] = v
		}
		if r.Raw != nil {
			if !json.Valid(r.Raw) {
				return ferry.Errorf(ferry.EINVALID, "write %s: row %s: _raw is not valid JSON", t.Name, r.ID)
			}
			a[width-3] = string(r.Raw)
		}
		a[width-2] = at
		a[width-1] = runID
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), len(rows)/parallelRows)
	if workers <= 1 {
		for i := range rows {
			if err := bind(i); err != nil {
				return nil, err
			}
		}
		return flat, nil
	}
	errs := make([]error, workers)
	per := (len(rows) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * per; i < min((w+1)*per, len(rows)); i++ {
				if err := bind(i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return flat, nil
}

const (
	parallelRows = 256   // rows per goroutine at least, in bindRows
	maxChunkRows = 100   // rows per upsert statement
	maxParams    = 32766 // SQLITE_MAX_VARIABLE_NUMBER since 3.32
)

// stmtCache holds the upsert statements of one transaction, by row count.
type stmtCache map[int]*sql.Stmt

func (c *stmtCache) get(ctx context.Context, tx *sql.Tx, t database.Table, n int) (*sql.Stmt, error) {
	if s, ok := (*c)[n]; ok {
		return s, nil
	}
	s, err := tx.PrepareContext(ctx, upsertSQL(t, n))
	if err != nil {
		return nil, err
	}
	if *c == nil {
		*c = make(stmtCache)
	}
	(*c)[n] = s
	return s, nil
}

func (c stmtCache) close() {
	for _, s := range c {
		s.Close()
	}
}

// checkID refuses ids that are empty, hold a NUL byte or are not UTF-8:
// ids are text, and the id lists of a batch travel as JSON (json_each).
func checkID(table, id string) error {
	if id == "" {
		return ferry.Errorf(ferry.EINVALID, "write %s: a row has an empty id", table)
	}
	if !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0 {
		return ferry.Errorf(ferry.EINVALID, "write %s: row id %q is not valid UTF-8 text", table, id)
	}
	return nil
}

// storableIDs drops the ids checkID refuses: no stored row can have them.
func storableIDs(ids []string) []string {
	for i, id := range ids {
		if checkID("", id) != nil {
			out := append([]string(nil), ids[:i]...)
			for _, id := range ids[i+1:] {
				if checkID("", id) == nil {
					out = append(out, id)
				}
			}
			return out
		}
	}
	return ids
}

// dedupe keeps the last row of each id, in the order of those last rows.
func dedupe(rows []database.Row) []database.Row {
	last := make(map[string]int, len(rows))
	for i, r := range rows {
		last[r.ID] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := make([]database.Row, 0, len(last))
	for i, r := range rows {
		if last[r.ID] == i {
			out = append(out, r)
		}
	}
	return out
}

// saveCheckpoint upserts cp inside tx; a nil Backfill or Incremental keeps
// the stored one.
func (db *DB) saveCheckpoint(ctx context.Context, tx *sql.Tx, cp *database.Checkpoint) error {
	nullable := func(b []byte) any {
		if b == nil {
			return nil
		}
		return string(b)
	}
	const q = `INSERT INTO ferry_checkpoints (key, backfill, incremental, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT(key) DO UPDATE SET
	backfill = coalesce(excluded.backfill, ferry_checkpoints.backfill),
	incremental = coalesce(excluded.incremental, ferry_checkpoints.incremental),
	updated_at = excluded.updated_at`
	_, err := tx.ExecContext(ctx, q, cp.Key, nullable(cp.Backfill), nullable(cp.Incremental), formatTime(db.now()))
	return err
}

// FinishSweep soft-deletes every live row of t that sweep did not see,
// forgets the sweep's seen ids and saves cp, in one transaction.
func (db *DB) FinishSweep(ctx context.Context, t database.Table, sweep, runID string, at time.Time, cp *database.Checkpoint) (deleted int64, err error) {
	if err := checkTable(t); err != nil {
		return 0, err
	}
	if sweep == "" {
		return 0, ferry.Errorf(ferry.EINVALID, "finish sweep of %s: no sweep name", t.Name)
	}
	if cp != nil && cp.Key == "" {
		return 0, ferry.Errorf(ferry.EINVALID, "finish sweep of %s: checkpoint has no key", t.Name)
	}
	if at.IsZero() {
		at = db.now()
	}
	op := "finish sweep of sqlite table " + t.Name
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, db.classify(ctx, err, op)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			deleted = 0
		}
	}()
	tn := quote(t.Name)
	q := "UPDATE " + tn + ` SET "_ferry_deleted_at" = ?, "_ferry_run_id" = ? WHERE "_ferry_deleted_at" IS NULL` +
		` AND NOT EXISTS (SELECT 1 FROM ferry_sweep_seen s WHERE s.tbl = ? AND s.sweep = ? AND s.id = ` + tn + `."id")`
	r, err := tx.ExecContext(ctx, q, formatTime(at), runID, foldASCII(t.Name), sweep)
	if err != nil {
		return 0, db.classify(ctx, err, op)
	}
	if deleted, err = r.RowsAffected(); err != nil {
		return 0, db.classify(ctx, err, op)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM ferry_sweep_seen WHERE tbl = ? AND sweep = ?`, foldASCII(t.Name), sweep); err != nil {
		return 0, db.classify(ctx, err, op)
	}
	if cp != nil {
		if err := db.saveCheckpoint(ctx, tx, cp); err != nil {
			return 0, db.classify(ctx, err, op)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, db.classify(ctx, err, op)
	}
	return deleted, nil
}
