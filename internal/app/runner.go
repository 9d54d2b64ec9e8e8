package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ferrysync/ferry"
)

// Runner starts runs in the background of this process, for the API's "sync
// now", "retry" and "cancel". Each run gets a context detached from the
// request that started it; Close cancels the ones still going and waits.
type Runner struct {
	app  *App
	base context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu      sync.Mutex
	running map[string]*bgRun // by run id
}

type bgRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// NewRunner returns a Runner over a.
func NewRunner(a *App) *Runner {
	base, stop := context.WithCancel(context.Background())
	return &Runner{app: a, base: base, stop: stop, running: map[string]*bgRun{}}
}

// Start starts a run of the named configuration and returns it as soon as
// it is recorded; it goes on after ctx ends. A configuration that is paused,
// missing or already running is refused like Sync refuses it.
func (r *Runner) Start(ctx context.Context, name string, full bool) (ferry.Run, error) {
	if err := r.base.Err(); err != nil {
		return ferry.Run{}, ferry.Errorf(ferry.EUNAVAILABLE, "the server is shutting down; try again")
	}
	runCtx, cancel := context.WithCancel(r.base)
	started := make(chan ferry.Run, 1)
	type result struct {
		run ferry.Run
		err error
	}
	finished := make(chan result, 1)
	bg := &bgRun{cancel: cancel, done: make(chan struct{})}
	var once sync.Once
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(bg.done)
		defer cancel()
		run, err := r.app.Sync(runCtx, name, SyncOptions{Full: full, Progress: func(run ferry.Run, _ float64) {
			once.Do(func() {
				r.mu.Lock()
				r.running[run.ID] = bg
				r.mu.Unlock()
				started <- run
			})
		}})
		r.mu.Lock()
		delete(r.running, run.ID)
		r.mu.Unlock()
		finished <- result{run, err}
	}()
	select {
	case run := <-started:
		return run, nil
	case res := <-finished:
		if res.run.ID != "" {
			return res.run, nil // recorded, and already over (it failed early)
		}
		return ferry.Run{}, res.err
	case <-ctx.Done():
		// The run goes on; the caller finds it in the run list.
		return ferry.Run{}, ferry.Wrap(ferry.ECANCELED, ctx.Err(), "stopped waiting for run of %s to start", name)
	}
}

// Retry starts a new run of a failed, interrupted or cancelled run's
// configuration; it resumes from the checkpoint.
func (r *Runner) Retry(ctx context.Context, id string) (ferry.Run, error) {
	old, err := r.app.store.GetRun(ctx, id)
	if err != nil {
		return ferry.Run{}, err
	}
	switch old.Status {
	case ferry.RunFailed, ferry.RunInterrupted, ferry.RunCancelled:
	default:
		return ferry.Run{}, ferry.Errorf(ferry.ECONFLICT, "run %s is %s; only failed, interrupted or cancelled runs can be retried", id, old.Status)
	}
	return r.Start(ctx, old.Config, false)
}

// Cancel stops a queued or running run that this process executes, after
// its batch in flight, and returns it as recorded. A run executed by
// another process is ECONFLICT naming that process.
func (r *Runner) Cancel(ctx context.Context, id string) (ferry.Run, error) {
	run, err := r.app.store.GetRun(ctx, id)
	if err != nil {
		return run, err
	}
	if run.Status.Done() {
		return run, ferry.Errorf(ferry.ECONFLICT, "run %s is already %s", id, run.Status)
	}
	r.mu.Lock()
	bg, ok := r.running[id]
	r.mu.Unlock()
	if !ok {
		return run, ferry.Errorf(ferry.ECONFLICT, "run %s is executed by another process (%s); stop it there", id, holder(run))
	}
	bg.cancel()
	select {
	case <-bg.done:
	case <-ctx.Done():
		return run, ferry.Wrap(ferry.ECANCELED, ctx.Err(), "stopped waiting for run %s to stop", id)
	case <-time.After(30 * time.Second):
	}
	return r.app.store.GetRun(ctx, id)
}

func holder(r ferry.Run) string {
	if r.Host == "" && r.PID == 0 {
		return "not picked up by a worker yet"
	}
	return fmt.Sprintf("host %s, pid %d", r.Host, r.PID)
}

// Close cancels the runs still going (they are recorded as cancelled and
// keep their checkpoint) and waits for them.
func (r *Runner) Close() {
	r.stop()
	r.wg.Wait()
}
