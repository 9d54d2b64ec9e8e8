package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/database/databasetest"
)

func TestRecordReaderConformance(t *testing.T) {
	t.Parallel()
	databasetest.RunRecordReader(t, func(t *testing.T) database.Destination {
		db, err := Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "ferry.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
