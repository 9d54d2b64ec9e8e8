package postgres_test

import (
	"testing"

	"github.com/ferrysync/ferry/database/databasetest"
)

func TestStatusConformance(t *testing.T) {
	databasetest.RunStatus(t, func(t *testing.T) databasetest.StatusDestination { return open(t) })
}
