package app

import (
	"context"
	"sync"

	"github.com/ferrysync/ferry"
)

// StartSync starts a run of the named configuration in this process, in the
// background, and returns it as soon as it is recorded (so a caller can point
// at it), or the error that kept it from starting. The run goes on after ctx
// ends: it is detached from ctx's cancellation (a browser request that
// started it may return at once). progress, if not nil, is called like
// SyncOptions.Progress, from the run's goroutine.
//
// This is the dashboard's "Sync now" until runs are enqueued to an executor.
func (a *App) StartSync(ctx context.Context, name string, progress func(ferry.Run, float64)) (ferry.Run, error) {
	started := make(chan ferry.Run, 1)
	var once sync.Once
	first := func(r ferry.Run) { once.Do(func() { started <- r }) }
	done := make(chan struct {
		run ferry.Run
		err error
	}, 1)
	go func() {
		run, err := a.Sync(context.WithoutCancel(ctx), name, SyncOptions{Progress: func(r ferry.Run, f float64) {
			first(r)
			if progress != nil {
				progress(r, f)
			}
		}})
		done <- struct {
			run ferry.Run
			err error
		}{run, err}
	}()
	select {
	case r := <-started:
		return r, nil
	case d := <-done:
		select {
		case r := <-started:
			return r, nil
		default:
		}
		if d.run.ID != "" {
			return d.run, nil // it ran (and failed or finished) before reporting progress
		}
		return ferry.Run{}, d.err
	}
}
