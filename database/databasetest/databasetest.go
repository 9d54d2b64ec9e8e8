// Package databasetest is the conformance suite of the database contract:
// every destination (Postgres, SQLite, MySQL) runs the same subtests from its
// own tests with
//
//	func TestConformance(t *testing.T) {
//		databasetest.Run(t, func(t *testing.T) database.Destination { ... })
//	}
//
// It is imported by tests only.
//
// What the suite pins down beyond the comments of package database:
//   - Result counts are over distinct ids: a batch holding one id twice
//     writes the last occurrence and counts it once.
//   - Time values (typed timestamp columns, SyncedAt, DeletedAt) must
//     round-trip with at least second precision and come back in UTC; the
//     suite only writes whole seconds.
//   - JSON (ferry.JSON values, _raw, checkpoints) is compared by meaning, not
//     by bytes: a destination may normalise whitespace and key order.
//   - A Write that fails changes nothing (rows, deletes, seen ids, checkpoint)
//     and returns a *ferry.Error; bad input (a Row with the wrong number of
//     Values, a value of the wrong Go type or one that does not fit the
//     column) is EINVALID.
//   - Rows orders ids by bytes, not by a locale's collation.
//   - A Column with an empty Path is filled from the top-level field named
//     like the column (the suite always sets Path).
package databasetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// Run runs the conformance suite. open returns a fresh, empty destination
// for one subtest and registers its cleanup (Close included) with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) database.Destination) {
	tests := []struct {
		name string
		fn   func(t *testing.T, d database.Destination)
	}{
		{"PrepareCreatesTable", testPrepareCreatesTable},
		{"PrepareTwiceIsNoop", testPrepareTwice},
		{"PrepareAddsColumnFromRaw", testPrepareAddsColumn},
		{"PrepareChangedTypeIsInvalid", testPrepareChangedType},
		{"WriteCounts", testWriteCounts},
		{"TypesRoundTrip", testTypesRoundTrip},
		{"SoftDelete", testSoftDelete},
		{"DeletedRowComesBack", testDeletedRowComesBack},
		{"Checkpoint", testCheckpoint},
		{"FailedWriteChangesNothing", testFailedWrite},
		{"Sweep", testSweep},
		{"DuplicateIDsLastWins", testDuplicateIDs},
		{"QuotedIdentifiers", testQuotedIdentifiers},
		{"RowsPagination", testRowsPagination},
		{"ConcurrentTables", testConcurrentTables},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// Fixed times, whole seconds, UTC.
var (
	t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	t1 = t0.Add(time.Hour)
	t2 = t0.Add(2 * time.Hour)
)

func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var customers = database.Table{
	Name: "customers",
	Columns: []database.Column{
		{Name: "email", Type: ferry.String, Path: "email"},
		{Name: "balance", Type: ferry.Integer, Path: "balance"},
	},
}

// customer returns a row of the customers table.
func customer(id, email string, balance int64) database.Row {
	raw, _ := json.Marshal(map[string]any{"id": id, "email": email, "balance": balance})
	return database.Row{ID: id, Values: []any{email, balance}, Raw: raw}
}

// stored is the StoredRow a live customer row written at at by run reads back as.
func stored(r database.Row, at time.Time, run string) database.StoredRow {
	return database.StoredRow{ID: r.ID, Values: r.Values, Raw: r.Raw, SyncedAt: at, RunID: run}
}

func prepare(t *testing.T, d database.Destination, tb database.Table) {
	t.Helper()
	if err := d.Prepare(ctxFor(t), tb); err != nil {
		t.Fatalf("Prepare(%q): %v", tb.Name, err)
	}
}

func write(t *testing.T, d database.Destination, tb database.Table, b database.Batch) database.Result {
	t.Helper()
	res, err := d.Write(ctxFor(t), tb, b)
	if err != nil {
		t.Fatalf("Write(%q): %v", tb.Name, err)
	}
	return res
}

func checkResult(t *testing.T, what string, got, want database.Result) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: Result mismatch (-want +got):\n%s", what, diff)
	}
}

// allRows reads the whole table page by page.
func allRows(t *testing.T, d database.Destination, tb database.Table) []database.StoredRow {
	t.Helper()
	var all []database.StoredRow
	after := ""
	for {
		page, err := d.Rows(ctxFor(t), tb, after, 100)
		if err != nil {
			t.Fatalf("Rows(%q, after %q): %v", tb.Name, after, err)
		}
		all = append(all, page...)
		if len(page) < 100 {
			return all
		}
		after = page[len(page)-1].ID
	}
}

