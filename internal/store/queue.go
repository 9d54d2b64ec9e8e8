package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ferrysync/ferry"
)

// The run queue. A queued run is a row in runs with status queued; the
// runs_one_active index keeps it the configuration's only queued-or-running
// run (invariant 4), so the queue never holds two runs of one configuration.
// Workers claim the oldest due run (not_before passed) of a connection that
// is not paused, turning it running in the same transaction.

// Enqueue says what a queued run should do.
type Enqueue struct {
	Attempt   int       // 1 for a new run; retries and resumptions count up
	NotBefore time.Time // not claimed before this; zero means now
	Full      bool      // force a full pass
	Trigger   string    // manual, schedule, retry, resume
}

// EnqueueRun creates a queued run of config: ECONFLICT naming the active run
// when the configuration already has one.
func (s *Store) EnqueueRun(ctx context.Context, config string, e Enqueue) (ferry.Run, error) {
	now := s.stampNow()
	nb := stamp(e.NotBefore)
	if nb.IsZero() || nb.Before(now) {
		nb = now
	}
	// A queued run's heartbeat is kept fresh by live workers (TouchQueued);
	// until the first touch it counts from when it becomes due.
	r := ferry.Run{Config: config, Status: ferry.RunQueued, Attempt: max(e.Attempt, 1), HeartbeatAt: nb}
	if err := s.CreateRun(ctx, &r); err != nil {
		return ferry.Run{}, err
	}
	// Until not_before is set the run is not claimable, so a worker never
	// sees a run without its options.
	if _, err := s.exec(ctx, s.db, "UPDATE runs SET not_before = ?, force_full = ?, run_trigger = ? WHERE id = ?",
		s.tv(nb), e.Full, e.Trigger, r.ID); err != nil {
		return r, s.dbErr(err, "enqueue run "+r.ID)
	}
	return r, nil
}

// RunOptions returns what a run was asked to do.
func (s *Store) RunOptions(ctx context.Context, id string) (Enqueue, error) {
	var e Enqueue
	err := s.queryRow(ctx, s.db, "SELECT attempt, not_before, force_full, run_trigger FROM runs WHERE id = ?", id).
		Scan(&e.Attempt, timeCol{&e.NotBefore}, &e.Full, &e.Trigger)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ferry.Errorf(ferry.ENOTFOUND, "run %s does not exist", id)
	}
	return e, s.dbErr(err, "read run options")
}

// ClaimRun turns the oldest due queued run into a running run of host and
// pid, and returns it; ok is false when nothing is due. Concurrent claimers
// (in any process) never get the same run.
func (s *Store) ClaimRun(ctx context.Context, host string, pid int) (run ferry.Run, ok bool, err error) {
	now := s.stampNow()
	lock := ""
	if s.dialect == dialectPostgres {
		lock = " FOR UPDATE OF r SKIP LOCKED"
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var id string
		err := s.queryRow(ctx, tx, `SELECT r.id FROM runs r JOIN sync_configs c ON c.name = r.config
			WHERE r.status = 'queued' AND r.not_before IS NOT NULL AND r.not_before <= ?
			AND NOT EXISTS (SELECT 1 FROM connection_pauses p WHERE p.connection = c.connection AND p.until > ?)
			ORDER BY r.not_before, r.id LIMIT 1`+lock, s.tv(now), s.tv(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		res, err := s.exec(ctx, tx, "UPDATE runs SET status = 'running', host = ?, pid = ?, started_at = ?, heartbeat_at = ? WHERE id = ? AND status = 'queued'",
			host, pid, s.tv(now), s.tv(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			run, err = scanRun(s.queryRow(ctx, tx, "SELECT "+runCols+" FROM runs WHERE id = ?", id))
			ok = err == nil
			return err
		}
		return nil
	})
	if err != nil {
		return ferry.Run{}, false, s.dbErr(err, "claim run")
	}
	return run, ok, nil
}

// TouchQueued refreshes the heartbeat of due queued runs: a live worker
// vouches for the queue, so InterruptStale leaves waiting runs alone while
// any worker is alive.
func (s *Store) TouchQueued(ctx context.Context) error {
	now := s.tv(s.now())
	_, err := s.exec(ctx, s.db, "UPDATE runs SET heartbeat_at = ? WHERE status = 'queued' AND not_before IS NOT NULL AND heartbeat_at < ?", now, now)
	return s.dbErr(err, "touch queued runs")
}

// Resumable returns, per configuration whose latest run is interrupted,
// that run: the work a live worker should resume as a new attempt.
func (s *Store) Resumable(ctx context.Context) ([]ferry.Run, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+runCols+` FROM runs r WHERE status = 'interrupted'
		AND id = (SELECT MAX(id) FROM runs WHERE config = r.config) ORDER BY id`)
	if err != nil {
		return nil, s.dbErr(err, "find interrupted runs")
	}
	defer rows.Close()
	var runs []ferry.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, s.dbErr(err, "find interrupted runs")
		}
		runs = append(runs, r)
	}
	return runs, s.dbErr(rows.Err(), "find interrupted runs")
}

// CancelActiveRun marks the configuration's queued or running run cancelled
// (its worker sees it at the next heartbeat and stops after the batch in
// flight) and returns its id, or "" when there was none.
func (s *Store) CancelActiveRun(ctx context.Context, config, reason string) (string, error) {
	r, ok, err := s.ActiveRun(ctx, config)
	if err != nil || !ok {
		return "", err
	}
	now := s.stampNow()
	_, err = s.exec(ctx, s.db, "UPDATE runs SET status = 'cancelled', error_code = ?, error = ?, finished_at = ? WHERE id = ? AND status IN "+activeStatuses,
		ferry.ECANCELED, reason, s.tv(now), r.ID)
	return r.ID, s.dbErr(err, "cancel run "+r.ID)
}

// PauseConnection stops claims of the connection's runs until until.
func (s *Store) PauseConnection(ctx context.Context, connection string, until time.Time, reason string) error {
	_, err := s.exec(ctx, s.db, `INSERT INTO connection_pauses (connection, until, reason) VALUES (?, ?, ?)
		ON CONFLICT (connection) DO UPDATE SET until = excluded.until, reason = excluded.reason`, connection, s.tv(until), reason)
	return s.dbErr(err, "pause connection "+connection)
}

// ConnectionPause is a connection's quota pause.
type ConnectionPause struct {
	Until  time.Time
	Reason string
}

// ConnectionPauses returns the pauses that have not expired, by connection.
func (s *Store) ConnectionPauses(ctx context.Context) (map[string]ConnectionPause, error) {
	rows, err := s.query(ctx, s.db, "SELECT connection, until, reason FROM connection_pauses WHERE until > ?", s.tv(s.now()))
	if err != nil {
		return nil, s.dbErr(err, "read connection pauses")
	}
	defer rows.Close()
	out := map[string]ConnectionPause{}
	for rows.Next() {
		var name string
		var p ConnectionPause
		if err := rows.Scan(&name, timeCol{&p.Until}, &p.Reason); err != nil {
			return nil, s.dbErr(err, "read connection pauses")
		}
		out[name] = p
	}
	return out, s.dbErr(rows.Err(), "read connection pauses")
}
