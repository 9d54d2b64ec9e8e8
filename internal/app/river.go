package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/executor"
	"github.com/ferrysync/ferry/internal/store"
)

// The distributed mode: with the control state in Postgres, runs are River
// jobs (executor.River); with SQLite, the in-process executor.Local. This is
// the one place that chooses.

// riverQueue adapts the Postgres control state to executor.RiverQueue.
type riverQueue struct{ a *App }

var (
	_ executor.RiverQueue   = riverQueue{}
	_ executor.Throttler    = riverQueue{}
	_ executor.RiverOrphans = riverQueue{}
)

// CreateRunTx inserts a queued run in tx (Postgres), refusing paused
// configurations and (invariant 4, the runs_one_active index) a second
// queued-or-running run, naming the run that holds the slot.
func (q riverQueue) CreateRunTx(ctx context.Context, tx pgx.Tx, config string, r executor.Request) (ferry.Run, error) {
	if err := q.a.refusePaused(ctx, config); err != nil {
		return ferry.Run{}, err
	}
	now := q.a.now().UTC().Truncate(time.Microsecond)
	nb := r.NotBefore.UTC().Truncate(time.Microsecond)
	if nb.Before(now) {
		nb = now
	}
	run := ferry.Run{ID: store.NewRunID(now), Config: config, Status: ferry.RunQueued, Attempt: max(r.Attempt, 1),
		StartedAt: now, HeartbeatAt: nb}
	// A savepoint, so a refused insert leaves the caller's tx usable.
	sp, err := tx.Begin(ctx)
	if err != nil {
		return ferry.Run{}, fmt.Errorf("enqueue run: %w", err)
	}
	_, err = sp.Exec(ctx, `INSERT INTO runs (id, config, status, mode, reason, fetched, inserted, updated, unchanged, deleted, failed,
		batches, total, attempt, error_code, error, host, pid, started_at, finished_at, heartbeat_at, not_before, force_full, run_trigger)
		VALUES ($1, $2, $3, '', '', 0, 0, 0, 0, 0, 0, 0, 0, $4, '', '', '', 0, $5, NULL, $6, $7, $8, $9)`,
		run.ID, run.Config, string(run.Status), run.Attempt, run.StartedAt, run.HeartbeatAt, nb, r.Full, r.Trigger)
	if err != nil {
		_ = sp.Rollback(ctx)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			if active, ok, aerr := q.a.store.ActiveRun(ctx, config); aerr == nil && ok {
				return ferry.Run{}, ferry.Errorf(ferry.ECONFLICT, "sync config %q already has %s run %s (%s, started %s): wait for it to finish or cancel it",
					config, active.Status, active.ID, holderOf(active), active.StartedAt.Format(time.RFC3339))
			}
			return ferry.Run{}, ferry.Errorf(ferry.ECONFLICT, "sync config %q has a run starting or finishing right now: try again", config)
		}
		return ferry.Run{}, ferry.Wrap(ferry.EUNAVAILABLE, err, "cannot enqueue a run of %s", config)
	}
	if err := sp.Commit(ctx); err != nil {
		return ferry.Run{}, fmt.Errorf("enqueue run: %w", err)
	}
	return run, nil
}

// Start turns the queued run running in this process.
func (q riverQueue) Start(ctx context.Context, id string) (ferry.Run, time.Time, bool, error) {
	st := q.a.store
	run, err := st.GetRun(ctx, id)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		return run, time.Time{}, false, nil
	}
	if err != nil {
		return run, time.Time{}, false, err
	}
	if run.Status != ferry.RunQueued {
		return run, time.Time{}, false, nil
	}
	if sc, err := st.GetSyncConfig(ctx, run.Config); err == nil {
		pauses, err := st.ConnectionPauses(ctx)
		if err != nil {
			return run, time.Time{}, false, err
		}
		if p, ok := pauses[sc.Connection]; ok {
			return run, p.Until, false, nil
		}
	}
	now := q.a.now()
	run.Status, run.Host, run.PID, run.StartedAt = ferry.RunRunning, hostname(), os.Getpid(), now
	if err := st.UpdateRun(ctx, &run); err != nil {
		if ferry.ErrorCode(err) == ferry.ECONFLICT {
			return run, time.Time{}, false, nil // cancelled meanwhile
		}
		return run, time.Time{}, false, err
	}
	return run, time.Time{}, true, nil
}

