package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/database/databasetest"
	"github.com/ferrysync/ferry/database/postgres"
	"github.com/ferrysync/ferry/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open opens a destination on a fresh database.
func open(t testing.TB) *postgres.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, pgtest.DB(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	databasetest.Run(t, func(t *testing.T) database.Destination { return open(t) })
}

// TestConcurrentFirstUse opens two destinations on one database that has no
// ferry schema yet, and has both prepare and write the same table at once:
// the advisory locks make first use safe.
func TestConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DB(t)
	tb := database.Table{Name: "shared", Columns: []database.Column{{Name: "n", Type: ferry.Integer, Path: "n"}}}
	const writers = 4
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			db, err := postgres.Open(ctx, dsn)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			if err := db.Prepare(ctx, tb); err != nil {
				errs <- fmt.Errorf("writer %d: Prepare: %w", w, err)
				return
			}
			var rows []database.Row
			for i := range 100 {
				rows = append(rows, database.Row{ID: fmt.Sprintf("w%d_%03d", w, i), Values: []any{int64(i)}, Raw: []byte(`{}`)})
			}
			cp := &database.Checkpoint{Key: fmt.Sprintf("cfg%d", w), Incremental: []byte(`{"time":1}`)}
			if _, err := db.Write(ctx, tb, database.Batch{RunID: "r", At: time.Now(), Rows: rows, Sweep: "s", Checkpoint: cp}); err != nil {
				errs <- fmt.Errorf("writer %d: Write: %w", w, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Rows(ctx, tb, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != writers*100 {
		t.Errorf("%d rows, want %d", len(rows), writers*100)
	}
	if n, err := db.FinishSweep(ctx, tb, "s", "r", time.Now(), nil); err != nil || n != 0 {
		t.Errorf("FinishSweep = %d, %v; want 0, nil", n, err)
	}
}

// TestSearchPathSchema puts tables in the DSN's search_path schema.
func TestSearchPathSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DB(t)
	admin, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Pool().Exec(ctx, `CREATE SCHEMA "Tenant A"`); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, dsn+"&search_path=%22Tenant%20A%22")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tb := database.Table{Name: "items"}
	if err := db.Prepare(ctx, tb); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write(ctx, tb, database.Batch{At: time.Now(), Rows: []database.Row{{ID: "a", Raw: []byte(`{}`)}}, Sweep: "s"}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := admin.Pool().QueryRow(ctx, `SELECT count(*) FROM "Tenant A".items`).Scan(&n); err != nil || n != 1 {
		t.Errorf(`"Tenant A".items has %d rows (%v), want 1`, n, err)
	}
	if err := admin.Pool().QueryRow(ctx, `SELECT count(*) FROM ferry.sweep_seen WHERE tbl = '"Tenant A"."items"'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("sweep_seen has %d rows for the table (%v), want 1", n, err)
	}
	if _, err := postgres.Open(ctx, dsn+"&search_path=nosuch"); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("search_path of a missing schema: %v, want EINVALID", err)
	}
}
