package database

import (
	"context"
	"time"
)

// RecordQuery selects rows for RecordReader.Records.
type RecordQuery struct {
	After string // only ids that sort after this one (byte order); "" from the start
	Limit int    // at most this many rows; must be positive
	// ModifiedAfter, when set, keeps only rows modified after it: synced
	// (_ferry_synced_at) or soft-deleted (_ferry_deleted_at) after it.
	ModifiedAfter time.Time
}

// RecordReader is an optional capability of a Destination, for the records
// API: Rows with a filter applied in the database. Rows come back as Rows
// returns them: in id order, soft-deleted ones included.
//
// Paging with After set to the last id of the previous page never returns a
// row twice and never misses a row that existed during the whole walk, even
// while a sync writes: rows are only ever upserted or soft-deleted, never
// removed, and their ids never change.
type RecordReader interface {
	Records(ctx context.Context, t Table, q RecordQuery) ([]StoredRow, error)
}
