package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// reservedColumns are the names a Column may not take: Ferry's own columns
// and Postgres's system columns.
var reservedColumns = map[string]bool{
	"id": true, "_raw": true, "_ferry_synced_at": true, "_ferry_deleted_at": true, "_ferry_run_id": true,
	"tableoid": true, "xmin": true, "cmin": true, "xmax": true, "cmax": true, "ctid": true,
}

// FuzzIdentifier creates a table and a column named by the fuzzer in a real
// database, writes a row whose id and value are that name too, reads it back
// and checks the catalog holds the name unchanged: whatever the name, it is
// either refused as EINVALID up front or quoted correctly everywhere.
// Seeds are in testdata/fuzz/FuzzIdentifier.
func FuzzIdentifier(f *testing.F) {
	f.Add("customers")
	db := open(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, name string) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		tb := database.Table{Name: name, Columns: []database.Column{{Name: name, Type: ferry.String, Path: "v"}}}
		valid := name != "" && len(name) <= 63 && utf8.ValidString(name) && !strings.ContainsRune(name, 0) && !reservedColumns[name]
		err := db.Prepare(ctx, tb)
		if !valid {
			if c := ferry.ErrorCode(err); c != ferry.EINVALID {
				t.Fatalf("Prepare(%q): %v (code %q), want EINVALID", name, err, c)
			}
			return
		}
		if err != nil {
			t.Fatalf("Prepare(%q): %v", name, err)
		}
		var n int
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
			WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace AND a.attname = $1`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("catalog has %d tables named %q with a column named so, want 1", n, name)
		}
		row := database.Row{ID: name, Values: []any{name}, Raw: []byte(`{"v":1}`)}
		if _, err := db.Write(ctx, tb, database.Batch{RunID: name, At: time.Unix(1700000000, 0), Rows: []database.Row{row}, Deletes: []string{name + "x"}, Sweep: name}); err != nil {
			t.Fatalf("Write(%q): %v", name, err)
		}
		got, err := db.Rows(ctx, tb, "", 10)
		if err != nil {
			t.Fatalf("Rows(%q): %v", name, err)
		}
		if len(got) != 1 {
			t.Fatalf("Rows(%q) = %d rows, want 1", name, len(got))
		}
		if diff := cmp.Diff([]any{name, name, name}, []any{got[0].ID, got[0].Values[0], got[0].RunID}); diff != "" {
			t.Errorf("read back (-want +got):\n%s", diff)
		}
		if _, err := db.FinishSweep(ctx, tb, name, name, time.Unix(1700000001, 0), nil); err != nil {
			t.Fatalf("FinishSweep(%q): %v", name, err)
		}
	})
}
