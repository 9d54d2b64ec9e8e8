package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ferrysync/ferry"
)

// Sealer encrypts secrets before they are stored and decrypts them when read.
// *vault.Vault implements it.
type Sealer interface {
	Seal(plain string) (string, error)
	Open(sealed string) (string, error)
}

type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// Store is Ferry's control state in SQLite or PostgreSQL. It is safe for
// concurrent use, and several Stores (in several processes) may share one
// database.
type Store struct {
	db      *sql.DB
	dialect dialect
	sealer  Sealer
	now     func() time.Time
	host    string // this machine, for InterruptStale
}

// Open connects to target and migrates its schema. target is a PostgreSQL URL
// (postgres://, postgresql://), a SQLite URL (sqlite:///abs/path.db,
// sqlite:rel.db) or a SQLite file path; a missing SQLite file and its
// directory are created. now is the clock (nil: time.Now).
func Open(ctx context.Context, target string, sealer Sealer, now func() time.Time) (*Store, error) {
	if sealer == nil {
		return nil, ferry.Errorf(ferry.EINVALID, "store: no sealer for secrets")
	}
	if now == nil {
		now = time.Now
	}
	host, _ := os.Hostname()
	s := &Store{sealer: sealer, now: now, host: host}

	var err error
	switch {
	case strings.HasPrefix(target, "postgres://"), strings.HasPrefix(target, "postgresql://"):
		s.dialect = dialectPostgres
		s.db, err = sql.Open("pgx", target)
	default:
		s.dialect = dialectSQLite
		var path string
		path, err = sqlitePath(target)
		if err != nil {
			return nil, err
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, ferry.Wrap(ferry.EINVALID, err, "cannot create the directory of the control database %s", path)
			}
		}
		// Every connection of the pool gets these: WAL so readers never block
		// the writer, a 10s busy timeout so concurrent writers (other
		// processes) wait instead of failing, foreign keys, and BEGIN
		// IMMEDIATE so a transaction that reads then writes never fails to
		// upgrade its lock.
		s.db, err = sql.Open("sqlite", path+"?_busy_timeout=10000&_journal_mode=WAL&_foreign_keys=1&_synchronous=NORMAL&_txlock=immediate")
	}
	if err != nil {
		return nil, fmt.Errorf("open %s control database: %w", s.dialect, err)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, ferry.Wrap(ferry.EUNAVAILABLE, err, "cannot connect to the %s control database", s.dialect)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func sqlitePath(target string) (string, error) {
	path := target
	switch {
	case strings.HasPrefix(path, "sqlite://"):
		path = strings.TrimPrefix(path, "sqlite://") // sqlite:///abs -> /abs
	case strings.HasPrefix(path, "sqlite:"):
		path = strings.TrimPrefix(path, "sqlite:")
	}
	if path == "" || strings.Contains(path, "?") || strings.HasPrefix(path, ":memory:") || strings.Contains(path, "://") {
		return "", ferry.Errorf(ferry.EINVALID,
			"control database %q is neither a postgres:// URL nor a SQLite file path (sqlite:///path/to/ferry.db)", target)
	}
	return path, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB returns the underlying database, for tests and diagnostics.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.String() }

// Rebind rewrites ? placeholders to $1, $2... for Postgres. Queries never
// contain a literal question mark.
func (s *Store) Rebind(query string) string {
	if s.dialect != dialectPostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, s.Rebind(query), args...)
}

func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, s.Rebind(query), args...)
}

func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, s.Rebind(query), args...)
}

// inTx runs fn in a transaction (BEGIN IMMEDIATE in SQLite) and commits when
// fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.dbErr(err, "begin transaction")
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.dbErr(err, "commit")
	}
	return nil
}

// dbErr classifies a driver error at the store's edge: a database that is
// down or busy is EUNAVAILABLE (retryable), a cancelled context stays
// cancellable, anything else is internal and wrapped with what we did.
func (s *Store) dbErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var fe *ferry.Error
	if errors.As(err, &fe) {
		return err // already classified, with a message for users
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return ferry.Wrap(ferry.EUNAVAILABLE, err, "the control database is busy (%s)", what)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P: operator intervention
		// (shutdown); 53: insufficient resources; 40: serialization/deadlock.
		if strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") ||
			strings.HasPrefix(pe.Code, "53") || strings.HasPrefix(pe.Code, "40") {
			return ferry.Wrap(ferry.EUNAVAILABLE, err, "the control database is unavailable (%s)", what)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return ferry.Wrap(ferry.EUNAVAILABLE, err, "the control database is unavailable (%s)", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isUnique reports whether err is a unique or primary key violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isForeignKey reports whether err is a foreign key violation.
func isForeignKey(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// forUpdate locks the selected rows until the transaction ends (Postgres);
// SQLite's immediate transactions already hold the database's write lock.
func (s *Store) forUpdate() string {
	if s.dialect == dialectPostgres {
		return " FOR UPDATE"
	}
	return ""
}
