package databasetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrysync/ferry/database"
)

// RunRecordReader runs the conformance suite of the optional RecordReader
// capability (the records API). open is as for Run and must return a
// destination that implements database.RecordReader.
func RunRecordReader(t *testing.T, open func(t *testing.T) database.Destination) {
	tests := []struct {
		name string
		fn   func(t *testing.T, d database.Destination, rr database.RecordReader)
	}{
		{"PagesInIDOrder", testRecordsPages},
		{"ModifiedAfter", testRecordsModifiedAfter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := open(t)
			rr, ok := d.(database.RecordReader)
			if !ok {
				t.Fatalf("%T does not implement database.RecordReader", d)
			}
			tc.fn(t, d, rr)
		})
	}
}

// records reads every page of q with the given page size.
func records(t *testing.T, rr database.RecordReader, tb database.Table, q database.RecordQuery) []database.StoredRow {
	t.Helper()
	var all []database.StoredRow
	for {
		page, err := rr.Records(ctxFor(t), tb, q)
		if err != nil {
			t.Fatalf("Records(%+v): %v", q, err)
		}
		all = append(all, page...)
		if len(page) < q.Limit {
			return all
		}
		q.After = page[len(page)-1].ID
	}
}

func ids(rows []database.StoredRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

func testRecordsPages(t *testing.T, d database.Destination, rr database.RecordReader) {
	prepare(t, d, customers)
	// Byte order: upper case before lower case, "a" before "a0" before "b".
	rows := []database.Row{customer("b", "b@x.io", 1), customer("a0", "a0@x.io", 2), customer("a", "a@x.io", 3),
		customer("B", "B@x.io", 4), customer("c", "c@x.io", 5)}
	write(t, d, customers, database.Batch{RunID: "run1", At: t0, Rows: rows})
	write(t, d, customers, database.Batch{RunID: "run2", At: t1, Deletes: []string{"a0"}})
	for _, limit := range []int{1, 2, 5, 100} {
		got := records(t, rr, customers, database.RecordQuery{Limit: limit})
		if diff := cmp.Diff([]string{"B", "a", "a0", "b", "c"}, ids(got)); diff != "" {
			t.Errorf("limit %d: ids (-want +got):\n%s", limit, diff)
		}
		// Records returns what Rows returns, soft-deleted rows marked.
		if diff := cmp.Diff(normRows(t, customers, allRows(t, d, customers)), normRows(t, customers, got)); diff != "" {
			t.Errorf("limit %d: Records differs from Rows (-Rows +Records):\n%s", limit, diff)
		}
	}
	if _, err := rr.Records(ctxFor(t), customers, database.RecordQuery{}); err == nil {
		t.Error("Records with limit 0 succeeded, want an error")
	}
}

func testRecordsModifiedAfter(t *testing.T, d database.Destination, rr database.RecordReader) {
	prepare(t, d, customers)
	a, b, c, e := customer("a", "a@x.io", 1), customer("b", "b@x.io", 2), customer("c", "c@x.io", 3), customer("e", "e@x.io", 4)
	write(t, d, customers, database.Batch{RunID: "run1", At: t0, Rows: []database.Row{a, b, c, e}})
	b2 := customer("b", "b2@x.io", 20)
	write(t, d, customers, database.Batch{RunID: "run2", At: t1, Rows: []database.Row{b2}})
	write(t, d, customers, database.Batch{RunID: "run3", At: t2, Deletes: []string{"c"}})

	for _, tc := range []struct {
		after time.Time
		want  []string
	}{
		{time.Time{}, []string{"a", "b", "c", "e"}},
		{t0.Add(-time.Second), []string{"a", "b", "c", "e"}},
		{t0, []string{"b", "c"}}, // strictly after
		{t0.Add(time.Minute), []string{"b", "c"}},
		{t1, []string{"c"}}, // the soft delete is a modification
		{t2, nil},
		{t0.In(time.FixedZone("X", 7200)), []string{"b", "c"}}, // an instant, whatever its zone
	} {
		for _, limit := range []int{1, 3} {
			got := records(t, rr, customers, database.RecordQuery{Limit: limit, ModifiedAfter: tc.after})
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("modified after %v, limit %d (-want +got):\n%s", tc.after, limit, diff)
			}
			for _, r := range got {
				if (r.ID == "c") != (r.DeletedAt != nil) {
					t.Errorf("row %s: DeletedAt %v", r.ID, r.DeletedAt)
				}
			}
		}
	}
}
