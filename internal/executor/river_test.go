package executor_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/executor"
	"github.com/ferrysync/ferry/internal/pgtest"
)

// pgQueue is a RiverQueue over a minimal runs table with the store's
// one-active-run index, in a throwaway database.
type pgQueue struct {
	pool *pgxpool.Pool
	n    atomic.Int64
}

func newPGQueue(t *testing.T) *pgQueue {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, `CREATE TABLE runs (id TEXT PRIMARY KEY, config TEXT NOT NULL, status TEXT NOT NULL,
		attempt INT NOT NULL, trigger TEXT NOT NULL, error_code TEXT NOT NULL DEFAULT '');
		CREATE UNIQUE INDEX runs_one_active ON runs (config) WHERE status IN ('queued', 'running')`); err != nil {
		t.Fatal(err)
	}
	if err := executor.MigrateRiver(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return &pgQueue{pool: pool}
}

func (q *pgQueue) CreateRunTx(ctx context.Context, tx pgx.Tx, config string, r executor.Request) (ferry.Run, error) {
	run := ferry.Run{ID: fmt.Sprintf("run_%04d", q.n.Add(1)), Config: config, Status: ferry.RunQueued, Attempt: max(r.Attempt, 1)}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return run, err
	}
	if _, err := sp.Exec(ctx, "INSERT INTO runs (id, config, status, attempt, trigger) VALUES ($1, $2, 'queued', $3, $4)",
		run.ID, config, run.Attempt, r.Trigger); err != nil {
		_ = sp.Rollback(ctx)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return run, ferry.Errorf(ferry.ECONFLICT, "sync config %q already has an active run", config)
		}
		return run, err
	}
	return run, sp.Commit(ctx)
}

func (q *pgQueue) Start(ctx context.Context, id string) (ferry.Run, time.Time, bool, error) {
	var run ferry.Run
	var status string
	err := q.pool.QueryRow(ctx, "UPDATE runs SET status = 'running' WHERE id = $1 AND status = 'queued' RETURNING id, config, status, attempt", id).
		Scan(&run.ID, &run.Config, &status, &run.Attempt)
	if errors.Is(err, pgx.ErrNoRows) {
		return run, time.Time{}, false, nil
	}
	run.Status = ferry.RunStatus(status)
	return run, time.Time{}, err == nil, err
}

func (q *pgQueue) Recover(context.Context) ([]ferry.Run, error) { return nil, nil }

func (q *pgQueue) finish(ctx context.Context, run ferry.Run, status ferry.RunStatus, code string) ferry.Run {
	_, _ = q.pool.Exec(ctx, "UPDATE runs SET status = $2, error_code = $3 WHERE id = $1", run.ID, string(status), code)
	run.Status, run.ErrorCode = status, code
	return run
}

type row struct {
	ID, Config, Status, Trigger, Code string
	Attempt                           int
}

