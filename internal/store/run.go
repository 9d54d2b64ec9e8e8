package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
)

// activeStatuses is the SQL list of statuses that hold a configuration's one
// run slot; it must match the predicate of the runs_one_active index.
const activeStatuses = "('queued', 'running')"

const runCols = `id, config, status, mode, reason, fetched, inserted, updated, unchanged, deleted, failed,
	batches, total, attempt, error_code, error, host, pid, started_at, finished_at, heartbeat_at`

func scanRun(sc interface{ Scan(...any) error }) (ferry.Run, error) {
	var r ferry.Run
	var status, mode string
	err := sc.Scan(&r.ID, &r.Config, &status, &mode, &r.Reason,
		&r.Counts.Fetched, &r.Counts.Inserted, &r.Counts.Updated, &r.Counts.Unchanged, &r.Counts.Deleted, &r.Counts.Failed,
		&r.Batches, &r.Total, &r.Attempt, &r.ErrorCode, &r.Error, &r.Host, &r.PID,
		timeCol{&r.StartedAt}, timeCol{&r.FinishedAt}, timeCol{&r.HeartbeatAt})
	r.Status, r.Mode = ferry.RunStatus(status), ferry.Mode(mode)
	return r, err
}

func validStatus(s ferry.RunStatus) bool {
	return s == ferry.RunQueued || s == ferry.RunRunning || s.Done()
}

// CreateRun records a new run of r.Config (which must exist: ENOTFOUND). It
// assigns r.ID when empty, defaults Status to queued, StartedAt and
// HeartbeatAt to now, and stores times with microsecond precision (r is
// updated to what was stored).
//
// At most one run per configuration is queued or running, across all
// processes sharing the database: creating a second one is ECONFLICT naming
// the run that holds the slot, its host and pid.
func (s *Store) CreateRun(ctx context.Context, r *ferry.Run) (err error) {
	if r.Config == "" {
		return ferry.Errorf(ferry.EINVALID, "a run needs a sync config")
	}
	if r.Status == "" {
		r.Status = ferry.RunQueued
	}
	if !validStatus(r.Status) {
		return ferry.Errorf(ferry.EINVALID, "run status %q is not valid", r.Status)
	}
	now := s.stampNow()
	if r.ID == "" {
		r.ID = NewRunID(now)
		defer func() {
			if err != nil {
				r.ID = "" // not stored: do not hand out an id nobody can find
			}
		}()
	}
	r.StartedAt, r.FinishedAt, r.HeartbeatAt = stamp(cmpTime(r.StartedAt, now)), stamp(r.FinishedAt), stamp(cmpTime(r.HeartbeatAt, now))
	if r.Status.Done() && r.FinishedAt.IsZero() {
		r.FinishedAt = now
	}
	for attempt := 0; ; attempt++ {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var one int
			err := s.queryRow(ctx, tx, "SELECT 1 FROM sync_configs WHERE name = ?", r.Config).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return ferry.Errorf(ferry.ENOTFOUND, "sync config %q does not exist", r.Config)
			}
			if err != nil {
				return err
			}
			_, err = s.exec(ctx, tx, "INSERT INTO runs ("+runCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				r.ID, r.Config, string(r.Status), string(r.Mode), r.Reason,
				r.Counts.Fetched, r.Counts.Inserted, r.Counts.Updated, r.Counts.Unchanged, r.Counts.Deleted, r.Counts.Failed,
				r.Batches, r.Total, r.Attempt, r.ErrorCode, r.Error, r.Host, r.PID,
				s.tv(r.StartedAt), s.tv(r.FinishedAt), s.tv(r.HeartbeatAt))
			return err
		})
		if err == nil {
			return nil
		}
		if !isUnique(err) {
			return s.dbErr(err, "create run")
		}
		// The id is taken, or (invariant 4) the unique partial index
		// runs_one_active refused a second queued-or-running run of this
		// configuration: say which run holds the slot.
		var one int
		if err := s.queryRow(ctx, s.db, "SELECT 1 FROM runs WHERE id = ?", r.ID).Scan(&one); err == nil {
			return ferry.Errorf(ferry.ECONFLICT, "run %s already exists", r.ID)
		}
		active, ok, err := s.activeRun(ctx, s.db, r.Config)
		if err != nil {
			return s.dbErr(err, "create run")
		}
		if ok {
			return ferry.Errorf(ferry.ECONFLICT, "sync config %q already has %s run %s (%s, started %s): wait for it to finish or cancel it",
				r.Config, active.Status, active.ID, holder(active), active.StartedAt.Format(time.RFC3339))
		}
		if attempt == 2 {
			return ferry.Errorf(ferry.ECONFLICT, "sync config %q has a run starting or finishing right now: try again", r.Config)
		}
		// The run that held the slot finished meanwhile: try again.
	}
}

