package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/ferrysync/ferry"
)

// PutProject inserts the project or updates the one with its name, and
// reports whether anything changed. It sets p.CreatedAt and p.UpdatedAt to
// the stored values; UpdatedAt moves only on a change.
func (s *Store) PutProject(ctx context.Context, p *ferry.Project) (changed bool, err error) {
	if err := validName("project", p.Name); err != nil {
		return false, err
	}
	err = s.retryOnUnique(func() error {
		return s.inTx(ctx, func(tx *sql.Tx) error {
			var cur ferry.Project
			var sealed string
			err := s.queryRow(ctx, tx, "SELECT dsn, active, created_at, updated_at FROM projects WHERE name = ?"+s.forUpdate(), p.Name).
				Scan(&sealed, &cur.Active, timeCol{&cur.CreatedAt}, timeCol{&cur.UpdatedAt})
			now := s.stampNow()
			if errors.Is(err, sql.ErrNoRows) {
				dsn, err := s.sealSecret(p.DSN)
				if err != nil {
					return err
				}
				if _, err := s.exec(ctx, tx, "INSERT INTO projects (name, dsn, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
					p.Name, dsn, p.Active, s.tv(now), s.tv(now)); err != nil {
					return err
				}
				p.CreatedAt, p.UpdatedAt, changed = now, now, true
				return nil
			}
			if err != nil {
				return s.dbErr(err, "read project")
			}
			if s.sameSecret(sealed, p.DSN) && cur.Active == p.Active {
				p.CreatedAt, p.UpdatedAt = cur.CreatedAt, cur.UpdatedAt
				return nil
			}
			dsn, err := s.sealSecret(p.DSN)
			if err != nil {
				return err
			}
			if _, err := s.exec(ctx, tx, "UPDATE projects SET dsn = ?, active = ?, updated_at = ? WHERE name = ?",
				dsn, p.Active, s.tv(now), p.Name); err != nil {
				return s.dbErr(err, "update project")
			}
			p.CreatedAt, p.UpdatedAt, changed = cur.CreatedAt, now, true
			return nil
		})
	})
	if err != nil {
		return false, s.dbErr(err, "put project "+p.Name)
	}
	return changed, nil
}

const projectCols = "name, dsn, active, created_at, updated_at"

func (s *Store) scanProject(sc interface{ Scan(...any) error }) (ferry.Project, error) {
	var p ferry.Project
	var sealed string
	if err := sc.Scan(&p.Name, &sealed, &p.Active, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}); err != nil {
		return p, err
	}
	var err error
	p.DSN, err = s.openSecret(sealed, `the DSN of project "`+p.Name+`"`)
	return p, err
}

// GetProject returns the named project, or ENOTFOUND.
func (s *Store) GetProject(ctx context.Context, name string) (ferry.Project, error) {
	p, err := s.scanProject(s.queryRow(ctx, s.db, "SELECT "+projectCols+" FROM projects WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return p, ferry.Errorf(ferry.ENOTFOUND, "project %q does not exist", name)
	}
	if err != nil {
		return p, s.dbErr(err, "get project")
	}
	return p, nil
}

// ListProjects returns all projects sorted by name.
func (s *Store) ListProjects(ctx context.Context) ([]ferry.Project, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+projectCols+" FROM projects ORDER BY name")
	if err != nil {
		return nil, s.dbErr(err, "list projects")
	}
	defer rows.Close()
	var ps []ferry.Project
	for rows.Next() {
		p, err := s.scanProject(rows)
		if err != nil {
			return nil, s.dbErr(err, "list projects")
		}
		ps = append(ps, p)
	}
	return ps, s.dbErr(rows.Err(), "list projects")
}

// DeleteProject deletes the named project. ENOTFOUND if it does not exist,
// ECONFLICT naming the sync configs that still write into it.
func (s *Store) DeleteProject(ctx context.Context, name string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		users, err := s.names(ctx, tx, "SELECT name FROM sync_configs WHERE project = ? ORDER BY name", name)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return ferry.Errorf(ferry.ECONFLICT, "project %q is used by sync config %s: delete them or move them to another project first",
				name, quoteList(users))
		}
		return s.deleteByName(ctx, tx, "projects", "project", name)
	})
	if isForeignKey(err) { // a sync config appeared meanwhile
		return ferry.Errorf(ferry.ECONFLICT, "project %q is used by a sync config: delete it or move it to another project first", name)
	}
	return s.dbErr(err, "delete project "+name)
}

func (s *Store) deleteByName(ctx context.Context, tx *sql.Tx, table, kind, name string) error {
	res, err := s.exec(ctx, tx, "DELETE FROM "+table+" WHERE name = ?", name)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ferry.Errorf(ferry.ENOTFOUND, "%s %q does not exist", kind, name)
	}
	return nil
}

// names runs a query returning one text column.
func (s *Store) names(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := s.query(ctx, q, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	return strings.Join(q, ", ")
}

// retryOnUnique runs fn again when it lost an insert race (two Puts of one
// new name): the second attempt finds the row and updates it.
func (s *Store) retryOnUnique(fn func() error) error {
	var err error
	for range 3 {
		if err = fn(); !isUnique(err) {
			return err
		}
	}
	return err
}
