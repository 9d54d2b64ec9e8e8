package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// tableSQL is the SQL of Write for one table shape, built once.
type tableSQL struct {
	begin  string // BEGIN; create staging; COPY staging FROM STDIN (binary)
	upsert string // staging -> table, returns (inserted, updated)
	delete string // $1 at, $2 run id, $3 ids
	seen   string // $1 table key, $2 sweep
	sweep  string // FinishSweep's delete: $1 at, $2 run id, $3 table key, $4 sweep
}

const (
	checkpointSQL = `INSERT INTO ferry.checkpoints AS c (key, backfill, incremental, updated_at)
VALUES ($1, $2::jsonb, $3::jsonb, now())
ON CONFLICT (key) DO UPDATE SET
	backfill = COALESCE(EXCLUDED.backfill, c.backfill),
	incremental = COALESCE(EXCLUDED.incremental, c.incremental),
	updated_at = now()`
	forgetSQL = `DELETE FROM ferry.sweep_seen WHERE tbl = $1 AND sweep = $2`
)

// sqlFor returns the cached statements of t.
func (db *DB) sqlFor(t database.Table) *tableSQL {
	var key strings.Builder
	key.WriteString(t.Name)
	for _, c := range t.Columns {
		key.WriteString("\x00" + c.Name + "\x00" + string(c.Type))
	}
	if s, ok := db.stmts.Load(key.String()); ok {
		return s.(*tableSQL)
	}
	s := buildSQL(db.qualified(t.Name), t.Columns)
	db.stmts.Store(key.String(), s)
	return s
}

func buildSQL(table string, cols []database.Column) *tableSQL {
	// The staging table depends only on the column types: one per shape and
	// session, kept across transactions (ON COMMIT DELETE ROWS), so the
	// upsert's prepared statement stays valid.
	h := fnv.New64a()
	for _, c := range cols {
		h.Write([]byte(c.Type + ","))
	}
	stage := ident("pg_temp", fmt.Sprintf("ferry_stage_%d_%x", len(cols), h.Sum64()))

	var stageCols, names, selects, sets, old, new strings.Builder
	for i, c := range cols {
		col := ident(c.Name)
		fmt.Fprintf(&stageCols, ", c%d %s", i, pgType[c.Type])
		names.WriteString(", " + col)
		fmt.Fprintf(&selects, ", c%d", i)
		fmt.Fprintf(&sets, ", %s = EXCLUDED.%s", col, col)
		old.WriteString(", dst." + col)
		new.WriteString(", EXCLUDED." + col)
	}
	s := &tableSQL{}
	s.begin = fmt.Sprintf(`BEGIN;
CREATE TEMP TABLE IF NOT EXISTS %s (id text COLLATE "C", raw jsonb%s) ON COMMIT DELETE ROWS;
COPY %s FROM STDIN (FORMAT binary)`, stage, stageCols.String(), stage)
	// Invariant 1: a row identical to the stored one (and live) is not
	// rewritten, so unchanged rows keep _ferry_synced_at and _ferry_run_id.
	s.upsert = fmt.Sprintf(`WITH up AS (
	INSERT INTO %s AS dst (id, _raw, _ferry_synced_at, _ferry_deleted_at, _ferry_run_id%s)
	SELECT id, raw, $1::timestamptz, NULL, $2::text%s FROM %s
	ON CONFLICT (id) DO UPDATE SET _raw = EXCLUDED._raw, _ferry_synced_at = EXCLUDED._ferry_synced_at,
		_ferry_deleted_at = NULL, _ferry_run_id = EXCLUDED._ferry_run_id%s
	WHERE (dst._raw, dst._ferry_deleted_at IS NOT NULL%s) IS DISTINCT FROM (EXCLUDED._raw, false%s)
	RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up`,
		table, names.String(), selects.String(), stage, sets.String(), old.String(), new.String())
	s.delete = fmt.Sprintf(`UPDATE %s SET _ferry_deleted_at = $1, _ferry_run_id = $2
WHERE id = ANY($3::text[]) AND _ferry_deleted_at IS NULL`, table)
	s.seen = fmt.Sprintf(`INSERT INTO ferry.sweep_seen AS s (tbl, sweep, id) SELECT $1::text, $2::text, id FROM %s
ON CONFLICT (tbl, id) DO UPDATE SET sweep = EXCLUDED.sweep WHERE s.sweep <> EXCLUDED.sweep`, stage)
	s.sweep = fmt.Sprintf(`UPDATE %s AS dst SET _ferry_deleted_at = $1, _ferry_run_id = $2
WHERE dst._ferry_deleted_at IS NULL AND NOT EXISTS (
	SELECT 1 FROM ferry.sweep_seen s WHERE s.tbl = $3 AND s.sweep = $4 AND s.id = dst.id)`, table)
	return s
}

