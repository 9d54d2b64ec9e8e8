package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/ferrysync/ferry"
)

// Migrations are numbered files per dialect: migrations/<dialect>/NNNN_name.sql.
// Applied versions are recorded in schema_migrations. A migration is never
// edited once released; a change is a new file.
//
//go:embed migrations
var migrationFS embed.FS

// migrateLockKey is the Postgres advisory lock taken while migrating
// (an arbitrary constant: "ferry" in ASCII, then a schema counter).
const migrateLockKey = 0x6665727279_0001

type migration struct {
	version int
	name    string
	sql     string
}

func migrations(d dialect) ([]migration, error) {
	dir := path.Join("migrations", d.String())
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s/%s: name must start with a positive number and _", dir, e.Name())
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// migrate applies the missing migrations in one transaction, holding a lock
// that serialises concurrent migrators: a transaction-scoped advisory lock
// in Postgres, the write lock of BEGIN IMMEDIATE in SQLite. The second
// process to get the lock finds the work done.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations(s.dialect)
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if s.dialect == dialectPostgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLockKey)); err != nil {
				return s.dbErr(err, "lock for migration")
			}
		}
		createdType := "TEXT"
		if s.dialect == dialectPostgres {
			createdType = "TIMESTAMPTZ"
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at `+createdType+` NOT NULL)`); err != nil {
			return s.dbErr(err, "create schema_migrations")
		}
		applied := map[int]bool{}
		maxApplied := 0
		rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return s.dbErr(err, "read schema_migrations")
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return s.dbErr(err, "read schema_migrations")
			}
			applied[v] = true
			maxApplied = max(maxApplied, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.dbErr(err, "read schema_migrations")
		}
		if n := len(ms); n > 0 && maxApplied > ms[n-1].version {
			return ferry.Errorf(ferry.EINVALID,
				"the control database schema is at version %d, newer than this Ferry knows (%d): upgrade ferry", maxApplied, ms[n-1].version)
		}
		for _, m := range ms {
			if applied[m.version] {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return s.dbErr(err, "apply migration "+m.name)
			}
			if _, err := s.exec(ctx, tx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, s.tv(s.now())); err != nil {
				return s.dbErr(err, "record migration "+m.name)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate %s control database: %w", s.dialect, err)
	}
	return nil
}
