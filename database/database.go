// Package database is the contract between Ferry's engine and the
// destination databases it writes to (Postgres, SQLite, MySQL).
//
// A destination owns one table per sync configuration and a small area of
// its own ("ferry" schema, or "ferry_" tables where there are no schemas)
// holding checkpoints and the set of ids seen by a running full sweep.
// Every Write is one transaction: rows, soft deletes, seen ids and the
// checkpoint commit together or not at all, so a checkpoint never covers data
// that is not durable.
package database

import (
	"context"
	"time"

	"github.com/ferrysync/ferry"
)

// Column is one typed column of a destination table, filled from the field
// at Path (a top-level field name, or a dotted path into nested objects) of
// the record's raw JSON.
type Column struct {
	Name string
	Type ferry.FieldType
	Path string
}

// Table describes a destination table. Besides Columns every table has
// id (primary key, text), _raw (the whole object as JSON), _ferry_synced_at,
// _ferry_deleted_at (soft delete) and _ferry_run_id.
type Table struct {
	Name    string
	Columns []Column
}

// Row is one record to upsert. Values are aligned with Table.Columns and
// hold nil, string, int64, float64, bool, time.Time, or, for ferry.JSON
// columns, the JSON text as a string.
type Row struct {
	ID     string
	Values []any
	Raw    []byte
}

// Checkpoint is a sync configuration's saved position. Backfill (where a
// full pass is) and Incremental (the change feed's high watermark) are kept
// apart; a nil field is left as stored.
type Checkpoint struct {
	Key         string // the sync configuration's name
	Backfill    []byte // JSON; nil: unchanged
	Incremental []byte // JSON; nil: unchanged
}

// Batch is one unit of work written in one transaction.
type Batch struct {
	RunID   string
	At      time.Time // _ferry_synced_at for upserts, _ferry_deleted_at for deletes
	Rows    []Row
	Deletes []string // ids to soft-delete
	// Sweep, when set, records every id in Rows as seen by this full sweep,
	// for FinishSweep.
	Sweep      string
	Checkpoint *Checkpoint // saved in the same transaction; nil: none
}

// Result counts what a write did. Unchanged rows were already identical and
// were not rewritten.
type Result struct {
	Inserted  int64
	Updated   int64
	Unchanged int64
	Deleted   int64
}

// Destination is an open destination database.
type Destination interface {
	// Prepare creates the table, or evolves it additively: missing columns
	// are added and filled from _raw locally, without a re-fetch. A column
	// whose type changed is an EINVALID error naming it.
	Prepare(ctx context.Context, t Table) error
	// Write applies a batch in one transaction.
	Write(ctx context.Context, t Table, b Batch) (Result, error)
	// FinishSweep soft-deletes (at at, by runID) every live row of t that
	// the sweep did not see, forgets the sweep's seen ids, and saves cp, all
	// in one transaction. It returns how many rows it deleted.
	FinishSweep(ctx context.Context, t Table, sweep, runID string, at time.Time, cp *Checkpoint) (int64, error)
	// Checkpoint loads the saved checkpoint; ok is false when none was saved.
	Checkpoint(ctx context.Context, key string) (cp Checkpoint, ok bool, err error)
	// Rows returns up to limit rows of t whose id sorts after after (byte
	// order), in id order, soft-deleted ones included. Values come back as
	// the same Go types Row takes (time.Time in UTC).
	Rows(ctx context.Context, t Table, after string, limit int) ([]StoredRow, error)
	// Close releases the connection.
	Close() error
}

// StoredRow is a row as stored in a destination table.
type StoredRow struct {
	ID        string
	Values    []any // aligned with Table.Columns
	Raw       []byte
	SyncedAt  time.Time
	DeletedAt *time.Time // nil: live
	RunID     string
}

// Opener opens a destination from a DSN. Failures to reach the database are
// EUNAVAILABLE errors naming the address tried (never the password).
type Opener func(ctx context.Context, dsn string) (Destination, error)