// checkRows compares the table's content with want, JSON by meaning and
// times by instant (and in UTC).
func checkRows(t *testing.T, d database.Destination, tb database.Table, want []database.StoredRow) {
	t.Helper()
	got := allRows(t, d, tb)
	checkUTC(t, got)
	if diff := cmp.Diff(normRows(t, tb, want), normRows(t, tb, got)); diff != "" {
		t.Errorf("rows of %q mismatch (-want +got):\n%s", tb.Name, diff)
	}
}

func checkUTC(t *testing.T, rows []database.StoredRow) {
	t.Helper()
	for _, r := range rows {
		if r.SyncedAt.Location() != time.UTC {
			t.Errorf("row %q: SyncedAt %v is not in UTC", r.ID, r.SyncedAt)
		}
		if r.DeletedAt != nil && r.DeletedAt.Location() != time.UTC {
			t.Errorf("row %q: DeletedAt %v is not in UTC", r.ID, r.DeletedAt)
		}
		for i, v := range r.Values {
			if tv, ok := v.(time.Time); ok && tv.Location() != time.UTC {
				t.Errorf("row %q value %d: %v is not in UTC", r.ID, i, tv)
			}
		}
	}
}

// normRow is a StoredRow in a form cmp compares by meaning.
type normRow struct {
	ID        string
	Values    []any
	Raw       string
	SyncedAt  string
	DeletedAt string
	RunID     string
}

func normRows(t *testing.T, tb database.Table, rows []database.StoredRow) []normRow {
	t.Helper()
	out := make([]normRow, 0, len(rows))
	for _, r := range rows {
		n := normRow{ID: r.ID, Raw: normJSON(t, string(r.Raw)), SyncedAt: fmtTime(r.SyncedAt), RunID: r.RunID}
		if r.DeletedAt != nil {
			n.DeletedAt = fmtTime(*r.DeletedAt)
		}
		if len(r.Values) != len(tb.Columns) {
			t.Errorf("row %q has %d values, table %q has %d columns", r.ID, len(r.Values), tb.Name, len(tb.Columns))
		}
		for i, v := range r.Values {
			switch v := v.(type) {
			case time.Time:
				n.Values = append(n.Values, fmtTime(v))
			case string:
				if i < len(tb.Columns) && tb.Columns[i].Type == ferry.JSON {
					n.Values = append(n.Values, "json:"+normJSON(t, v))
				} else {
					n.Values = append(n.Values, v)
				}
			default:
				n.Values = append(n.Values, v)
			}
		}
		out = append(out, n)
	}
	return out
}

func fmtTime(tm time.Time) string {
	if tm.IsZero() {
		return "zero"
	}
	return tm.UTC().Format(time.RFC3339Nano)
}

// normJSON re-encodes JSON text canonically (sorted keys, no spaces),
// keeping numbers exact.
func normJSON(t *testing.T, s string) string {
	t.Helper()
	if s == "" {
		return ""
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Errorf("invalid JSON %q: %v", s, err)
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkErrorCode(t *testing.T, what string, err error, code string) *ferry.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want a %s *ferry.Error", what, code)
	}
	var fe *ferry.Error
	if !errors.As(err, &fe) {
		t.Fatalf("%s: error %v (%T) is not a *ferry.Error", what, err, err)
	}
	if fe.Code != code {
		t.Errorf("%s: error code %q, want %q (error: %v)", what, fe.Code, code, err)
	}
	return fe
}

func testPrepareCreatesTable(t *testing.T, d database.Destination) {
	prepare(t, d, customers)
	if rows := allRows(t, d, customers); len(rows) != 0 {
		t.Fatalf("new table has %d rows", len(rows))
	}
	r := customer("cus_1", "a@example.com", 10)
	write(t, d, customers, database.Batch{RunID: "run1", At: t0, Rows: []database.Row{r}})
	checkRows(t, d, customers, []database.StoredRow{stored(r, t0, "run1")})

	// A table with no typed columns has id and _raw only.
	bare := database.Table{Name: "bare"}
	prepare(t, d, bare)
	write(t, d, bare, database.Batch{RunID: "run1", At: t0, Rows: []database.Row{{ID: "x", Raw: []byte(`{"id":"x"}`)}}})
	checkRows(t, d, bare, []database.StoredRow{{ID: "x", Raw: []byte(`{"id":"x"}`), SyncedAt: t0, RunID: "run1"}})
}

func testPrepareTwice(t *testing.T, d database.Destination) {
	prepare(t, d, customers)
	r := customer("cus_1", "a@example.com", 10)
	write(t, d, customers, database.Batch{RunID: "run1", At: t0, Rows: []database.Row{r}})
	prepare(t, d, customers)
	prepare(t, d, customers)
	checkRows(t, d, customers, []database.StoredRow{stored(r, t0, "run1")})
	res := write(t, d, customers, database.Batch{RunID: "run2", At: t1, Rows: []database.Row{r}})
	checkResult(t, "rewrite after second Prepare", res, database.Result{Unchanged: 1})
}