func (q *pgQueue) runs(t *testing.T) []row {
	t.Helper()
	rows, err := q.pool.Query(context.Background(), "SELECT id, config, status, trigger, error_code, attempt FROM runs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// jobs returns the River jobs' states by run id.
func (q *pgQueue) jobs(t *testing.T) map[string]string {
	t.Helper()
	rows, err := q.pool.Query(context.Background(), "SELECT args->>'run_id', state::text FROM river_job WHERE kind = $1", executor.SyncRunKind)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var id, state string
	_, err = pgx.ForEachRow(rows, []any{&id, &state}, func() error { out[id] = state; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runnerFunc is a Runner from a function.
type runnerFunc func(ctx context.Context, run ferry.Run) (ferry.Run, error)

func (f runnerFunc) Execute(ctx context.Context, run ferry.Run) (ferry.Run, error) {
	return f(ctx, run)
}

func newRiver(t *testing.T, q *pgQueue, r executor.Runner) *executor.River {
	t.Helper()
	x, err := executor.NewRiver(q.pool, q, r, executor.Config{Workers: 2, Poll: 50 * time.Millisecond, Lease: 2 * time.Second,
		Retry: executor.RetryPolicy{Base: 20 * time.Millisecond, Max: 50 * time.Millisecond, MaxAttempts: 3}})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRiverEnqueueTxRollbackLeavesNeither(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	q := newPGQueue(t)
	x := newRiver(t, q, nil)
	tx, err := q.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.EnqueueTx(ctx, tx, "c1", executor.Request{Attempt: 1, Trigger: "manual"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if runs, jobs := q.runs(t), q.jobs(t); len(runs) != 0 || len(jobs) != 0 {
		t.Fatalf("after rollback: runs %v, jobs %v; want neither", runs, jobs)
	}
	run, err := x.Enqueue(ctx, "c1", executor.Request{Attempt: 1, Trigger: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	if runs, jobs := q.runs(t), q.jobs(t); len(runs) != 1 || jobs[run.ID] != "available" {
		t.Fatalf("after commit: runs %v, jobs %v; want the run and its job", runs, jobs)
	}
}

func TestRiverUnique(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	q := newPGQueue(t)
	x := newRiver(t, q, nil)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = x.Enqueue(ctx, "c1", executor.Request{Attempt: 1, Trigger: "manual"}) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch ferry.ErrorCode(err) {
		case "":
			ok++
		case ferry.ECONFLICT:
		default:
			t.Errorf("enqueue: %v", err)
		}
	}
	runs, jobs := q.runs(t), q.jobs(t)
	if ok != 1 || len(runs) != 1 || len(jobs) != 1 {
		t.Fatalf("%d enqueued; runs %v; jobs %v; want one of each", ok, runs, jobs)
	}
	// A second job for the same run is skipped as a duplicate.
	client, err := river.NewClient(riverpgxv5.New(nil), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := q.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	res, err := client.InsertTx(ctx, tx, executor.SyncRunArgs{RunID: runs[0].ID, Config: runs[0].Config}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.UniqueSkippedAsDuplicate {
		t.Fatalf("a second job for run %s was inserted", runs[0].ID)
	}
}

func TestRiverRetryableAndPermanentFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code  string
		want  []string // statuses of the runs, oldest first
		tries int
	}{
		{ferry.EUNAVAILABLE, []string{"failed", "failed", "succeeded"}, 2}, // fails twice, then succeeds
		{ferry.EUNAUTHORIZED, []string{"failed"}, 1},
	} {
		t.Run(tc.code, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			q := newPGQueue(t)
			var calls atomic.Int64
			x := newRiver(t, q, runnerFunc(func(ctx context.Context, run ferry.Run) (ferry.Run, error) {
				if calls.Add(1) <= int64(tc.tries) {
					return q.finish(ctx, run, ferry.RunFailed, tc.code), ferry.Errorf(tc.code, "boom")
				}
				return q.finish(ctx, run, ferry.RunSucceeded, ""), nil
			}))
			done := make(chan struct{})
			go func() { defer close(done); _ = x.Work(ctx) }()
			if _, err := x.Enqueue(ctx, "c1", executor.Request{Attempt: 1, Trigger: "manual"}); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the runs to end", func() bool {
				runs := q.runs(t)
				last := runs[len(runs)-1]
				return len(runs) == len(tc.want) && (last.Status == "succeeded" || last.Status == "failed")
			})
			time.Sleep(200 * time.Millisecond) // no further retry
			runs, jobs := q.runs(t), q.jobs(t)
			if len(runs) != len(tc.want) {
				t.Fatalf("runs %v, want statuses %v", runs, tc.want)
			}
			for i, r := range runs {
				if r.Status != tc.want[i] || r.Attempt != i+1 {
					t.Errorf("run %d: %+v, want %s attempt %d", i, r, tc.want[i], i+1)
				}
				if i > 0 && r.Trigger != "retry" {
					t.Errorf("run %d trigger %q, want retry", i, r.Trigger)
				}
			}
			eventually(t, "the jobs to complete", func() bool {
				jobs = q.jobs(t)
				for _, r := range runs {
					if jobs[r.ID] != "completed" {
						return false
					}
				}
				return true
			})
			cancel()
			<-done
		})
	}
}

// TestRiverStopInterrupts: Work's ctx ending stops the run in flight (it
// records itself interrupted) and River stops softly: the job completes.
func TestRiverStopInterrupts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	q := newPGQueue(t)
	started := make(chan struct{})
	x := newRiver(t, q, runnerFunc(func(rctx context.Context, run ferry.Run) (ferry.Run, error) {
		close(started)
		<-rctx.Done()
		return q.finish(context.WithoutCancel(rctx), run, ferry.RunInterrupted, ""), nil
	}))
	done := make(chan struct{})
	go func() { defer close(done); _ = x.Work(ctx) }()
	run, err := x.Enqueue(ctx, "c1", executor.Request{Attempt: 1, Trigger: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Work did not return after its ctx ended")
	}
	if runs := q.runs(t); len(runs) != 1 || runs[0].Status != "interrupted" {
		t.Fatalf("runs %v, want one interrupted", runs)
	}
	if st := q.jobs(t)[run.ID]; st != "completed" {
		t.Fatalf("job %s, want completed", st)
	}
}

func TestMigrateRiverConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = executor.MigrateRiver(ctx, pool) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if err := executor.MigrateRiver(ctx, pool); err != nil {
		t.Fatalf("again: %v", err)
	}
}

func (q *pgQueue) Unjobbed(ctx context.Context) ([]ferry.Run, error) {
	rows, err := q.pool.Query(ctx, `SELECT id, config FROM runs r WHERE status = 'queued' AND NOT EXISTS
		(SELECT 1 FROM river_job j WHERE j.args->>'run_id' = r.id AND j.state NOT IN ('cancelled', 'discarded'))`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ferry.Run, error) {
		var run ferry.Run
		return run, r.Scan(&run.ID, &run.Config)
	})
}

// TestRiverAdoptsQueuedRunsWithoutJob: a run queued without a River job (by
// a Ferry that ran the local executor on this database) gets one at the next
// maintenance, once, even with two maintainers.
func TestRiverAdoptsQueuedRunsWithoutJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	q := newPGQueue(t)
	if _, err := q.pool.Exec(ctx, "INSERT INTO runs (id, config, status, attempt, trigger) VALUES ('run_old', 'c1', 'queued', 1, 'manual')"); err != nil {
		t.Fatal(err)
	}
	x1, x2 := newRiver(t, q, nil), newRiver(t, q, nil)
	var wg sync.WaitGroup
	wg.Go(func() { x1.Maintain(ctx) })
	wg.Go(func() { x2.Maintain(ctx) })
	wg.Wait()
	if jobs := q.jobs(t); len(jobs) != 1 || jobs["run_old"] != "available" {
		t.Fatalf("jobs %v, want one available job for run_old", jobs)
	}
}
