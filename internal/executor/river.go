package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/ferrysync/ferry"
)

// The River executor: the distributed mode's Executor, over River jobs in
// the Postgres control database.
//
// A queued run is two rows written in one transaction (EnqueueTx): the run
// in Ferry's runs table, the source of truth for status, counts and history,
// and a River job of kind ferry_sync_run whose args carry the run's id.
// Neither exists without the other. Invariant 4 stays the runs table's
// runs_one_active index (a second queued-or-running run of a configuration
// is refused before its job is inserted); the job is unique by run id.
//
// A River worker that gets the job turns the run running (RiverQueue.Start)
// and executes it. The job ends completed whatever the run's outcome; what
// happens next is decided on the run, as in Local:
//   - failed with a retryable code, attempts left: a new queued run
//     (Attempt+1) and its job scheduled at now + backoff, in one transaction;
//   - the worker stops (SIGTERM): the run ends interrupted, the job completes,
//     and a live worker's lease maintenance queues the resume (a new run and
//     a new job) which continues from the checkpoint;
//   - the worker dies (kill -9): the run's heartbeat stops; after Lease a live
//     worker's maintenance marks it interrupted and queues the resume. River
//     rescues the orphaned job after RescueStuckJobsAfter (2*Lease); worked
//     again, it finds its run no longer queued and completes without running.
// Job errors (River's own retries with backoff) are kept for the control
// database being unreachable when a run starts.

// SyncRunKind is the River job kind of a sync run.
const SyncRunKind = "ferry_sync_run"

// RiverQueueName is the River queue Ferry's jobs use.
const RiverQueueName = "ferry"

// SyncRunArgs are a sync run job's args: the run row holds everything else.
type SyncRunArgs struct {
	RunID  string `json:"run_id" river:"unique"`
	Config string `json:"config"`
}

// Kind is the job kind.
func (SyncRunArgs) Kind() string { return SyncRunKind }

// InsertOpts: Ferry's queue; unique by run id, so a run never has two jobs.
func (SyncRunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: RiverQueueName, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// RiverQueue is the control state as the River executor needs it.
type RiverQueue interface {
	// CreateRunTx records a queued run of config inside tx: ECONFLICT when
	// the configuration already has a queued or running run, or is paused.
	CreateRunTx(ctx context.Context, tx pgx.Tx, config string, r Request) (ferry.Run, error)
	// Start turns the queued run id running in this process. ok is false
	// when the run is no longer queued (cancelled, interrupted, gone); a
	// non-zero wait says its connection is paused until then.
	Start(ctx context.Context, id string) (run ferry.Run, wait time.Time, ok bool, err error)
	// Recover is Queue.Recover: interrupt the runs of dead workers, return
	// the interrupted runs to resume.
	Recover(ctx context.Context) ([]ferry.Run, error)
}

// RiverOrphans is optionally implemented by a RiverQueue: the queued runs
// that have no live River job (queued by a Ferry that ran the local executor
// on this database, or whose job River discarded). Maintenance gives each a
// job, so no queued run waits forever.
type RiverOrphans interface {
	Unjobbed(ctx context.Context) ([]ferry.Run, error)
}

// River is the executor over River jobs in the Postgres control database.
type River struct {
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
	q      RiverQueue
	r      Runner
	cfg    Config

	mu      sync.Mutex
	workCtx context.Context // Work's ctx: its end stops the runs in flight
}

var _ Executor = (*River)(nil)

// NewRiver returns a River executor over pool. With a nil pool or Runner it
// only inserts (EnqueueTx): `ferry sync --enqueue`, the API.
func NewRiver(pool *pgxpool.Pool, q RiverQueue, r Runner, cfg Config) (*River, error) {
	cfg = cfg.withDefaults()
	x := &River{pool: pool, q: q, r: r, cfg: cfg, workCtx: context.Background()}
	rc := &river.Config{Logger: cfg.Logger.With("component", "river")}
	if pool != nil && r != nil {
		workers := river.NewWorkers()
		if err := river.AddWorkerSafely(workers, &syncRunWorker{x: x}); err != nil {
			return nil, err
		}
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{RiverQueueName: {MaxWorkers: cfg.Workers}}
		// A sync runs as long as it needs: no job timeout. Ferry's lease
		// decides when a run is dead (Lease); River rescues the job row
		// later, after the resume is queued, so the rescue never races it.
		// River cannot tell a dead worker's job from a live long run's (it
		// has no job heartbeat): the job of a run longer than 2*Lease is
		// rescued too, and worked again it finds the run running, not
		// queued, and completes without doing anything; the run goes on.
		rc.JobTimeout = -1
		rc.RescueStuckJobsAfter = 2 * cfg.Lease
		rc.FetchPollInterval = max(cfg.Poll, 50*time.Millisecond)
		rc.FetchCooldown = min(100*time.Millisecond, rc.FetchPollInterval)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	x.client = client
	return x, nil
}

// riverMigrateLock is the advisory lock held while River's schema migrates:
// "river" in ASCII, then a counter.
const riverMigrateLock = 0x7269766572_0001

// MigrateRiver brings River's tables in pool's database up to date. It is
// idempotent and safe from concurrent processes (an advisory lock serialises
// them; the later ones find nothing to do).
func MigrateRiver(ctx context.Context, pool *pgxpool.Pool) error {
	// The lock is held on a connection of its own, not one of pool's: the
	// migration itself needs pool's connections, and so would a concurrent
	// caller of this process waiting for the lock.
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return ferry.Wrap(ferry.EUNAVAILABLE, err, "cannot connect to the Postgres control database")
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(riverMigrateLock)); err != nil {
		return fmt.Errorf("lock river migrations: %w", err)
	}
	// Closing the connection releases the lock.
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river schema: %w", err)
	}
	return nil
}