func testPrepareAddsColumn(t *testing.T, d database.Destination) {
	v1 := database.Table{Name: "accounts", Columns: []database.Column{{Name: "name", Type: ferry.String, Path: "name"}}}
	prepare(t, d, v1)
	full := `{"id":"a1","name":"Ann","address":{"city":"Zürich","geo":{"lat":47.5}},"seats":12,"rate":0.25,` +
		`"active":true,"created":1700000000,"tags":["x","y"],"meta":{"k":"v"}}`
	sparse := `{"id":"a2","name":"Bob","address":null,"seats":null}`
	write(t, d, v1, database.Batch{RunID: "run1", At: t0, Rows: []database.Row{
		{ID: "a1", Values: []any{"Ann"}, Raw: []byte(full)},
		{ID: "a2", Values: []any{"Bob"}, Raw: []byte(sparse)},
	}})

	v2 := database.Table{Name: "accounts", Columns: []database.Column{
		{Name: "name", Type: ferry.String, Path: "name"},
		{Name: "city", Type: ferry.String, Path: "address.city"},
		{Name: "lat", Type: ferry.Number, Path: "address.geo.lat"},
		{Name: "seats", Type: ferry.Integer, Path: "seats"},
		{Name: "rate", Type: ferry.Number, Path: "rate"},
		{Name: "active", Type: ferry.Boolean, Path: "active"},
		{Name: "created", Type: ferry.Timestamp, Path: "created"},
		{Name: "tags", Type: ferry.JSON, Path: "tags"},
		{Name: "meta", Type: ferry.JSON, Path: "meta"},
		{Name: "missing", Type: ferry.String, Path: "no.such.field"},
	}}
	prepare(t, d, v2)
	want := []database.StoredRow{
		{ID: "a1", Raw: []byte(full), SyncedAt: t0, RunID: "run1", Values: []any{
			"Ann", "Zürich", 47.5, int64(12), 0.25, true, time.Unix(1700000000, 0).UTC(), `["x","y"]`, `{"k":"v"}`, nil}},
		{ID: "a2", Raw: []byte(sparse), SyncedAt: t0, RunID: "run1", Values: []any{
			"Bob", nil, nil, nil, nil, nil, nil, nil, nil, nil}},
	}
	checkRows(t, d, v2, want)

	// The evolved table takes writes with the new columns, and an older
	// Table (a subset of the columns) still prepares and changes nothing.
	r := database.Row{ID: "a3", Raw: []byte(`{"id":"a3"}`), Values: []any{"Cy", "Bern", 1.5, int64(3), 0.5, false, t1, `[]`, `{}`, "m"}}
	write(t, d, v2, database.Batch{RunID: "run2", At: t1, Rows: []database.Row{r}})
	prepare(t, d, v1)
	prepare(t, d, v2)
	checkRows(t, d, v2, append(want, stored(r, t1, "run2")))
}

func testPrepareChangedType(t *testing.T, d database.Destination) {
	tb := database.Table{Name: "invoices", Columns: []database.Column{{Name: "amount_due", Type: ferry.Integer, Path: "amount_due"}}}
	prepare(t, d, tb)
	changed := database.Table{Name: "invoices", Columns: []database.Column{{Name: "amount_due", Type: ferry.String, Path: "amount_due"}}}
	err := d.Prepare(ctxFor(t), changed)
	fe := checkErrorCode(t, "Prepare with a changed column type", err, ferry.EINVALID)
	if !strings.Contains(fe.Error(), "amount_due") {
		t.Errorf("error %q does not name the column amount_due", fe.Error())
	}
	// The table is untouched and still takes the original type.
	res := write(t, d, tb, database.Batch{RunID: "run1", At: t0, Rows: []database.Row{{ID: "in_1", Values: []any{int64(5)}, Raw: []byte(`{"amount_due":5}`)}}})
	checkResult(t, "write after refused Prepare", res, database.Result{Inserted: 1})
}

