package postgres_test

import (
	"testing"

	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/database/databasetest"
)

func TestRecordReaderConformance(t *testing.T) {
	t.Parallel()
	databasetest.RunRecordReader(t, func(t *testing.T) database.Destination { return open(t) })
}
