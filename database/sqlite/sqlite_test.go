package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "sub", "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var customers = database.Table{
	Name: "customers",
	Columns: []database.Column{
		{Name: "email", Type: ferry.String},
		{Name: "balance", Type: ferry.Integer},
		{Name: "score", Type: ferry.Number},
		{Name: "livemode", Type: ferry.Boolean},
		{Name: "created", Type: ferry.Timestamp},
		{Name: "metadata", Type: ferry.JSON},
	},
}

func customerRow(id string, n int) database.Row {
	created := time.Unix(1700000000+int64(n), 0).UTC()
	raw := fmt.Sprintf(`{"id":%q,"email":"c%d@example.com","balance":%d,"score":%d.5,"livemode":true,"created":%d,"metadata":{"n":%d},"address":{"city":"Oslo"}}`,
		id, n, n, n, created.Unix(), n)
	return database.Row{
		ID:     id,
		Values: []any{fmt.Sprintf("c%d@example.com", n), int64(n), float64(n) + 0.5, true, created, fmt.Sprintf(`{"n":%d}`, n)},
		Raw:    []byte(raw),
	}
}

func mustCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := ferry.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

func TestParseDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dsn, path, uri string
	}{
		{"sqlite:///abs/path/file.db", "/abs/path/file.db", "file:/abs/path/file.db"},
		{"sqlite://relative/file.db", "relative/file.db", "file:relative/file.db"},
		{"sqlite:relative.db", "relative.db", "file:relative.db"},
		{"sqlite:/abs.db", "/abs.db", "file:/abs.db"},
		{"sqlite:///odd dir/x%.db", "/odd dir/x%.db", "file:/odd%20dir/x%25.db"},
		{"file:/abs/x.db", "/abs/x.db", "file:/abs/x.db"},
		{"file:///abs/x.db?cache=private", "/abs/x.db", "file:/abs/x.db?cache=private"},
		{"file://localhost/abs/x.db", "/abs/x.db", "file:/abs/x.db"},
		{"file:rel.db", "rel.db", "file:rel.db"},
		{"file:/a%20b.db", "/a b.db", "file:/a%20b.db"},
	}
	for _, tt := range tests {
		got, err := parseDSN(tt.dsn)
		if err != nil {
			t.Errorf("parseDSN(%q): %v", tt.dsn, err)
			continue
		}
		if got.path != tt.path || got.uri != tt.uri {
			t.Errorf("parseDSN(%q) = %+v, want path %q uri %q", tt.dsn, got, tt.path, tt.uri)
		}
	}
	for _, dsn := range []string{"", "/tmp/x.db", "postgres://h/db", "sqlite:", "sqlite://", "sqlite:///", "sqlite::memory:",
		"sqlite:///x.db?mode=ro", "file::memory:", "file:x.db?mode=memory", "file://host/x.db", "file:/%zz"} {
		_, err := parseDSN(dsn)
		mustCode(t, err, ferry.EINVALID)
		if !strings.Contains(err.Error(), "sqlite:///abs/path/file.db") {
			t.Errorf("parseDSN(%q) error does not list the accepted forms: %v", dsn, err)
		}
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()

	t.Run("creates file and directories", func(t *testing.T) {
		p := filepath.Join(dir, "a", "b", "c.db")
		db, err := Open(ctx, "sqlite://"+p)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
		var mode string
		if err := db.r.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Fatalf("journal_mode = %q, %v", mode, err)
		}
		var fk, busy int
		if err := db.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Fatalf("foreign_keys = %d, %v", fk, err)
		}
		if err := db.w.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil || busy != 10000 {
			t.Fatalf("busy_timeout = %d, %v", busy, err)
		}
	})
	t.Run("file form", func(t *testing.T) {
		p := filepath.Join(dir, "with space", "f.db")
		db, err := Open(ctx, "file:"+p)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unwritable", func(t *testing.T) {
		file := filepath.Join(dir, "plain")
		if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(file, "sub", "x.db") // a directory under a regular file
		_, err := Open(ctx, "sqlite://"+p)
		mustCode(t, err, ferry.EUNAVAILABLE)
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error does not name the path: %v", err)
		}
	})
	t.Run("not a database", func(t *testing.T) {
		p := filepath.Join(dir, "garbage.db")
		if err := os.WriteFile(p, []byte(strings.Repeat("not sqlite ", 100)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open(ctx, "sqlite://"+p)
		if err == nil {
			t.Fatal("opened a garbage file")
		}
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error does not name the path: %v", err)
		}
	})
	t.Run("bad dsn", func(t *testing.T) {
		_, err := Open(ctx, "mysql://x")
		mustCode(t, err, ferry.EINVALID)
	})
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	if err := db.Prepare(ctx, customers); err != nil {
		t.Fatal(err)
	}
	if err := db.Prepare(ctx, customers); err != nil {
		t.Fatalf("second Prepare: %v", err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600))
	nulls := database.Row{ID: "cus_null", Values: make([]any, len(customers.Columns)), Raw: []byte(`{}`)}
	res, err := db.Write(ctx, customers, database.Batch{RunID: "run1", At: at, Rows: []database.Row{customerRow("cus_1", 1), nulls}})
	if err != nil {
		t.Fatal(err)
	}
	if res != (database.Result{Inserted: 2}) {
		t.Fatalf("result = %+v", res)
	}
	rows, err := db.Rows(ctx, customers, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("got %d rows", len(rows))
	}
	want := customerRow("cus_1", 1)
	got := rows[0]
	if got.ID != "cus_1" || string(got.Raw) != string(want.Raw) || got.RunID != "run1" || got.DeletedAt != nil {
		t.Fatalf("row = %+v", got)
	}
	if !got.SyncedAt.Equal(at) || got.SyncedAt.Location() != time.UTC {
		t.Fatalf("synced at = %v, want %v in UTC", got.SyncedAt, at)
	}
	for i, v := range got.Values {
		w := want.Values[i]
		if fmt.Sprintf("%T %v", v, v) != fmt.Sprintf("%T %v", w, w) {
			t.Errorf("column %s = %T %v, want %T %v", customers.Columns[i].Name, v, v, w, w)
		}
	}
	for i, v := range rows[1].Values {
		if v != nil {
			t.Errorf("null row column %d = %v", i, v)
		}
	}
	// Timestamps are fixed-width UTC text.
	var s string
	if err := db.r.QueryRowContext(ctx, `SELECT "_ferry_synced_at" FROM customers WHERE id = 'cus_1'`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	if s != "2026-01-02T02:04:05.123456789Z" {
		t.Fatalf("stored time %q", s)
	}
	// Paging.
	rows, err = db.Rows(ctx, customers, "cus_1", 10)
	if err != nil || len(rows) != 1 || rows[0].ID != "cus_null" {
		t.Fatalf("after cus_1: %v %+v", err, rows)
	}
}

func TestWriteCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	if err := db.Prepare(ctx, customers); err != nil {
		t.Fatal(err)
	}
	write := func(b database.Batch) database.Result {
		t.Helper()
		res, err := db.Write(ctx, customers, b)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	at := time.Unix(1800000000, 0)
	rows := []database.Row{customerRow("a", 1), customerRow("b", 2), customerRow("c", 3)}
	if res := write(database.Batch{RunID: "r1", At: at, Rows: rows}); res != (database.Result{Inserted: 3}) {
		t.Fatalf("first = %+v", res)
	}
	// Replay: nothing changes, nothing is rewritten.
	if res := write(database.Batch{RunID: "r2", At: at.Add(time.Hour), Rows: rows}); res != (database.Result{Unchanged: 3}) {
		t.Fatalf("replay = %+v", res)
	}
	got, _ := db.Rows(ctx, customers, "", 1)
	if got[0].RunID != "r1" || !got[0].SyncedAt.Equal(at) {
		t.Fatalf("unchanged row was rewritten: %+v", got[0])
	}
	// A typed column differing with the same _raw is a change.
	changedTyped := customerRow("a", 1)
	changedTyped.Values[1] = int64(99)
	// Duplicates: the last wins.
	b2 := customerRow("b", 2)
	b2.Raw = []byte(`{"changed":true}`)
	batch := []database.Row{changedTyped, customerRow("b", 2), b2, customerRow("d", 4), customerRow("d", 4)}
	if res := write(database.Batch{RunID: "r3", At: at, Rows: batch}); res != (database.Result{Inserted: 1, Updated: 2}) {
		t.Fatalf("mixed = %+v", res)
	}
	got, _ = db.Rows(ctx, customers, "a", 1)
	if string(got[0].Raw) != `{"changed":true}` {
		t.Fatalf("last duplicate did not win: %s", got[0].Raw)
	}
	// Deletes: only live rows count.
	if res := write(database.Batch{RunID: "r4", At: at, Deletes: []string{"a", "missing", "a"}}); res != (database.Result{Deleted: 1}) {
		t.Fatalf("delete = %+v", res)
	}
	if res := write(database.Batch{RunID: "r5", At: at, Deletes: []string{"a"}}); res != (database.Result{}) {
		t.Fatalf("second delete = %+v", res)
	}
	got, _ = db.Rows(ctx, customers, "", 1)
	if got[0].DeletedAt == nil || got[0].RunID != "r4" {
		t.Fatalf("not soft-deleted: %+v", got[0])
	}
	// Writing a deleted row again revives it, as an update.
	if res := write(database.Batch{RunID: "r6", At: at, Rows: []database.Row{changedTyped}}); res != (database.Result{Updated: 1}) {
		t.Fatalf("revive = %+v", res)
	}
	got, _ = db.Rows(ctx, customers, "", 1)
	if got[0].DeletedAt != nil || got[0].RunID != "r6" {
		t.Fatalf("not revived: %+v", got[0])
	}
}

func TestWriteRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	if err := db.Prepare(ctx, customers); err != nil {
		t.Fatal(err)
	}
	cp := &database.Checkpoint{Key: "k", Backfill: []byte(`{"lo":1}`)}
	if _, err := db.Write(ctx, customers, database.Batch{Rows: []database.Row{customerRow("a", 1)}, Checkpoint: cp}); err != nil {
		t.Fatal(err)
	}
	bad := []database.Row{
		{ID: "x", Values: []any{"too few"}},
		{ID: "x", Values: []any{"e", "not an int", nil, nil, nil, nil}},
		{ID: "x", Values: []any{"e", nil, nil, nil, nil, "{not json"}},
		{ID: "x", Values: []any{"e", nil, nil, "true", nil, nil}},
		{ID: "x", Values: []any{"e", nil, nil, nil, int64(5), nil}},
		{ID: "x", Values: make([]any, 6), Raw: []byte("{bad")},
		{ID: "", Values: make([]any, 6)},
	}
	for _, r := range bad {
		_, err := db.Write(ctx, customers, database.Batch{
			Rows:       []database.Row{customerRow("b", 2), r},
			Deletes:    []string{"a"},
			Checkpoint: &database.Checkpoint{Key: "k", Backfill: []byte(`{"lo":2}`)},
		})
		mustCode(t, err, ferry.EINVALID)
	}
	// A failure inside the transaction (the table is gone) rolls back too.
	missing := database.Table{Name: "nope", Columns: customers.Columns}
	if _, err := db.Write(ctx, missing, database.Batch{Rows: []database.Row{customerRow("b", 2)}, Checkpoint: &database.Checkpoint{Key: "k", Backfill: []byte(`{"lo":3}`)}}); err == nil {
		t.Fatal("write to a missing table succeeded")
	}
	rows, _ := db.Rows(ctx, customers, "", 0)
	if len(rows) != 1 || rows[0].DeletedAt != nil {
		t.Fatalf("rows after failed writes: %+v", rows)
	}
	got, ok, err := db.Checkpoint(ctx, "k")
	if err != nil || !ok || string(got.Backfill) != `{"lo":1}` {
		t.Fatalf("checkpoint after failed writes: %+v %v %v", got, ok, err)
	}
}

func TestCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	if _, ok, err := db.Checkpoint(ctx, "none"); ok || err != nil {
		t.Fatalf("missing checkpoint: %v %v", ok, err)
	}
	save := func(cp database.Checkpoint) {
		t.Helper()
		if _, err := db.Write(ctx, customers, database.Batch{Checkpoint: &cp}); err != nil {
			t.Fatal(err)
		}
	}
	save(database.Checkpoint{Key: "k", Backfill: []byte(`{"lo":1}`)})
	save(database.Checkpoint{Key: "k", Incremental: []byte(`{"time":5}`)})
	save(database.Checkpoint{Key: "k"})
	cp, ok, err := db.Checkpoint(ctx, "k")
	if err != nil || !ok || string(cp.Backfill) != `{"lo":1}` || string(cp.Incremental) != `{"time":5}` || cp.Key != "k" {
		t.Fatalf("checkpoint = %+v %v %v", cp, ok, err)
	}
	save(database.Checkpoint{Key: "k", Backfill: []byte(`{"lo":2}`)})
	cp, _, _ = db.Checkpoint(ctx, "k")
	if string(cp.Backfill) != `{"lo":2}` || string(cp.Incremental) != `{"time":5}` {
		t.Fatalf("checkpoint = %+v", cp)
	}
	other, ok, _ := db.Checkpoint(ctx, "other")
	if ok || other.Backfill != nil {
		t.Fatalf("other = %+v", other)
	}
}