func testWriteCounts(t *testing.T, d database.Destination) {
	prepare(t, d, customers)
	a, b, c := customer("a", "a@x.io", 1), customer("b", "b@x.io", 2), customer("c", "c@x.io", 3)
	res := write(t, d, customers, database.Batch{RunID: "run1", At: t0, Rows: []database.Row{a, b, c}})
	checkResult(t, "first write", res, database.Result{Inserted: 3})

	res = write(t, d, customers, database.Batch{RunID: "run2", At: t1, Rows: []database.Row{a, b, c}})
	checkResult(t, "identical write", res, database.Result{Unchanged: 3})
	// Unchanged rows keep their _ferry_synced_at and _ferry_run_id.
	checkRows(t, d, customers, []database.StoredRow{stored(a, t0, "run1"), stored(b, t0, "run1"), stored(c, t0, "run1")})

	b2 := customer("b", "b@new.io", 20)
	// Only _raw changed: still a change.
	c2 := c
	c2.Raw = []byte(`{"id":"c","email":"c@x.io","balance":3,"extra":true}`)
	d1 := customer("d", "d@x.io", 4)
	res = write(t, d, customers, database.Batch{RunID: "run3", At: t2, Rows: []database.Row{a, b2, c2, d1}})
	checkResult(t, "changed write", res, database.Result{Inserted: 1, Updated: 2, Unchanged: 1})
	checkRows(t, d, customers, []database.StoredRow{stored(a, t0, "run1"), stored(b2, t2, "run3"), stored(c2, t2, "run3"), stored(d1, t2, "run3")})

	// An empty batch is fine and counts nothing.
	res = write(t, d, customers, database.Batch{RunID: "run4", At: t2})
	checkResult(t, "empty write", res, database.Result{})
}

func testTypesRoundTrip(t *testing.T, d database.Destination) {
	tb := database.Table{Name: "types", Columns: []database.Column{
		{Name: "s", Type: ferry.String, Path: "s"},
		{Name: "i", Type: ferry.Integer, Path: "i"},
		{Name: "f", Type: ferry.Number, Path: "f"},
		{Name: "b", Type: ferry.Boolean, Path: "b"},
		{Name: "ts", Type: ferry.Timestamp, Path: "ts"},
		{Name: "j", Type: ferry.JSON, Path: "j"},
	}}
	prepare(t, d, tb)
	rows := []database.Row{
		{ID: "01-nil", Values: []any{nil, nil, nil, nil, nil, nil}},
		{ID: "02-min", Values: []any{"", int64(math.MinInt64), -1.5e-300, false, time.Unix(0, 0).UTC(), `[]`}},
		{ID: "03-max", Values: []any{"héllo wörld 世界 🚀", int64(math.MaxInt64), math.MaxFloat64, true, time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC), `{}`}},
		{ID: "04-quotes", Values: []any{`it's "quoted" \ back` + "slash\nnew line\ttab", int64(0), 0.0, true, t0, `{"a":1,"b":[1,2,{"c":null}],"s":"x\"y"}`}},
		{ID: "05-sql", Values: []any{"'); DROP TABLE types; --", int64(-1), 3.141592653589793, false, time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC), `[1,"two",true,null,{"k":[]}]`}},
		{ID: "06-neg", Values: []any{"$1 %s ?", int64(1) << 53, -2.5, true, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), `{"big":9007199254740993,"f":1.5}`}},
	}
	var want []database.StoredRow
	for i := range rows {
		rows[i].Raw = []byte(fmt.Sprintf(`{"id":%q,"n":%d}`, rows[i].ID, i))
		want = append(want, stored(rows[i], t0, "run1"))
	}
	res := write(t, d, tb, database.Batch{RunID: "run1", At: t0, Rows: rows})
	checkResult(t, "write", res, database.Result{Inserted: int64(len(rows))})
	checkRows(t, d, tb, want)

	// Invalid JSON in a json column does not fit: the write fails whole.
	bad := database.Row{ID: "07-bad", Raw: []byte(`{}`), Values: []any{"s", int64(1), 1.0, true, t0, `{"a":`}}
	_, err := d.Write(ctxFor(t), tb, database.Batch{RunID: "bad", At: t1, Rows: []database.Row{{ID: "01-nil", Raw: []byte(`{"changed":1}`), Values: make([]any, 6)}, bad}})
	checkErrorCode(t, "Write of invalid JSON in a json column", err, ferry.EINVALID)
	checkRows(t, d, tb, want)

	// Reading back and writing again what was read is a no-op.
	got := allRows(t, d, tb)
	var again []database.Row
	for _, r := range got {
		again = append(again, database.Row{ID: r.ID, Values: r.Values, Raw: r.Raw})
	}
	res = write(t, d, tb, database.Batch{RunID: "run2", At: t1, Rows: again})
	checkResult(t, "rewrite of what Rows returned", res, database.Result{Unchanged: int64(len(rows))})
}