// Write applies b to t in one transaction, in two round trips: BEGIN,
// staging and COPY in one message, then upsert, deletes, seen ids,
// checkpoint and COMMIT in one pipelined batch. Rows are checked against
// t's column types before anything is sent; a bad row is an EINVALID error
// naming it and nothing is written.
func (db *DB) Write(ctx context.Context, t database.Table, b database.Batch) (database.Result, error) {
	var res database.Result
	if err := checkTable(t); err != nil {
		return res, err
	}
	rows := dedupe(b.Rows)
	copyData, err := encodeRows(t, rows)
	if err != nil {
		return res, err
	}
	if err := db.ensureFerry(ctx); err != nil {
		return res, err
	}
	s := db.sqlFor(t)
	key := db.qualified(t.Name)

	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return res, classify(err, "write table %q", t.Name)
	}
	defer conn.Release()

	batch := &pgx.Batch{}
	if len(rows) > 0 {
		// Round trip 1. Copy data is streamed right behind the query; the
		// server ignores it should BEGIN or CREATE fail.
		tag, err := conn.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(copyData), s.begin)
		if err != nil {
			return res, db.abort(ctx, conn, err, "write table %q", t.Name)
		}
		if tag.RowsAffected() != int64(len(rows)) {
			return res, db.abort(ctx, conn, fmt.Errorf("copied %d rows of %d", tag.RowsAffected(), len(rows)), "write table %q", t.Name)
		}
		batch.Queue(s.upsert, b.At, b.RunID).QueryRow(func(r pgx.Row) error {
			var ins, upd int64
			if err := r.Scan(&ins, &upd); err != nil {
				return err
			}
			res.Inserted, res.Updated = ins, upd
			res.Unchanged = int64(len(rows)) - ins - upd
			return nil
		})
	} else {
		batch.Queue("BEGIN")
	}
	if len(b.Deletes) > 0 {
		batch.Queue(s.delete, b.At, b.RunID, b.Deletes).Exec(func(tag pgconn.CommandTag) error {
			res.Deleted = tag.RowsAffected()
			return nil
		})
	}
	if b.Sweep != "" && len(rows) > 0 {
		batch.Queue(s.seen, key, b.Sweep)
	}
	queueCheckpoint(batch, b.Checkpoint)
	// Invariant 2: the checkpoint commits with the data it covers.
	if err := db.commitBatch(ctx, conn, batch); err != nil {
		return database.Result{}, classify(err, "write table %q", t.Name)
	}
	return res, nil
}

func queueCheckpoint(batch *pgx.Batch, cp *database.Checkpoint) {
	if cp == nil {
		return
	}
	batch.Queue(checkpointSQL, cp.Key, jsonArg(cp.Backfill), jsonArg(cp.Incremental))
}

// jsonArg passes JSON text to a jsonb parameter; nil is SQL NULL.
func jsonArg(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// commitBatch sends batch, which must run inside an open transaction or
// start one, followed by COMMIT, in one round trip. On any error the
// transaction is rolled back.
func (db *DB) commitBatch(ctx context.Context, conn *pgxpool.Conn, batch *pgx.Batch) error {
	var committed bool
	batch.Queue("COMMIT").Exec(func(tag pgconn.CommandTag) error {
		committed = tag.String() == "COMMIT"
		return nil
	})
	err := conn.SendBatch(ctx, batch).Close()
	if err == nil && !committed {
		err = fmt.Errorf("transaction was rolled back at commit")
	}
	if err != nil {
		rollback(ctx, conn)
		return err
	}
	return nil
}

// abort rolls back the connection's transaction and classifies err.
func (db *DB) abort(ctx context.Context, conn *pgxpool.Conn, err error, format string, args ...any) error {
	rollback(ctx, conn)
	return classify(err, format, args...)
}

// rollback ends a failed transaction. Should that fail too, the pool drops
// the connection on Release (it is not idle).
func rollback(ctx context.Context, conn *pgxpool.Conn) {
	if conn.Conn().IsClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, _ = conn.Exec(ctx, "ROLLBACK")
}

// dedupe returns rows sorted by id (byte order) with only the last row of
// each id. Sorted rows lock index entries in one order, so concurrent
// writers of overlapping ids queue instead of deadlocking, and they insert
// into the primary key's btree with better locality.
func dedupe(rows []database.Row) []database.Row {
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b database.Row) int { return strings.Compare(a.ID, b.ID) })
	n := 0
	for i := range out {
		if i+1 < len(out) && out[i+1].ID == out[i].ID {
			continue // a later row of the same id wins
		}
		out[n] = out[i]
		n++
	}
	return out[:n]
}

