package store

import (
	"fmt"
	"time"
)

// sqliteTime is the fixed-width text form of a time in SQLite: always UTC and
// six fractional digits, so that text order is time order.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// stamp returns t as the store keeps it: UTC, truncated to microseconds.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// now returns the store clock's time as stored.
func (s *Store) stampNow() time.Time { return stamp(s.now()) }

// tv returns t as a query argument: NULL when zero, timestamptz for Postgres,
// fixed-width text for SQLite.
func (s *Store) tv(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	t = stamp(t)
	if s.dialect == dialectPostgres {
		return t
	}
	return t.Format(sqliteTime)
}

// timeCol scans a time column of either dialect; NULL is the zero time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
	case time.Time:
		*c.t = stamp(v)
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	default:
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	return nil
}

func (c timeCol) parse(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	*c.t = stamp(t)
	return nil
}
