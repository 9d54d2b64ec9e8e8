package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
)

// RunCounts counts runs by status, over the whole history.
func (s *Store) RunCounts(ctx context.Context) (map[ferry.RunStatus]int64, error) {
	rows, err := s.query(ctx, s.db, "SELECT status, COUNT(*) FROM runs GROUP BY status")
	if err != nil {
		return nil, s.dbErr(err, "count runs")
	}
	defer rows.Close()
	out := map[ferry.RunStatus]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, s.dbErr(err, "count runs")
		}
		out[ferry.RunStatus(st)] = n
	}
	return out, s.dbErr(rows.Err(), "count runs")
}

// RecordCounts sums the record counts of all runs per sync configuration:
// what Ferry fetched and wrote, over the whole history, running runs
// included (their counts grow as batches commit).
func (s *Store) RecordCounts(ctx context.Context) (map[string]ferry.Counts, error) {
	rows, err := s.query(ctx, s.db, `SELECT config, SUM(fetched), SUM(inserted), SUM(updated), SUM(unchanged), SUM(deleted), SUM(failed)
		FROM runs GROUP BY config`)
	if err != nil {
		return nil, s.dbErr(err, "sum record counts")
	}
	defer rows.Close()
	out := map[string]ferry.Counts{}
	for rows.Next() {
		var name string
		var c ferry.Counts
		if err := rows.Scan(&name, &c.Fetched, &c.Inserted, &c.Updated, &c.Unchanged, &c.Deleted, &c.Failed); err != nil {
			return nil, s.dbErr(err, "sum record counts")
		}
		out[name] = c
	}
	return out, s.dbErr(rows.Err(), "sum record counts")
}

// DurationHistogram is a cumulative histogram of batch durations.
type DurationHistogram struct {
	Bounds []time.Duration // upper bounds, ascending
	Counts []uint64        // Counts[i]: batches that took at most Bounds[i]
	Count  uint64
	Sum    time.Duration
}

// BatchDurations returns the histogram of all recorded batches' durations
// over bounds (ascending), in one pass over the batch log.
func (s *Store) BatchDurations(ctx context.Context, bounds []time.Duration) (DurationHistogram, error) {
	h := DurationHistogram{Bounds: bounds, Counts: make([]uint64, len(bounds))}
	var q strings.Builder
	q.WriteString("SELECT COUNT(*), COALESCE(SUM(duration_us), 0)")
	for _, b := range bounds {
		fmt.Fprintf(&q, ", COALESCE(SUM(CASE WHEN duration_us <= %d THEN 1 ELSE 0 END), 0)", b.Microseconds())
	}
	q.WriteString(" FROM batches")
	var sumUS int64
	dest := []any{&h.Count, &sumUS}
	for i := range h.Counts {
		dest = append(dest, &h.Counts[i])
	}
	if err := s.queryRow(ctx, s.db, q.String()).Scan(dest...); err != nil {
		return h, s.dbErr(err, "histogram of batch durations")
	}
	h.Sum = time.Duration(sumUS) * time.Microsecond
	return h, nil
}
