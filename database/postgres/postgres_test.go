package postgres_test

import (
	"context"
	"testing"
	"time"

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
