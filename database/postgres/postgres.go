// Package postgres is Ferry's PostgreSQL destination.
//
// Tables live in the first existing schema of the DSN's search_path other
// than "ferry" (public by default), resolved once at Open; Ferry's own state lives in schema "ferry": ferry.checkpoints
// (one row per sync configuration, backfill and incremental positions kept
// apart) and ferry.sweep_seen (the ids a running full sweep has seen). Both
// are created on first use under an advisory lock, so concurrent first use
// from several processes is safe.
//
// Write is the hot path of a backfill. It costs two round trips per batch:
//
//  1. one simple-protocol message: BEGIN; create the session's staging table
//     if it does not exist yet (a temp table, ON COMMIT DELETE ROWS, one per
//     column-type shape); COPY the batch into it in binary format, with
//     duplicate ids already removed (the last occurrence wins);
//  2. one pipelined batch: the upsert from staging (INSERT ... ON CONFLICT DO
//     UPDATE ... WHERE the row IS DISTINCT FROM what is stored, counting
//     inserts and updates from xmax), the soft deletes, the sweep's seen
//     ids, the checkpoint upsert, and COMMIT.
//
// Invariant 8 of the architecture holds throughout: every identifier is
// quoted with pgx.Identifier.Sanitize and every value travels as a parameter
// or as COPY data, never formatted into SQL.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

var _ database.Destination = (*DB)(nil)

// Open opens a pool on dsn and checks that the database answers. An
// unreachable database is an EUNAVAILABLE error naming host:port/database
// (never the password); a DSN that does not parse is EINVALID.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn redacts passwords only on a best-effort basis: keep its
		// message (which quotes the DSN) out of ours, and keep only the
		// inner cause.
		return nil, &ferry.Error{Code: ferry.EINVALID, Message: "invalid postgres DSN: expected postgres://user:password@host:port/database or key=value pairs", Err: errors.Unwrap(err)}
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "ferry"
	}
	addr := net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))) + "/" + cfg.ConnConfig.Database
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, classify(err, "open postgres at %s", addr)
	}
	// The first existing schema of the search_path, skipping "ferry": with
	// the default search_path ("$user", public) and a role named ferry, the
	// ferry schema would otherwise capture the tables once it exists.
	var schema *string
	if err := pool.QueryRow(ctx, "SELECT (SELECT s FROM unnest(current_schemas(false)) WITH ORDINALITY AS u(s, i) WHERE s <> 'ferry' ORDER BY i LIMIT 1)").Scan(&schema); err != nil {
		pool.Close()
		return nil, classify(err, "connect to postgres at %s", addr)
	}
	if schema == nil {
		pool.Close()
		return nil, ferry.Errorf(ferry.EINVALID, "postgres at %s: no schema of the search_path exists (besides ferry's own); create one or set search_path in the DSN", addr)
	}
	return &DB{pool: pool, addr: addr, schema: *schema}, nil
}

// DB is an open Postgres destination: a connection pool.
type DB struct {
	pool   *pgxpool.Pool
	addr   string // host:port/database, for messages
	schema string // the schema tables live in, resolved at Open

	mu    sync.Mutex
	ready bool // the ferry schema exists

	stmts sync.Map // table shape key -> *tableSQL
}

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Pool returns the underlying pool, for tests and tools that share it.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// advisory lock key space (first half of the two-int4 form): "ferr".
const lockSpace = 0x66657272

// ensureFerry creates schema ferry and its tables once per DB, under an
// advisory lock so concurrent first use from several processes is safe.
func (db *DB) ensureFerry(ctx context.Context) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.ready {
		return nil
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return classify(err, "create ferry schema")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, 0)", int32(lockSpace)); err != nil {
		return classify(err, "create ferry schema")
	}
	// No arguments: pgx sends this as one simple-protocol message.
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS ferry;
CREATE TABLE IF NOT EXISTS ferry.checkpoints (
	key text PRIMARY KEY,
	backfill jsonb,
	incremental jsonb,
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ferry.sweep_seen (
	tbl text NOT NULL,
	sweep text NOT NULL,
	id text COLLATE "C" NOT NULL,
	PRIMARY KEY (tbl, id)
);
CREATE INDEX IF NOT EXISTS sweep_seen_sweep ON ferry.sweep_seen (tbl, sweep)`); err != nil {
		return classify(err, "create ferry schema")
	}
	if err := tx.Commit(ctx); err != nil {
		return classify(err, "create ferry schema")
	}
	db.ready = true
	return nil
}

func (db *DB) String() string { return fmt.Sprintf("postgres %s", db.addr) }

// pgErr returns the *pgconn.PgError in err's chain, or nil.
func pgErr(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}