func TestSweep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	if err := db.Prepare(ctx, customers); err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1800000000, 0).UTC()
	if _, err := db.Write(ctx, customers, database.Batch{RunID: "r1", At: at, Rows: []database.Row{customerRow("a", 1), customerRow("b", 2), customerRow("c", 3), customerRow("gone", 9)}, Deletes: []string{"gone"}}); err != nil {
		t.Fatal(err)
	}
	// Sweep s2 sees a and c over two batches.
	for _, id := range []string{"a", "c"} {
		if _, err := db.Write(ctx, customers, database.Batch{RunID: "r2", At: at, Sweep: "s2", Rows: []database.Row{customerRow(id, 1)}}); err != nil {
			t.Fatal(err)
		}
	}
	later := at.Add(time.Hour)
	n, err := db.FinishSweep(ctx, customers, "s2", "r2", later, &database.Checkpoint{Key: "k", Backfill: []byte(`{}`)})
	if err != nil || n != 1 {
		t.Fatalf("FinishSweep = %d, %v", n, err)
	}
	rows, _ := db.Rows(ctx, customers, "", 0)
	deleted := map[string]bool{}
	for _, r := range rows {
		if r.DeletedAt != nil {
			deleted[r.ID] = true
			if r.ID == "b" && (!r.DeletedAt.Equal(later) || r.RunID != "r2") {
				t.Errorf("b deleted at %v by %s", r.DeletedAt, r.RunID)
			}
			if r.ID == "gone" && !r.DeletedAt.Equal(at) {
				t.Errorf("an already deleted row was deleted again: %v", r.DeletedAt)
			}
		}
	}
	if len(deleted) != 2 || !deleted["b"] || !deleted["gone"] {
		t.Fatalf("deleted = %v", deleted)
	}
	var seen int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM ferry_sweep_seen").Scan(&seen); err != nil || seen != 0 {
		t.Fatalf("seen ids left: %d %v", seen, err)
	}
	if _, ok, _ := db.Checkpoint(ctx, "k"); !ok {
		t.Fatal("checkpoint not saved")
	}
	// A sweep that saw nothing deletes every live row.
	n, err = db.FinishSweep(ctx, customers, "s3", "r3", later, nil)
	if err != nil || n != 2 {
		t.Fatalf("empty sweep = %d, %v", n, err)
	}
}