func testSoftDelete(t *testing.T, d database.Destination) {
	prepare(t, d, customers)
	a, b, c := customer("a", "a@x.io", 1), customer("b", "b@x.io", 2), customer("c", "c@x.io", 3)
	write(t, d, customers, database.Batch{RunID: "run1", At: t0, Rows: []database.Row{a, b, c}})

	res := write(t, d, customers, database.Batch{RunID: "run2", At: t1, Deletes: []string{"b", "unknown"}})
	checkResult(t, "delete", res, database.Result{Deleted: 1})
	del := stored(b, t0, "run2")
	del.DeletedAt = &t1
	checkRows(t, d, customers, []database.StoredRow{stored(a, t0, "run1"), del, stored(c, t0, "run1")})

	// Deleting again, or something unknown, counts nothing and changes nothing.
	res = write(t, d, customers, database.Batch{RunID: "run3", At: t2, Deletes: []string{"b", "b", "nope"}})
	checkResult(t, "delete again", res, database.Result{})
	checkRows(t, d, customers, []database.StoredRow{stored(a, t0, "run1"), del, stored(c, t0, "run1")})
}

func testDeletedRowComesBack(t *testing.T, d database.Destination) {
	prepare(t, d, customers)
	a := customer("a", "a@x.io", 1)
	write(t, d, customers, database.Batch{RunID: "run1", At: t0, Rows: []database.Row{a}})
	checkResult(t, "delete", write(t, d, customers, database.Batch{RunID: "run2", At: t1, Deletes: []string{"a"}}), database.Result{Deleted: 1})
	// The very same content comes back: an update (the row was deleted).
	res := write(t, d, customers, database.Batch{RunID: "run3", At: t2, Rows: []database.Row{a}})
	checkResult(t, "upsert of a deleted row", res, database.Result{Updated: 1})
	checkRows(t, d, customers, []database.StoredRow{stored(a, t2, "run3")})
}

func getCheckpoint(t *testing.T, d database.Destination, key string) (database.Checkpoint, bool) {
	t.Helper()
	cp, ok, err := d.Checkpoint(ctxFor(t), key)
	if err != nil {
		t.Fatalf("Checkpoint(%q): %v", key, err)
	}
	return cp, ok
}

// checkCheckpoint compares a stored checkpoint with want, JSON by meaning.
func checkCheckpoint(t *testing.T, d database.Destination, want database.Checkpoint) {
	t.Helper()
	got, ok := getCheckpoint(t, d, want.Key)
	if !ok {
		t.Fatalf("Checkpoint(%q): none saved", want.Key)
	}
	norm := func(cp database.Checkpoint) [3]string {
		n := [3]string{cp.Key, "<nil>", "<nil>"}
		if cp.Backfill != nil {
			n[1] = normJSON(t, string(cp.Backfill))
		}
		if cp.Incremental != nil {
			n[2] = normJSON(t, string(cp.Incremental))
		}
		return n
	}
	if diff := cmp.Diff(norm(want), norm(got)); diff != "" {
		t.Errorf("checkpoint %q mismatch [key backfill incremental] (-want +got):\n%s", want.Key, diff)
	}
}

func testCheckpoint(t *testing.T, d database.Destination) {
	if _, ok := getCheckpoint(t, d, "cfg"); ok {
		t.Fatal("Checkpoint of a fresh destination: ok, want none")
	}
	prepare(t, d, customers)
	a := customer("a", "a@x.io", 1)
	write(t, d, customers, database.Batch{RunID: "run1", At: t0, Rows: []database.Row{a},
		Checkpoint: &database.Checkpoint{Key: "cfg", Backfill: []byte(`{"lo":1,"hi":100}`)}})
	checkCheckpoint(t, d, database.Checkpoint{Key: "cfg", Backfill: []byte(`{"lo":1,"hi":100}`)})

	// Only Incremental: Backfill stays as it was.
	write(t, d, customers, database.Batch{RunID: "run1", At: t1,
		Checkpoint: &database.Checkpoint{Key: "cfg", Incremental: []byte(`{"time":1700000000,"id":"evt_1"}`)}})
	checkCheckpoint(t, d, database.Checkpoint{Key: "cfg", Backfill: []byte(`{"lo":1,"hi":100}`), Incremental: []byte(`{"time":1700000000,"id":"evt_1"}`)})

	// Only Backfill: Incremental stays.
	write(t, d, customers, database.Batch{RunID: "run2", At: t2, Rows: []database.Row{customer("b", "b@x.io", 2)},
		Checkpoint: &database.Checkpoint{Key: "cfg", Backfill: []byte(`{"lo":100,"hi":0}`)}})
	checkCheckpoint(t, d, database.Checkpoint{Key: "cfg", Backfill: []byte(`{"lo":100,"hi":0}`), Incremental: []byte(`{"time":1700000000,"id":"evt_1"}`)})

	// Keys are independent.
	write(t, d, customers, database.Batch{RunID: "run3", At: t2, Checkpoint: &database.Checkpoint{Key: "other", Incremental: []byte(`{"time":5}`)}})
	checkCheckpoint(t, d, database.Checkpoint{Key: "other", Incremental: []byte(`{"time":5}`)})
	checkCheckpoint(t, d, database.Checkpoint{Key: "cfg", Backfill: []byte(`{"lo":100,"hi":0}`), Incremental: []byte(`{"time":1700000000,"id":"evt_1"}`)})
	if _, ok := getCheckpoint(t, d, "never"); ok {
		t.Error("Checkpoint(never): ok, want none")
	}
}