// Unjobbed returns the queued runs without a live River job.
func (q riverQueue) Unjobbed(ctx context.Context) ([]ferry.Run, error) {
	rows, err := q.a.store.DB().QueryContext(ctx, `SELECT id, config, attempt FROM runs r WHERE status = 'queued'
		AND NOT EXISTS (SELECT 1 FROM river_job j WHERE j.kind = $1 AND j.args->>'run_id' = r.id
			AND j.state NOT IN ('cancelled', 'discarded'))`, executor.SyncRunKind)
	if err != nil {
		return nil, fmt.Errorf("find queued runs without a river job: %w", err)
	}
	defer rows.Close()
	var runs []ferry.Run
	for rows.Next() {
		r := ferry.Run{Status: ferry.RunQueued}
		if err := rows.Scan(&r.ID, &r.Config, &r.Attempt); err != nil {
			return nil, fmt.Errorf("find queued runs without a river job: %w", err)
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

func (q riverQueue) Recover(ctx context.Context) ([]ferry.Run, error) { return queue(q).Recover(ctx) }

func (q riverQueue) Throttle(ctx context.Context, run ferry.Run, until time.Time) error {
	return queue(q).Throttle(ctx, run, until)
}

// riverExecutor opens a pool on the Postgres control state, brings River's
// schema up to date and returns the River executor; close releases the pool.
func (a *App) riverExecutor(ctx context.Context, cfg executor.Config) (*executor.River, func(), error) {
	pool, err := pgxpool.New(ctx, a.cfg.State)
	if err != nil {
		return nil, nil, ferry.Wrap(ferry.EINVALID, err, "cannot open the Postgres control database")
	}
	if err := executor.MigrateRiver(ctx, pool); err != nil {
		pool.Close()
		return nil, nil, err
	}
	x, err := executor.NewRiver(pool, riverQueue{a}, queue{a}, cfg)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return x, pool.Close, nil
}

// workExecutor returns the executor for this control state: River for
// Postgres, Local for SQLite.
func (a *App) workExecutor(ctx context.Context, cfg executor.Config) (executor.Executor, func(), error) {
	if cfg.Logger == nil {
		cfg.Logger = a.log
	}
	cfg.Lease = a.cfg.Lease
	if isPostgres(a.cfg.State) {
		return a.riverExecutor(ctx, cfg)
	}
	return executor.NewLocal(queue{a}, queue{a}, cfg), func() {}, nil
}

// enqueueRiver queues a run and its River job in one transaction on a
// connection of the control state's pool (`ferry sync --enqueue`, the API,
// retry): no worker needs to be running.
func (a *App) enqueueRiver(ctx context.Context, config string, r executor.Request) (ferry.Run, error) {
	x, err := executor.NewRiver(nil, riverQueue{a}, nil, executor.Config{Logger: a.log})
	if err != nil {
		return ferry.Run{}, err
	}
	conn, err := a.store.DB().Conn(ctx)
	if err != nil {
		return ferry.Run{}, ferry.Wrap(ferry.EUNAVAILABLE, err, "cannot connect to the control database")
	}
	defer conn.Close()
	var run ferry.Run
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if err := ensureRiverSchema(ctx, pc); err != nil {
			return err
		}
		return pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) error {
			var err error
			run, err = x.EnqueueTx(ctx, tx, config, r)
			return err
		})
	})
	return run, err
}

// ensureRiverSchema brings River's schema up to date before a run is queued
// (also when no worker has started yet).
func ensureRiverSchema(ctx context.Context, c *pgx.Conn) error {
	// Always through the migrator, which waits for the migration lock: the
	// river_job table can exist while another process is still migrating
	// it (a check for the table alone let an insert meet a half-migrated
	// schema: column "unique_states" does not exist).
	pool, err := pgxpool.NewWithConfig(ctx, poolConfigOf(c))
	if err != nil {
		return err
	}
	defer pool.Close()
	return executor.MigrateRiver(ctx, pool)
}

func poolConfigOf(c *pgx.Conn) *pgxpool.Config {
	pc, _ := pgxpool.ParseConfig("")
	pc.ConnConfig = c.Config().Copy()
	pc.MaxConns = 2
	return pc
}

// holderOf says which process holds a run, for messages.
func holderOf(r ferry.Run) string {
	if r.Host == "" && r.PID == 0 {
		return "not picked up by a worker yet"
	}
	return fmt.Sprintf("host %s, pid %d", r.Host, r.PID)
}
