package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

var _ database.Destination = (*DB)(nil)

// readConns is the size of the read pool. Reads never block the writer (WAL).
const readConns = 4

// DB is an open SQLite destination. It is safe for concurrent use; writes
// are serialised on one connection.
type DB struct {
	path string
	w    *sql.DB // exactly one connection, BEGIN IMMEDIATE
	r    *sql.DB // query-only connections
	now  func() time.Time
}

// Open opens (creating when missing) the SQLite file named by dsn; see the
// package documentation for the accepted forms. A malformed DSN is an
// EINVALID error; a file that cannot be created or opened is EUNAVAILABLE.
func Open(ctx context.Context, dsn string) (*DB, error) {
	tg, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(tg.path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, ferry.Wrap(ferry.EUNAVAILABLE, err, "sqlite: cannot create directory for %s", tg.path)
		}
	}
	sep := "?"
	if strings.Contains(tg.uri, "?") {
		sep = "&"
	}
	// _dqs=0: a quoted identifier that does not resolve is an error, never
	// silently a string literal (SQLite's double-quoted-string quirk).
	const pragmas = "_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=1&_dqs=0"
	w, err := sql.Open("sqlite", tg.uri+sep+pragmas+"&_txlock=immediate&_pragma=cache_size(-16384)&_pragma=wal_autocheckpoint(8192)")
	if err != nil {
		return nil, ferry.Wrap(ferry.EUNAVAILABLE, err, "sqlite: cannot open %s", tg.path)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db := &DB{path: tg.path, w: w, now: time.Now}
	if err := db.init(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", tg.uri+sep+pragmas+"&_query_only=1")
	if err != nil {
		w.Close()
		return nil, ferry.Wrap(ferry.EUNAVAILABLE, err, "sqlite: cannot open %s", tg.path)
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, ferry.Wrap(ferry.EUNAVAILABLE, err, "sqlite: cannot open %s", tg.path)
	}
	db.r = r
	return db, nil
}

// init creates Ferry's own tables. It is the first write, so it is also
// where an unwritable file shows up.
func (db *DB) init(ctx context.Context) error {
	const ddl = `
CREATE TABLE IF NOT EXISTS ferry_checkpoints (
	key         TEXT PRIMARY KEY NOT NULL,
	backfill    TEXT,
	incremental TEXT,
	updated_at  TIMESTAMP TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ferry_sweep_seen (
	tbl   TEXT NOT NULL,
	sweep TEXT NOT NULL,
	id    TEXT NOT NULL,
	PRIMARY KEY (tbl, sweep, id)
) WITHOUT ROWID;`
	if _, err := db.w.ExecContext(ctx, ddl); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("sqlite: open %s: %w", db.path, ctx.Err())
		}
		return ferry.Wrap(ferry.EUNAVAILABLE, err, "sqlite: cannot open or write %s", db.path)
	}
	return nil
}

// Close closes both connection pools.
func (db *DB) Close() error {
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	errs = append(errs, db.w.Close())
	return errors.Join(errs...)
}

// classify turns a driver error into a coded one. Busy, locked, full, I/O
// and open failures are EUNAVAILABLE (retryable); a cancelled context stays
// a context error (ECANCELED); anything else is EINTERNAL with op as context.
func (db *DB) classify(ctx context.Context, err error, op string) error {
	if err == nil {
		return nil
	}
	var fe *ferry.Error
	if errors.As(err, &fe) {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOLFS:
			return ferry.Wrap(ferry.EUNAVAILABLE, err, "%s: sqlite database %s unavailable", op, db.path)
		case sqlite3.SQLITE_INTERRUPT:
			return fmt.Errorf("%s: %w", op, context.Canceled)
		case sqlite3.SQLITE_ERROR:
			if m := se.Error(); strings.Contains(m, "no such table") || strings.Contains(m, "no column named") || strings.Contains(m, "no such column") {
				return ferry.Wrap(ferry.EINVALID, err, "%s: the table does not match its description; call Prepare first", op)
			}
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}