func testFailedWrite(t *testing.T, d database.Destination) {
	prepare(t, d, customers)
	a, b := customer("a", "a@x.io", 1), customer("b", "b@x.io", 2)
	cp := database.Checkpoint{Key: "cfg", Backfill: []byte(`{"lo":1}`), Incremental: []byte(`{"time":1}`)}
	write(t, d, customers, database.Batch{RunID: "run1", At: t0, Rows: []database.Row{a, b}, Checkpoint: &cp})
	want := []database.StoredRow{stored(a, t0, "run1"), stored(b, t0, "run1")}

	bad := map[string]database.Row{
		"too few values":           {ID: "x", Values: []any{"x@x.io"}, Raw: []byte(`{}`)},
		"too many values":          {ID: "x", Values: []any{"x@x.io", int64(1), "extra"}, Raw: []byte(`{}`)},
		"string in integer column": {ID: "x", Values: []any{"x@x.io", "not a number"}, Raw: []byte(`{}`)},
		"bool in string column":    {ID: "x", Values: []any{true, int64(1)}, Raw: []byte(`{}`)},
		"invalid raw JSON":         {ID: "x", Values: []any{"x@x.io", int64(1)}, Raw: []byte(`{"unterminated":`)},
	}
	for name, row := range bad {
		t.Run(name, func(t *testing.T) {
			// The bad row comes last, after good changes, deletes and seen ids
			// that must all roll back.
			_, err := d.Write(ctxFor(t), customers, database.Batch{
				RunID: "bad", At: t2, Sweep: "s1",
				Rows:       []database.Row{customer("a", "changed@x.io", 100), customer("new", "n@x.io", 5), row},
				Deletes:    []string{"b"},
				Checkpoint: &database.Checkpoint{Key: "cfg", Backfill: []byte(`{"lo":999}`), Incremental: []byte(`{"time":999}`)},
			})
			checkErrorCode(t, "Write with "+name, err, ferry.EINVALID)
			checkRows(t, d, customers, want)
			checkCheckpoint(t, d, cp)
		})
	}
	// No seen ids survived the failed writes: finishing the sweep deletes all.
	n, err := d.FinishSweep(ctxFor(t), customers, "s1", "run9", t2, nil)
	if err != nil {
		t.Fatalf("FinishSweep: %v", err)
	}
	if n != 2 {
		t.Errorf("FinishSweep after failed writes deleted %d rows, want 2", n)
	}
}

