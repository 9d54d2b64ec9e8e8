package sqlite

import (
	"context"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// FuzzIdentifiers creates a table and a column with fuzzed names, writes a
// row and reads it back: any name is either refused as EINVALID or works,
// quoting never breaks the SQL.
func FuzzIdentifiers(f *testing.F) {
	for _, s := range [][2]string{
		{"customers", "email"},
		{`we"ird`, `co"l"`},
		{`"; DROP TABLE ferry_checkpoints; --`, `x") VALUES (1); --`},
		{"Ünïcødé 表", "spaces in name"},
		{"sqlite_master", "a"},
		{"t", "_raw"},
		{"T", "ID"},
		{"ferry_checkpoints", "a"},
		{"a.b", "$.x"},
		{"[br]", "`tick`"},
		{"", "x"},
	} {
		f.Add(s[0], s[1])
	}
	ctx := context.Background()
	db := openTest(f)
	f.Fuzz(func(t *testing.T, table, column string) {
		tb := database.Table{Name: table, Columns: []database.Column{{Name: column, Type: ferry.String}}}
		err := db.Prepare(ctx, tb)
		if err != nil {
			if ferry.ErrorCode(err) != ferry.EINVALID {
				t.Fatalf("Prepare(%q, %q): %v", table, column, err)
			}
			return
		}
		// Drop the table again: every iteration starts from a small schema
		// (SQLite re-parses the whole schema after each change).
		t.Cleanup(func() {
			if _, err := db.w.ExecContext(ctx, "DROP TABLE "+quote(table)); err != nil {
				t.Errorf("drop %q: %v", table, err)
			}
		})
		row := database.Row{ID: table + "/" + column, Values: []any{column}, Raw: []byte(`{"k":1}`)}
		res, err := db.Write(ctx, tb, database.Batch{RunID: "r", Sweep: "s", Rows: []database.Row{row}})
		if !utf8.ValidString(row.ID) {
			if ferry.ErrorCode(err) != ferry.EINVALID {
				t.Fatalf("Write with id %q: %v, want EINVALID", row.ID, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Write(%q, %q): %v", table, column, err)
		}
		if res != (database.Result{Inserted: 1}) {
			t.Fatalf("Write(%q, %q) = %+v, want 1 insert", table, column, res)
		}
		if n, err := db.FinishSweep(ctx, tb, "s", "r", time.Now(), nil); err != nil || n != 0 {
			t.Fatalf("FinishSweep(%q, %q) = %d, %v; want 0", table, column, n, err)
		}
		rows, err := db.Rows(ctx, tb, "", 0)
		if err != nil {
			t.Fatalf("Rows(%q, %q): %v", table, column, err)
		}
		for _, r := range rows {
			if r.ID == row.ID {
				if r.Values[0] != column {
					t.Fatalf("read back %q, want %q", r.Values[0], column)
				}
				return
			}
		}
		t.Fatalf("row %q not found in %q", row.ID, table)
	})
}