// holder says which process holds a run, for messages.
func holder(r ferry.Run) string {
	if r.Host == "" && r.PID == 0 {
		return "not picked up by a worker yet"
	}
	return fmt.Sprintf("host %s, pid %d", r.Host, r.PID)
}

func cmpTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// activeRun returns the configuration's queued or running run, if any.
func (s *Store) activeRun(ctx context.Context, q querier, config string) (ferry.Run, bool, error) {
	r, err := scanRun(s.queryRow(ctx, q, "SELECT "+runCols+" FROM runs WHERE config = ? AND status IN "+activeStatuses, config))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	return r, true, nil
}

// ActiveRun returns the configuration's queued or running run, and whether
// there is one.
func (s *Store) ActiveRun(ctx context.Context, config string) (ferry.Run, bool, error) {
	r, ok, err := s.activeRun(ctx, s.db, config)
	return r, ok, s.dbErr(err, "get active run")
}

// UpdateRun stores a queued or running run's progress: status, mode, reason,
// counts, batches, total, attempt, error, host, pid, times. It sets
// HeartbeatAt to now (an update is a sign of life) and FinishedAt to now when
// the new status is final and FinishedAt is zero, and updates r to match.
// A run that is already final cannot change: ECONFLICT, which tells a
// process whose run was interrupted (InterruptStale) to stop. ENOTFOUND if
// there is no such run.
func (s *Store) UpdateRun(ctx context.Context, r *ferry.Run) error {
	if !validStatus(r.Status) {
		return ferry.Errorf(ferry.EINVALID, "run status %q is not valid", r.Status)
	}
	now := s.stampNow()
	r.StartedAt, r.FinishedAt, r.HeartbeatAt = stamp(r.StartedAt), stamp(r.FinishedAt), now
	if r.Status.Done() && r.FinishedAt.IsZero() {
		r.FinishedAt = now
	}
	res, err := s.exec(ctx, s.db, `UPDATE runs SET status = ?, mode = ?, reason = ?,
		fetched = ?, inserted = ?, updated = ?, unchanged = ?, deleted = ?, failed = ?,
		batches = ?, total = ?, attempt = ?, error_code = ?, error = ?, host = ?, pid = ?,
		started_at = COALESCE(?, started_at), finished_at = ?, heartbeat_at = ?
		WHERE id = ? AND status IN `+activeStatuses,
		string(r.Status), string(r.Mode), r.Reason,
		r.Counts.Fetched, r.Counts.Inserted, r.Counts.Updated, r.Counts.Unchanged, r.Counts.Deleted, r.Counts.Failed,
		r.Batches, r.Total, r.Attempt, r.ErrorCode, r.Error, r.Host, r.PID,
		s.tv(r.StartedAt), s.tv(r.FinishedAt), s.tv(now), r.ID)
	if err != nil {
		return s.dbErr(err, "update run "+r.ID)
	}
	if err := s.checkUpdated(ctx, res, r.ID); err != nil {
		return err
	}
	if r.StartedAt.IsZero() {
		return s.queryRow(ctx, s.db, "SELECT started_at FROM runs WHERE id = ?", r.ID).Scan(timeCol{&r.StartedAt})
	}
	return nil
}

// checkUpdated turns "no row updated" into ENOTFOUND or, for a run that is
// already final, ECONFLICT.
func (s *Store) checkUpdated(ctx context.Context, res sql.Result, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return s.dbErr(err, "update run "+id)
	}
	if n > 0 {
		return nil
	}
	var status string
	err = s.queryRow(ctx, s.db, "SELECT status FROM runs WHERE id = ?", id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return ferry.Errorf(ferry.ENOTFOUND, "run %s does not exist", id)
	}
	if err != nil {
		return s.dbErr(err, "update run "+id)
	}
	return ferry.Errorf(ferry.ECONFLICT, "run %s is already %s and can no longer change", id, status)
}

// Heartbeat records that the run's process is alive. ECONFLICT when the run
// is no longer queued or running (it was interrupted: stop working on it).
func (s *Store) Heartbeat(ctx context.Context, id string) error {
	res, err := s.exec(ctx, s.db, "UPDATE runs SET heartbeat_at = ? WHERE id = ? AND status IN "+activeStatuses, s.tv(s.now()), id)
	if err != nil {
		return s.dbErr(err, "heartbeat run "+id)
	}
	return s.checkUpdated(ctx, res, id)
}

