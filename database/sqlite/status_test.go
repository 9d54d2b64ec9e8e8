package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ferrysync/ferry/database/databasetest"
)

// TestStatusConformance runs the status tables suite, each subtest on a
// fresh file.
func TestStatusConformance(t *testing.T) {
	t.Parallel()
	databasetest.RunStatus(t, func(t *testing.T) databasetest.StatusDestination {
		db, err := Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "ferry.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