// EnqueueTx records a queued run and its River job in tx; the caller
// commits (both exist) or rolls back (neither does).
func (x *River) EnqueueTx(ctx context.Context, tx pgx.Tx, config string, r Request) (ferry.Run, error) {
	run, err := x.q.CreateRunTx(ctx, tx, config, r)
	if err != nil {
		return ferry.Run{}, err
	}
	opts := &river.InsertOpts{}
	if !r.NotBefore.IsZero() && r.NotBefore.After(x.cfg.Clock.Now()) {
		opts.ScheduledAt = r.NotBefore
	}
	if _, err := x.client.InsertTx(ctx, tx, SyncRunArgs{RunID: run.ID, Config: run.Config}, opts); err != nil {
		return ferry.Run{}, fmt.Errorf("insert river job for run %s: %w", run.ID, err)
	}
	return run, nil
}

// Enqueue records a queued run and its River job in one transaction.
func (x *River) Enqueue(ctx context.Context, config string, r Request) (ferry.Run, error) {
	if x.pool == nil {
		return ferry.Run{}, errors.New("river executor without a pool: use EnqueueTx")
	}
	var run ferry.Run
	err := pgx.BeginFunc(ctx, x.pool, func(tx pgx.Tx) error {
		var err error
		run, err = x.EnqueueTx(ctx, tx, config, r)
		return err
	})
	return run, err
}

// Work runs River's client (Workers jobs at once) and the lease maintenance
// until ctx is done, then stops softly: River fetches no more jobs, the runs
// in flight see ctx done, commit their batch in flight and end interrupted,
// and their jobs complete; a live worker resumes the runs.
func (x *River) Work(ctx context.Context) error {
	if x.r == nil || x.pool == nil {
		return errors.New("river executor without a pool or runner cannot work")
	}
	x.mu.Lock()
	x.workCtx = ctx
	x.mu.Unlock()
	if err := x.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start river client: %w", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { x.maintain(ctx) })
	<-ctx.Done()
	wg.Wait()
	// Soft stop: the jobs' runs are already stopping (their ctx follows
	// Work's); give them a lease to record themselves interrupted.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), x.cfg.Lease)
	defer cancel()
	if err := x.client.Stop(sctx); err != nil {
		_ = x.client.StopAndCancel(context.WithoutCancel(ctx))
		return fmt.Errorf("stop river client: %w", err)
	}
	return nil
}

// maintain is Local's lease maintenance, every Lease/4.
func (x *River) maintain(ctx context.Context) {
	for {
		x.Maintain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-x.cfg.Clock.After(x.cfg.Lease / 4):
		}
	}
}