func TestPrepareEvolves(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	base := database.Table{Name: "customers", Columns: []database.Column{{Name: "email", Type: ferry.String}}}
	if err := db.Prepare(ctx, base); err != nil {
		t.Fatal(err)
	}
	raw := `{"email":"x@y","balance":42,"score":1.5,"livemode":false,"created":1700000000,"metadata":{"a":[1, 2]},"address":{"city":"Oslo"},"num_as_string":7,"nul":null}`
	if _, err := db.Write(ctx, base, database.Batch{Rows: []database.Row{{ID: "a", Values: []any{"x@y"}, Raw: []byte(raw)}, {ID: "b", Values: []any{nil}}}}); err != nil {
		t.Fatal(err)
	}
	evolved := database.Table{Name: "customers", Columns: []database.Column{
		{Name: "email", Type: ferry.String},
		{Name: "balance", Type: ferry.Integer},
		{Name: "score", Type: ferry.Number},
		{Name: "livemode", Type: ferry.Boolean},
		{Name: "created", Type: ferry.Timestamp},
		{Name: "metadata", Type: ferry.JSON},
		{Name: "city", Type: ferry.String, Path: "address.city"},
		{Name: "num_as_string", Type: ferry.String},
		{Name: "nul", Type: ferry.JSON},
		{Name: "absent", Type: ferry.Integer},
		{Name: "email_as_int", Type: ferry.Integer, Path: "email"},
	}}
	if err := db.Prepare(ctx, evolved); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Rows(ctx, evolved, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"x@y", int64(42), 1.5, false, time.Unix(1700000000, 0).UTC(), `{"a":[1,2]}`, "Oslo", "7", nil, nil, nil}
	for i, v := range rows[0].Values {
		if fmt.Sprintf("%T %v", v, v) != fmt.Sprintf("%T %v", want[i], want[i]) {
			t.Errorf("%s = %T %v, want %T %v", evolved.Columns[i].Name, v, v, want[i], want[i])
		}
	}
	// A replay after the fill, with the values the pipeline computes, is
	// unchanged: the fill converts like the write path.
	res, err := db.Write(ctx, evolved, database.Batch{Rows: []database.Row{{ID: "a", Values: want, Raw: []byte(raw)}}})
	if err != nil || res != (database.Result{Unchanged: 1}) {
		t.Fatalf("replay after fill = %+v, %v", res, err)
	}

	changed := database.Table{Name: "customers", Columns: []database.Column{{Name: "balance", Type: ferry.String}}}
	err = db.Prepare(ctx, changed)
	mustCode(t, err, ferry.EINVALID)
	for _, s := range []string{"customers.balance", "integer", "string"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("type change error %q does not mention %q", err, s)
		}
	}
}