// GetRun returns the run, or ENOTFOUND.
func (s *Store) GetRun(ctx context.Context, id string) (ferry.Run, error) {
	r, err := scanRun(s.queryRow(ctx, s.db, "SELECT "+runCols+" FROM runs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ferry.Errorf(ferry.ENOTFOUND, "run %s does not exist", id)
	}
	if err != nil {
		return r, s.dbErr(err, "get run")
	}
	return r, nil
}

// RunFilter selects runs for ListRuns. Zero fields select everything.
type RunFilter struct {
	Config string
	Status ferry.RunStatus
	Limit  int    // at most this many; 0 means 100
	Before string // only runs older than this run id (the last id of the previous page)
}

// ListRuns returns runs newest first.
func (s *Store) ListRuns(ctx context.Context, f RunFilter) ([]ferry.Run, error) {
	var where []string
	var args []any
	if f.Config != "" {
		where, args = append(where, "config = ?"), append(args, f.Config)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.Before != "" {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	q := "SELECT " + runCols + " FROM runs"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.query(ctx, s.db, q, args...)
	if err != nil {
		return nil, s.dbErr(err, "list runs")
	}
	defer rows.Close()
	var runs []ferry.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, s.dbErr(err, "list runs")
		}
		runs = append(runs, r)
	}
	return runs, s.dbErr(rows.Err(), "list runs")
}

// InterruptStale marks queued and running runs interrupted when their
// process is known to be dead or they stopped heartbeating, and returns
// their ids, sorted. A process is known dead when the run was started on
// this host (os.Hostname) and alive(host, pid) returns false; runs of other
// hosts are judged by their heartbeat alone: a heartbeat before staleBefore
// means stale.
func (s *Store) InterruptStale(ctx context.Context, alive func(host string, pid int) bool, staleBefore time.Time) ([]string, error) {
	rows, err := s.query(ctx, s.db, "SELECT id, host, pid, heartbeat_at FROM runs WHERE status IN "+activeStatuses)
	if err != nil {
		return nil, s.dbErr(err, "find stale runs")
	}
	type cand struct {
		id, host  string
		pid       int
		heartbeat time.Time
	}
	var cands []cand
	for rows.Next() {
		var c cand
		if err := rows.Scan(&c.id, &c.host, &c.pid, timeCol{&c.heartbeat}); err != nil {
			rows.Close()
			return nil, s.dbErr(err, "find stale runs")
		}
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.dbErr(err, "find stale runs")
	}
	staleBefore = stamp(staleBefore)
	now := s.stampNow()
	var ids []string
	for _, c := range cands {
		var res sql.Result
		var err error
		switch {
		case alive != nil && c.host != "" && c.host == s.host && c.pid > 0 && !alive(c.host, c.pid):
			res, err = s.exec(ctx, s.db, "UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE id = ? AND status IN "+activeStatuses,
				string(ferry.RunInterrupted), s.tv(now), fmt.Sprintf("the process running it (pid %d on %s) is gone", c.pid, c.host), c.id)
		case !staleBefore.IsZero() && c.heartbeat.Before(staleBefore):
			// The heartbeat condition is checked again in the update, so a
			// run that heartbeats right now is left alone.
			res, err = s.exec(ctx, s.db, "UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE id = ? AND heartbeat_at < ? AND status IN "+activeStatuses,
				string(ferry.RunInterrupted), s.tv(now),
				fmt.Sprintf("no heartbeat since %s from pid %d on %s", c.heartbeat.Format(time.RFC3339), c.pid, c.host), c.id, s.tv(staleBefore))
		default:
			continue
		}
		if err != nil {
			return ids, s.dbErr(err, "interrupt run "+c.id)
		}
		if n, err := res.RowsAffected(); err != nil {
			return ids, s.dbErr(err, "interrupt run "+c.id)
		} else if n > 0 {
			ids = append(ids, c.id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// IncrementalsSinceFull counts the configuration's succeeded incremental runs
// after its last succeeded full run (all of them if it never had one), for
// the "a full run every N incrementals" strategy.
func (s *Store) IncrementalsSinceFull(ctx context.Context, config string) (int, error) {
	var n int
	err := s.queryRow(ctx, s.db, `SELECT COUNT(*) FROM runs
		WHERE config = ? AND status = ? AND mode = ?
		AND id > COALESCE((SELECT MAX(id) FROM runs WHERE config = ? AND status = ? AND mode = ?), '')`,
		config, string(ferry.RunSucceeded), string(ferry.ModeIncremental),
		config, string(ferry.RunSucceeded), string(ferry.ModeFull)).Scan(&n)
	return n, s.dbErr(err, "count incremental runs")
}
