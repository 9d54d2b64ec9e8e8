package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/ferrysync/ferry"
)

// PutConnection inserts the connection or updates the one with its name, and
// reports whether anything changed. It sets c.CreatedAt and c.UpdatedAt to
// the stored values; UpdatedAt moves only on a change.
func (s *Store) PutConnection(ctx context.Context, c *ferry.Connection) (changed bool, err error) {
	if err := validName("connection", c.Name); err != nil {
		return false, err
	}
	if c.RateLimit < 0 {
		return false, ferry.Errorf(ferry.EINVALID, "connection %q: rate limit %v must not be negative", c.Name, c.RateLimit)
	}
	err = s.retryOnUnique(func() error {
		return s.inTx(ctx, func(tx *sql.Tx) error {
			var cur ferry.Connection
			var sealed string
			err := s.queryRow(ctx, tx, "SELECT provider, api_key, base_url, rate_limit, created_at, updated_at FROM connections WHERE name = ?"+s.forUpdate(), c.Name).
				Scan(&cur.Provider, &sealed, &cur.BaseURL, &cur.RateLimit, timeCol{&cur.CreatedAt}, timeCol{&cur.UpdatedAt})
			now := s.stampNow()
			if errors.Is(err, sql.ErrNoRows) {
				key, err := s.sealSecret(c.APIKey)
				if err != nil {
					return err
				}
				if _, err := s.exec(ctx, tx, "INSERT INTO connections (name, provider, api_key, base_url, rate_limit, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
					c.Name, c.Provider, key, c.BaseURL, c.RateLimit, s.tv(now), s.tv(now)); err != nil {
					return err
				}
				c.CreatedAt, c.UpdatedAt, changed = now, now, true
				return nil
			}
			if err != nil {
				return s.dbErr(err, "read connection")
			}
			if cur.Provider == c.Provider && cur.BaseURL == c.BaseURL && cur.RateLimit == c.RateLimit && s.sameSecret(sealed, c.APIKey) {
				c.CreatedAt, c.UpdatedAt = cur.CreatedAt, cur.UpdatedAt
				return nil
			}
			key, err := s.sealSecret(c.APIKey)
			if err != nil {
				return err
			}
			if _, err := s.exec(ctx, tx, "UPDATE connections SET provider = ?, api_key = ?, base_url = ?, rate_limit = ?, updated_at = ? WHERE name = ?",
				c.Provider, key, c.BaseURL, c.RateLimit, s.tv(now), c.Name); err != nil {
				return s.dbErr(err, "update connection")
			}
			c.CreatedAt, c.UpdatedAt, changed = cur.CreatedAt, now, true
			return nil
		})
	})
	if err != nil {
		return false, s.dbErr(err, "put connection "+c.Name)
	}
	return changed, nil
}

const connectionCols = "name, provider, api_key, base_url, rate_limit, created_at, updated_at"

func (s *Store) scanConnection(sc interface{ Scan(...any) error }) (ferry.Connection, error) {
	var c ferry.Connection
	var sealed string
	if err := sc.Scan(&c.Name, &c.Provider, &sealed, &c.BaseURL, &c.RateLimit, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}); err != nil {
		return c, err
	}
	var err error
	c.APIKey, err = s.openSecret(sealed, `the API key of connection "`+c.Name+`"`)
	return c, err
}

// GetConnection returns the named connection, or ENOTFOUND.
func (s *Store) GetConnection(ctx context.Context, name string) (ferry.Connection, error) {
	c, err := s.scanConnection(s.queryRow(ctx, s.db, "SELECT "+connectionCols+" FROM connections WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ferry.Errorf(ferry.ENOTFOUND, "connection %q does not exist", name)
	}
	if err != nil {
		return c, s.dbErr(err, "get connection")
	}
	return c, nil
}

// ListConnections returns all connections sorted by name.
func (s *Store) ListConnections(ctx context.Context) ([]ferry.Connection, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+connectionCols+" FROM connections ORDER BY name")
	if err != nil {
		return nil, s.dbErr(err, "list connections")
	}
	defer rows.Close()
	var cs []ferry.Connection
	for rows.Next() {
		c, err := s.scanConnection(rows)
		if err != nil {
			return nil, s.dbErr(err, "list connections")
		}
		cs = append(cs, c)
	}
	return cs, s.dbErr(rows.Err(), "list connections")
}

// DeleteConnection deletes the named connection. ENOTFOUND if it does not
// exist, ECONFLICT naming the sync configs that still read from it.
func (s *Store) DeleteConnection(ctx context.Context, name string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		users, err := s.names(ctx, tx, "SELECT name FROM sync_configs WHERE connection = ? ORDER BY name", name)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return ferry.Errorf(ferry.ECONFLICT, "connection %q is used by sync config %s: delete them or move them to another connection first",
				name, quoteList(users))
		}
		return s.deleteByName(ctx, tx, "connections", "connection", name)
	})
	if isForeignKey(err) {
		return ferry.Errorf(ferry.ECONFLICT, "connection %q is used by a sync config: delete it or move it to another connection first", name)
	}
	return s.dbErr(err, "delete connection "+name)
}