func testSweep(t *testing.T, d database.Destination) {
	prepare(t, d, customers)
	other := database.Table{Name: "other", Columns: customers.Columns}
	prepare(t, d, other)
	var rows []database.Row
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		rows = append(rows, customer(id, id+"@x.io", 1))
	}
	write(t, d, customers, database.Batch{RunID: "run1", At: t0, Rows: rows})
	write(t, d, other, database.Batch{RunID: "run1", At: t0, Rows: rows})
	// e is already deleted: it is not counted again.
	write(t, d, customers, database.Batch{RunID: "run1", At: t0, Deletes: []string{"e"}})

	// The sweep sees a and b (across two batches) and, in the other table
	// with the same sweep name, only a.
	write(t, d, customers, database.Batch{RunID: "run2", At: t1, Sweep: "s1", Rows: rows[:1]})
	write(t, d, customers, database.Batch{RunID: "run2", At: t1, Sweep: "s1", Rows: rows[1:2]})
	write(t, d, other, database.Batch{RunID: "run2", At: t1, Sweep: "s1", Rows: rows[:1]})

	cp := &database.Checkpoint{Key: "cfg", Backfill: []byte(`{"done":true}`)}
	n, err := d.FinishSweep(ctxFor(t), customers, "s1", "run2", t2, cp)
	if err != nil {
		t.Fatalf("FinishSweep: %v", err)
	}
	if n != 2 {
		t.Errorf("FinishSweep deleted %d rows, want 2 (c, d)", n)
	}
	checkCheckpoint(t, d, database.Checkpoint{Key: "cfg", Backfill: []byte(`{"done":true}`)})
	// A soft delete sets _ferry_deleted_at and _ferry_run_id, and keeps
	// _ferry_synced_at.
	deleted := func(r database.Row, synced, at time.Time, run string) database.StoredRow {
		s := stored(r, synced, run)
		s.DeletedAt = &at
		return s
	}
	checkRows(t, d, customers, []database.StoredRow{
		stored(rows[0], t0, "run1"), stored(rows[1], t0, "run1"), // seen, unchanged
		deleted(rows[2], t0, t2, "run2"), deleted(rows[3], t0, t2, "run2"),
		deleted(rows[4], t0, t0, "run1"),
	})
	// The other table is untouched by the sweep of customers.
	checkRows(t, d, other, []database.StoredRow{
		stored(rows[0], t0, "run1"), stored(rows[1], t0, "run1"), stored(rows[2], t0, "run1"), stored(rows[3], t0, "run1"), stored(rows[4], t0, "run1"),
	})

	// Seen ids are forgotten: finishing s1 again sees nothing and deletes a, b.
	n, err = d.FinishSweep(ctxFor(t), customers, "s1", "run3", t2, nil)
	if err != nil {
		t.Fatalf("second FinishSweep: %v", err)
	}
	if n != 2 {
		t.Errorf("second FinishSweep deleted %d rows, want 2 (a, b)", n)
	}
	// The other table's sweep still has its own seen id a.
	n, err = d.FinishSweep(ctxFor(t), other, "s1", "run2", t2, nil)
	if err != nil {
		t.Fatalf("FinishSweep(other): %v", err)
	}
	if n != 4 {
		t.Errorf("FinishSweep(other) deleted %d rows, want 4 (b..e)", n)
	}
}

func testDuplicateIDs(t *testing.T, d database.Destination) {
	prepare(t, d, customers)
	a1, b, a2 := customer("a", "first@x.io", 1), customer("b", "b@x.io", 2), customer("a", "last@x.io", 3)
	res := write(t, d, customers, database.Batch{RunID: "run1", At: t0, Sweep: "s1", Rows: []database.Row{a1, b, a2}})
	checkResult(t, "write with a duplicate id", res, database.Result{Inserted: 2})
	checkRows(t, d, customers, []database.StoredRow{stored(a2, t0, "run1"), stored(b, t0, "run1")})

	res = write(t, d, customers, database.Batch{RunID: "run2", At: t1, Rows: []database.Row{a1, a2, a1}})
	checkResult(t, "rewrite with duplicates", res, database.Result{Updated: 1})
	checkRows(t, d, customers, []database.StoredRow{stored(a1, t1, "run2"), stored(b, t0, "run1")})
}

func testQuotedIdentifiers(t *testing.T, d database.Destination) {
	for _, name := range []string{"Order Items", `we"ird 'name`, "order", "select", "Mixed_Case_Table", "таблица-1"} {
		t.Run(name, func(t *testing.T) {
			tb := database.Table{Name: name, Columns: []database.Column{
				{Name: "order", Type: ferry.Integer, Path: "order"},
				{Name: "Select", Type: ferry.String, Path: "select"},
				{Name: `col "with" quotes`, Type: ferry.Boolean, Path: "q"},
				{Name: "with space", Type: ferry.Number, Path: "with space"},
				{Name: "MixedCase", Type: ferry.Timestamp, Path: "ts"},
				{Name: "group; drop", Type: ferry.JSON, Path: "j"},
			}}
			prepare(t, d, tb)
			prepare(t, d, tb)
			r := database.Row{ID: `id "1" 'x'`, Values: []any{int64(7), "s", true, 1.25, t0, `{"a":"b"}`}, Raw: []byte(`{"order":7,"select":"s","q":true,"with space":1.25,"ts":1704164645,"j":{"a":"b"}}`)}
			checkResult(t, "write", write(t, d, tb, database.Batch{RunID: "run1", At: t0, Rows: []database.Row{r}, Sweep: "s"}), database.Result{Inserted: 1})
			checkRows(t, d, tb, []database.StoredRow{stored(r, t0, "run1")})
			n, err := d.FinishSweep(ctxFor(t), tb, "s", "run1", t1, nil)
			if err != nil || n != 0 {
				t.Errorf("FinishSweep = %d, %v; want 0, nil", n, err)
			}
			// Evolving a quoted table: add a quoted column filled from _raw.
			tb2 := tb
			tb2.Columns = append(append([]database.Column{}, tb.Columns...), database.Column{Name: "Order By", Type: ferry.Integer, Path: "order"})
			prepare(t, d, tb2)
			r2 := stored(r, t0, "run1")
			r2.Values = append(append([]any{}, r.Values...), int64(7))
			checkRows(t, d, tb2, []database.StoredRow{r2})
			checkResult(t, "delete", write(t, d, tb2, database.Batch{RunID: "run2", At: t1, Deletes: []string{r.ID}}), database.Result{Deleted: 1})
		})
	}
}

