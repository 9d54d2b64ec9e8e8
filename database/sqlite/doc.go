// Package sqlite is Ferry's embedded default destination: a single SQLite
// file, written through the pure-Go driver modernc.org/sqlite (no cgo).
//
// # DSN
//
// Open accepts these forms:
//
//	sqlite:///abs/path/file.db   absolute path (three slashes)
//	sqlite://relative/file.db    path relative to the working directory
//	sqlite:relative.db           the same, without the slashes
//	sqlite:/abs/path/file.db     absolute, without the authority
//	file:/abs/path/file.db       a SQLite URI (https://www.sqlite.org/uri.html),
//	file:///abs/path/file.db     passed to SQLite as written, query included
//	file:relative.db             (e.g. file:x.db?cache=private)
//
// The sqlite: forms take no query parameters. In-memory databases are
// refused: the destination must outlive its connections. The file and its
// parent directories are created when missing.
//
// # Connections
//
// Every connection runs with journal_mode=WAL, busy_timeout=10000 (10 s),
// synchronous=NORMAL, foreign_keys=ON and SQLite's double-quoted-string
// quirk off (a quoted identifier that does not resolve is an error, never a
// string literal); the writer has a 16 MB page cache and checkpoints the WAL
// every 8192 pages (32 MB) rather than 1000, which cuts checkpoint work on
// bulk syncs by a few per cent. Writes go through a pool of
// exactly one connection and every write transaction starts with BEGIN
// IMMEDIATE, so concurrent Writes queue instead of failing with
// SQLITE_BUSY; reads (Rows, Checkpoint) use a separate pool of query-only
// connections and, thanks to WAL, never wait for a writer.
//
// # Layout
//
// Each sync configuration owns one table (database.Table.Name):
//
//	"id"               TEXT PRIMARY KEY (the provider id)
//	<typed columns>    see the type mapping below
//	"_raw"             TEXT, the whole provider object as JSON
//	"_ferry_synced_at" TIMESTAMP TEXT, when the row last changed
//	"_ferry_deleted_at" TIMESTAMP TEXT, NULL while live (soft delete)
//	"_ferry_run_id"    TEXT, the run that last changed the row
//
// Ferry's own state lives in tables prefixed ferry_:
//
//	ferry_checkpoints(key PRIMARY KEY, backfill, incremental, updated_at)
//	ferry_sweep_seen(tbl, sweep, id, PRIMARY KEY(tbl, sweep, id))  ids seen by running full sweeps;
//	                 tbl is the table name with ASCII letters lower-cased, as SQLite matches names
//
// # Writes
//
// A Write is one BEGIN IMMEDIATE transaction: the rows are converted and
// checked first (a bad row fails the batch before any lock is taken), then
// upserted in multi-row INSERT ... ON CONFLICT(id) DO UPDATE ... WHERE
// statements whose WHERE skips rows that did not change (_raw, a typed
// column, or a soft delete), then the soft deletes run, then the sweep's
// seen ids are recorded, then the checkpoint is saved. Counts are exact and
// over distinct ids: inserted = ids not present before, updated = rows the
// statements changed minus inserts, unchanged = the rest. Of several rows
// with one id the last wins. Ids must be non-empty UTF-8 text without NUL
// bytes (EINVALID otherwise; such ids in Deletes are ignored).
//
// # Type mapping
//
// Each Ferry type has its own declared column type, so PRAGMA table_info
// tells Prepare the Ferry type back and a changed type is detected. The
// declared type also fixes SQLite's type affinity (in parentheses):
//
//	ferry.String     TEXT            (TEXT)     Go string
//	ferry.Integer    INTEGER         (INTEGER)  Go int64
//	ferry.Number     REAL            (REAL)     Go float64
//	ferry.Boolean    BOOLEAN INTEGER (INTEGER)  0 or 1; Go bool
//	ferry.Timestamp  TIMESTAMP TEXT  (TEXT)     RFC 3339 in UTC with exactly nine
//	                                            fractional digits; Go time.Time (UTC)
//	ferry.JSON       JSON TEXT       (TEXT)     valid JSON text; Go string
//
// Timestamps are text rather than unix integers because a person reading
// the file sees a date, SQLite's date functions take it as is
// (datetime("_ferry_synced_at")), and the fixed width
// (2024-05-01T12:00:00.000000000Z) makes text order equal time order, so
// comparisons and ORDER BY work on the column directly, at full nanosecond
// precision. Writes accept a time.Time in any zone and store it in UTC.
//
// When Prepare adds a column to an existing table it fills it from _raw
// with json_extract and the -> operators, converting like the write path:
// unix seconds become the timestamp text above, JSON true/false become 1/0,
// JSON values are stored as minified JSON text. A value that does not fit
// the column's type becomes NULL.
//
// # Safety
//
// Every identifier is quoted (double quotes, doubled inside) and every value
// is a bound parameter, JSON paths included.
package sqlite
