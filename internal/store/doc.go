// Package store keeps Ferry's control state: projects, connections, sync
// configurations, runs, their batches and per-record errors.
//
// One implementation over database/sql speaks two dialects: SQLite (the
// embedded default, a file, pure-Go driver) and PostgreSQL (distributed mode,
// through pgx's database/sql driver). Queries are written once with ?
// placeholders and rebound to $n for Postgres; the schema lives in numbered
// migrations per dialect, embedded in the binary and applied by Open under a
// lock (a Postgres advisory lock, an immediate SQLite transaction), so two
// processes may open a fresh database at the same time.
//
// Invariants:
//   - Secrets (Project.DSN, Connection.APIKey) are sealed by the Sealer
//     before they reach the database and opened only when read back.
//   - At most one run per sync configuration is queued or running, across
//     processes: a unique partial index on runs(config) WHERE status IN
//     ('queued','running') enforces it in both dialects.
//   - A finished run is never updated again: a process that lost its run
//     (marked interrupted by InterruptStale) gets ECONFLICT and must stop.
//   - Times are stored in UTC with microsecond precision (timestamptz in
//     Postgres, fixed-width RFC 3339 text in SQLite, which sorts as time).
//   - Run ids are time-ordered, so "newest first" is "id descending".
package store
