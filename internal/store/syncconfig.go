package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/ferrysync/ferry"
)

func validateSyncConfig(c *ferry.SyncConfig) error {
	if err := validName("sync config", c.Name); err != nil {
		return err
	}
	switch {
	case c.Connection == "":
		return ferry.Errorf(ferry.EINVALID, "sync config %q needs a connection", c.Name)
	case c.Project == "":
		return ferry.Errorf(ferry.EINVALID, "sync config %q needs a project", c.Name)
	case c.Strategy != "" && c.Strategy != ferry.Full && c.Strategy != ferry.Incremental:
		return ferry.Errorf(ferry.EINVALID, "sync config %q: strategy %q is not %q or %q", c.Name, c.Strategy, ferry.Full, ferry.Incremental)
	case c.Direction != "" && c.Direction != ferry.OneWay && c.Direction != ferry.TwoWay:
		return ferry.Errorf(ferry.EINVALID, "sync config %q: direction %q is not %q or %q", c.Name, c.Direction, ferry.OneWay, ferry.TwoWay)
	case c.FullEvery < 0:
		return ferry.Errorf(ferry.EINVALID, "sync config %q: full_every %d must not be negative", c.Name, c.FullEvery)
	}
	return nil
}

// sameSyncConfig compares the stored fields; empty and nil Fields or Rename
// are the same.
func sameSyncConfig(a, b *ferry.SyncConfig) bool {
	return a.Connection == b.Connection && a.Object == b.Object && a.Project == b.Project &&
		a.Table == b.Table && slices.Equal(a.Fields, b.Fields) && maps.Equal(a.Rename, b.Rename) &&
		a.Strategy == b.Strategy && a.FullEvery == b.FullEvery && a.Direction == b.Direction && a.Active == b.Active
}

func encodeJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// PutSyncConfig inserts the sync config or updates the one with its name, and
// reports whether anything changed. Its connection and project must exist
// (ENOTFOUND). It sets c.CreatedAt and c.UpdatedAt to the stored values;
// UpdatedAt moves only on a change.
func (s *Store) PutSyncConfig(ctx context.Context, c *ferry.SyncConfig) (changed bool, err error) {
	if err := validateSyncConfig(c); err != nil {
		return false, err
	}
	fields, err := encodeJSON(c.Fields)
	if err != nil {
		return false, fmt.Errorf("encode fields: %w", err)
	}
	rename, err := encodeJSON(c.Rename)
	if err != nil {
		return false, fmt.Errorf("encode rename: %w", err)
	}
	if len(c.Fields) == 0 {
		fields = "[]"
	}
	if len(c.Rename) == 0 {
		rename = "{}"
	}
	err = s.retryOnUnique(func() error {
		return s.inTx(ctx, func(tx *sql.Tx) error {
			for _, ref := range []struct{ table, kind, name string }{
				{"connections", "connection", c.Connection}, {"projects", "project", c.Project},
			} {
				var one int
				err := s.queryRow(ctx, tx, "SELECT 1 FROM "+ref.table+" WHERE name = ?", ref.name).Scan(&one)
				if errors.Is(err, sql.ErrNoRows) {
					return ferry.Errorf(ferry.ENOTFOUND, "sync config %q uses %s %q, which does not exist", c.Name, ref.kind, ref.name)
				}
				if err != nil {
					return s.dbErr(err, "check "+ref.kind)
				}
			}
			cur, err := s.scanSyncConfig(s.queryRow(ctx, tx, "SELECT "+syncConfigCols+" FROM sync_configs WHERE name = ?"+s.forUpdate(), c.Name))
			now := s.stampNow()
			if errors.Is(err, sql.ErrNoRows) {
				if _, err := s.exec(ctx, tx, `INSERT INTO sync_configs (name, connection, object, project, table_name, fields, rename,
					strategy, full_every, direction, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					c.Name, c.Connection, c.Object, c.Project, c.Table, fields, rename,
					string(c.Strategy), c.FullEvery, string(c.Direction), c.Active, s.tv(now), s.tv(now)); err != nil {
					return err
				}
				c.CreatedAt, c.UpdatedAt, changed = now, now, true
				return nil
			}
			if err != nil {
				return s.dbErr(err, "read sync config")
			}
			if sameSyncConfig(&cur, c) {
				c.CreatedAt, c.UpdatedAt = cur.CreatedAt, cur.UpdatedAt
				return nil
			}
			if _, err := s.exec(ctx, tx, `UPDATE sync_configs SET connection = ?, object = ?, project = ?, table_name = ?, fields = ?,
				rename = ?, strategy = ?, full_every = ?, direction = ?, active = ?, updated_at = ? WHERE name = ?`,
				c.Connection, c.Object, c.Project, c.Table, fields, rename,
				string(c.Strategy), c.FullEvery, string(c.Direction), c.Active, s.tv(now), c.Name); err != nil {
				return err
			}
			c.CreatedAt, c.UpdatedAt, changed = cur.CreatedAt, now, true
			return nil
		})
	})
	if isForeignKey(err) { // the connection or project was deleted meanwhile
		return false, ferry.Errorf(ferry.ENOTFOUND, "sync config %q uses a connection or project that does not exist", c.Name)
	}
	if err != nil {
		return false, s.dbErr(err, "put sync config "+c.Name)
	}
	return changed, nil
}

const syncConfigCols = "name, connection, object, project, table_name, fields, rename, strategy, full_every, direction, active, created_at, updated_at"

func (s *Store) scanSyncConfig(sc interface{ Scan(...any) error }) (ferry.SyncConfig, error) {
	var c ferry.SyncConfig
	var fields, rename, strategy, direction string
	if err := sc.Scan(&c.Name, &c.Connection, &c.Object, &c.Project, &c.Table, &fields, &rename,
		&strategy, &c.FullEvery, &direction, &c.Active, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}); err != nil {
		return c, err
	}
	c.Strategy, c.Direction = ferry.Strategy(strategy), ferry.Direction(direction)
	if err := json.Unmarshal([]byte(fields), &c.Fields); err != nil {
		return c, fmt.Errorf("sync config %q: decode fields: %w", c.Name, err)
	}
	if err := json.Unmarshal([]byte(rename), &c.Rename); err != nil {
		return c, fmt.Errorf("sync config %q: decode rename: %w", c.Name, err)
	}
	if len(c.Fields) == 0 {
		c.Fields = nil
	}
	if len(c.Rename) == 0 {
		c.Rename = nil
	}
	return c, nil
}

// GetSyncConfig returns the named sync config, or ENOTFOUND.
func (s *Store) GetSyncConfig(ctx context.Context, name string) (ferry.SyncConfig, error) {
	c, err := s.scanSyncConfig(s.queryRow(ctx, s.db, "SELECT "+syncConfigCols+" FROM sync_configs WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ferry.Errorf(ferry.ENOTFOUND, "sync config %q does not exist", name)
	}
	if err != nil {
		return c, s.dbErr(err, "get sync config")
	}
	return c, nil
}

// ListSyncConfigs returns all sync configs sorted by name.
func (s *Store) ListSyncConfigs(ctx context.Context) ([]ferry.SyncConfig, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+syncConfigCols+" FROM sync_configs ORDER BY name")
	if err != nil {
		return nil, s.dbErr(err, "list sync configs")
	}
	defer rows.Close()
	var cs []ferry.SyncConfig
	for rows.Next() {
		c, err := s.scanSyncConfig(rows)
		if err != nil {
			return nil, s.dbErr(err, "list sync configs")
		}
		cs = append(cs, c)
	}
	return cs, s.dbErr(rows.Err(), "list sync configs")
}

// DeleteSyncConfig deletes the named sync config; its run history stays.
// ENOTFOUND if it does not exist, ECONFLICT while it has a queued or running
// run.
func (s *Store) DeleteSyncConfig(ctx context.Context, name string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if r, ok, err := s.activeRun(ctx, tx, name); err != nil {
			return err
		} else if ok {
			return ferry.Errorf(ferry.ECONFLICT, "sync config %q has %s run %s (%s): wait for it to finish or cancel it first",
				name, r.Status, r.ID, holder(r))
		}
		return s.deleteByName(ctx, tx, "sync_configs", "sync config", name)
	})
	return s.dbErr(err, "delete sync config "+name)
}