func testRowsPagination(t *testing.T, d database.Destination) {
	prepare(t, d, customers)
	// Ids whose byte order differs from numeric and from locale collation.
	ids := []string{"B", "a", "Z", "_x", "10", "9", "é", "e", "E", "a b", "a-b", "ab", "Ab", "~", "0", "zz", "ü", "日本"}
	for i := range 40 {
		ids = append(ids, fmt.Sprintf("cus_%d", i))
	}
	var rows []database.Row
	for i, id := range ids {
		rows = append(rows, customer(id, id+"@x.io", int64(i)))
	}
	// In two batches, out of order.
	write(t, d, customers, database.Batch{RunID: "run1", At: t0, Rows: rows[20:]})
	write(t, d, customers, database.Batch{RunID: "run1", At: t0, Rows: rows[:20]})
	sorted := append([]string{}, ids...)
	sort.Strings(sorted) // byte order

	for _, limit := range []int{1, 3, 7, 58, 100} {
		var got []string
		after := ""
		for page := 0; ; page++ {
			rs, err := d.Rows(ctxFor(t), customers, after, limit)
			if err != nil {
				t.Fatalf("Rows(after %q, limit %d): %v", after, limit, err)
			}
			if len(rs) > limit {
				t.Fatalf("Rows(limit %d) returned %d rows", limit, len(rs))
			}
			for _, r := range rs {
				got = append(got, r.ID)
			}
			if len(rs) < limit || page > len(ids) {
				break
			}
			after = rs[len(rs)-1].ID
		}
		if diff := cmp.Diff(sorted, got); diff != "" {
			t.Errorf("limit %d: ids paged in the wrong order (-want +got):\n%s", limit, diff)
		}
	}
	// after is exclusive and need not be an existing id.
	rs, err := d.Rows(ctxFor(t), customers, "cus_5", 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.ID)
	}
	if diff := cmp.Diff([]string{"cus_6", "cus_7"}, got); diff != "" {
		t.Errorf("Rows(after cus_5, 2) (-want +got):\n%s", diff)
	}
	rs, err = d.Rows(ctxFor(t), customers, "cus_5a", 1)
	if err != nil || len(rs) != 1 || rs[0].ID != "cus_6" {
		t.Errorf("Rows(after cus_5a, 1) = %v, %v; want cus_6", rs, err)
	}
}

func testConcurrentTables(t *testing.T, d database.Destination) {
	const writers, batches, perBatch = 4, 5, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			ctx := ctxFor(t)
			tb := database.Table{Name: fmt.Sprintf("concurrent_%d", w), Columns: customers.Columns}
			if err := d.Prepare(ctx, tb); err != nil {
				errs <- fmt.Errorf("writer %d: Prepare: %w", w, err)
				return
			}
			for b := range batches {
				var rows []database.Row
				for i := range perBatch {
					rows = append(rows, customer(fmt.Sprintf("id_%03d", b*perBatch+i), "x@x.io", int64(i)))
				}
				cp := &database.Checkpoint{Key: tb.Name, Backfill: []byte(fmt.Sprintf(`{"batch":%d}`, b))}
				res, err := d.Write(ctx, tb, database.Batch{RunID: "run1", At: t0, Rows: rows, Sweep: "s", Checkpoint: cp})
				if err != nil {
					errs <- fmt.Errorf("writer %d batch %d: %w", w, b, err)
					return
				}
				if res != (database.Result{Inserted: perBatch}) {
					errs <- fmt.Errorf("writer %d batch %d: result %+v", w, b, res)
					return
				}
			}
			if n, err := d.FinishSweep(ctx, tb, "s", "run1", t1, nil); err != nil || n != 0 {
				errs <- fmt.Errorf("writer %d: FinishSweep = %d, %v", w, n, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	for w := range writers {
		tb := database.Table{Name: fmt.Sprintf("concurrent_%d", w), Columns: customers.Columns}
		if n := len(allRows(t, d, tb)); n != batches*perBatch {
			t.Errorf("table %s has %d rows, want %d", tb.Name, n, batches*perBatch)
		}
		checkCheckpoint(t, d, database.Checkpoint{Key: tb.Name, Backfill: []byte(fmt.Sprintf(`{"batch":%d}`, batches-1))})
	}
}