func TestPrepareInvalid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	for _, tb := range []database.Table{
		{Name: ""},
		{Name: "sqlite_master"},
		{Name: "ferry_checkpoints"},
		{Name: "t", Columns: []database.Column{{Name: "a", Type: "uuid"}}},
		{Name: "t", Columns: []database.Column{{Name: "a", Type: ferry.String}, {Name: "A", Type: ferry.String}}},
		{Name: "t", Columns: []database.Column{{Name: "_raw", Type: ferry.String}}},
		{Name: "t", Columns: []database.Column{{Name: "ID", Type: ferry.String}}},
		{Name: "t\x00", Columns: nil},
	} {
		mustCode(t, db.Prepare(ctx, tb), ferry.EINVALID)
	}
}

func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "c.db")
	db1, err := Open(ctx, "sqlite://"+p)
	if err != nil {
		t.Fatal(err)
	}
	defer db1.Close()
	// A second handle on the same file: the busy timeout, not the pool, keeps
	// these from failing.
	db2, err := Open(ctx, "sqlite://"+p)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if err := db1.Prepare(ctx, customers); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		db := db1
		if g%4 == 0 {
			db = db2
		}
		wg.Go(func() {
			for i := range 10 {
				rows := make([]database.Row, 20)
				for j := range rows {
					rows[j] = customerRow(fmt.Sprintf("g%02d-%02d-%02d", g, i, j), j)
				}
				if _, err := db.Write(ctx, customers, database.Batch{Rows: rows}); err != nil {
					errs <- err
					return
				}
				if _, err := db.Rows(ctx, customers, "", 5); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rows, err := db1.Rows(ctx, customers, "", 0)
	if err != nil || len(rows) != 16*10*20 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
}

func TestCanceled(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := db.Write(ctx, customers, database.Batch{Rows: []database.Row{customerRow("a", 1)}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	mustCode(t, err, ferry.ECANCELED)
}

func TestWriteUnprepared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	_, err := db.Write(ctx, customers, database.Batch{Rows: []database.Row{customerRow("a", 1)}})
	mustCode(t, err, ferry.EINVALID)
	if err := db.Prepare(ctx, database.Table{Name: "customers"}); err != nil {
		t.Fatal(err)
	}
	_, err = db.Write(ctx, customers, database.Batch{Rows: []database.Row{customerRow("a", 1)}})
	mustCode(t, err, ferry.EINVALID)
	_, err = db.Rows(ctx, customers, "", 1)
	mustCode(t, err, ferry.EINVALID)
}

func TestWriteLargeBatchFirstError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	if err := db.Prepare(ctx, customers); err != nil {
		t.Fatal(err)
	}
	rows := make([]database.Row, 3000)
	for i := range rows {
		rows[i] = customerRow(fmt.Sprintf("cus_%04d", i), i)
	}
	rows[2900].Raw = []byte("{")
	rows[700].Values[4] = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := db.Write(ctx, customers, database.Batch{Rows: rows})
	mustCode(t, err, ferry.EINVALID)
	if !strings.Contains(err.Error(), "cus_0700") {
		t.Fatalf("error does not name the first bad row: %v", err)
	}
	rows[700] = customerRow("cus_0700", 700)
	rows[2900] = customerRow("cus_2900", 2900)
	res, err := db.Write(ctx, customers, database.Batch{Rows: rows})
	if err != nil || res != (database.Result{Inserted: 3000}) {
		t.Fatalf("large batch = %+v, %v", res, err)
	}
}

func TestBadIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	if err := db.Prepare(ctx, customers); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", "a\x00b", "\xff"} {
		_, err := db.Write(ctx, customers, database.Batch{Rows: []database.Row{customerRow(id, 1)}})
		mustCode(t, err, ferry.EINVALID)
	}
	if _, err := db.Write(ctx, customers, database.Batch{Rows: []database.Row{customerRow("a", 1)}}); err != nil {
		t.Fatal(err)
	}
	res, err := db.Write(ctx, customers, database.Batch{Deletes: []string{"\xff", "", "a"}})
	if err != nil || res != (database.Result{Deleted: 1}) {
		t.Fatalf("deletes = %+v, %v", res, err)
	}
}
