package app

import (
	"context"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/executor"
)

// Retry queues a new run of a failed, interrupted or cancelled run's
// configuration for the workers, as the next attempt; it resumes from the
// checkpoint. Other runs are ECONFLICT.
func (a *App) Retry(ctx context.Context, id string) (ferry.Run, error) {
	old, err := a.store.GetRun(ctx, id)
	if err != nil {
		return ferry.Run{}, err
	}
	switch old.Status {
	case ferry.RunFailed, ferry.RunInterrupted, ferry.RunCancelled:
	default:
		return ferry.Run{}, ferry.Errorf(ferry.ECONFLICT, "run %s is %s; only failed, interrupted or cancelled runs can be retried", id, old.Status)
	}
	return queue{a}.Enqueue(ctx, old.Config, executor.Request{Attempt: old.Attempt + 1, Trigger: "retry"})
}

// CancelRun cancels a queued or running run: a queued one never starts, a
// running one stops after its batch in flight, when its worker next
// heartbeats; committed batches and the checkpoint are kept. It returns the
// run as recorded. A run that is already final is ECONFLICT.
func (a *App) CancelRun(ctx context.Context, id, reason string) (ferry.Run, error) {
	if err := a.store.CancelRun(ctx, id, reason); err != nil {
		return ferry.Run{}, err
	}
	return a.store.GetRun(ctx, id)
}