// Binary COPY format: https://www.postgresql.org/docs/current/sql-copy.html
var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// pgEpoch is 2000-01-01 in unix microseconds.
const pgEpoch = 946684800 * 1000000

// encodeRows encodes rows as binary COPY data for the staging table,
// checking every value against its column's type.
func encodeRows(t database.Table, rows []database.Row) ([]byte, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	size := len(copyHeader) + 2
	for _, r := range rows {
		size += 2 + 4 + len(r.ID) + 5 + len(r.Raw) + len(r.Values)*16
	}
	buf := make([]byte, 0, size)
	buf = append(buf, copyHeader...)
	for _, r := range rows {
		if len(r.Values) != len(t.Columns) {
			return nil, ferry.Errorf(ferry.EINVALID, "row %q of table %q has %d values for %d columns", r.ID, t.Name, len(r.Values), len(t.Columns))
		}
		if len(r.Raw) == 0 {
			return nil, ferry.Errorf(ferry.EINVALID, "row %q of table %q has no raw JSON", r.ID, t.Name)
		}
		buf = binary.BigEndian.AppendUint16(buf, uint16(2+len(r.Values)))
		buf = appendBytes(buf, r.ID)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(r.Raw)+1))
		buf = append(buf, 1) // jsonb version
		buf = append(buf, r.Raw...)
		for i, v := range r.Values {
			var ok bool
			if buf, ok = appendValue(buf, t.Columns[i].Type, v); !ok {
				return nil, ferry.Errorf(ferry.EINVALID, "row %q of table %q: column %q is %s but the value is %T", r.ID, t.Name, t.Columns[i].Name, t.Columns[i].Type, v)
			}
		}
	}
	buf = binary.BigEndian.AppendUint16(buf, 0xffff)
	return buf, nil
}

func appendBytes[T string | []byte](buf []byte, v T) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(v)))
	return append(buf, v...)
}

// appendValue appends one field in binary format; ok is false when v's Go
// type does not fit the column type.
func appendValue(buf []byte, typ ferry.FieldType, v any) ([]byte, bool) {
	if v == nil {
		return binary.BigEndian.AppendUint32(buf, 0xffffffff), true
	}
	switch typ {
	case ferry.String:
		if s, ok := v.(string); ok {
			return appendBytes(buf, s), true
		}
	case ferry.Integer:
		if n, ok := toInt64(v); ok {
			buf = binary.BigEndian.AppendUint32(buf, 8)
			return binary.BigEndian.AppendUint64(buf, uint64(n)), true
		}
	case ferry.Number:
		var f float64
		switch v := v.(type) {
		case float64:
			f = v
		case float32:
			f = float64(v)
		default:
			n, ok := toInt64(v)
			if !ok {
				return buf, false
			}
			f = float64(n)
		}
		buf = binary.BigEndian.AppendUint32(buf, 8)
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(f)), true
	case ferry.Boolean:
		if b, ok := v.(bool); ok {
			buf = binary.BigEndian.AppendUint32(buf, 1)
			if b {
				return append(buf, 1), true
			}
			return append(buf, 0), true
		}
	case ferry.Timestamp:
		if tm, ok := v.(time.Time); ok {
			us := tm.Unix()*1000000 + int64(tm.Nanosecond())/1000 - pgEpoch
			buf = binary.BigEndian.AppendUint32(buf, 8)
			return binary.BigEndian.AppendUint64(buf, uint64(us)), true
		}
	case ferry.JSON:
		var j []byte
		switch v := v.(type) {
		case string:
			j = []byte(v)
		case []byte:
			j = v
		case json.RawMessage:
			j = v
		default:
			return buf, false
		}
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(j)+1))
		buf = append(buf, 1)
		return append(buf, j...), true
	}
	return buf, false
}

func toInt64(v any) (int64, bool) {
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
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	case uint:
		if uint64(n) <= math.MaxInt64 {
			return int64(n), true
		}
	}
	return 0, false
}