// Maintain runs one round of lease maintenance: interrupted runs of dead
// workers are queued again (a new run and a new River job), to resume from
// their checkpoint. Of several processes doing this at once, one queues
// each resume; the others meet the one-active-run index.
func (x *River) Maintain(ctx context.Context) []ferry.Run {
	x.adopt(ctx)
	runs, err := x.q.Recover(ctx)
	if err != nil {
		if ctx.Err() == nil {
			x.cfg.Logger.Warn("recover interrupted runs", "error", err)
		}
		return nil
	}
	var queued []ferry.Run
	for _, r := range runs {
		next, err := x.Enqueue(ctx, r.Config, Request{Attempt: r.Attempt + 1, Trigger: "resume"})
		if err != nil {
			x.cfg.Logger.Debug("resume not queued", "config", r.Config, "error", err)
			continue
		}
		x.cfg.Logger.Info("interrupted run resumed", "run_id", next.ID, "interrupted", r.ID, "config", r.Config, "attempt", next.Attempt)
		queued = append(queued, next)
	}
	return queued
}

// adopt inserts a job for each queued run without one. The job is unique by
// run id, so maintainers of several processes adopting at once insert one.
func (x *River) adopt(ctx context.Context) {
	o, ok := x.q.(RiverOrphans)
	if !ok {
		return
	}
	runs, err := o.Unjobbed(ctx)
	if err != nil {
		if ctx.Err() == nil {
			x.cfg.Logger.Warn("find queued runs without a river job", "error", err)
		}
		return
	}
	for _, r := range runs {
		res, err := x.client.Insert(ctx, SyncRunArgs{RunID: r.ID, Config: r.Config}, nil)
		if err != nil {
			x.cfg.Logger.Warn("insert river job for queued run", "run_id", r.ID, "error", err)
			continue
		}
		if !res.UniqueSkippedAsDuplicate {
			x.cfg.Logger.Info("queued run given a river job", "run_id", r.ID, "config", r.Config)
		}
	}
}

// syncRunWorker is the River worker of ferry_sync_run jobs.
type syncRunWorker struct {
	river.WorkerDefaults[SyncRunArgs]
	x *River
}

func (w *syncRunWorker) Work(ctx context.Context, job *river.Job[SyncRunArgs]) error {
	x := w.x
	log := x.cfg.Logger.With("run_id", job.Args.RunID, "config", job.Args.Config, "job_id", job.ID)
	run, wait, ok, err := x.q.Start(ctx, job.Args.RunID)
	if err != nil {
		return err // River retries the job with backoff
	}
	if !wait.IsZero() {
		return river.JobSnooze(max(wait.Sub(x.cfg.Clock.Now()), time.Second))
	}
	if !ok {
		log.Info("run no longer queued, job done")
		return nil
	}
	log.Info("run claimed", "attempt", run.Attempt, "job_attempt", job.Attempt)
	// The run stops when the job's ctx or Work's ctx (SIGTERM) is done.
	x.mu.Lock()
	wctx := x.workCtx
	x.mu.Unlock()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(wctx, cancel)
	defer stop()
	final, err := x.r.Execute(rctx, run)
	x.after(context.WithoutCancel(ctx), log, final, err)
	return nil
}

// after queues the retry of a run that failed for a retryable reason: a new
// run and its job scheduled after the backoff, as Local does.
func (x *River) after(ctx context.Context, log *slog.Logger, run ferry.Run, err error) {
	if run.Status != ferry.RunFailed {
		return
	}
	code := ferry.ErrorCode(err)
	retry, delay := x.cfg.Retry.Decide(code, run.Attempt)
	if !retry {
		log.Info("run failed, not retried", "code", code, "attempt", run.Attempt)
		return
	}
	at := x.cfg.Clock.Now().Add(delay)
	if th, ok := x.q.(Throttler); ok && code == ferry.ERATELIMITED {
		if err := th.Throttle(ctx, run, at); err != nil {
			log.Warn("pause connection", "error", err)
		}
	}
	next, err := x.Enqueue(ctx, run.Config, Request{Attempt: run.Attempt + 1, NotBefore: at, Trigger: "retry"})
	if err != nil {
		log.Info("retry not queued", "error", err)
		return
	}
	log.Info("retry queued", "next_run_id", next.ID, "attempt", next.Attempt, "not_before", at)
}
